import {
  BatchInputSchema,
  EventInputSchema,
  StoredEventSchema,
  validateBatchInput,
  validateEventInput,
  type NormalizedEvent,
} from '@logproof/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import type { BodyValidator } from '../../http/validation.js';
import { IdempotencyKeyHeader, problemResponses } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import {
  toStoredEvent,
  type EventService,
  type EventToRecord,
} from '../../services/event-service.js';
import type { Metrics } from '../../plugins/metrics.js';

export interface EventRoutesOptions {
  readonly events: EventService;
  readonly metrics: Metrics;
  readonly backfillWindowMs: number;
  readonly eventBodyLimit: number;
  readonly batchBodyLimit: number;
  readonly clock: () => number;
}

interface ValidatedBody {
  readonly items: EventToRecord[];
  readonly raw: unknown;
}

function validationError(problems: ReadonlyArray<{ path: string; message: string }>): ApiError {
  const first = problems[0];
  return new ApiError(
    'validation_failed',
    first
      ? `${first.path || '/'}: ${first.message}` +
          (problems.length > 1 ? ` (and ${problems.length - 1} more)` : '')
      : 'invalid body',
    { errors: problems },
  );
}

/** Body validators for the event routes: the core's validator, which also normalises. */
export function eventBodyValidators(
  options: Pick<EventRoutesOptions, 'backfillWindowMs' | 'clock'>,
): Map<string, BodyValidator> {
  const single: BodyValidator = (data) => {
    const result = validateEventInput(data, {
      now: options.clock(),
      backfillWindowMs: options.backfillWindowMs,
    });
    if (!result.ok) return { error: validationError(result.problems) };
    const body: ValidatedBody = {
      items: [{ event: result.value, raw: data, path: '' }],
      raw: data,
    };
    return { value: body };
  };
  const batch: BodyValidator = (data) => {
    const result = validateBatchInput(data, {
      now: options.clock(),
      backfillWindowMs: options.backfillWindowMs,
    });
    if (!result.ok) return { error: validationError(result.problems) };
    const rawItems = (data as { events: Array<Record<string, unknown>> }).events;
    const items = result.value.map((event: NormalizedEvent, i: number): EventToRecord => {
      const { idempotency_key: _key, ...raw } = rawItems[i]!;
      return { event, raw, idempotencyKey: event.idempotencyKey, path: `/events/${i}` };
    });
    const body: ValidatedBody = { items, raw: data };
    return { value: body };
  };
  return new Map([
    ['POST /v1/events', single],
    ['POST /v1/audit/events', single],
    ['POST /v1/events/batch', batch],
  ]);
}

const EventIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Event id (evt_...)' }),
});

export default async function eventRoutes(app: FastifyInstance, options: EventRoutesOptions) {
  const { events } = options;

  for (const url of ['/v1/events', '/v1/audit/events']) {
    app.post(
      url,
      {
        bodyLimit: options.eventBodyLimit,
        config: { scopes: ['events:write'] },
        schema: {
          tags: ['events'],
          summary:
            url === '/v1/events'
              ? 'Record one event'
              : 'Record one event (alias of POST /v1/events)',
          description:
            "Appends one event to its org's log. The 201 is sent only after the event, its chain position and its signature are durably committed. Body limit 64 KiB.",
          headers: IdempotencyKeyHeader,
          body: EventInputSchema,
          response: {
            201: StoredEventSchema,
            200: StoredEventSchema,
            ...problemResponses(404, 409, 413, 415, 422, 503),
          },
        },
      },
      async (request, reply) => {
        const key = requireKey(request);
        const body = request.body as unknown as ValidatedBody;
        const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
        const result = await events.record(
          key.projectId,
          body.items,
          idempotencyKey === undefined ? undefined : { key: idempotencyKey, raw: body.raw },
        );
        if (result.replayed) void reply.header('idempotent-replayed', 'true');
        void reply.code(result.replayed ? 200 : 201);
        return result.events[0];
      },
    );
  }

  app.post(
    '/v1/events/batch',
    {
      bodyLimit: options.batchBodyLimit,
      config: { scopes: ['events:write'] },
      schema: {
        tags: ['events'],
        summary: 'Record up to 1000 events atomically',
        description:
          'All-or-nothing: one invalid item fails the whole batch, with per-item error paths like /events/17/action. Accepted items take consecutive chain_index values per org, in request order. Items may carry their own idempotency_key; an item whose key was already used with the same content is returned as first recorded, not appended again. Body limit 4 MiB.',
        headers: IdempotencyKeyHeader,
        body: BatchInputSchema,
        response: {
          201: Type.Object({ events: Type.Array(StoredEventSchema) }),
          200: Type.Object({ events: Type.Array(StoredEventSchema) }),
          ...problemResponses(404, 409, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const key = requireKey(request);
      const body = request.body as unknown as ValidatedBody;
      options.metrics.batchSize.observe(body.items.length);
      const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
      const result = await events.record(
        key.projectId,
        body.items,
        idempotencyKey === undefined ? undefined : { key: idempotencyKey, raw: body.raw },
      );
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      void reply.code(result.replayed ? 200 : 201);
      return { events: result.events };
    },
  );

  app.get(
    '/v1/events/:id',
    {
      config: { scopes: ['events:read'] },
      schema: {
        tags: ['events'],
        summary: 'Get one event',
        params: EventIdParams,
        response: { 200: StoredEventSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      return toStoredEvent(await events.getEvent(requireKey(request).projectId, id));
    },
  );

  app.get(
    '/v1/events/:id/canonical',
    {
      config: { scopes: ['events:read'] },
      schema: {
        tags: ['events'],
        summary: 'The exact canonical bytes of an event (PROOFS.md §2)',
        description:
          'RFC 8785 canonical JSON of the event entry: the bytes that are leaf-hashed and signed. The server sends them unchanged.',
        params: EventIdParams,
        response: { 200: { description: 'JCS bytes', type: 'string' }, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const record = await events.getEvent(requireKey(request).projectId, id);
      void reply.type('application/json');
      return Buffer.from(record.canonical, 'utf8');
    },
  );
}
