import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/store.js';
import {
  KEPT_ATTEMPTS_PER_WEBHOOK,
  type DeliveryAttemptRecord,
  type WebhookCursor,
  type WebhookDisabledReason,
  type WebhookRecord,
} from '../store/webhook-port.js';
import type { RetrySchedule } from './schedule.js';
import { webhookHeaders } from './signer.js';
import { matchesActions, parseEventRow } from './webhook-message.js';
import type { WebhookSecrets } from './webhook-secrets.js';
import type { SendResult, WebhookSender } from './webhook-sender.js';
import type { WorkerLogger } from './delivery-worker.js';

/** Timings of a delivery task; the worker's defaults are in DeliveryWorker. */
export interface DeliveryTuning {
  /** Lease length; renewed while delivering. */
  readonly leaseMs: number;
  /** A task gives its lease up after this long, so that other webhooks get their turn. */
  readonly sliceMs: number;
  /** A retry due within this is waited for with the lease held, rather than left to the next poll. */
  readonly holdMs: number;
  /** Cursor moves and attempts are saved after this many attempts... */
  readonly flushEvery: number;
  /** ...or this long, whichever comes first (and always after a failure). */
  readonly flushIntervalMs: number;
  /** Events delivered from one org before the task moves on to the next. */
  readonly orgBudget: number;
  /** Orgs of one webhook delivered at once (each org's events still one at a time, in order). */
  readonly orgConcurrency: number;
}

interface CursorState {
  readonly nextIndex: number;
  readonly attempt: number;
  readonly nextAttemptAt: number;
}

interface Health {
  consecutiveFailures: number;
  failingSince: number | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
}

const SCAN_PAGE = 100;
/**
 * An attempt starts only while the lease has at least the send timeout plus
 * this left (for clock differences between workers and the save after it).
 */
const LEASE_MARGIN_MS = 1_000;

export interface WebhookDeliveryOptions {
  readonly store: Store;
  readonly secrets: WebhookSecrets;
  readonly sender: WebhookSender;
  readonly schedule: RetrySchedule;
  readonly clock: () => number;
  readonly logger: WorkerLogger;
  readonly owner: string;
  readonly signal: AbortSignal;
  readonly tuning: DeliveryTuning;
  readonly webhook: WebhookRecord;
  readonly leasedAt: number;
}

function healthOf(w: WebhookRecord): Health {
  return {
    consecutiveFailures: w.consecutiveFailures,
    failingSince: w.failingSince,
    lastSuccessAt: w.lastSuccessAt,
    lastFailureAt: w.lastFailureAt,
  };
}

/**
 * One lease's worth of delivering to one webhook. For each org it covers,
 * from the cursor: the next event is POSTed, and only after a 2xx does the
 * cursor pass it, so events go out in chain order and at least once. A
 * failure stops that org until its back-off is over (head-of-line: order
 * before throughput). Cursor moves are saved in batches (and after every
 * failure); a crash re-sends at most the unsaved ones, with the same
 * `webhook-id`.
 */
export class WebhookDelivery {
  readonly #o: WebhookDeliveryOptions;
  #webhook: WebhookRecord;
  #health: Health;
  #healthDirty = false;
  #disable: WebhookDisabledReason | undefined;
  /** The latest position of every cursor this task touched, saved or not. */
  readonly #known = new Map<string, CursorState>();
  readonly #dirty = new Set<string>();
  #attempts: DeliveryAttemptRecord[] = [];
  /** Attempts since the last save (the buffer keeps only the newest of them). */
  #sinceFlush = 0;
  #secrets: { version: number; until: number; secrets: readonly Uint8Array[] } | undefined;
  #leaseUntil: number;
  #lastFlush: number;
  readonly #startedAt: number;
  /** Lease lost, webhook disabled or deleted: stop, write nothing more. */
  #done = false;
  #leaseLost = false;
  /** The save in progress: saves never overlap (orgs deliver concurrently). */
  #saving: Promise<void> | null = null;

  constructor(options: WebhookDeliveryOptions) {
    this.#o = options;
    this.#webhook = options.webhook;
    this.#health = healthOf(options.webhook);
    this.#leaseUntil = options.leasedAt + options.tuning.leaseMs;
    this.#startedAt = options.clock();
    this.#lastFlush = this.#startedAt;
  }

