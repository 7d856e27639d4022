import type Database from 'better-sqlite3';
import {
  KEPT_ATTEMPTS_PER_WEBHOOK,
  type DeliveryAttemptRecord,
  type DeliveryProgress,
  type ProgressOutcome,
  type WebhookCursor,
  type WebhookDisabledReason,
  type WebhookPatch,
  type WebhookRecord,
  type WebhookStore,
} from '../../store/webhook-port.js';
import { applyWebhookPatch } from '../../store/webhook-patch.js';

type Row = Record<string, unknown>;

function toWebhook(row: Row): WebhookRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    url: row.url as string,
    description: row.description as string,
    orgId: (row.org_id as string | null) ?? null,
    actions: row.actions === null ? null : (JSON.parse(row.actions as string) as string[]),
    enabled: Boolean(row.enabled),
    disabledReason: (row.disabled_reason as WebhookDisabledReason | null) ?? null,
    sealedSecret: row.sealed_secret as Uint8Array,
    sealedPreviousSecret: (row.sealed_previous_secret as Uint8Array | null) ?? null,
    previousSecretExpiresAt: (row.previous_secret_expires_at as number | null) ?? null,
    version: row.version as number,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    consecutiveFailures: row.consecutive_failures as number,
    failingSince: (row.failing_since as number | null) ?? null,
    lastSuccessAt: (row.last_success_at as number | null) ?? null,
    lastFailureAt: (row.last_failure_at as number | null) ?? null,
  };
}

function toAttempt(row: Row): DeliveryAttemptRecord {
  return {
    webhookId: row.webhook_id as string,
    orgId: (row.org_id as string | null) ?? null,
    eventId: (row.event_id as string | null) ?? null,
    chainIndex: (row.chain_index as number | null) ?? null,
    messageId: row.message_id as string,
    attempt: row.attempt as number,
    statusCode: (row.status_code as number | null) ?? null,
    error: (row.error as string | null) ?? null,
    durationMs: row.duration_ms as number,
    attemptedAt: row.attempted_at as number,
    nextRetryAt: (row.next_retry_at as number | null) ?? null,
  };
}

function toCursor(row: Row): WebhookCursor {
  return {
    webhookId: row.webhook_id as string,
    orgId: row.org_id as string,
    nextIndex: row.next_index as number,
    attempt: row.attempt as number,
    nextAttemptAt: row.next_attempt_at as number,
    treeSize: row.tree_size as number,
  };
}

// Work a webhook has due: a cursor behind its org's log and past its back-off,
// or (every-org webhooks) an org with events that has no cursor yet.
const HAS_DUE_WORK = `(
  EXISTS (SELECT 1 FROM webhook_cursors c JOIN orgs o ON o.id = c.org_id
          WHERE c.webhook_id = w.id AND c.next_index < o.tree_size AND c.next_attempt_at <= @now)
  OR (w.org_id IS NULL AND EXISTS (
        SELECT 1 FROM orgs o WHERE o.project_id = w.project_id AND o.tree_size > 0
          AND NOT EXISTS (SELECT 1 FROM webhook_cursors c WHERE c.webhook_id = w.id AND c.org_id = o.id))))`;

