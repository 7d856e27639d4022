import { EVENT_LIMITS, StoredEventSchema } from '@logproof/core';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { problemResponses } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import { decodeCursor, encodeCursor } from '../../query/cursor.js';
import {
  digestListing,
  parseEventFilter,
  type EventFilter,
  type EventFilterParams,
  type EventOrder,
  type EventQuery,
} from '../../query/event-filter.js';
import { QUERY_LIMITS } from '../../query/query-ast.js';
import { QueryInputError } from '../../query/query-error.js';
import { toStoredEvent } from '../../services/event-service.js';
import type { EventQueryStore } from '../../store/event-query-port.js';
import type { EventRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';

// GET /v1/events (API.md "Reading"): filters, the q language, keyset pages.

const idParam = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: EVENT_LIMITS.maxIdLength, description }));

const timeParam = (description: string) =>
  Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: EVENT_LIMITS.maxTimestampLength,
      description,
      examples: ['2026-02-10T00:00:00Z'],
    }),
  );

/**
 * The filter parameters of GET /v1/events, for any route that filters events
 * the same way (exports): spread them into its querystring schema.
 */
export const EVENT_FILTER_PARAMS = {
  org: idParam(
    'Only this org, by id (`org_...`) or external id. An unknown org is a 404. Without it, every org of the project.',
  ),
  action: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: EVENT_LIMITS.maxActionLength + 2,
      description:
        'Exact action (`user.login`), or leading segments followed by `.*` (`user.*` matches `user.login` and `user.mfa.enabled`).',
      examples: ['user.login', 'billing.*'],
    }),
  ),
  actor_id: idParam('Exact `actor.id`.'),
  actor_type: Type.Optional(
    Type.String({ enum: ['user', 'service', 'system'], description: 'Exact `actor.type`.' }),
  ),
  target_id: idParam('Events with a target of this id (with `target_type`: one target has both).'),
  target_type: idParam(
    'Events with a target of this type (with `target_id`: one target has both).',
  ),
  from: timeParam('`occurred_at` at or after this RFC 3339 instant (inclusive).'),
  to: timeParam(
    '`occurred_at` before this RFC 3339 instant (exclusive, so that consecutive windows never overlap).',
  ),
  outcome: Type.Optional(
    Type.String({ enum: ['success', 'failure'], description: 'Exact `outcome`.' }),
  ),
  q: Type.Optional(
    Type.String({
      description:
        `Search query, a Lucene-style subset (see the operation's description). At most ${QUERY_LIMITS.maxLength} characters, ` +
        `${QUERY_LIMITS.maxTerms} terms and ${QUERY_LIMITS.maxDepth} levels of nesting. A query that cannot be parsed is a 400 naming the 0-based position. Empty means no query.`,
      examples: ['action:user.* AND NOT actor.type:service', 'metadata.plan:enterprise'],
    }),
  ),
};

export const EventListQuerystring = Type.Object(
  {
    ...EVENT_FILTER_PARAMS,
    limit: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 100,
      description: 'Events per page, 1 to 1000.',
    }),
    order: Type.String({
      enum: ['desc', 'asc'],
      default: 'desc',
      description: '`desc` (newest `occurred_at` first, the default) or `asc`.',
    }),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description:
          '`next_cursor` of the previous page, as it is. Valid only with the same filters and order; with others it is a 400.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type EventListQuery = Static<typeof EventListQuerystring>;

/** A QueryInputError as the API's 400 problem, naming the parameter (and position in q). */
export function toQueryProblem(error: QueryInputError): ApiError {
  const message =
    error.position === null ? error.reason : `${error.reason} at position ${error.position}`;
  return new ApiError('validation_failed', error.message, {
    errors: [{ path: `/${error.param}`, message }],
    cause: error,
  });
}

/**
 * Turns the filter parameters of a query string into a validated filter:
 * resolves `org` (id or external id) within the project (404 when unknown)
 * and parses the rest, `q` included (400 naming the parameter). Shared with
 * every route that filters events as GET /v1/events does.
 */
export async function readEventFilter(
  store: Pick<Store, 'findOrg'>,
  projectId: string,
  params: EventFilterParams,
): Promise<EventFilter> {
  let filter: EventFilter;
  try {
    // Parsed before the org is looked up: a bad query costs no database work.
    filter = parseEventFilter(params, null);
  } catch (error) {
    if (error instanceof QueryInputError) throw toQueryProblem(error);
    throw error;
  }
  if (params.org === undefined) return filter;
  const org = await store.findOrg(projectId, params.org);
  if (!org) {
    throw new ApiError('not_found', `no org ${JSON.stringify(params.org)} in this project`, {
      errors: [{ path: '/org', message: 'unknown org' }],
    });
  }
  return { ...filter, orgId: org.id };
}

/** One page's request as the store takes it, with what the route needs to answer. */
export interface EventListRequest {
  /** `limit` is one more than the page, to learn whether another page follows. */
  readonly query: EventQuery;
  readonly pageSize: number;
  /** digestListing of the filter and order: what next_cursor is bound to. */
  readonly digest: string;
}

