import { canonicalJson, isLogproofError, parseTimestamp } from '@logproof/core';
import { createHash } from 'node:crypto';
import type { QueryNode } from './query-ast.js';
import { QueryInputError, type QueryParam } from './query-error.js';
import { parseQuery } from './query-validate.js';

/** A value or, with `prefix`, a trailing-wildcard pattern (`action=user.*`). */
export interface TextMatch {
  readonly value: string;
  readonly prefix: boolean;
}

/**
 * What GET /v1/events (and exports) filter on, validated and normalised.
 * Absent filters are null. All filters must hold (AND).
 */
export interface EventFilter {
  /** The org's id (never its external id: the route resolves it). */
  readonly orgId: string | null;
  readonly action: TextMatch | null;
  readonly actorId: string | null;
  readonly actorType: string | null;
  /** With `targetType`: one and the same target has both. */
  readonly targetId: string | null;
  readonly targetType: string | null;
  /** occurred_at >= from (ms, inclusive). */
  readonly from: number | null;
  /** occurred_at < to (ms, exclusive), so that consecutive windows never overlap. */
  readonly to: number | null;
  readonly outcome: string | null;
  readonly q: QueryNode | null;
}

export type EventOrder = 'asc' | 'desc';

/**
 * A position in the listing order (occurred_at, org_id, chain_index): the
 * last row of the previous page. (org_id, chain_index) is the events' primary
 * key, so the order is total and a position is never ambiguous.
 */
export interface KeysetPosition {
  readonly occurredAt: number;
  readonly orgId: string;
  readonly chainIndex: number;
}

/** What a store needs to read one page. */
export interface EventQuery {
  readonly filter: EventFilter;
  readonly order: EventOrder;
  /** Most rows to return (the route asks for one more than the page, to know whether another follows). */
  readonly limit: number;
  /** Rows strictly after this position in `order`; null for the first page. */
  readonly after: KeysetPosition | null;
}

/** The filter parameters as the query string carries them (already schema-checked). */
export interface EventFilterParams {
  readonly org?: string | undefined;
  readonly action?: string | undefined;
  readonly actor_id?: string | undefined;
  readonly actor_type?: string | undefined;
  readonly target_id?: string | undefined;
  readonly target_type?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly outcome?: string | undefined;
  readonly q?: string | undefined;
}

/** `action`: exact, or dot segments followed by `.*` (API.md "Reading"). */
export const ACTION_FILTER_PATTERN = /^[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*(?:\.\*)?$/;

function parseInstant(param: QueryParam, text: string): number {
  try {
    return parseTimestamp(text);
  } catch (error) {
    if (isLogproofError(error, 'ERR_VALIDATION')) {
      throw new QueryInputError('invalid_value', param, error.message);
    }
    throw error;
  }
}

function parseAction(text: string): TextMatch {
  if (text.length > 130 || !ACTION_FILTER_PATTERN.test(text)) {
    throw new QueryInputError(
      'invalid_value',
      'action',
      'must be an action such as user.login, or its first segments followed by .* as in user.*',
    );
  }
  return text.endsWith('.*')
    ? { value: text.slice(0, -1), prefix: true }
    : { value: text, prefix: false };
}

/**
 * Validates and normalises the filter parameters. `orgId` is the resolved
 * org (the caller looks `org` up, as id or external id, in its project).
 * Throws QueryInputError naming the parameter.
 */
export function parseEventFilter(params: EventFilterParams, orgId: string | null): EventFilter {
  for (const [param, value] of Object.entries(params)) {
    // PostgreSQL refuses NUL in a text parameter (and no stored value holds
    // one): a 400 here rather than a database error later. `q` reports it
    // with its position.
    if (param !== 'q' && typeof value === 'string' && value.includes('\u0000')) {
      throw new QueryInputError('invalid_value', param as QueryParam, 'contains U+0000 (NUL)');
    }
  }
  const from = params.from === undefined ? null : parseInstant('from', params.from);
  const to = params.to === undefined ? null : parseInstant('to', params.to);
  if (from !== null && to !== null && from > to) {
    throw new QueryInputError('invalid_value', 'to', 'is before from');
  }
  // An empty search box sends `q=`: no query, rather than an error.
  const q = params.q === undefined || params.q.trim() === '' ? null : parseQuery(params.q);
  return {
    orgId,
    action: params.action === undefined ? null : parseAction(params.action),
    actorId: params.actor_id ?? null,
    actorType: params.actor_type ?? null,
    targetId: params.target_id ?? null,
    targetType: params.target_type ?? null,
    from,
    to,
    outcome: params.outcome ?? null,
    q,
  };
}

/**
 * A digest of everything that decides which rows a listing returns and in
 * which order: a cursor carries it, so that it is refused with other filters.
 * Computed over canonical JSON of the normalised filter, so that spelling
 * (`q` whitespace, `org` by id or external id) does not matter.
 */
export function digestListing(projectId: string, filter: EventFilter, order: EventOrder): string {
  // EventFilter holds only strings, safe integers, booleans, null and plain
  // objects and arrays of them: JSON data, as canonicalJson requires.
  const text = canonicalJson({ v: 1, projectId, order, filter });
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
