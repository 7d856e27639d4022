import { EVENT_LIMITS } from '@logproof/core';
import { LogproofApiError } from './errors.js';
import { generateIdempotencyKey } from './idempotency-key.js';
import type { BatchItem, EventInput, StoredEvent } from './types.js';

/** Settings of a {@link BatchSender}. */
export interface BatchSenderOptions {
  /** Most events per batch, 1..1000 (API.md). Default 1000. */
  maxBatch?: number | undefined;
  /** Longest an event waits for its batch to fill. Default 1000 ms. */
  flushIntervalMs?: number | undefined;
  /** Most events queued or in flight; past it, add() waits for room. Default 10 000. */
  maxQueue?: number | undefined;
  /** Largest batch body in bytes (the server's default limit is 4 MiB). Default 3 MiB. */
  maxBatchBytes?: number | undefined;
}

/** What a closed sender did over its life. */
export interface BatchSenderStats {
  /** Events stored. */
  sent: number;
  /** Events whose add() promise was rejected. */
  failed: number;
}

/** Sends one batch; the client's createBatch, with its retries and idempotency key. */
export type SendBatch = (items: BatchItem[]) => Promise<StoredEvent[]>;

interface Entry {
  item: BatchItem;
  bytes: number;
  resolve(event: StoredEvent): void;
  reject(error: unknown): void;
}

const encoder = new TextEncoder();
// `{"events":[` ... `]}` around the items.
const ENVELOPE_BYTES = 13;

function positiveInt(value: number | undefined, fallback: number, name: string, max = Infinity) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new TypeError(`${name} must be a whole number from 1 to ${max}`);
  }
  return value;
}

/** `/events/17/action` -> 17, for problems that name one item of a batch. */
function itemIndex(path: string): number | undefined {
  const match = /^\/events\/(\d+)(?:\/|$)/.exec(path);
  return match ? Number(match[1]) : undefined;
}

/**
 * The error of one event refused inside a batch, as if it had been sent
 * alone: only its own problems, with paths relative to the event.
 */
function itemError(error: LogproofApiError, index: number): LogproofApiError {
  const prefix = `/events/${index}`;
  const errors = error.problem.errors
    .filter((e) => itemIndex(e.path) === index)
    .map((e) => ({ ...e, path: e.path.slice(prefix.length) }));
  const detail = errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ');
  return new LogproofApiError(
    { ...error.problem, detail: detail || error.problem.detail, errors },
    { requestId: error.requestId },
  );
}

/**
 * Groups events into `POST /v1/events/batch` requests for high-volume
 * producers. A batch leaves when it holds `maxBatch` events (or
 * `maxBatchBytes`), when its oldest event has waited `flushIntervalMs`, on
 * {@link BatchSender.flush} and on {@link BatchSender.close}. Batches are sent
 * one at a time, in order, so events keep their order in the log.
 *
 * Every event gets its own `idempotency_key` when added (unless it has one),
 * and every request an Idempotency-Key kept across its retries: a batch
 * retried after a lost answer, or re-sent in another grouping, never records
 * an event twice. When the server refuses some events of a batch (a
 * validation error naming `/events/N/...`), only those are rejected and the
 * others are sent again.
 *
 * Back-pressure: at most `maxQueue` events are queued or in flight; past
 * that, add() holds the event until there is room, and
 * {@link BatchSender.waitForRoom} lets a producer that does not await each
 * add() slow down.
 *
 * While events are queued, its flush timer keeps a Node process alive, so
 * that none is lost at exit: call {@link BatchSender.close} on shutdown.
 *
 * @example
 * ```ts
 * const sender = client.events.sender({ maxBatch: 1000, flushIntervalMs: 1000 });
 * for await (const row of source) {
 *   await sender.waitForRoom();
 *   sender.add({ action: 'user.login', actor: { id: row.user } }).catch(reportFailure);
 * }
 * const { sent, failed } = await sender.close();
 * ```
 */
