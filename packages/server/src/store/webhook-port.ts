// Webhook streams (API.md "Webhooks (streams)"): destinations, one durable
// delivery cursor per (webhook, org), a lease per webhook, attempt history.
// Times are milliseconds since the epoch on the caller's clock: processes
// that share a database MUST keep their clocks within a small fraction of the
// lease time of each other (NTP), since leases compare them.

/** Why a webhook stopped: by request, on a 410 Gone, or after failing for too long. */
export type WebhookDisabledReason = 'manual' | 'gone' | 'failing';

/** One destination, as stored. Its secrets are sealed under the master key, never plain. */
export interface WebhookRecord {
  readonly id: string;
  readonly projectId: string;
  readonly url: string;
  readonly description: string;
  /** The one org it covers, or null for every org of the project, present and future. */
  readonly orgId: string | null;
  /** Action patterns (`user.login`, `user.*`); null for every action. */
  readonly actions: readonly string[] | null;
  readonly enabled: boolean;
  /** Set when `enabled` is false. */
  readonly disabledReason: WebhookDisabledReason | null;
  readonly sealedSecret: Uint8Array;
  /** The secret before the last rotation, still signed with until `previousSecretExpiresAt`. */
  readonly sealedPreviousSecret: Uint8Array | null;
  readonly previousSecretExpiresAt: number | null;
  /** Bumped by every change made through the API, so a delivering worker notices one. */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  // Health, written by the worker holding the lease.
  readonly consecutiveFailures: number;
  /** Start of the current run of failures; null after a success. */
  readonly failingSince: number | null;
  readonly lastSuccessAt: number | null;
  readonly lastFailureAt: number | null;
}

/** What the API may change on a webhook; absent members are left alone. */
export interface WebhookPatch {
  readonly url?: string;
  readonly description?: string;
  readonly actions?: readonly string[] | null;
  readonly enabled?: boolean;
}

/** The delivery position of one webhook in one org's log. */
export interface WebhookCursor {
  readonly webhookId: string;
  readonly orgId: string;
  /** The chain_index of the next event to deliver (or to pass over, when it does not match). */
  readonly nextIndex: number;
  /** Failed attempts at the event at `nextIndex` so far. */
  readonly attempt: number;
  /** Not before this time (back-off); 0 when due at once. */
  readonly nextAttemptAt: number;
  /** The org's current log size: the cursor has work while `nextIndex < treeSize`. */
  readonly treeSize: number;
}

/** One delivery attempt, for GET /v1/webhooks/{id}/deliveries. */
export interface DeliveryAttemptRecord {
  readonly webhookId: string;
  /** Null for a test send. */
  readonly orgId: string | null;
  readonly eventId: string | null;
  readonly chainIndex: number | null;
  /** The `webhook-id` header sent: the same on every attempt at one event. */
  readonly messageId: string;
  /** 1 for the first attempt at an event. */
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly attemptedAt: number;
  /** When the next attempt is due after a failure; null after a success or when disabled. */
  readonly nextRetryAt: number | null;
}

/** What a lease holder writes back: cursor moves, attempts, health. */
export interface DeliveryProgress {
  readonly webhookId: string;
  readonly owner: string;
  readonly now: number;
  /** The lease is extended to `now + leaseMs`. */
  readonly leaseMs: number;
  /** The webhook version the holder delivers with (see `WebhookRecord.version`). */
  readonly version: number;
  readonly cursors: ReadonlyArray<{
    readonly orgId: string;
    readonly nextIndex: number;
    readonly attempt: number;
    readonly nextAttemptAt: number;
  }>;
  readonly attempts: readonly DeliveryAttemptRecord[];
  /** Health after these attempts; written only while `version` is current. */
  readonly health?: {
    readonly consecutiveFailures: number;
    readonly failingSince: number | null;
    readonly lastSuccessAt: number | null;
    readonly lastFailureAt: number | null;
  };
  /** Disables the webhook (410 Gone, or failing too long); only while `version` is current. */
  readonly disable?: WebhookDisabledReason;
}

