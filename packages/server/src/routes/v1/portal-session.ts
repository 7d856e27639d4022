import cookie from '@fastify/cookie';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.js';
import {
  assertSameOrigin,
  isSecureContext,
  portalCookieName,
  portalCookieOptions,
  requestContext,
} from '../../http/portal-cookie.js';
import { ProblemSchema } from '../../http/schemas.js';
import type { ExportService } from '../../exports/export-service.js';
import type { OrgKeys } from '../../services/org-keys.js';
import { checkCsrfToken, csrfTokenFor, type PortalService } from '../../services/portal-service.js';
import type { VerificationService } from '../../services/verification-service.js';
import type { PortalPermission, PortalSessionRecord } from '../../store/portal-port.js';
import type { Store } from '../../store/store.js';
import type { WebhookService } from '../../webhooks/webhook-service.js';
import portalEventRoutes from './portal-events.js';
import portalWebhookRoutes from './portal-webhooks.js';

// The portal's session API (API.md "Portal and widget"): everything under
// /v1/portal/ except the admin's POST /v1/portal/links. A session cookie
// authenticates; its org is the only org these routes ever read or change.

declare module 'fastify' {
  interface FastifyRequest {
    /** The portal session of this request (routes with `config.portal`). */
    portalSession: PortalSessionRecord | null;
    /** The session cookie's value (the CSRF token is derived from it). */
    portalCookie: string | null;
  }
  interface FastifyContextConfig {
    /** A portal session route: a live session holding `permission` lets the request in. */
    portal?: { readonly permission: PortalPermission };
  }
}

export interface PortalSessionRoutesOptions {
  readonly store: Store;
  readonly portal: PortalService;
  readonly verification: VerificationService;
  readonly orgKeys: Pick<OrgKeys, 'originOf'>;
  readonly exports: ExportService;
  readonly webhooks: WebhookService;
  /** LOGPROOF_PUBLIC_URL: also an own origin, and https there makes the cookie Secure. */
  readonly publicUrl: string | undefined;
}

/** The authenticated session; throws when the route has no `config.portal` (a programming error). */
export function requireSession(request: FastifyRequest): PortalSessionRecord {
  if (!request.portalSession) throw new Error('route has no portal config');
  return request.portalSession;
}

/** The security requirement and problem answers of every cookie-authenticated route. */
export const SESSION_SECURITY = [{ portalSession: [] }];
export function sessionProblems(...statuses: number[]): Record<number, typeof ProblemSchema> {
  const out: Record<number, typeof ProblemSchema> = {};
  for (const s of [400, 401, 403, ...statuses]) out[s] = ProblemSchema;
  return out;
}

