// A browser's view of the portal API for the portal-*.test.ts suites: mint a
// link with the admin key, open it, and call the cookie-authenticated routes
// as the portal page would (cookie, X-CSRF-Token, same-origin headers).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { postJson } from './http-app.js';

/** The Host the suites' browser talks to (a loopback name: the cookie is __Host-). */
export const HOST = 'localhost:3000';
export const ORIGIN = `http://${HOST}`;

export interface ParsedCookie {
  readonly name: string;
  readonly value: string;
  /** Attribute names (lower case) to their values ('' for flags). */
  readonly attributes: ReadonlyMap<string, string>;
}

/** The one Set-Cookie header of an answer, parsed. */
export function setCookieOf(res: LightMyRequestResponse): ParsedCookie {
  const header = res.headers['set-cookie'];
  const all = Array.isArray(header) ? header : header === undefined ? [] : [header];
  expect(all, 'exactly one Set-Cookie').toHaveLength(1);
  const [pair, ...attrs] = all[0]!.split(';').map((p) => p.trim());
  const eq = pair!.indexOf('=');
  return {
    name: pair!.slice(0, eq),
    value: pair!.slice(eq + 1),
    attributes: new Map(
      attrs.map((a) => {
        const i = a.indexOf('=');
        return i === -1 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
      }),
    ),
  };
}

/** A portal session as the browser holds it: the cookie, and the CSRF token once read. */
export interface PortalBrowser {
  readonly cookie: string;
  readonly csrf: string;
  readonly sessionId: string;
  readonly orgId: string;
}

export async function mintLink(
  app: FastifyInstance,
  apiKey: string,
  body: Record<string, unknown>,
): Promise<{ id: string; url: string; token: string; expires_at: string; permissions: string[] }> {
  const res = await postJson(app, apiKey, '/v1/portal/links', body, { host: HOST });
  expect(res.statusCode, res.body).toBe(201);
  const link = res.json<{ id: string; url: string; expires_at: string; permissions: string[] }>();
  const token = /#token=(lp_pt_[A-Za-z0-9_-]{43})$/.exec(link.url)?.[1];
  expect(token, link.url).toBeDefined();
  return { ...link, token: token! };
}

export function openLink(
  app: FastifyInstance,
  token: string,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v1/portal/sessions',
    headers: {
      host: HOST,
      origin: ORIGIN,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/json',
      ...headers,
    },
    payload: JSON.stringify({ token }),
  });
}

/** Mints a link for `org`, opens it and reads the session (its CSRF token). */
export async function openPortal(
  app: FastifyInstance,
  apiKey: string,
  org: string,
  permissions?: string[],
): Promise<PortalBrowser> {
  const link = await mintLink(app, apiKey, {
    org,
    ...(permissions ? { permissions } : {}),
  });
  const opened = await openLink(app, link.token);
  expect(opened.statusCode, opened.body).toBe(201);
  const c = setCookieOf(opened);
  const cookie = `${c.name}=${c.value}`;
  const session = await portalRequest(app, { cookie, csrf: '' }, 'GET', '/v1/portal/session');
  expect(session.statusCode, session.body).toBe(200);
  const s = session.json<{ csrf_token: string; session_id: string; org: { id: string } }>();
  return { cookie, csrf: s.csrf_token, sessionId: s.session_id, orgId: s.org.id };
}

/** A same-origin fetch from the portal page: cookie, and X-CSRF-Token unless told otherwise. */
export function portalRequest(
  app: FastifyInstance,
  browser: Pick<PortalBrowser, 'cookie' | 'csrf'>,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; csrf?: string | null } = {},
): Promise<LightMyRequestResponse> {
  const csrf = options.csrf === undefined ? browser.csrf : options.csrf;
  return app.inject({
    method,
    url,
    headers: {
      host: HOST,
      cookie: browser.cookie,
      'sec-fetch-site': 'same-origin',
      ...(method === 'GET' ? {} : { origin: ORIGIN }),
      ...(method !== 'GET' && csrf !== null ? { 'x-csrf-token': csrf } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
  });
}
