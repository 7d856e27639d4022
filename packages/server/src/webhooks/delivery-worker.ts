import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/store.js';
import type { WebhookRecord } from '../store/webhook-port.js';
import { WebhookDelivery, type DeliveryTuning } from './webhook-delivery.js';
import type { RetrySchedule } from './schedule.js';
import type { WebhookSecrets } from './webhook-secrets.js';
import type { WebhookSender } from './webhook-sender.js';

/** What the worker logs to (pino's logger fits). */
export interface WorkerLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

const silent: WorkerLogger = { info() {}, warn() {}, error() {} };

/** Polls at most this often, however many commits wake the worker. */
const MIN_POLL_SPACING_MS = 20;
/** After a failed poll (database unreachable), the next one waits this long. */
const POLL_ERROR_PAUSE_MS = 5_000;

export interface DeliveryWorkerOptions extends Partial<DeliveryTuning> {
  readonly store: Store;
  readonly secrets: WebhookSecrets;
  readonly sender: WebhookSender;
  readonly schedule: RetrySchedule;
  readonly clock?: () => number;
  /** This worker's name in leases; unique per process. */
  readonly owner?: string;
  /** Time between polls for due work (commits in this process wake it at once). */
  readonly pollIntervalMs?: number;
  /** Webhooks delivered at once by this process. */
  readonly maxConcurrent?: number;
}

/**
 * The delivery engine (API.md "Webhooks (streams)"). It polls the store for
 * webhooks with due work and leases each one (a row lock in the database, so
 * that no two workers, in this process or another, ever deliver to one
 * webhook at once), then delivers it in a WebhookDelivery task: each org's
 * events in chain order from the durable cursor, one at a time.
 */
export class DeliveryWorker {
  readonly owner: string;
  readonly #o: DeliveryWorkerOptions;
  readonly #tuning: DeliveryTuning;
  readonly #clock: () => number;
  readonly #tasks = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  #logger: WorkerLogger = silent;
  #loop: Promise<void> | null = null;
  #wake: AbortController | null = null;
  #woken = false;

  constructor(options: DeliveryWorkerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
    this.#tuning = {
      leaseMs: options.leaseMs ?? 30_000,
      sliceMs: options.sliceMs ?? 10_000,
      holdMs: options.holdMs ?? 1_000,
      // A crash re-sends at most what was delivered since the last save.
      flushEvery: options.flushEvery ?? 1_000,
      flushIntervalMs: options.flushIntervalMs ?? 250,
      orgBudget: options.orgBudget ?? 500,
      orgConcurrency: options.orgConcurrency ?? 8,
    };
  }

  /** Starts polling; deliveries log to `logger`. */
  start(logger: WorkerLogger = silent): void {
    if (this.#loop) return;
    this.#logger = logger;
    this.#loop = this.#pollLoop();
  }

  /** Polls now (new events were committed in this process). */
  notify(): void {
    this.#woken = true;
    this.#wake?.abort();
  }

  /**
   * Stops: no new leases; attempts in flight are cut short (and not counted:
   * the event will be sent again); every task saves its cursors and gives up
   * its lease before this resolves.
   */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.notify();
    await this.#loop;
    await Promise.allSettled(this.#tasks.values());
  }

  /** Webhooks this process is delivering right now. */
  get active(): number {
    return this.#tasks.size;
  }

  async #pollLoop(): Promise<void> {
    const interval = this.#o.pollIntervalMs ?? 250;
    while (!this.#abort.signal.aborted) {
      this.#woken = false;
      let pause = interval;
      try {
        await this.#claim();
      } catch (error) {
        this.#logger.warn({ err: error }, 'webhooks: could not look for due deliveries');
        pause = POLL_ERROR_PAUSE_MS;
      }
      await sleep(MIN_POLL_SPACING_MS);
      if ((this.#woken && pause === interval) || this.#abort.signal.aborted) continue;
      this.#wake = new AbortController();
      try {
        await sleep(pause, undefined, { signal: this.#wake.signal });
      } catch {
        // Woken early.
      }
      this.#wake = null;
    }
  }

  async #claim(): Promise<void> {
    const free = (this.#o.maxConcurrent ?? 8) - this.#tasks.size;
    if (free <= 0) return;
    const now = this.#clock();
    const claimed = await this.#o.store.claimWebhooks(this.owner, now, this.#tuning.leaseMs, free);
    for (const webhook of claimed) {
      // Its lease ran out under a task of ours that is still running (stalled
      // past the lease): that task holds it again now; never start a second.
      if (this.#tasks.has(webhook.id)) continue;
      const task = this.#deliver(webhook, now).finally(() => {
        this.#tasks.delete(webhook.id);
        if (!this.#abort.signal.aborted) this.notify();
      });
      this.#tasks.set(webhook.id, task);
    }
  }

  async #deliver(webhook: WebhookRecord, leasedAt: number): Promise<void> {
    const delivery = new WebhookDelivery({
      store: this.#o.store,
      secrets: this.#o.secrets,
      sender: this.#o.sender,
      schedule: this.#o.schedule,
      clock: this.#clock,
      logger: this.#logger,
      owner: this.owner,
      signal: this.#abort.signal,
      tuning: this.#tuning,
      webhook,
      leasedAt,
    });
    try {
      await delivery.run();
    } catch (error) {
      // The lease is left to expire (not released): a webhook that fails
      // like this (database down, a secret that does not open) is not
      // retried in a tight loop.
      this.#logger.error({ err: error, webhook: webhook.id }, 'webhooks: delivery task failed');
      return;
    }
    try {
      await this.#o.store.releaseWebhookLease(webhook.id, this.owner);
    } catch (error) {
      this.#logger.warn({ err: error, webhook: webhook.id }, 'webhooks: could not release a lease');
    }
  }
}