  get #stopping(): boolean {
    return this.#done || this.#o.signal.aborted;
  }

  #sliceOver(): boolean {
    return this.#o.clock() - this.#startedAt >= this.#o.tuning.sliceMs;
  }

  /** Delivers until nothing is due (or the slice is over), then saves what it did. */
  async run(): Promise<void> {
    try {
      await this.#rounds();
    } finally {
      // Graceful shutdown and lease hand-over alike: the cursors are saved
      // before the lease goes (API.md "Operations": flush deliveries' cursors).
      if (!this.#leaseLost && this.#hasUnsaved()) await this.#flush();
    }
  }

  async #rounds(): Promise<void> {
    const { store, clock, tuning } = this.#o;
    while (!this.#stopping && !this.#sliceOver()) {
      const cursors = await store.pendingCursors(this.#webhook.id);
      const now = clock();
      const behind = cursors
        .map((c) => ({ cursor: c, state: this.#merge(c) }))
        .filter((x) => x.state.nextIndex < x.cursor.treeSize);
      const due = behind.filter((x) => x.state.nextAttemptAt <= now);
      if (due.length === 0) {
        const next = Math.min(...behind.map((x) => x.state.nextAttemptAt));
        if (behind.length === 0 || next - now > tuning.holdMs) return;
        if (this.#hasUnsaved()) await this.#flush();
        try {
          await sleep(next - now, undefined, { signal: this.#o.signal });
        } catch {
          return;
        }
        continue;
      }
      // Orgs are independent streams (order is per org): several at once.
      const queue = due.map((x) => x.cursor.orgId);
      const lanes = Math.min(tuning.orgConcurrency, queue.length);
      await Promise.all(
        Array.from({ length: lanes }, async () => {
          for (
            let org = queue.shift();
            org !== undefined && !this.#stopping && !this.#sliceOver();
            org = queue.shift()
          ) {
            await this.#deliverOrg(org);
          }
        }),
      );
    }
  }

  /** The cursor as this task last left it, unless the database is ahead (it then knows better). */
  #merge(c: WebhookCursor): CursorState {
    const known = this.#known.get(c.orgId);
    if (known && known.nextIndex >= c.nextIndex) return known;
    const state = { nextIndex: c.nextIndex, attempt: c.attempt, nextAttemptAt: c.nextAttemptAt };
    this.#known.set(c.orgId, state);
    return state;
  }

  #move(orgId: string, state: CursorState): void {
    this.#known.set(orgId, state);
    this.#dirty.add(orgId);
  }

  async #deliverOrg(orgId: string): Promise<void> {
    const { store, tuning } = this.#o;
    let budget = tuning.orgBudget;
    while (budget > 0 && !this.#stopping) {
      // Absent after a reload: the next round starts from the saved cursor.
      const start = this.#known.get(orgId);
      if (!start) return;
      const rows = await store.scanLog(orgId, start.nextIndex, SCAN_PAGE, { signatures: true });
      if (rows.length === 0) return;
      for (const row of rows) {
        const state = this.#known.get(orgId);
        if (!state) return;
        if (row.chainIndex !== state.nextIndex) {
          // A row missing from the log (PROOFS.md §1: positions are dense):
          // never skip it silently; the self-audit names it.
          this.#o.logger.error(
            { webhook: this.#webhook.id, org: orgId, chain_index: state.nextIndex },
            'webhooks: an event is missing from the org log; delivery of this org is held',
          );
          this.#move(orgId, {
            ...state,
            nextAttemptAt: this.#o.clock() + this.#o.schedule.stepMs(2),
          });
          return;
        }
        budget--;
        const event = parseEventRow(row);
        if (!matchesActions(event.action, this.#webhook.actions)) {
          this.#move(orgId, { nextIndex: state.nextIndex + 1, attempt: 0, nextAttemptAt: 0 });
          if (budget <= 0) return;
          continue;
        }
        if (!(await this.#holdLease())) return;
        const body = event.body();
        const result = await this.#send(row.id, body);
        if (result.aborted) return;
        const failed = !this.#record(orgId, row.id, row.chainIndex, state, result);
        if (failed) {
          await this.#flush();
          return;
        }
        await this.#maybeFlush();
        if (this.#stopping || budget <= 0) return;
      }
    }
  }

  /** The signing secrets, opened once per webhook version (and again when the previous one expires). */
  #secretsFor(now: number): readonly Uint8Array[] {
    const cached = this.#secrets;
    if (cached && cached.version === this.#webhook.version && now < cached.until)
      return cached.secrets;
    const secrets = this.#o.secrets.signingSecrets(this.#webhook, now);
    const expires = this.#webhook.previousSecretExpiresAt;
    this.#secrets = {
      version: this.#webhook.version,
      until: secrets.length > 1 && expires !== null ? expires : Infinity,
      secrets,
    };
    return secrets;
  }

  async #send(messageId: string, body: string): Promise<SendResult> {
    const now = this.#o.clock();
    const secrets = this.#secretsFor(now);
    const headers = webhookHeaders(secrets, messageId, Math.floor(now / 1000), body);
    return this.#o.sender.send(this.#webhook.url, headers, body, this.#o.signal);
  }

  /** Books one attempt: cursor, health, history. True when it succeeded. */
  #record(
    orgId: string,
    eventId: string,
    chainIndex: number,
    state: CursorState,
    result: SendResult,
  ): boolean {
    const at = this.#o.clock();
    const h = this.#health;
    this.#sinceFlush++;
    this.#healthDirty = true;
    let nextRetryAt: number | null = null;
    if (result.ok) {
      h.consecutiveFailures = 0;
      h.failingSince = null;
      h.lastSuccessAt = at;
      this.#move(orgId, { nextIndex: state.nextIndex + 1, attempt: 0, nextAttemptAt: 0 });
    } else {
      h.consecutiveFailures += 1;
      h.failingSince ??= at;
      h.lastFailureAt = at;
      nextRetryAt = this.#nextRetry(state.attempt + 1, result, h.failingSince, at);
      this.#move(orgId, {
        nextIndex: state.nextIndex,
        attempt: state.attempt + 1,
        nextAttemptAt: nextRetryAt ?? at,
      });
    }
    // Only the newest ones are kept in the database: never buffer more.
    if (this.#attempts.length >= KEPT_ATTEMPTS_PER_WEBHOOK) this.#attempts.shift();
    this.#attempts.push({
      webhookId: this.#webhook.id,
      orgId,
      eventId,
      chainIndex,
      messageId: eventId,
      attempt: state.attempt + 1,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: result.durationMs,
      attemptedAt: at,
      nextRetryAt,
    });
    return result.ok;
  }

  /** When to try again after a failure, or null when the webhook is disabled by it. */
  #nextRetry(
    failures: number,
    result: SendResult,
    failingSince: number,
    at: number,
  ): number | null {
    const { schedule, logger } = this.#o;
    if (result.statusCode === 410) {
      // 410 Gone: the receiver says the endpoint no longer exists.
      this.#disable = 'gone';
    } else if (schedule.givesUp(failingSince, at)) {
      this.#disable = 'failing';
    }
    if (this.#disable) {
      logger.warn(
        { webhook: this.#webhook.id, reason: this.#disable, error: result.error },
        `webhooks: disabled ${this.#webhook.id} (${this.#disable})`,
      );
      return null;
    }
    const delay =
      result.retryAfterMs === null
        ? schedule.delayMs(failures)
        : schedule.retryAfterDelayMs(result.retryAfterMs);
    return at + delay;
  }

  #hasUnsaved(): boolean {
    return (
      this.#dirty.size > 0 ||
      this.#attempts.length > 0 ||
      this.#healthDirty ||
      this.#disable !== undefined
    );
  }

  /** The lease must outlast the attempt about to start, with a margin; renewed (by a save) when not. */
  async #holdLease(): Promise<boolean> {
    const left = this.#leaseUntil - this.#o.clock();
    if (left < this.#o.sender.timeoutMs + LEASE_MARGIN_MS) await this.#flush();
    return !this.#stopping;
  }

  async #maybeFlush(): Promise<void> {
    const { tuning, clock } = this.#o;
    if (
      this.#sinceFlush >= tuning.flushEvery ||
      clock() - this.#lastFlush >= tuning.flushIntervalMs
    ) {
      await this.#flush();
    }
  }

  /** Saves cursors, attempts and health in one transaction, renewing the lease; saves never overlap. */
  async #flush(): Promise<void> {
    while (this.#saving) await this.#saving;
    if (this.#leaseLost) return;
    this.#saving = this.#save();
    try {
      await this.#saving;
    } finally {
      this.#saving = null;
    }
  }

  async #save(): Promise<void> {
    const { store, clock, tuning, owner, logger } = this.#o;
    const now = clock();
    // A snapshot: orgs still delivering meanwhile mark what they change dirty again.
    const cursors = [...this.#dirty].map((orgId) => ({ orgId, ...this.#known.get(orgId)! }));
    const attempts = this.#attempts;
    const health = this.#healthDirty ? { ...this.#health } : undefined;
    const disable = this.#disable;
    this.#dirty.clear();
    this.#attempts = [];
    this.#sinceFlush = 0;
    this.#healthDirty = false;
    this.#disable = undefined;
    const outcome = await store.saveDeliveryProgress({
      webhookId: this.#webhook.id,
      owner,
      now,
      leaseMs: tuning.leaseMs,
      version: this.#webhook.version,
      cursors,
      attempts,
      ...(health ? { health } : {}),
      ...(disable ? { disable } : {}),
    });
    this.#lastFlush = now;
    if (!outcome.held) {
      // Another worker has it now and starts from the saved cursors: what was
      // not saved will be sent again (at least once, never concurrently).
      logger.warn({ webhook: this.#webhook.id }, 'webhooks: lease lost; stopping this delivery');
      this.#leaseLost = true;
      this.#done = true;
      return;
    }
    this.#leaseUntil = now + tuning.leaseMs;
    if (!outcome.enabled) {
      this.#done = true;
      return;
    }
    if (outcome.version !== this.#webhook.version) await this.#reload();
  }

  /** The webhook was changed through the API meanwhile: continue with what it is now. */
  async #reload(): Promise<void> {
    const fresh = await this.#o.store.getWebhook(this.#webhook.projectId, this.#webhook.id);
    if (!fresh || !fresh.enabled) {
      this.#done = true;
      return;
    }
    this.#webhook = fresh;
    this.#health = healthOf(fresh);
    this.#disable = undefined;
    // The update may have made the cursors due again; every move is saved, so
    // the database has the positions.
    this.#known.clear();
  }
}
