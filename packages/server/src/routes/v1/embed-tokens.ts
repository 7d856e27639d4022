import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { problemResponses } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import {
  EMBED_TOKEN_TTL,
  MAX_ACTOR_ID_LENGTH,
  isActorId,
  type EmbedTokens,
} from '../../services/embed-tokens.js';
import type { Store } from '../../store/store.js';

// POST /v1/embed-tokens (API.md "Portal and widget"): an admin mints the
// short-lived, read-only token its page hands to <logproof-audit-log>.

export interface EmbedTokenRoutesOptions {
  readonly store: Pick<Store, 'findOrg'>;
  readonly embedTokens: EmbedTokens;
  readonly clock: () => number;
}

const EmbedTokenInput = Type.Object(
  {
    org: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'The org whose log the token reads: its id (`org_...`) or external id',
    }),
    actor_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_ACTOR_ID_LENGTH,
        description:
          'Scope the token to the events whose `actor.id` is exactly this (e.g. the signed-in user of your page). Without it, the token reads every event of the org.',
      }),
    ),
    expires_in: Type.Optional(
      Type.Integer({
        minimum: EMBED_TOKEN_TTL.min,
        maximum: EMBED_TOKEN_TTL.max,
        default: EMBED_TOKEN_TTL.default,
        description: `Lifetime in seconds, ${EMBED_TOKEN_TTL.min} to ${EMBED_TOKEN_TTL.max} (default ${EMBED_TOKEN_TTL.default}).`,
      }),
    ),
  },
  { additionalProperties: false },
);

const EmbedTokenSchema = Type.Object({
  token: Type.String({
    description:
      '`lp_et_<payload>.<mac>`: pass it to `<logproof-audit-log token="...">`. Shown once; not stored.',
  }),
  expires_at: Type.String({ format: 'date-time' }),
  org_id: Type.String(),
  actor_id: Type.Union([Type.String(), Type.Null()]),
});

const DESCRIPTION = `Mints a token for the audit-log widget (\`GET /widget.js\`, \`GET /v1/widget/events\`). It reads one org's events (only one actor's with \`actor_id\`) with their inclusion proofs, and nothing else; no other route accepts it.

Tokens are stateless (an HMAC under a key derived from the master key): nothing is stored, and a token cannot be revoked. Keep them short-lived and mint one per page view; anyone who sees the page's HTML can use the token until it expires.`;

export default async function embedTokenRoutes(
  app: FastifyInstance,
  options: EmbedTokenRoutesOptions,
) {
  const { store, embedTokens, clock } = options;
  app.post(
    '/v1/embed-tokens',
    {
      config: { scopes: ['admin'] },
      schema: {
        tags: ['Widget'],
        summary: 'Mint a read-only embed token for the widget',
        description: DESCRIPTION,
        body: EmbedTokenInput,
        response: { 201: EmbedTokenSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const projectId = requireKey(request).projectId;
      const body = request.body as { org: string; actor_id?: string; expires_in: number };
      // JSON Schema cannot say "well-formed Unicode without NUL"; event actor
      // ids never hold anything else, and PostgreSQL refuses NUL in a query.
      if (body.actor_id !== undefined && !isActorId(body.actor_id)) {
        throw new ApiError('validation_failed', 'actor_id is not a possible actor id', {
          errors: [
            {
              path: '/actor_id',
              message: 'must be well-formed Unicode without U+0000 (NUL)',
            },
          ],
        });
      }
      const org = await store.findOrg(projectId, body.org);
      if (!org) {
        throw new ApiError('not_found', `no org ${JSON.stringify(body.org)} in this project`, {
          errors: [{ path: '/org', message: 'unknown org' }],
        });
      }
      const expiresAt = clock() + body.expires_in * 1000;
      const actorId = body.actor_id ?? null;
      const token = embedTokens.mint({ projectId, orgId: org.id, actorId, expiresAt });
      void reply.code(201).header('cache-control', 'no-store');
      return {
        token,
        expires_at: new Date(expiresAt).toISOString(),
        org_id: org.id,
        actor_id: actorId,
      };
    },
  );
}
