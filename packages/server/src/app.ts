import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { CryptoProvider } from '@logproof/core';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Config } from './config.js';
import { ApiError } from './errors.js';
import { createSchemaCompiler } from './http/validation.js';
import authPlugin from './plugins/auth.js';
import errorsPlugin from './plugins/errors.js';
import metricsPlugin, { type Metrics } from './plugins/metrics.js';
import openapiPlugin from './plugins/openapi.js';
import healthRoutes from './routes/health.js';
import apiKeyRoutes from './routes/v1/api-keys.js';
import eventRoutes, { eventBodyValidators } from './routes/v1/events.js';
import orgRoutes from './routes/v1/orgs.js';
import type { AppendQueue } from './services/append-queue.js';
import type { EventService } from './services/event-service.js';
import type { OrgKeys } from './services/org-keys.js';
import type { Tenancy } from './services/tenancy.js';
import type { Store } from './store/store.js';

/** Everything the HTTP app needs, built by the composition root. */
export interface AppDeps {
  readonly config: Config;
  readonly store: Store;
  readonly crypto: CryptoProvider;
  readonly tenancy: Tenancy;
  readonly orgKeys: OrgKeys;
  readonly events: EventService;
  readonly queue: AppendQueue;
  readonly metrics: Metrics;
  readonly clock: () => number;
  readonly logger?: FastifyServerOptions['logger'];
}

/** Pino options: JSON lines with the request id; secrets never logged. */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.secret', '*.api_key'],
      censor: '[redacted]',
    },
  };
}

/** Builds the Fastify app; does not listen (server.ts does). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.logLevel),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: config.eventBodyLimit,
    // RFC 9457 errors for poisoned JSON instead of silently stripping keys.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 300 },
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  const bodyValidators = eventBodyValidators({ backfillWindowMs: config.backfillWindowMs, clock: deps.clock });
  app.setValidatorCompiler(createSchemaCompiler(bodyValidators));
  // Responses are written with JSON.stringify: the event object must carry
  // exactly its members (PROOFS.md §2), never what a response schema filters.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(errorsPlugin);
  await app.register(openapiPlugin);
  await app.register(metricsPlugin, { metrics: deps.metrics });
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    retryAfter: 5,
    exposeStatusRoute: false,
    pressureHandler: (_req, _reply, type, value) => {
      throw new ApiError('unavailable', `the server is overloaded (${type}: ${String(value)}); retry later`, {
        headers: { 'retry-after': '5' },
      });
    },
  });
  await app.register(authPlugin, { tenancy: deps.tenancy });
  if (config.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      // After auth (onRequest), before the body is parsed.
      hook: 'preParsing',
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.apiKey?.id ?? request.ip,
      allowList: (request) => request.routeOptions.config.scopes === undefined,
      errorResponseBuilder: (_request, context) =>
        new ApiError('rate_limited', `rate limit of ${context.max} requests per minute per key exceeded`, {
          headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
        }),
    });
  }

  await app.register(healthRoutes, { store: deps.store });
  await app.register(eventRoutes, {
    events: deps.events,
    metrics: deps.metrics,
    backfillWindowMs: config.backfillWindowMs,
    eventBodyLimit: config.eventBodyLimit,
    batchBodyLimit: config.batchBodyLimit,
    clock: deps.clock,
  });
  await app.register(orgRoutes, { tenancy: deps.tenancy, orgKeys: deps.orgKeys, store: deps.store, crypto: deps.crypto });
  await app.register(apiKeyRoutes, { tenancy: deps.tenancy, store: deps.store });

  // Graceful shutdown: Fastify stops accepting and answers 503 to new
  // requests; in-flight requests finish; then the queued commits drain.
  app.addHook('onClose', async () => {
    await deps.queue.drained();
  });
  return app;
}