function prepare(db: Database.Database) {
  return {
    insert: db.prepare(
      `INSERT INTO webhooks (id, project_id, url, description, org_id, actions, enabled, disabled_reason,
         sealed_secret, sealed_previous_secret, previous_secret_expires_at, version, created_at, updated_at,
         consecutive_failures, failing_since, last_success_at, last_failure_at, lease_owner, lease_expires_at)
       VALUES (@id, @projectId, @url, @description, @orgId, @actions, @enabled, @disabledReason,
         @sealedSecret, @sealedPreviousSecret, @previousSecretExpiresAt, @version, @createdAt, @updatedAt,
         @consecutiveFailures, @failingSince, @lastSuccessAt, @lastFailureAt, NULL, NULL)`,
    ),
    insertCursorsAtHead: db.prepare(
      `INSERT INTO webhook_cursors (webhook_id, org_id, next_index, attempt, next_attempt_at)
       SELECT @id, o.id, o.tree_size, 0, 0 FROM orgs o
       WHERE o.project_id = @projectId AND (@orgId IS NULL OR o.id = @orgId)`,
    ),
    get: db.prepare('SELECT * FROM webhooks WHERE project_id = ? AND id = ?'),
    list: db.prepare('SELECT * FROM webhooks WHERE project_id = ? AND id > ? ORDER BY id LIMIT ?'),
    update: db.prepare(
      `UPDATE webhooks SET url = @url, description = @description, actions = @actions, enabled = @enabled,
         disabled_reason = @disabledReason, consecutive_failures = @consecutiveFailures,
         failing_since = @failingSince, version = version + 1, updated_at = @at
       WHERE id = @id`,
    ),
    makeCursorsDue: db.prepare(
      'UPDATE webhook_cursors SET attempt = 0, next_attempt_at = 0 WHERE webhook_id = ?',
    ),
    rotate: db.prepare(
      `UPDATE webhooks SET sealed_previous_secret = sealed_secret, previous_secret_expires_at = @expires,
         sealed_secret = @secret, version = version + 1, updated_at = @at
       WHERE project_id = @projectId AND id = @id RETURNING *`,
    ),
    delete: db.prepare('DELETE FROM webhooks WHERE project_id = ? AND id = ?'),
    lag: db.prepare(
      `SELECT coalesce(sum(max(o.tree_size - coalesce(c.next_index, 0), 0)), 0) AS lag
       FROM webhooks w JOIN orgs o ON o.project_id = w.project_id AND (w.org_id IS NULL OR o.id = w.org_id)
       LEFT JOIN webhook_cursors c ON c.webhook_id = w.id AND c.org_id = o.id
       WHERE w.id = ?`,
    ),
    listAttempts: db.prepare(
      'SELECT * FROM webhook_attempts WHERE webhook_id = ? ORDER BY id DESC LIMIT ?',
    ),
    insertAttempt: db.prepare(
      `INSERT INTO webhook_attempts (webhook_id, org_id, event_id, chain_index, message_id, attempt,
         status_code, error, duration_ms, attempted_at, next_retry_at)
       VALUES (@webhookId, @orgId, @eventId, @chainIndex, @messageId, @attempt,
         @statusCode, @error, @durationMs, @attemptedAt, @nextRetryAt)`,
    ),
    pruneAttempts: db.prepare(
      `DELETE FROM webhook_attempts WHERE webhook_id = @id AND id <= (
         SELECT id FROM webhook_attempts WHERE webhook_id = @id ORDER BY id DESC LIMIT 1 OFFSET @keep)`,
    ),
    claimable: db
      .prepare(
        `SELECT w.id FROM webhooks w
         WHERE w.enabled = 1 AND (w.lease_owner IS NULL OR w.lease_expires_at < @now) AND ${HAS_DUE_WORK}
         ORDER BY coalesce(w.lease_expires_at, 0), w.id LIMIT @limit`,
      )
      .pluck(),
    lease: db.prepare(
      `UPDATE webhooks SET lease_owner = @owner, lease_expires_at = @until
       WHERE id = @id AND enabled = 1 AND (lease_owner IS NULL OR lease_expires_at < @now) RETURNING *`,
    ),
    addMissingCursors: db.prepare(
      `INSERT OR IGNORE INTO webhook_cursors (webhook_id, org_id, next_index, attempt, next_attempt_at)
       SELECT w.id, o.id, 0, 0, 0 FROM webhooks w JOIN orgs o ON o.project_id = w.project_id
       WHERE w.id = ? AND w.org_id IS NULL
         AND NOT EXISTS (SELECT 1 FROM webhook_cursors c WHERE c.webhook_id = w.id AND c.org_id = o.id)`,
    ),
    pending: db.prepare(
      `SELECT c.*, o.tree_size FROM webhook_cursors c JOIN orgs o ON o.id = c.org_id
       WHERE c.webhook_id = ? AND c.next_index < o.tree_size ORDER BY c.org_id`,
    ),
    extendLease: db.prepare(
      `UPDATE webhooks SET lease_expires_at = @until WHERE id = @id AND lease_owner = @owner
       RETURNING version, enabled`,
    ),
    // SET expressions all read the row as it was: `next_index` on the right
    // is the old position, so attempt counts follow a cursor that moved.
    moveCursor: db.prepare(
      `UPDATE webhook_cursors SET
         attempt = CASE WHEN @nextIndex > next_index OR @current THEN @attempt ELSE attempt END,
         next_attempt_at = CASE WHEN @nextIndex > next_index OR @current THEN @nextAttemptAt ELSE next_attempt_at END,
         next_index = max(next_index, @nextIndex)
       WHERE webhook_id = @id AND org_id = @orgId`,
    ),
    writeHealth: db.prepare(
      `UPDATE webhooks SET consecutive_failures = @consecutiveFailures, failing_since = @failingSince,
         last_success_at = @lastSuccessAt, last_failure_at = @lastFailureAt WHERE id = @id`,
    ),
    disable: db.prepare(
      'UPDATE webhooks SET enabled = 0, disabled_reason = @reason, updated_at = @now WHERE id = @id',
    ),
    release: db.prepare(
      // lease_expires_at stays: claims serve the least recently leased first.
      'UPDATE webhooks SET lease_owner = NULL WHERE id = ? AND lease_owner = ?',
    ),
  };
}

