import { isValidIpAddress, validateEventInput, type StoredEvent } from '@logproof/core';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../errors.js';
import { newId } from '../ids.js';
import {
  PORTAL_PERMISSIONS,
  type PortalLinkRecord,
  type PortalPermission,
  type PortalSessionRecord,
} from '../store/portal-port.js';
import type { OrgRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { EventService } from './event-service.js';
import type { Tenancy } from './tenancy.js';

// The customer portal (API.md "Portal and widget"): single-use links traded
// for cookie sessions scoped to one org, and the `logproof.portal.*` events
// that record what a session did, in that org's own log.

/** `lp_pt_` + base64url of 32 random bytes (43 characters). */
const LINK_TOKEN = /^lp_pt_[A-Za-z0-9_-]{43}$/;
/** The cookie value: base64url of 32 random bytes. */
const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const CSRF_LABEL = 'logproof portal csrf';

/** The one answer for a used, expired or unknown token: which one it was is not said. */
export const LINK_INVALID_DETAIL =
  'this portal link has already been used or has expired; ask for a new one';

export const PORTAL_LINK_DEFAULTS = {
  expiresIn: 900,
  sessionTtl: 3600,
  permissions: ['view', 'verify', 'export'] as readonly PortalPermission[],
} as const;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The actions a portal session records in its org's log. */
export type PortalAction =
  | 'opened'
  | 'exported'
  | 'webhook_created'
  | 'webhook_updated'
  | 'webhook_deleted'
  | 'webhook_tested';

/** Where a portal request came from, for `context` of the events it records. */
export interface PortalRequestContext {
  readonly ip: string;
  readonly userAgent: string | undefined;
  readonly requestId: string;
}

export interface PortalServiceOptions {
  readonly store: Store;
  readonly tenancy: Tenancy;
  readonly events: EventService;
  readonly clock: () => number;
  readonly backfillWindowMs: number;
}

/** Permissions as granted: `view` always, then the others in their canonical order. */
export function grantedPermissions(asked: readonly PortalPermission[]): PortalPermission[] {
  const set = new Set<PortalPermission>(['view', ...asked]);
  return PORTAL_PERMISSIONS.filter((p) => set.has(p));
}

/**
 * The CSRF token of a session: base64url(HMAC-SHA256(key = the cookie's 32
 * bytes, "logproof portal csrf")). Derived, so nothing more is stored, and
 * only a page that can read the session (same origin) learns it.
 */
export function csrfTokenFor(cookieValue: string): string {
  return createHmac('sha256', Buffer.from(cookieValue, 'base64url'))
    .update(CSRF_LABEL)
    .digest('base64url');
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function checkCsrfToken(cookieValue: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfTokenFor(cookieValue));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Portal links, sessions and the events they record. */
export class PortalService {
  readonly #o: PortalServiceOptions;

  constructor(options: PortalServiceOptions) {
    this.#o = options;
  }

  async #findOrg(projectId: string, ref: string): Promise<OrgRecord> {
    const org = await this.#o.tenancy.findOrg(projectId, ref);
    if (!org) {
      throw new ApiError('not_found', `no org ${JSON.stringify(ref)} in this project`, {
        errors: [{ path: '/org', message: 'unknown org' }],
      });
    }
    return org;
  }

  /** Mints a link; its token is returned this once (only its SHA-256 is stored). */
  async mintLink(
    projectId: string,
    input: {
      org: string;
      expiresIn: number;
      sessionTtl: number;
      permissions: readonly PortalPermission[];
    },
  ): Promise<{ link: PortalLinkRecord; token: string }> {
    const org = await this.#findOrg(projectId, input.org);
    const now = this.#o.clock();
    const token = `lp_pt_${randomBytes(32).toString('base64url')}`;
    const link: PortalLinkRecord = {
      id: newId('plink', now),
      projectId,
      orgId: org.id,
      tokenHash: sha256Hex(token),
      permissions: grantedPermissions(input.permissions),
      sessionTtl: input.sessionTtl,
      createdAt: now,
      expiresAt: now + input.expiresIn * 1000,
      usedAt: null,
    };
    await this.#o.store.insertPortalLink(link);
    return { link, token };
  }

  /**
   * Trades a link token for a session: consumes the link (one atomic
   * statement, so a link opens once however many tabs race), stores the
   * session and records `logproof.portal.opened`. The cookie value is
   * returned this once.
   */
  async openSession(
    token: string,
    context: PortalRequestContext,
  ): Promise<{ session: PortalSessionRecord; cookieValue: string; org: OrgRecord }> {
    const now = this.#o.clock();
    const link = LINK_TOKEN.test(token)
      ? await this.#o.store.consumePortalLink(sha256Hex(token), now)
      : null;
    if (!link) throw new ApiError('portal_link_invalid', LINK_INVALID_DETAIL);
    const org = await this.#o.store.getOrgById(link.orgId);
    if (!org) throw new Error(`portal link ${link.id} names a missing org`);
    const cookieValue = randomBytes(32).toString('base64url');
    const session: PortalSessionRecord = {
      id: newId('psess', now),
      projectId: link.projectId,
      orgId: link.orgId,
      linkId: link.id,
      permissions: link.permissions,
      tokenHash: sha256Hex(cookieValue),
      createdAt: now,
      expiresAt: now + link.sessionTtl * 1000,
      revokedAt: null,
    };
    await this.#o.store.insertPortalSession(session);
    await this.record(session, 'opened', context, {
      targets: [{ type: 'portal_link', id: link.id }],
      metadata: { link_id: link.id, permissions: session.permissions.join(',') },
    });
    return { session, cookieValue, org };
  }

  /** The live session a cookie value names: null when malformed, unknown, revoked or expired. */
  async authenticate(cookieValue: string | undefined): Promise<PortalSessionRecord | null> {
    if (cookieValue === undefined || !SESSION_TOKEN.test(cookieValue)) return null;
    const session = await this.#o.store.findPortalSession(sha256Hex(cookieValue));
    if (!session || session.revokedAt !== null || session.expiresAt <= this.#o.clock()) return null;
    return session;
  }

  async logout(session: PortalSessionRecord): Promise<void> {
    await this.#o.store.revokePortalSession(session.projectId, session.id, this.#o.clock());
  }

  /**
   * Records `logproof.portal.<action>` in the session's org log through the
   * ordinary append path (validated, chained, signed like any event). The
   * actor is the session. The core's actor types are user, service and
   * system, so the session is a `user` (a person at the portal) whose
   * `metadata.kind` is `portal_session`.
   */
  async record(
    session: PortalSessionRecord,
    action: PortalAction,
    context: PortalRequestContext,
    details: {
      targets?: ReadonlyArray<{ type: string; id: string }>;
      metadata?: Record<string, string | number | boolean>;
    } = {},
  ): Promise<StoredEvent> {
    const raw = {
      org: session.orgId,
      action: `logproof.portal.${action}`,
      actor: {
        id: session.id,
        type: 'user',
        name: 'Portal session',
        metadata: { kind: 'portal_session' },
      },
      entry_type: action === 'opened' ? 'auth' : 'system',
      ...(details.targets ? { targets: details.targets } : {}),
      metadata: details.metadata ?? {},
      context: {
        ...(isValidIpAddress(context.ip) ? { ip: context.ip } : {}),
        // A header is Latin-1 text: kept printable so that it always passes the checks.
        ...(context.userAgent
          ? { user_agent: context.userAgent.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024) }
          : {}),
        request_id: context.requestId.slice(0, 256),
      },
    };
    const result = validateEventInput(raw, {
      now: this.#o.clock(),
      backfillWindowMs: this.#o.backfillWindowMs,
    });
    if (!result.ok) {
      throw new Error(`portal event refused: ${JSON.stringify(result.problems.slice(0, 3))}`);
    }
    const recorded = await this.#o.events.record(
      session.projectId,
      [{ event: result.value, raw, path: '' }],
      undefined,
    );
    return recorded.events[0]!;
  }
}
