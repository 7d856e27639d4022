import type { KeysetPosition } from './event-filter.js';
import { QueryInputError } from './query-error.js';

// A cursor is base64url(JSON) of { v, f, t, o, i }: the listing digest `f`
// (digestListing: project, filter, order) and the keyset position of the
// last row served. It is opaque to clients but not secret and not signed: a
// forged one can only name another position within the same project's rows,
// which the client may list anyway. What matters is that whatever comes back
// is parsed strictly, never trusted: it is bounded, typed and checked here.

const MAX_CURSOR_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DIGEST = /^[A-Za-z0-9_-]{22}$/;
/** Org ids are at most 256 characters (EVENT_LIMITS.maxIdLength). */
const MAX_ORG_ID_LENGTH = 256;

interface CursorBody {
  v: 1;
  f: string;
  t: number;
  o: string;
  i: number;
}

/** The cursor that continues a listing (digest `digest`) after `position`. */
export function encodeCursor(digest: string, position: KeysetPosition): string {
  const body: CursorBody = {
    v: 1,
    f: digest,
    t: position.occurredAt,
    o: position.orgId,
    i: position.chainIndex,
  };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function garbled(cause?: unknown): QueryInputError {
  return new QueryInputError(
    'invalid_cursor',
    'cursor',
    'is not a cursor this API issued; use next_cursor from a previous page as it is',
    null,
    cause === undefined ? undefined : { cause },
  );
}

function isBody(value: unknown): value is CursorBody {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    Object.keys(v).length === 5 &&
    v.v === 1 &&
    typeof v.f === 'string' &&
    DIGEST.test(v.f) &&
    Number.isSafeInteger(v.t) &&
    typeof v.o === 'string' &&
    v.o.length >= 1 &&
    v.o.length <= MAX_ORG_ID_LENGTH &&
    v.o.isWellFormed() &&
    !v.o.includes('\u0000') &&
    Number.isSafeInteger(v.i) &&
    (v.i as number) >= 0
  );
}

/**
 * Reads a cursor back and checks that it was issued for this listing
 * (`digest`). Throws QueryInputError `invalid_cursor` for anything garbled
 * and `cursor_mismatch` for a cursor of another filter or order.
 */
export function decodeCursor(cursor: string, digest: string): KeysetPosition {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw garbled();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw garbled(error);
  }
  if (!isBody(body)) throw garbled();
  if (body.f !== digest) {
    throw new QueryInputError(
      'cursor_mismatch',
      'cursor',
      'was issued for other filters or another order; send the same filters and order as the first page, or drop the cursor to start again',
    );
  }
  return { occurredAt: body.t, orgId: body.o, chainIndex: body.i };
}