export const PORTAL_TAG = 'Portal session';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export default async function portalSessionRoutes(
  app: FastifyInstance,
  options: PortalSessionRoutesOptions,
) {
  const { store, portal, orgKeys, publicUrl } = options;
  // Encapsulated: cookies are parsed for these routes only.
  await app.register(cookie);
  app.decorateRequest('portalSession', null);
  app.decorateRequest('portalCookie', null);

  app.addHook('onRequest', async (request, reply) => {
    // Every answer, errors included: nothing here is cached or leaks a Referer.
    void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    assertSameOrigin(request, publicUrl);
    const needs = request.routeOptions.config.portal;
    if (!needs) return;
    const value = request.cookies[portalCookieName(isSecureContext(request, publicUrl))];
    const session = await portal.authenticate(value);
    if (!session || value === undefined) {
      throw new ApiError(
        'portal_session_required',
        'no portal session, or it has expired or was ended; open a new portal link',
      );
    }
    if (
      !SAFE_METHODS.has(request.method) &&
      !checkCsrfToken(value, request.headers['x-csrf-token'])
    ) {
      throw new ApiError(
        'csrf_failed',
        'send the csrf_token of GET /v1/portal/session in the X-CSRF-Token header',
      );
    }
    if (!session.permissions.includes(needs.permission)) {
      throw new ApiError(
        'forbidden',
        `this portal session lacks the permission ${needs.permission}`,
      );
    }
    request.portalSession = session;
    request.portalCookie = value;
  });

  app.post(
    '/v1/portal/sessions',
    {
      schema: {
        tags: [PORTAL_TAG],
        summary: 'Open a portal link: trade its token for a session cookie',
        description:
          'The portal page `/portal/open#token=lp_pt_...` posts the token from the URL fragment here. A link opens once: of concurrent opens exactly one succeeds. ' +
          'The answer sets the session cookie: `__Host-lp_portal` with `Secure` over https or on a loopback host, otherwise `lp_portal`; always `HttpOnly; SameSite=Strict; Path=/; Max-Age=<session_ttl>`. ' +
          'A used, expired or unknown token is a 403 `portal_link_invalid` (which of them is not said). Records `logproof.portal.opened` in the org log.',
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 128, description: 'lp_pt_...' }) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            expires_at: Type.String({ format: 'date-time' }),
            org: Type.Object({
              id: Type.String(),
              external_id: Type.String(),
              name: Type.String(),
            }),
            permissions: Type.Array(Type.String()),
          }),
          400: ProblemSchema,
          403: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { token } = request.body as { token: string };
      const { session, cookieValue, org } = await portal.openSession(
        token,
        requestContext(request),
      );
      const secure = isSecureContext(request, publicUrl);
      const ttl = Math.round((session.expiresAt - session.createdAt) / 1000);
      void reply
        .setCookie(portalCookieName(secure), cookieValue, portalCookieOptions(secure, ttl))
        .code(201);
      return {
        expires_at: new Date(session.expiresAt).toISOString(),
        org: { id: org.id, external_id: org.externalId, name: org.name },
        permissions: [...session.permissions],
      };
    },
  );

  app.get(
    '/v1/portal/session',
    {
      config: { portal: { permission: 'view' } },
      schema: {
        tags: [PORTAL_TAG],
        summary: 'The current portal session, its org, the branding and the CSRF token',
        description:
          '`csrf_token` goes in the `X-CSRF-Token` header of every request other than GET. It is derived from the cookie, so it is the same for the whole session.',
        security: SESSION_SECURITY,
        response: {
          200: Type.Object({
            session_id: Type.String(),
            expires_at: Type.String({ format: 'date-time' }),
            permissions: Type.Array(Type.String()),
            csrf_token: Type.String(),
            org: Type.Object({
              id: Type.String(),
              external_id: Type.String(),
              name: Type.String(),
              origin: Type.String({ description: 'The log origin (PROOFS.md §1)' }),
            }),
            project: Type.Object({
              name: Type.String(),
              logo_url: Type.Union([Type.String(), Type.Null()]),
              accent_color: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
          ...sessionProblems(),
        },
      },
    },
    async (request) => {
      const session = requireSession(request);
      const [org, project] = await Promise.all([
        store.getOrgById(session.orgId),
        store.getProjectBranding(session.projectId),
      ]);
      if (!org || !project) throw new Error(`portal session ${session.id} lost its org or project`);
      return {
        session_id: session.id,
        expires_at: new Date(session.expiresAt).toISOString(),
        permissions: [...session.permissions],
        csrf_token: csrfTokenFor(request.portalCookie!),
        org: {
          id: org.id,
          external_id: org.externalId,
          name: org.name,
          origin: orgKeys.originOf(org.id),
        },
        project: {
          name: project.name,
          logo_url: project.logoUrl,
          accent_color: project.accentColor,
        },
      };
    },
  );

  app.delete(
    '/v1/portal/session',
    {
      config: { portal: { permission: 'view' } },
      schema: {
        tags: [PORTAL_TAG],
        summary: 'Log out: end the session and clear its cookie',
        security: SESSION_SECURITY,
        response: { 204: Type.Null({ description: 'Ended' }), ...sessionProblems() },
      },
    },
    async (request, reply) => {
      await portal.logout(requireSession(request));
      const secure = isSecureContext(request, publicUrl);
      void reply.clearCookie(portalCookieName(secure), portalCookieOptions(secure)).code(204);
    },
  );

  await app.register(portalEventRoutes, options);
  await app.register(portalWebhookRoutes, options);
}