/** The webhook as a lease holder must see it after saving progress. */
export interface ProgressOutcome {
  /** False when the lease was lost (expired and taken, or the webhook deleted): nothing was written. */
  readonly held: boolean;
  /** The webhook's version and state now (meaningful when `held`). */
  readonly version: number;
  readonly enabled: boolean;
}

/** How many recent attempts a store keeps per webhook, at least. */
export const KEPT_ATTEMPTS_PER_WEBHOOK = 200;

/**
 * Webhook destinations, their delivery cursors, leases and attempt history.
 * Implemented in stores/<kind>/webhooks.ts; the adapters delegate to it, and
 * both pass test/store-webhooks-contract.ts.
 *
 * The cursor is the whole delivery state: there is no queue row per event to
 * lose. It only ever moves forward, and only its lease holder moves it.
 */
export interface WebhookStore {
  /**
   * Inserts the webhook and, in the same transaction, a cursor for every org
   * it covers that exists now, at that org's current log size: it delivers
   * events recorded from now on. Orgs created later get cursors at 0 (see
   * `pendingCursors`).
   */
  insertWebhook(webhook: WebhookRecord): Promise<void>;

  /** The webhook, or null when it is not in the project. */
  getWebhook(projectId: string, id: string): Promise<WebhookRecord | null>;

  /** The project's webhooks, ascending by id, after `afterId`. */
  listWebhooks(
    projectId: string,
    options: { limit: number; afterId?: string },
  ): Promise<WebhookRecord[]>;

  /**
   * Applies the patch, bumps the version and `updatedAt`. Disabling sets
   * reason `manual`. Enabling a disabled webhook clears its reason and
   * failure run and makes every cursor due at once (attempt 0): it resumes
   * from where its cursors stand. Null when not in the project.
   */
  updateWebhook(
    projectId: string,
    id: string,
    patch: WebhookPatch,
    at: number,
  ): Promise<WebhookRecord | null>;

  /**
   * In one statement: the current sealed secret becomes the previous one
   * (valid until `previousExpiresAt`) and `sealedSecret` the current one;
   * bumps the version. Null when not in the project.
   */
  rotateWebhookSecret(
    projectId: string,
    id: string,
    sealedSecret: Uint8Array,
    previousExpiresAt: number,
    at: number,
  ): Promise<WebhookRecord | null>;

  /** Deletes the webhook with its cursors and attempts; false when not in the project. */
  deleteWebhook(projectId: string, id: string): Promise<boolean>;

  /** Events of the covered orgs the cursors have not passed yet (orgs without a cursor count whole). */
  webhookLag(webhookId: string): Promise<number>;

  /** The most recent attempts, newest first. */
  listDeliveryAttempts(webhookId: string, limit: number): Promise<DeliveryAttemptRecord[]>;

  /** Records attempts made without the lease (test sends). */
  insertDeliveryAttempts(attempts: readonly DeliveryAttemptRecord[]): Promise<void>;

  /**
   * Leases up to `limit` enabled webhooks that nobody holds (or whose lease
   * expired before `now`) and that have work due: a cursor behind its org's
   * log with `nextAttemptAt <= now`, or, for an every-org webhook, an org
   * with events and no cursor yet. Each is leased to `owner` until
   * `now + leaseMs`. MUST NOT lease one webhook to two owners whose leases
   * overlap, whatever the number of processes.
   */
  claimWebhooks(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<WebhookRecord[]>;

  /**
   * Creates the missing cursors of an every-org webhook (at 0: the org came
   * after the webhook), then returns the webhook's cursors that are behind
   * their org's log, due or not, by org id.
   */
  pendingCursors(webhookId: string): Promise<WebhookCursor[]>;

  /**
   * In ONE transaction, only while `owner` holds the lease: extends it, moves
   * cursors forward (never back: a smaller `nextIndex` is ignored), inserts
   * the attempts (keeping at least KEPT_ATTEMPTS_PER_WEBHOOK per webhook),
   * and, while `version` is still the webhook's, writes the cursors' attempt
   * counts, the health and a disable. A lost lease writes nothing.
   */
  saveDeliveryProgress(progress: DeliveryProgress): Promise<ProgressOutcome>;

  /** Gives the lease up (only `owner`'s): the next claim may take the webhook at once. */
  releaseWebhookLease(webhookId: string, owner: string): Promise<void>;
}
