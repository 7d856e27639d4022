import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PageQuery, pageOf, problemResponses, toPage } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import { ACTION_FILTER_PATTERN } from '../../query/event-filter.js';
import {
  KEPT_ATTEMPTS_PER_WEBHOOK,
  type DeliveryAttemptRecord,
  type WebhookRecord,
} from '../../store/webhook-port.js';
import { MAX_ACTION_PATTERNS } from '../../webhooks/webhook-message.js';
import { stateOf, type WebhookService } from '../../webhooks/webhook-service.js';

// API.md "Webhooks (streams)". Every route needs the admin scope.

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const DateOrNull = (description: string) =>
  Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });

export const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description:
    'Where events are POSTed: an https URL whose host resolves only to public addresses (no loopback, private, link-local, CGNAT, multicast or cloud metadata addresses, no user name or password in the URL). Checked now and at every delivery; redirects are not followed.',
  examples: ['https://hooks.example.com/logproof'],
});

export const Actions = Type.Array(
  Type.String({
    maxLength: 130,
    pattern: ACTION_FILTER_PATTERN.source,
    description: 'An action (`user.login`) or its leading segments followed by `.*` (`user.*`)',
  }),
  {
    minItems: 1,
    maxItems: MAX_ACTION_PATTERNS,
    description:
      'Only events whose action matches one of these patterns are delivered; every event when absent.',
    examples: [['user.*', 'billing.invoice.paid']],
  },
);

export const Description = Type.String({ maxLength: 512, description: 'Free text, for you' });

export const WebhookSchema = Type.Object({
  id: Type.String({ description: 'wh_...' }),
  url: Type.String(),
  description: Type.String(),
  org: Type.Union([Type.String(), Type.Null()], {
    description:
      'The org id whose events are delivered; null for every org of the project, present and future',
  }),
  actions: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description: 'Action patterns; null for every action',
  }),
  enabled: Type.Boolean(),
  state: Type.Union([Type.Literal('healthy'), Type.Literal('failing'), Type.Literal('disabled')]),
  disabled_reason: Type.Union(
    [Type.Literal('manual'), Type.Literal('gone'), Type.Literal('failing'), Type.Null()],
    {
      description:
        '`manual`: disabled through the API; `gone`: the destination answered 410; `failing`: it failed for 3 days. Null while enabled.',
    },
  ),
  previous_secret_expires_at: DateOrNull(
    'After a rotation, until when the previous secret still signs (a second signature)',
  ),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const WithSecret = Type.Composite([
  WebhookSchema,
  Type.Object({
    secret: Type.String({
      description:
        'The signing secret, whsec_ + base64: shown in this response only. Verify deliveries with it (Standard Webhooks).',
    }),
  }),
]);

const AttemptSchema = Type.Object({
  event_id: Type.Union([Type.String(), Type.Null()], { description: 'Null for a test send' }),
  org: Type.Union([Type.String(), Type.Null()]),
  chain_index: Type.Union([Type.Integer(), Type.Null()]),
  message_id: Type.String({
    description: 'The webhook-id header sent: the event id, the same on every retry',
  }),
  attempt: Type.Integer({ description: '1 for the first attempt at the event' }),
  status_code: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Null when no answer came',
  }),
  error: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Number(),
  attempted_at: Type.String({ format: 'date-time' }),
  next_retry_at: DateOrNull('When the next attempt is due after this failure'),
});

const HealthSchema = Type.Object({
  state: Type.Union([Type.Literal('healthy'), Type.Literal('failing'), Type.Literal('disabled')]),
  disabled_reason: Type.Union([Type.String(), Type.Null()]),
  consecutive_failures: Type.Integer(),
  last_success_at: DateOrNull('The last 2xx'),
  last_failure_at: DateOrNull('The last failed attempt'),
  failing_since: DateOrNull('Start of the current run of failures; disabled after 3 days of it'),
  lag: Type.Integer({
    description:
      'Events of the covered orgs not yet delivered (or passed over by the action filter)',
  }),
});

