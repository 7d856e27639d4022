import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';
import type { ApiKeyRecord, Scope } from '../store/records.js';
import type { Tenancy } from '../services/tenancy.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that authenticated this request (routes with `config.scopes`). */
    apiKey: ApiKeyRecord | null;
  }
  interface FastifyContextConfig {
    /** Any one of these scopes lets the request in; absent = public route. */
    scopes?: readonly Scope[];
  }
}

/** The authenticated key; throws when the route is public (a programming error). */
export function requireKey(request: FastifyRequest): ApiKeyRecord {
  if (!request.apiKey) throw new Error('route has no auth config');
  return request.apiKey;
}

/**
 * Bearer API keys, checked in onRequest: before the body is read, so an
 * unauthenticated client cannot make us parse 4 MiB.
 */
export default fp(
  async function authPlugin(app: FastifyInstance, options: { tenancy: Tenancy }) {
    app.decorateRequest('apiKey', null);
    app.addHook('onRequest', async (request) => {
      const scopes = request.routeOptions.config.scopes;
      if (!scopes) return;
      const header = request.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
      if (!match) {
        throw new ApiError('unauthorized', 'send an API key as "Authorization: Bearer lp_sk_..."', {
          headers: { 'www-authenticate': 'Bearer realm="logproof"' },
        });
      }
      const key = await options.tenancy.authenticate(match[1]!);
      if (!key) {
        throw new ApiError('unauthorized', 'the API key is invalid or revoked', {
          headers: { 'www-authenticate': 'Bearer realm="logproof", error="invalid_token"' },
        });
      }
      if (!scopes.some((s) => key.scopes.includes(s))) {
        throw new ApiError('forbidden', `this API key lacks the scope ${scopes.join(' or ')}`);
      }
      request.apiKey = key;
    });
  },
  { name: 'logproof-auth' },
);
