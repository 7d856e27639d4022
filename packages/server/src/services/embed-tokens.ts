import { createHmac, timingSafeEqual } from 'node:crypto';

// Embed tokens (API.md "Portal and widget"): what a vendor puts in the
// <logproof-audit-log> element of its own page, so that a browser may read one
// org's events (optionally one actor's) and nothing else. Stateless:
//
//   lp_et_<base64url(JSON {v:1,p,o,a?,e})>.<base64url(HMAC-SHA256(key, "lp_et_" || payload))>
//
// The key is derived from the master key for this use alone (HKDF label
// below), so it is the same in every server process and no other MAC or
// seal shares it. The MAC covers the payload exactly as sent, so a token
// decodes to one payload only. Every refusal is the same to the client (a 401
// "invalid or expired embed token"); the reason is for the server's log.

/** The HKDF info of the embed-token key (contract: "logproof embed token v1"). */
export const EMBED_TOKEN_KEY_LABEL = 'logproof embed token v1';
export const EMBED_TOKEN_PREFIX = 'lp_et_';

/** Shortest and longest lifetimes a token may be minted with, in seconds. */
export const EMBED_TOKEN_TTL = { min: 60, max: 86_400, default: 600 } as const;
/** The longest actor id a token may scope to (EVENT_LIMITS.maxIdLength). */
export const MAX_ACTOR_ID_LENGTH = 256;

// A payload is at most ~1.7 KB of JSON (an actor id of 256 code units
// escaped as \uXXXX is 1536 characters), ~2.3 KB in base64url. Anything
// longer is refused before any decoding or MAC work.
const MAX_TOKEN_LENGTH = 4096;
const TOKEN_SHAPE = /^lp_et_([A-Za-z0-9_-]{16,4000})\.([A-Za-z0-9_-]{43})$/;
/** Ids the server issues (newId): a prefix, an underscore, then base32/hex-like characters. */
const ID_SHAPE = /^[a-z]{2,8}_[A-Za-z0-9]{8,64}$/;

/** What a verified token grants: read access to one org's log (one actor's events when set). */
export interface EmbedTokenClaims {
  readonly projectId: string;
  readonly orgId: string;
  readonly actorId: string | null;
  /** Expiry, ms since the epoch. */
  readonly expiresAt: number;
}

/** Why a token was refused: logged, never sent (the client sees one message for all). */
export type EmbedTokenRefusal = 'malformed' | 'bad_mac' | 'bad_payload' | 'expired';

export type EmbedTokenCheck =
  | { readonly ok: true; readonly claims: EmbedTokenClaims }
  | { readonly ok: false; readonly reason: EmbedTokenRefusal };

interface Payload {
  v: 1;
  p: string;
  o: string;
  a?: string;
  e: number;
}

/** True when `value` is exactly a payload this server writes: no extra members, every value bounded. */
function isPayload(value: unknown): value is Payload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v).sort().join(',');
  if (keys !== 'e,o,p,v' && keys !== 'a,e,o,p,v') return false;
  return (
    v.v === 1 &&
    typeof v.p === 'string' &&
    ID_SHAPE.test(v.p) &&
    typeof v.o === 'string' &&
    ID_SHAPE.test(v.o) &&
    (v.a === undefined || isActorId(v.a)) &&
    Number.isSafeInteger(v.e) &&
    (v.e as number) > 0
  );
}

/**
 * An actor id a token may carry: 1 to 256 code units of well-formed Unicode
 * without NUL (what an event's actor.id may hold, API.md "Events").
 */
export function isActorId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= MAX_ACTOR_ID_LENGTH &&
    value.isWellFormed() &&
    !value.includes('\u0000')
  );
}

/** Mints and checks embed tokens under one derived key. */
export class EmbedTokens {
  readonly #key: Buffer;

  /** `key`: 32 bytes, from MasterKey.deriveKey(EMBED_TOKEN_KEY_LABEL). */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error('the embed-token key must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#key)
      .update(EMBED_TOKEN_PREFIX + payload, 'ascii')
      .digest('base64url');
  }

  /** A token for `claims`; the caller has checked the org and the actor id. */
  mint(claims: EmbedTokenClaims): string {
    const body: Payload = {
      v: 1,
      p: claims.projectId,
      o: claims.orgId,
      ...(claims.actorId === null ? {} : { a: claims.actorId }),
      e: claims.expiresAt,
    };
    if (!isPayload(body)) throw new Error('embed token claims out of range');
    const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
    return `${EMBED_TOKEN_PREFIX}${payload}.${this.#mac(payload)}`;
  }

  /**
   * Checks a token as received (untrusted) at time `now` (ms). The shape is
   * checked first (no work for garbage), then the MAC in constant time, and
   * only an authentic payload is parsed, strictly, and its expiry read.
   */
  verify(token: unknown, now: number): EmbedTokenCheck {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return refuse('malformed');
    const match = TOKEN_SHAPE.exec(token);
    if (!match) return refuse('malformed');
    const payload = match[1]!;
    // Compared as base64url text, not decoded bytes: 43 characters carry 258
    // bits, and a decoder ignores the last two, so only the canonical text
    // of the MAC is accepted.
    const given = Buffer.from(match[2]!, 'ascii');
    const expected = Buffer.from(this.#mac(payload), 'ascii');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse('bad_mac');
    }
    let body: unknown;
    try {
      const bytes = Buffer.from(payload, 'base64url');
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      return refuse('bad_payload');
    }
    if (!isPayload(body)) return refuse('bad_payload');
    if (body.e <= now) return refuse('expired');
    return {
      ok: true,
      claims: { projectId: body.p, orgId: body.o, actorId: body.a ?? null, expiresAt: body.e },
    };
  }
}

function refuse(reason: EmbedTokenRefusal): EmbedTokenCheck {
  return { ok: false, reason };
}
