import { BatchSender, type BatchSenderOptions } from '../batch-sender.js';
import { LogproofNetworkError } from '../errors.js';
import type { HttpClient, RequestOptions } from '../http.js';
import { generateIdempotencyKey } from '../idempotency-key.js';
import type {
  BatchItem,
  EventInput,
  EventListFilter,
  EventVerifyResponse,
  Page,
  StoredEvent,
} from '../types.js';

/** Options of a call that appends events. */
export interface CreateOptions extends RequestOptions {
  /**
   * Sent as `Idempotency-Key`; one is generated when absent. Pass your own to
   * make a retry across process restarts safe too (API.md "Events").
   */
  idempotencyKey?: string | undefined;
}

function listQuery(filter: EventListFilter): Record<string, string | number | undefined> {
  const { from, to, ...rest } = filter;
  return {
    ...rest,
    from: from instanceof Date ? from.toISOString() : from,
    to: to instanceof Date ? to.toISOString() : to,
  };
}

/** `client.events`: record, read, list and verify events (API.md "Events", "Verification"). */
export class EventsResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Records one event (`POST /v1/events`) and resolves once it is durably
   * committed. Always sends an Idempotency-Key, the same on every retry, so a
   * retry after a lost answer returns the first event instead of a second.
   *
   * @example
   * ```ts
   * const event = await client.events.create({
   *   action: 'user.login',
   *   actor: { id: 'user_1', name: 'Ada' },
   *   context: { ip: '203.0.113.7' },
   * });
   * event.chain_index; // its position in the org's log
   * ```
   */
  create(input: EventInput, options: CreateOptions = {}): Promise<StoredEvent> {
    return this.#http.json<StoredEvent>({
      method: 'POST',
      path: '/v1/events',
      body: input,
      idempotent: false,
      idempotencyKey: options.idempotencyKey ?? generateIdempotencyKey(),
      signal: options.signal,
    });
  }

  /**
   * Records up to 1000 events atomically (`POST /v1/events/batch`); items may
   * carry their own `idempotency_key`. The request always carries an
   * Idempotency-Key, so it is retried safely. For a steady stream of events
   * use {@link EventsResource.sender} instead.
   *
   * @example
   * ```ts
   * const [a, b] = await client.events.createBatch([
   *   { action: 'user.login', actor: { id: 'u1' }, idempotency_key: 'login-u1-42' },
   *   { action: 'user.logout', actor: { id: 'u1' } },
   * ]);
   * ```
   */
  async createBatch(
    items: readonly BatchItem[],
    options: CreateOptions = {},
  ): Promise<StoredEvent[]> {
    const body = await this.#http.json<{ events: StoredEvent[] }>({
      method: 'POST',
      path: '/v1/events/batch',
      body: { events: items },
      idempotent: false,
      idempotencyKey: options.idempotencyKey ?? generateIdempotencyKey(),
      signal: options.signal,
    });
    return body.events;
  }

  /**
   * A batching sender for high-volume producers: events are grouped into
   * batches by size and time, each with a per-item idempotency key.
   *
   * @example
   * ```ts
   * const sender = client.events.sender({ maxBatch: 500, flushIntervalMs: 200 });
   * for (const e of events) void sender.add(e).catch(report);
   * await sender.close(); // flushes what is left
   * ```
   */
  sender(options: BatchSenderOptions = {}): BatchSender {
    return new BatchSender((items) => this.createBatch(items), options);
  }

  /**
   * One event (`GET /v1/events/{id}`).
   *
   * @example
   * ```ts
   * const event = await client.events.get('evt_...');
   * ```
   */
  get(id: string, options: RequestOptions = {}): Promise<StoredEvent> {
    return this.#http.json<StoredEvent>({
      method: 'GET',
      path: `/v1/events/${encodeURIComponent(id)}`,
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * The exact canonical bytes of an event (`GET /v1/events/{id}/canonical`,
   * PROOFS.md §2): what was leaf-hashed and signed.
   *
   * @example
   * ```ts
   * const bytes = await client.events.canonical(event.id);
   * verifyEvent(event, { verifierKeys: key, canonical: bytes });
   * ```
   */
  canonical(id: string, options: RequestOptions = {}): Promise<Uint8Array> {
    return this.#http.bytes({
      method: 'GET',
      path: `/v1/events/${encodeURIComponent(id)}/canonical`,
      accept: 'application/json',
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * One page of `GET /v1/events`.
   *
   * @example
   * ```ts
   * const page = await client.events.listPage({ org: 'acme-prod', limit: 50 });
   * const next = page.next_cursor && (await client.events.listPage({ org: 'acme-prod', cursor: page.next_cursor }));
   * ```
   */
  listPage(filter: EventListFilter = {}, options: RequestOptions = {}): Promise<Page<StoredEvent>> {
    return this.#http.json<Page<StoredEvent>>({
      method: 'GET',
      path: '/v1/events',
      query: listQuery(filter),
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * Every event matching `filter`, page after page, following `next_cursor`.
   * Pages are fetched lazily, as the loop asks for more.
   *
   * @example
   * ```ts
   * for await (const event of client.events.list({ org: 'acme-prod', action: 'user.*' })) {
   *   console.log(event.chain_index, event.action);
   * }
   * ```
   */
  async *list(
    filter: EventListFilter = {},
    options: RequestOptions = {},
  ): AsyncGenerator<StoredEvent> {
    const seen = new Set<string>();
    let cursor = filter.cursor;
    for (;;) {
      const page = await this.listPage(
        cursor === undefined ? filter : { ...filter, cursor },
        options,
      );
      yield* page.data;
      if (page.next_cursor === null || page.next_cursor === undefined) return;
      // A cursor seen before would loop forever: a server bug, not ours to hide.
      if (seen.has(page.next_cursor)) {
        throw new LogproofNetworkError(
          'invalid_response',
          'GET /v1/events returned a next_cursor it had already returned',
        );
      }
      seen.add(page.next_cursor);
      cursor = page.next_cursor;
    }
  }

  /**
   * The server's verification of one event, with everything needed to repeat
   * it offline (`GET /v1/events/{id}/verify`). Do not stop at its `valid`:
   * repeat it with `verifyEventProof` and a key you obtained out of band.
   *
   * @example
   * ```ts
   * const proof = await client.events.verify(event.id);
   * const result = verifyEventProof(proof, trustedKey, { event });
   * ```
   */
  verify(id: string, options: RequestOptions = {}): Promise<EventVerifyResponse> {
    return this.#http.json<EventVerifyResponse>({
      method: 'GET',
      path: `/v1/events/${encodeURIComponent(id)}/verify`,
      idempotent: true,
      signal: options.signal,
    });
  }
}
