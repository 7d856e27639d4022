import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import type { PortalRequestContext } from '../services/portal-service.js';

// The portal's cookie and its cross-site rules (API.md "Portal and widget").

/** Host names browsers treat as secure contexts even over plain http. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The host name of a Host header value, without its port, lower case. */
function hostName(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0]!;
}

/**
 * Whether the browser holds this origin as secure: https (or a public URL
 * that is https, behind a TLS-terminating proxy), or a loopback host, which
 * Chromium and Firefox treat as secure contexts. Only then may the cookie be
 * `Secure` with the `__Host-` prefix, which pins it to this host and Path=/.
 */
export function isSecureContext(request: FastifyRequest, publicUrl: string | undefined): boolean {
  if (request.protocol === 'https') return true;
  if (publicUrl?.startsWith('https:')) return true;
  return LOOPBACK_HOSTS.has(hostName(request.host));
}

export function portalCookieName(secure: boolean): string {
  return secure ? '__Host-lp_portal' : 'lp_portal';
}

/** The attributes of the session cookie; `maxAge` in seconds (omitted when clearing). */
export function portalCookieOptions(secure: boolean, maxAge?: number): CookieSerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure,
    ...(maxAge === undefined ? {} : { maxAge }),
  };
}

/**
 * Refuses a request a browser sent on behalf of another site: Fetch Metadata
 * `Sec-Fetch-Site: cross-site`, or an `Origin` that is not this server's own
 * (the request's own origin, or LOGPROOF_PUBLIC_URL's). SameSite=Strict keeps
 * the cookie off such requests already; this also covers older browsers and
 * login CSRF on POST /v1/portal/sessions, which has no cookie yet.
 */
export function assertSameOrigin(request: FastifyRequest, publicUrl: string | undefined): void {
  if (request.headers['sec-fetch-site'] === 'cross-site') {
    throw new ApiError('csrf_failed', 'cross-site requests are refused by the portal API');
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const own = new Set<string>();
  for (const base of [`${request.protocol}://${request.host}`, publicUrl]) {
    // URL.origin drops a default port: Host "example.com:443" is origin https://example.com.
    if (base !== undefined && URL.canParse(base)) own.add(new URL(base).origin);
  }
  if (!URL.canParse(origin) || !own.has(new URL(origin).origin)) {
    throw new ApiError(
      'csrf_failed',
      `requests from origin ${origin} are refused by the portal API`,
    );
  }
}

/** What the portal's events record about the request. */
export function requestContext(request: FastifyRequest): PortalRequestContext {
  const ua = request.headers['user-agent'];
  return {
    ip: request.ip,
    userAgent: typeof ua === 'string' ? ua : undefined,
    requestId: request.id,
  };
}