function attemptParams(a: DeliveryAttemptRecord) {
  return { ...a, durationMs: Math.round(a.durationMs) };
}

/**
 * WebhookStore on the embedded SQLite database. Every multi-statement write
 * is one BEGIN IMMEDIATE transaction: SQLite's single write lock orders it
 * against every other writer, in this process and any other on the file.
 */
export class SqliteWebhooks implements WebhookStore {
  readonly #db: Database.Database;
  readonly #s: ReturnType<typeof prepare>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = prepare(db);
  }

  async insertWebhook(w: WebhookRecord): Promise<void> {
    this.#db
      .transaction(() => {
        this.#s.insert.run({
          ...w,
          actions: w.actions === null ? null : JSON.stringify(w.actions),
          enabled: w.enabled ? 1 : 0,
        });
        this.#s.insertCursorsAtHead.run({ id: w.id, projectId: w.projectId, orgId: w.orgId });
      })
      .immediate();
  }

  async getWebhook(projectId: string, id: string): Promise<WebhookRecord | null> {
    const row = this.#s.get.get(projectId, id) as Row | undefined;
    return row ? toWebhook(row) : null;
  }

  async listWebhooks(
    projectId: string,
    options: { limit: number; afterId?: string },
  ): Promise<WebhookRecord[]> {
    const rows = this.#s.list.all(projectId, options.afterId ?? '', options.limit) as Row[];
    return rows.map((r) => toWebhook(r));
  }

  async updateWebhook(
    projectId: string,
    id: string,
    patch: WebhookPatch,
    at: number,
  ): Promise<WebhookRecord | null> {
    return this.#db
      .transaction(() => {
        const row = this.#s.get.get(projectId, id) as Row | undefined;
        if (!row) return null;
        const before = toWebhook(row);
        const next = applyWebhookPatch(before, patch);
        this.#s.update.run({
          id,
          at,
          url: next.url,
          description: next.description,
          actions: next.actions === null ? null : JSON.stringify(next.actions),
          enabled: next.enabled ? 1 : 0,
          disabledReason: next.disabledReason,
          consecutiveFailures: next.consecutiveFailures,
          failingSince: next.failingSince,
        });
        if (next.retryNow) this.#s.makeCursorsDue.run(id);
        return toWebhook(this.#s.get.get(projectId, id) as Row);
      })
      .immediate();
  }

  async rotateWebhookSecret(
    projectId: string,
    id: string,
    sealedSecret: Uint8Array,
    previousExpiresAt: number,
    at: number,
  ): Promise<WebhookRecord | null> {
    const row = this.#s.rotate.get({
      projectId,
      id,
      secret: sealedSecret,
      expires: previousExpiresAt,
      at,
    }) as Row | undefined;
    return row ? toWebhook(row) : null;
  }

  async deleteWebhook(projectId: string, id: string): Promise<boolean> {
    return this.#s.delete.run(projectId, id).changes === 1;
  }

  async webhookLag(webhookId: string): Promise<number> {
    return (this.#s.lag.get(webhookId) as Row).lag as number;
  }

  async listDeliveryAttempts(webhookId: string, limit: number): Promise<DeliveryAttemptRecord[]> {
    return (this.#s.listAttempts.all(webhookId, limit) as Row[]).map(toAttempt);
  }

  async insertDeliveryAttempts(attempts: readonly DeliveryAttemptRecord[]): Promise<void> {
    if (attempts.length === 0) return;
    this.#db
      .transaction(() => {
        for (const a of attempts) this.#s.insertAttempt.run(attemptParams(a));
        for (const id of new Set(attempts.map((a) => a.webhookId))) {
          this.#s.pruneAttempts.run({ id, keep: KEPT_ATTEMPTS_PER_WEBHOOK });
        }
      })
      .immediate();
  }

  async claimWebhooks(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<WebhookRecord[]> {
    // A read first: most polls find nothing, and must not take the write lock for it.
    if ((this.#s.claimable.all({ now, limit }) as string[]).length === 0) return [];
    return this.#db
      .transaction(() => {
        const ids = this.#s.claimable.all({ now, limit }) as string[];
        const out: WebhookRecord[] = [];
        for (const id of ids) {
          const row = this.#s.lease.get({ id, owner, now, until: now + leaseMs }) as
            Row | undefined;
          if (row) out.push(toWebhook(row));
        }
        return out;
      })
      .immediate();
  }

  async pendingCursors(webhookId: string): Promise<WebhookCursor[]> {
    this.#s.addMissingCursors.run(webhookId);
    return (this.#s.pending.all(webhookId) as Row[]).map(toCursor);
  }

  async saveDeliveryProgress(p: DeliveryProgress): Promise<ProgressOutcome> {
    return this.#db
      .transaction((): ProgressOutcome => {
        const lease = this.#s.extendLease.get({
          id: p.webhookId,
          owner: p.owner,
          until: p.now + p.leaseMs,
        }) as Row | undefined;
        if (!lease) return { held: false, version: 0, enabled: false };
        const current = lease.version === p.version;
        for (const c of p.cursors) {
          this.#s.moveCursor.run({ ...c, id: p.webhookId, current: current ? 1 : 0 });
        }
        for (const a of p.attempts) this.#s.insertAttempt.run(attemptParams(a));
        if (p.attempts.length > 0)
          this.#s.pruneAttempts.run({ id: p.webhookId, keep: KEPT_ATTEMPTS_PER_WEBHOOK });
        if (current && p.health) this.#s.writeHealth.run({ ...p.health, id: p.webhookId });
        if (current && p.disable)
          this.#s.disable.run({ id: p.webhookId, reason: p.disable, now: p.now });
        return {
          held: true,
          version: lease.version as number,
          enabled: Boolean(lease.enabled) && !(current && p.disable),
        };
      })
      .immediate();
  }

  async releaseWebhookLease(webhookId: string, owner: string): Promise<void> {
    this.#s.release.run(webhookId, owner);
  }
}
