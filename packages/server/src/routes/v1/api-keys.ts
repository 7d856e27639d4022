import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { problemResponses } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import type { Tenancy } from '../../services/tenancy.js';
import { SCOPES, type ApiKeyRecord, type Scope } from '../../store/records.js';
import type { Store } from '../../store/store.js';

const ScopeSchema = Type.Union(SCOPES.map((s) => Type.Literal(s)));

const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the secret, to recognise it' }),
  scopes: Type.Array(ScopeSchema),
  created_at: Type.String({ format: 'date-time' }),
  revoked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

function view(k: ApiKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: [...k.scopes],
    created_at: new Date(k.createdAt).toISOString(),
    revoked_at: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
  };
}

export default async function apiKeyRoutes(
  app: FastifyInstance,
  options: { tenancy: Tenancy; store: Store },
) {
  const { tenancy, store } = options;

  app.post(
    '/v1/api-keys',
    {
      config: { scopes: ['admin'] },
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key; its secret is shown in this response only',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 256 }),
            scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: 3, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Composite([ApiKeySchema, Type.Object({ secret: Type.String() })]),
          ...problemResponses(),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; scopes: Scope[] };
      const { record, secret } = await tenancy.createApiKey(
        requireKey(request).projectId,
        body.name,
        body.scopes,
      );
      void reply.code(201);
      return { ...view(record), secret };
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: { scopes: ['admin'] },
      schema: {
        tags: ['api-keys'],
        summary: 'List API keys (never their secrets)',
        response: { 200: Type.Object({ data: Type.Array(ApiKeySchema) }), ...problemResponses() },
      },
    },
    async (request) => ({
      data: (await store.listApiKeys(requireKey(request).projectId)).map(view),
    }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { scopes: ['admin'] },
      schema: {
        tags: ['api-keys'],
        summary:
          'Revoke an API key (it stops working at once in this process, within 5 s everywhere)',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: ApiKeySchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const key = await tenancy.revokeApiKey(requireKey(request).projectId, id);
      if (!key) throw new ApiError('not_found', `no API key ${JSON.stringify(id)} in this project`);
      return view(key);
    },
  );
}