/** Turns the whole query string of GET /v1/events into the store's query. */
export async function readEventListRequest(
  store: Pick<Store, 'findOrg'>,
  projectId: string,
  params: EventListQuery,
): Promise<EventListRequest> {
  const filter = await readEventFilter(store, projectId, params);
  const order = params.order as EventOrder;
  const digest = digestListing(projectId, filter, order);
  let after = null;
  if (params.cursor !== undefined) {
    try {
      after = decodeCursor(params.cursor, digest);
    } catch (error) {
      if (error instanceof QueryInputError) throw toQueryProblem(error);
      throw error;
    }
  }
  return {
    query: { filter, order, limit: params.limit + 1, after },
    pageSize: params.limit,
    digest,
  };
}

/**
 * Reads one page of a listing: the rows to show and the cursor that
 * continues after the last of them (null on the last page). Shared by every
 * route that pages events as GET /v1/events does (the widget).
 */
export async function readEventPage(
  store: EventQueryStore,
  projectId: string,
  list: EventListRequest,
): Promise<{ rows: EventRecord[]; nextCursor: string | null }> {
  const rows = await store.listEvents(projectId, list.query);
  const page = rows.slice(0, list.pageSize);
  const last = page.at(-1);
  return {
    rows: page,
    nextCursor:
      rows.length > list.pageSize && last
        ? encodeCursor(list.digest, {
            occurredAt: last.occurredAt,
            orgId: last.orgId,
            chainIndex: last.chainIndex,
          })
        : null,
  };
}

const DESCRIPTION = `Lists the project's events, newest first by default, one page at a time.

**Order.** Events are ordered by \`occurred_at\`, then org id, then \`chain_index\`, all descending (or all ascending with \`order=asc\`). \`occurred_at\` because it is what readers filter on (\`from\`, \`to\`, \`occurred_at:[a TO b]\`), so one index serves the range and the order; org id and \`chain_index\` (the events' primary key) make the order total, so that ties in \`occurred_at\` never make a page boundary ambiguous.

**Pages.** Keyset pagination, no offsets: \`next_cursor\` is the position of the last event of the page, or null on the last page. Pass it back as \`cursor\` with the same filters and order (a cursor is bound to them; with others it is a 400). Each matching event is seen at most once however many events arrive meanwhile; events that arrive with an \`occurred_at\` behind the cursor are not seen by that walk. Cursors are opaque and do not expire.

**Filters** all apply together (AND). Text matches are exact and case-sensitive.

**q**, a Lucene-style subset. Terms are \`field:value\` over \`action\`, \`actor.id\`, \`actor.type\`, \`actor.name\`, \`actor.email\`, \`target.id\`, \`target.type\` (any of the event's targets), \`metadata.<key>\` (integers and booleans match their text, \`5\`, \`true\`), \`context.ip\` and \`occurred_at\`. Combine with \`AND\`, \`OR\`, \`NOT\` (upper case) and parentheses; clauses side by side mean AND; AND binds tighter than OR. Quote values with spaces or special characters (\`actor.name:"Ada Lovelace"\`); \`\\\` escapes one character. A trailing \`*\` matches a prefix (\`action:user.*\`, \`context.ip:203.0.113.*\`); \`field:*\` means the field is present. \`occurred_at\` takes an RFC 3339 instant or a range, \`[a TO b]\` inclusive, \`{a TO b}\` exclusive, \`*\` open: \`occurred_at:[2026-01-01T00:00:00Z TO *]\`. \`field:(a OR b)\` groups values of one field. A query that cannot be parsed, names another field, nests too deep or has too many terms is a 400 whose \`errors[0]\` has path \`/q\` and gives the 0-based position. The query is compiled to parameterised SQL; its text never reaches the database.`;

export default async function eventListRoutes(
  app: FastifyInstance,
  options: { store: Pick<Store, 'findOrg'> & EventQueryStore },
) {
  const { store } = options;
  app.get(
    '/v1/events',
    {
      config: { scopes: ['events:read', 'admin'] },
      schema: {
        tags: ['events'],
        summary: 'List and search events',
        description: DESCRIPTION,
        querystring: EventListQuerystring,
        response: {
          200: Type.Object({
            data: Type.Array(StoredEventSchema, { description: 'The page, in the order asked' }),
            next_cursor: Type.Union([Type.String(), Type.Null()], {
              description: 'Pass as `cursor` for the next page; null on the last page',
            }),
          }),
          ...problemResponses(404),
        },
      },
    },
    async (request) => {
      const projectId = requireKey(request).projectId;
      const list = await readEventListRequest(store, projectId, request.query as EventListQuery);
      const page = await readEventPage(store, projectId, list);
      return { data: page.rows.map(toStoredEvent), next_cursor: page.nextCursor };
    },
  );
}
