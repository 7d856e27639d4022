import cors from '@fastify/cors';
import { StoredEventSchema, bytesToHex } from '@logproof/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.js';
import { problemResponses } from '../../http/schemas.js';
import type { EmbedTokenClaims, EmbedTokens } from '../../services/embed-tokens.js';
import { toStoredEvent } from '../../services/event-service.js';
import type { VerificationService } from '../../services/verification-service.js';
import type { EventQueryStore } from '../../store/event-query-port.js';
import type { Store } from '../../store/store.js';
import { readEventListRequest, readEventPage, type EventListQuery } from './events-list.js';

// The widget API (API.md "Portal and widget"): what <logproof-audit-log>
// reads from a vendor's page, cross-origin, with an embed token. Its own
// plugin scope under /v1/widget, so that the CORS headers and the OPTIONS
// preflight route of @fastify/cors exist here and nowhere else. The token is
// checked by this route alone: the API-key auth plugin ignores routes without
// `scopes`, and refuses lp_et_ tokens on every route that has them.

declare module 'fastify' {
  interface FastifyRequest {
    /** The embed token that authenticated this request (widget routes only). */
    embedToken: EmbedTokenClaims | null;
  }
}

export interface WidgetRoutesOptions {
  readonly store: Pick<Store, 'findOrg'> & EventQueryStore;
  readonly verification: Pick<
    VerificationService,
    'latestCheckpoint' | 'publishedKeys' | 'inclusionProofs'
  >;
  readonly embedTokens: EmbedTokens;
  readonly clock: () => number;
}

/** The one message every refused token gets: which check failed is for the log only. */
const REFUSED = 'invalid or expired embed token';

const WidgetQuerystring = Type.Object(
  {
    limit: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 25,
      description: 'Events per page, 1 to 100.',
    }),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description:
          '`next_cursor` of the previous page, as it is (valid with the same token scope).',
      }),
    ),
  },
  { additionalProperties: false },
);

const Hex = Type.String({ description: 'SHA-256, 64 lowercase hex digits' });

const WidgetPageSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      event: StoredEventSchema,
      inclusion_proof: Type.Object(
        {
          leaf_index: Type.Integer({ description: 'The event position (chain_index)' }),
          tree_size: Type.Integer({ description: 'The size of `checkpoint`' }),
          hashes: Type.Array(Hex, { description: 'RFC 6962 audit path, leaf upwards' }),
        },
        { description: 'Proves the event is in the tree whose root `checkpoint` signs' },
      ),
    }),
    { description: 'Newest `occurred_at` first' },
  ),
  checkpoint: Type.String({
    description:
      "The org log's latest signed checkpoint (C2SP signed note): every proof leads to its root",
  }),
  keys: Type.Array(
    Type.Object({
      key_id: Type.String(),
      verifier_key: Type.String({ description: 'C2SP verifier key' }),
    }),
    {
      description:
        "Every key of the org's log, current and retired. A page that pins its own verifier key need not trust these.",
    },
  ),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `cursor` for the next page; null on the last page',
  }),
});

const DESCRIPTION = `The events an embed token may read (its org's; only its actor's when it was minted with \`actor_id\`), newest first, each with its RFC 6962 inclusion proof against one signed checkpoint, which the answer carries together with the org's verifier keys: the widget verifies every event in the browser.

Authenticate with \`Authorization: Bearer lp_et_...\` (POST /v1/embed-tokens); an API key is refused here, and an embed token everywhere else. A missing, malformed, forged or expired token is a 401. Cross-origin: \`Access-Control-Allow-Origin: *\` (no credentials), preflight answered 204.`;

function refuse(request: FastifyRequest, reason: string): ApiError {
  request.log.info({ reason }, 'embed token refused');
  return new ApiError('unauthorized', REFUSED, {
    headers: { 'www-authenticate': 'Bearer realm="logproof-widget", error="invalid_token"' },
  });
}

export default async function widgetRoutes(app: FastifyInstance, options: WidgetRoutesOptions) {
  const { store, verification, embedTokens, clock } = options;

  await app.register(
    async (scope) => {
      await scope.register(cors, {
        origin: '*',
        credentials: false,
        methods: ['GET'],
        allowedHeaders: ['authorization'],
        maxAge: 600,
        // Any OPTIONS here is answered 204: a 400 text/plain would only
        // puzzle a client, and the headers grant nothing either way.
        strictPreflight: false,
      });
      scope.decorateRequest('embedToken', null);

      scope.get(
        '/events',
        {
          // No API key here, so the global limiter's allowList would skip the
          // route: limit it per client address (LOGPROOF_RATE_LIMIT_PER_MINUTE).
          config: {
            rateLimit: {
              allowList: () => false,
              keyGenerator: (request: FastifyRequest) => `widget:${request.ip}`,
            },
          },
          // Route-level, after the CORS hook: a refusal still carries the CORS
          // headers, so the widget can read the 401. Before the query string
          // is validated, so without a token nothing is parsed.
          onRequest: async (request) => {
            const header = request.headers.authorization;
            const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
            if (!match) throw refuse(request, 'missing');
            const check = embedTokens.verify(match[1], clock());
            if (!check.ok) throw refuse(request, check.reason);
            request.embedToken = check.claims;
          },
          schema: {
            tags: ['Widget'],
            summary: "Read a page of an org's events with inclusion proofs (embed token)",
            description: DESCRIPTION,
            security: [{ embedToken: [] }],
            querystring: WidgetQuerystring,
            response: { 200: WidgetPageSchema, ...problemResponses() },
          },
        },
        async (request, reply) => {
          const token = request.embedToken;
          if (!token) throw new Error('widget route without an embed token');
          const { limit, cursor } = request.query as { limit: number; cursor?: string };
          // The listing of GET /v1/events with the org (and actor) forced: the
          // cursor is bound to that filter, so it cannot widen the scope.
          const params: EventListQuery = {
            org: token.orgId,
            limit,
            order: 'desc',
            ...(token.actorId === null ? {} : { actor_id: token.actorId }),
            ...(cursor === undefined ? {} : { cursor }),
          };
          const list = await readEventListRequest(store, token.projectId, params);
          // findOrg also matches external ids: only the token's own org will do.
          if (list.query.filter.orgId !== token.orgId) throw refuse(request, 'org_gone');
          const page = await readEventPage(store, token.projectId, list);
          // Read after the events: a checkpoint is committed with its events,
          // so this one covers every event of the page.
          const [checkpoint, keys] = await Promise.all([
            verification.latestCheckpoint(token.orgId),
            verification.publishedKeys(token.orgId),
          ]);
          if (!checkpoint) throw new Error(`org ${token.orgId} has no checkpoint`);
          const proofs = await verification.inclusionProofs(
            token.orgId,
            page.rows.map((row) => row.chainIndex),
            checkpoint.treeSize,
          );
          void reply.header('cache-control', 'no-store');
          return {
            data: page.rows.map((row, i) => ({
              event: toStoredEvent(row),
              inclusion_proof: {
                leaf_index: row.chainIndex,
                tree_size: checkpoint.treeSize,
                hashes: proofs[i]!.map(bytesToHex),
              },
            })),
            checkpoint: checkpoint.note,
            keys: keys.map((k) => ({ key_id: k.record.keyId, verifier_key: k.verifierKey })),
            next_cursor: page.nextCursor,
          };
        },
      );
    },
    { prefix: '/v1/widget' },
  );
}