export const TestResultSchema = Type.Object({
  ok: Type.Boolean({ description: 'The destination answered 2xx' }),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  duration_ms: Type.Number(),
  error: Type.Union([Type.String(), Type.Null()]),
});

export const DeliveriesQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: KEPT_ATTEMPTS_PER_WEBHOOK, default: 50 }) },
  { additionalProperties: false },
);

export const DeliveriesSchema = Type.Object({
  health: HealthSchema,
  data: Type.Array(AttemptSchema),
});

/** The body of PATCH /v1/webhooks/{id} (and of the portal's PATCH): at least one member. */
export const WebhookPatchBody = Type.Object(
  {
    url: Type.Optional(Url),
    description: Type.Optional(Description),
    actions: Type.Optional(Type.Union([Actions, Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Webhook id (wh_...)' }),
});

export function view(w: WebhookRecord) {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    org: w.orgId,
    actions: w.actions === null ? null : [...w.actions],
    enabled: w.enabled,
    state: stateOf(w),
    disabled_reason: w.disabledReason,
    previous_secret_expires_at: iso(w.previousSecretExpiresAt),
    created_at: iso(w.createdAt),
    updated_at: iso(w.updatedAt),
  };
}

function attemptView(a: DeliveryAttemptRecord) {
  return {
    event_id: a.eventId,
    org: a.orgId,
    chain_index: a.chainIndex,
    message_id: a.messageId,
    attempt: a.attempt,
    status_code: a.statusCode,
    error: a.error,
    duration_ms: a.durationMs,
    attempted_at: iso(a.attemptedAt),
    next_retry_at: iso(a.nextRetryAt),
  };
}

/** The answer of GET /v1/webhooks/{id}/deliveries (and of the portal's). */
export function deliveriesView(d: Awaited<ReturnType<WebhookService['deliveries']>>) {
  const { webhook, health, attempts } = d;
  return {
    health: {
      state: health.state,
      disabled_reason: webhook.disabledReason,
      consecutive_failures: health.consecutiveFailures,
      last_success_at: iso(health.lastSuccessAt),
      last_failure_at: iso(health.lastFailureAt),
      failing_since: iso(health.failingSince),
      lag: health.lag,
    },
    data: attempts.map(attemptView),
  };
}

/** The answer of POST /v1/webhooks/{id}/test (and of the portal's). */
export function testResultView(r: Awaited<ReturnType<WebhookService['test']>>) {
  return { ok: r.ok, status_code: r.statusCode, duration_ms: r.durationMs, error: r.error };
}

export const DELIVERY_DESCRIPTION = `Each event of the covered orgs (recorded after the webhook was created) is POSTed as
\`{ "type": "audit.event.created", "timestamp", "data": <the event, as GET /v1/events/{id} returns it> }\`
with the Standard Webhooks headers \`webhook-id\` (the event id, the same on every retry),
\`webhook-timestamp\` and \`webhook-signature\` (\`v1,\` + base64 HMAC-SHA256; verify with any Standard
Webhooks library). Per org, events arrive in chain order, at least once: a 2xx moves the cursor on; anything
else (or no answer within the timeout) is retried with exponential back-off and jitter (5 s, 5 min, 30 min,
2 h, 5 h, 10 h, then every 10 h), \`Retry-After\` is honoured on 429 and 503, a 410 disables the webhook at
once, and 3 days of failures disable it. Re-enabling resumes from where it stopped.`;

export default async function webhookRoutes(
  app: FastifyInstance,
  options: { webhooks: WebhookService },
) {
  const { webhooks } = options;
  const admin = { scopes: ['admin'] as const };

  app.post(
    '/v1/webhooks',
    {
      config: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Create a webhook stream; its signing secret is shown in this response only',
        description: `${DELIVERY_DESCRIPTION}\n\nThe URL is checked now (400 naming the reason when refused) and again at every delivery.`,
        body: Type.Object(
          {
            url: Url,
            description: Type.Optional(Description),
            org: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 256,
                description: 'One org (id or external id); every org of the project when absent',
              }),
            ),
            actions: Type.Optional(Actions),
            enabled: Type.Optional(Type.Boolean({ default: true })),
          },
          { additionalProperties: false },
        ),
        response: { 201: WithSecret, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const body = request.body as {
        url: string;
        description?: string;
        org?: string;
        actions?: string[];
        enabled?: boolean;
      };
      const { webhook, secret } = await webhooks.create(requireKey(request).projectId, body);
      void reply.code(201);
      return { ...view(webhook), secret };
    },
  );

  app.get(
    '/v1/webhooks',
    {
      config: admin,
      schema: {
        tags: ['webhooks'],
        summary: "List the project's webhooks (never their secrets)",
        querystring: PageQuery,
        response: { 200: pageOf(WebhookSchema), ...problemResponses() },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query as { limit: number; cursor?: string };
      const rows = await webhooks.list(requireKey(request).projectId, {
        limit: limit + 1,
        ...(cursor ? { afterId: cursor } : {}),
      });
      const page = toPage(rows, limit);
      return { data: page.rows.map(view), next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/webhooks/:id',
    {
      config: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Get a webhook',
        params: IdParams,
        response: { 200: WebhookSchema, ...problemResponses(404) },
      },
    },
    async (request) =>
      view(
        await webhooks.get(requireKey(request).projectId, (request.params as { id: string }).id),
      ),
  );

  app.patch(
    '/v1/webhooks/:id',
    {
      config: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Change a webhook: URL, description, actions, enabled',
        description:
          'Absent members are left alone; `actions: null` selects every action again. The org is fixed at creation. `enabled: false` pauses deliveries (the cursors stay); `enabled: true` on a disabled webhook clears its failures and resumes from its cursors at once. A new URL is checked as at creation.',
        params: IdParams,
        body: WebhookPatchBody,
        response: { 200: WebhookSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as Static<typeof WebhookPatchBody>;
      return view(await webhooks.update(requireKey(request).projectId, id, body));
    },
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      config: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Delete a webhook with its cursors and delivery history',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      await webhooks.delete(requireKey(request).projectId, (request.params as { id: string }).id);
      void reply.code(204);
    },
  );

  app.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      config: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Rotate the signing secret; the new one is shown in this response only',
        description:
          'Deliveries are signed with the new secret at once. Until `previous_secret_expires_at` (LOGPROOF_WEBHOOK_SECRET_GRACE_MS, 24 h by default) they also carry a signature made with the previous secret, so receivers can switch over without rejecting a delivery. No body.',
        params: IdParams,
        response: { 200: WithSecret, ...problemResponses(404) },
      },
    },
    async (request) => {
      const { webhook, secret } = await webhooks.rotateSecret(
        requireKey(request).projectId,
        (request.params as { id: string }).id,
      );
      return { ...view(webhook), secret };
    },
  );

  app.post(
    '/v1/webhooks/:id/test',
    {
      config: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Send one signed test message now',
        description:
          'POSTs `{ "type": "webhook.test", "timestamp", "data": { "webhook_id", "message" } }`, signed like every delivery and through the same SSRF guard, whether or not the webhook is enabled. Not retried; recorded in the delivery history. No body.',
        params: IdParams,
        response: {
          200: TestResultSchema,
          ...problemResponses(404),
        },
      },
    },
    async (request) => {
      const r = await webhooks.test(
        requireKey(request).projectId,
        (request.params as { id: string }).id,
      );
      return testResultView(r);
    },
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Delivery health and the most recent attempts',
        description: `\`health.state\` is \`healthy\`, \`failing\` (the last attempt failed; retries are scheduled) or \`disabled\`. \`lag\` counts events not yet delivered. The newest attempts come first; at least the last ${KEPT_ATTEMPTS_PER_WEBHOOK} are kept.`,
        params: IdParams,
        querystring: DeliveriesQuery,
        response: {
          200: DeliveriesSchema,
          ...problemResponses(404),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { limit } = request.query as { limit: number };
      return deliveriesView(await webhooks.deliveries(requireKey(request).projectId, id, limit));
    },
  );
}
