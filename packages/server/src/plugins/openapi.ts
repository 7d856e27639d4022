import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const DESCRIPTION = `Logproof records audit events in a per-org, append-only log: each event is
canonicalised (RFC 8785), hash-chained, added to an RFC 6962 Merkle tree and
signed with the org's Ed25519 key; C2SP signed checkpoints let anyone verify
offline. Errors are RFC 9457 problem documents (application/problem+json) with
a stable \`code\`. Authenticate with \`Authorization: Bearer lp_sk_...\`.

Idempotency: send an \`Idempotency-Key\` header (1 to 255 printable ASCII
characters) on POST /v1/events and /v1/events/batch. A repeat with the same key
and the same body (compared as canonical JSON) returns the original result with
status 200 and \`Idempotent-Replayed: true\`; the same key with another body is
422; while the first request is still being committed a repeat is 409 with
\`Retry-After\`. Keys are scoped to the project and kept indefinitely.

Rate limits: per API key (\`LOGPROOF_RATE_LIMIT_PER_MINUTE\`, default 60000);
429 with \`Retry-After\`. Under overload or during shutdown: 503 with
\`Retry-After\`; nothing is half-written.`;

/** The OpenAPI 3.1 document at /openapi.json and its reference UI at /docs. */
export default fp(
  async function openapiPlugin(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      if (route.config && 'scopes' in route.config && route.config.scopes) {
        route.schema = { ...route.schema, security: [{ bearerAuth: [] }] };
      }
    });
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Logproof API', version: '1.0.0', description: DESCRIPTION },
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key, lp_sk_...' },
            portalSession: {
              type: 'apiKey',
              in: 'cookie',
              name: '__Host-lp_portal',
              description:
                'The portal session cookie set by POST /v1/portal/sessions: `__Host-lp_portal` over https and on loopback hosts, `lp_portal` otherwise. Requests other than GET also send `X-CSRF-Token` (from GET /v1/portal/session); cross-site requests are refused.',
            },
            embedToken: {
              type: 'http',
              scheme: 'bearer',
              description:
                'An embed token, lp_et_... (POST /v1/embed-tokens): read-only, short-lived, accepted by the widget routes only',
            },
          },
        },
        tags: [
          { name: 'events', description: 'Record and read audit events' },
          { name: 'orgs', description: 'End-customer orgs, their logs and signing keys' },
          { name: 'api-keys', description: 'API keys of the project' },
          {
            name: 'verification',
            description: 'Proofs, checkpoints and re-verification of org logs',
          },
          { name: 'public', description: 'Public log data for auditors and monitors: no API key' },
          {
            name: 'webhooks',
            description: 'Webhook streams: every event pushed, signed, in order',
          },
          {
            name: 'exports',
            description: 'CSV, NDJSON, JSON, evidence bundles and PDF reports of events',
          },
          { name: 'project', description: 'The project and the branding of its portal' },
          {
            name: 'portal',
            description: 'Single-use links that open the customer portal for one org (admin)',
          },
          {
            name: 'Portal session',
            description:
              'The customer portal’s API: cookie session of one org, opened with a portal link',
          },
          {
            name: 'Widget',
            description:
              'The embeddable audit-log widget: embed tokens, its cross-origin read API and /widget.js',
          },
          { name: 'operations', description: 'Health, readiness, metrics' },
        ],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'logproof-openapi' },
);
