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
import eventListRoutes from './routes/v1/events-list.js';
import orgRoutes from './routes/v1/orgs.js';
import verificationRoutes from './routes/v1/verification.js';
import publicRoutes from './routes/public.js';
import type { AppendQueue } from './services/append-queue.js';
import type { EventService } from './services/event-service.js';
import type { OrgKeys } from './services/org-keys.js';
import type { SelfAudit } from './services/self-audit.js';
import type { VerificationService } from './services/verification-service.js';
import type { Tenancy } from './services/tenancy.js';
import type { Store } from './store/store.js';
import webhookRoutes from './routes/v1/webhooks.js';
import exportRoutes, { type ExportRoutesOptions } from './routes/v1/exports.js';
import type { WebhookService } from './webhooks/webhook-service.js';
import type { EmbedTokens } from './services/embed-tokens.js';
import embedTokenRoutes from './routes/v1/embed-tokens.js';
import widgetRoutes from './routes/v1/widget.js';
import widgetScriptRoutes from './routes/widget-script.js';
import type { PortalService } from './services/portal-service.js';
import projectRoutes from './routes/v1/project.js';
import portalLinkRoutes from './routes/v1/portal-links.js';
import portalSessionRoutes from './routes/v1/portal-session.js';
import portalStaticRoutes from './routes/portal-static.js';

/** Everything the HTTP app needs, built by the composition root. */
export interface AppDeps {
  readonly config: Config;
  readonly store: Store;
  readonly crypto: CryptoProvider;
  readonly tenancy: Tenancy;
  readonly orgKeys: OrgKeys;
  readonly events: EventService;
  readonly queue: AppendQueue;
  readonly verification: VerificationService;
  readonly selfAudit: SelfAudit;
  readonly metrics: Metrics;
  readonly webhooks: WebhookService;
  /** Exports: the service, the background jobs, file storage and link signer. */
  readonly exports: ExportRoutesOptions;
  /** Mints and checks the widget's embed tokens (key derived from the master key). */
  readonly embedTokens: EmbedTokens;
  /** Portal links, sessions and the events they record. */
  readonly portal: PortalService;
  readonly clock: () => number;
  readonly logger?: FastifyServerOptions['logger'];
}

/** Pino options: JSON lines with the request id; secrets never logged. */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.secret',
        '*.api_key',
      ],
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
    // Shutdown refusals are ours (below): RFC 9457 with Retry-After (API.md "Errors").
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 300 },
  });
  // API.md: JSON only. Fastify also parses text/plain by default, which would
  // hand the validator a string (400) where a wrong media type is a 415.
  app.removeContentTypeParser('text/plain');
  // Graceful shutdown (API.md "Operations"): once close() begins, new requests
  // get a 503 problem, and every answer, in-flight ones included, closes its
  // connection. Node closes idle keep-alive connections only once, when close()
  // starts; one that turns idle later would hold the exit for the whole
  // keep-alive timeout (72 s).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) {
      throw new ApiError('unavailable', 'the server is shutting down; retry later', {
        headers: { 'retry-after': '5' },
      });
    }
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    if (closing) void reply.header('connection', 'close');
  });

  const bodyValidators = eventBodyValidators({
    backfillWindowMs: config.backfillWindowMs,
    clock: deps.clock,
  });
  app.setValidatorCompiler(createSchemaCompiler(bodyValidators));
  // Responses are written with JSON.stringify: the event object must carry
  // exactly its members (PROOFS.md §2), never what a response schema filters.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(errorsPlugin);
  await app.register(openapiPlugin);
  await app.register(metricsPlugin, { metrics: deps.metrics });
  // Writes are shed on the append backlog (EventService, LOGPROOF_MAX_QUEUED_EVENTS):
  // the direct measure of overload here. The event-loop-delay check is off by
  // default because under-pressure reads an empty sample window as Infinity,
  // which on a CPU-starved host sheds every request.
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    retryAfter: 5,
    exposeStatusRoute: false,
    pressureHandler: (_req, _reply, type, value) => {
      throw new ApiError(
        'unavailable',
        `the server is overloaded (${type}: ${String(value)}); retry later`,
        {
          headers: { 'retry-after': '5' },
        },
      );
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
        new ApiError(
          'rate_limited',
          `rate limit of ${context.max} requests per minute per key exceeded`,
          {
            headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
          },
        ),
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
  await app.register(orgRoutes, {
    tenancy: deps.tenancy,
    orgKeys: deps.orgKeys,
    store: deps.store,
    crypto: deps.crypto,
    selfAudit: deps.selfAudit,
    verification: deps.verification,
  });
  await app.register(apiKeyRoutes, { tenancy: deps.tenancy, store: deps.store });
  await app.register(verificationRoutes, deps);
  await app.register(publicRoutes, deps);
  await app.register(eventListRoutes, { store: deps.store });
  await app.register(webhookRoutes, { webhooks: deps.webhooks });
  await app.register(exportRoutes, deps.exports);
  // The widget (API.md "Portal and widget"): minting, the CORS-enabled read
  // route under /v1/widget (its own scope), and the script itself.
  await app.register(embedTokenRoutes, {
    store: deps.store,
    embedTokens: deps.embedTokens,
    clock: deps.clock,
  });
  await app.register(widgetRoutes, {
    store: deps.store,
    verification: deps.verification,
    embedTokens: deps.embedTokens,
    clock: deps.clock,
  });
  await app.register(widgetScriptRoutes, { file: config.widgetFile });
  // The customer portal (API.md "Portal and widget"): branding, links (admin),
  // the cookie-session API (its own scope: cookies, CSRF) and the built app.
  await app.register(projectRoutes, { store: deps.store });
  await app.register(portalLinkRoutes, { portal: deps.portal, publicUrl: config.publicUrl });
  await app.register(portalSessionRoutes, {
    store: deps.store,
    portal: deps.portal,
    verification: deps.verification,
    orgKeys: deps.orgKeys,
    exports: deps.exports.service,
    webhooks: deps.webhooks,
    publicUrl: config.publicUrl,
  });
  await app.register(portalStaticRoutes, { dir: config.portalDir });

  // Graceful shutdown: Fastify stops accepting and answers 503 to new
  // requests; in-flight requests finish; then the queued commits drain.
  app.addHook('onClose', async () => {
    await deps.queue.drained();
  });
  return app;
}