export class BatchSender {
  readonly #send: SendBatch;
  readonly #maxBatch: number;
  readonly #flushIntervalMs: number;
  readonly #maxQueue: number;
  readonly #maxBatchBytes: number;
  /** Lowered when the server answers 413: its body limit is below ours. */
  #sizeCap: number;

  readonly #queue: Entry[] = [];
  #queuedBytes = 0;
  /** Added while the sender was full, in order; admitted as room frees. */
  readonly #waiting: Entry[] = [];
  readonly #roomWaiters: Array<() => void> = [];
  #inFlight = 0;
  #loop: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushRequested = false;
  #closed = false;
  #closing: Promise<BatchSenderStats> | null = null;
  readonly #stats: BatchSenderStats = { sent: 0, failed: 0 };

  constructor(send: SendBatch, options: BatchSenderOptions = {}) {
    this.#send = send;
    this.#maxBatch = positiveInt(
      options.maxBatch,
      EVENT_LIMITS.maxBatch,
      'maxBatch',
      EVENT_LIMITS.maxBatch,
    );
    this.#sizeCap = this.#maxBatch;
    this.#maxQueue = positiveInt(options.maxQueue, 10_000, 'maxQueue');
    this.#maxBatchBytes = positiveInt(options.maxBatchBytes, 3 * 1024 * 1024, 'maxBatchBytes');
    const interval = options.flushIntervalMs ?? 1000;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new TypeError('flushIntervalMs must be a number >= 0');
    }
    this.#flushIntervalMs = interval;
  }

  /** Events queued, in flight, or waiting for room. */
  get pending(): number {
    return this.#queue.length + this.#inFlight + this.#waiting.length;
  }

  /** True when add() would queue at once. */
  get hasRoom(): boolean {
    return this.#waiting.length === 0 && this.#queue.length + this.#inFlight < this.#maxQueue;
  }

  /**
   * Queues one event; resolves with the stored event once its batch is
   * committed, or rejects with its error ({@link LogproofApiError},
   * `LogproofNetworkError`). When the sender is full the event waits, in
   * order, until there is room. Handle the rejection, even when not awaiting.
   *
   * @example
   * ```ts
   * const stored = await sender.add({ action: 'user.login', actor: { id: 'u1' } });
   * ```
   */
  add(
    input: EventInput | BatchItem,
    options: { idempotencyKey?: string } = {},
  ): Promise<StoredEvent> {
    if (this.#closed) return Promise.reject(new Error('the BatchSender is closed'));
    const given = (input as BatchItem).idempotency_key;
    const item: BatchItem = {
      ...input,
      idempotency_key: given ?? options.idempotencyKey ?? generateIdempotencyKey(),
    };
    return new Promise<StoredEvent>((resolve, reject) => {
      const bytes = encoder.encode(JSON.stringify(item)).length + 1;
      const entry: Entry = { item, bytes, resolve, reject };
      if (this.hasRoom) this.#enqueue(entry);
      else this.#waiting.push(entry);
    });
  }

  /**
   * Resolves when add() would queue at once: the way for a producer that
   * does not await each add() to respect back-pressure.
   *
   * @example
   * ```ts
   * await sender.waitForRoom();
   * void sender.add(event).catch(report);
   * ```
   */
  waitForRoom(): Promise<void> {
    if (this.hasRoom) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /**
   * Sends everything queued now, without waiting for the timer; resolves
   * when each of those events is stored or rejected.
   *
   * @example
   * ```ts
   * await sender.flush();
   * ```
   */
  async flush(): Promise<void> {
    this.#flushRequested = true;
    this.#kick();
    while (this.#loop !== null) await this.#loop;
  }

  /**
   * Stops accepting events, sends every one still queued or waiting, and
   * resolves once each is stored or rejected. Calling it again returns the
   * same promise.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => void sender.close().then(() => process.exit(0)));
   * ```
   */
  close(): Promise<BatchSenderStats> {
    this.#closed = true;
    this.#closing ??= this.flush().then(() => {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      return { ...this.#stats };
    });
    return this.#closing;
  }

  #enqueue(entry: Entry): void {
    this.#queue.push(entry);
    this.#queuedBytes += entry.bytes;
    if (this.#fullBatchReady()) this.#kick();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flushRequested = true;
        this.#kick();
      }, this.#flushIntervalMs);
    }
  }

  #fullBatchReady(): boolean {
    return (
      this.#queue.length >= this.#sizeCap ||
      this.#queuedBytes + ENVELOPE_BYTES >= this.#maxBatchBytes
    );
  }

  #kick(): void {
    if (this.#loop !== null) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = null;
      // Events may have arrived after the loop's last look.
      if (this.#queue.length > 0 && (this.#flushRequested || this.#fullBatchReady())) this.#kick();
    });
  }

  async #run(): Promise<void> {
    for (;;) {
      this.#admitWaiting();
      if (this.#queue.length === 0) {
        this.#flushRequested = false;
        clearTimeout(this.#timer);
        this.#timer = undefined;
        return;
      }
      if (!this.#flushRequested && !this.#fullBatchReady()) return;
      const batch = this.#takeBatch();
      this.#inFlight += batch.length;
      try {
        await this.#sendBatch(batch);
      } finally {
        this.#inFlight -= batch.length;
      }
    }
  }

  #takeBatch(): Entry[] {
    let bytes = ENVELOPE_BYTES;
    let count = 0;
    for (const entry of this.#queue) {
      if (count >= this.#sizeCap) break;
      if (count > 0 && bytes + entry.bytes > this.#maxBatchBytes) break;
      bytes += entry.bytes;
      count++;
    }
    const batch = this.#queue.splice(0, count);
    for (const entry of batch) this.#queuedBytes -= entry.bytes;
    return batch;
  }

  /** Puts events back at the head of the queue, in their order. */
  #requeue(entries: Entry[]): void {
    this.#queue.unshift(...entries);
    for (const entry of entries) this.#queuedBytes += entry.bytes;
  }

  async #sendBatch(batch: Entry[]): Promise<void> {
    let stored: StoredEvent[];
    try {
      stored = await this.#send(batch.map((e) => e.item));
    } catch (error) {
      this.#handleFailure(batch, error);
      return;
    }
    batch.forEach((entry, i) => {
      const event = stored[i];
      if (event === undefined) {
        this.#stats.failed++;
        entry.reject(new Error('the batch answer holds fewer events than were sent'));
      } else {
        this.#stats.sent++;
        entry.resolve(event);
      }
    });
  }

  #handleFailure(batch: Entry[], error: unknown): void {
    if (error instanceof LogproofApiError && batch.length > 1) {
      if (error.status === 413) {
        // The server's body limit is lower than maxBatchBytes: halve and resend.
        this.#sizeCap = Math.max(1, Math.floor(batch.length / 2));
        this.#requeue(batch);
        return;
      }
      // All-or-nothing (API.md): nothing was stored. Reject only the events the
      // problem names and resend the others, keeping their idempotency keys.
      const named = new Set<number>();
      for (const e of error.problem.errors) {
        const index = itemIndex(e.path);
        if (index !== undefined && index < batch.length) named.add(index);
      }
      if (
        error.status >= 400 &&
        error.status < 500 &&
        named.size > 0 &&
        named.size < batch.length
      ) {
        const retry: Entry[] = [];
        batch.forEach((entry, i) => {
          if (named.has(i)) {
            this.#stats.failed++;
            entry.reject(itemError(error, i));
          } else {
            retry.push(entry);
          }
        });
        this.#requeue(retry);
        return;
      }
    }
    for (const entry of batch) {
      this.#stats.failed++;
      entry.reject(error);
    }
  }

  #admitWaiting(): void {
    while (this.#waiting.length > 0 && this.#queue.length + this.#inFlight < this.#maxQueue) {
      this.#enqueue(this.#waiting.shift()!);
    }
    while (this.#roomWaiters.length > 0 && this.hasRoom) this.#roomWaiters.shift()!();
  }
}
