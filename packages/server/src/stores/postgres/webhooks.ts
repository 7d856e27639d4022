import type { Pool, PoolClient } from 'pg';
import { applyWebhookPatch } from '../../store/webhook-patch.js';
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

type Row = Record<string, unknown>;

function toWebhook(row: Row): WebhookRecord {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    url: row.url as string,
    description: row.description as string,
    orgId: (row.org_id as string | null) ?? null,
    actions: (row.actions as string[] | null) ?? null,
    enabled: row.enabled as boolean,
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

// JSONB keeps an array's order; null means every action.
const actionsParam = (actions: readonly string[] | null) =>
  actions === null ? null : JSON.stringify(actions);

const INSERT_WEBHOOK = `
INSERT INTO webhooks (id, project_id, url, description, org_id, actions, enabled, disabled_reason,
  sealed_secret, sealed_previous_secret, previous_secret_expires_at, version, created_at, updated_at,
  consecutive_failures, failing_since, last_success_at, last_failure_at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`;

// Every covered org that exists now, at its current size: events from now on.
const INSERT_CURSORS_AT_HEAD = `
INSERT INTO webhook_cursors (webhook_id, org_id, next_index, attempt, next_attempt_at)
SELECT $1, o.id, o.tree_size, 0, 0 FROM orgs o
WHERE o.project_id = $2 AND ($3::text IS NULL OR o.id = $3)`;

const UPDATE_WEBHOOK = `
UPDATE webhooks SET url = $2, description = $3, actions = $4::jsonb, enabled = $5, disabled_reason = $6,
  consecutive_failures = $7, failing_since = $8, version = version + 1, updated_at = $9
WHERE id = $1 RETURNING *`;

const ROTATE = `
UPDATE webhooks SET sealed_previous_secret = sealed_secret, previous_secret_expires_at = $3,
  sealed_secret = $4, version = version + 1, updated_at = $5
WHERE project_id = $1 AND id = $2 RETURNING *`;

const LAG = `
SELECT coalesce(sum(greatest(o.tree_size - coalesce(c.next_index, 0), 0)), 0)::bigint AS lag
FROM webhooks w JOIN orgs o ON o.project_id = w.project_id AND (w.org_id IS NULL OR o.id = w.org_id)
LEFT JOIN webhook_cursors c ON c.webhook_id = w.id AND c.org_id = o.id
WHERE w.id = $1`;

const INSERT_ATTEMPTS = `
INSERT INTO webhook_attempts (webhook_id, org_id, event_id, chain_index, message_id, attempt,
  status_code, error, duration_ms, attempted_at, next_retry_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::int[],
  $7::int[], $8::text[], $9::int[], $10::bigint[], $11::bigint[])`;

const PRUNE_ATTEMPTS = `
DELETE FROM webhook_attempts WHERE webhook_id = $1 AND id <= (
  SELECT id FROM webhook_attempts WHERE webhook_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`;

// FOR UPDATE SKIP LOCKED: two workers polling at once never pick the same
// row; a row another worker leased and committed meanwhile is re-checked
// against the WHERE clause (its lease is now live) and left out.
const CLAIM = `
UPDATE webhooks SET lease_owner = $1, lease_expires_at = $3
WHERE id IN (
  SELECT w.id FROM webhooks w
  WHERE w.enabled AND (w.lease_owner IS NULL OR w.lease_expires_at < $2) AND (
    EXISTS (SELECT 1 FROM webhook_cursors c JOIN orgs o ON o.id = c.org_id
            WHERE c.webhook_id = w.id AND c.next_index < o.tree_size AND c.next_attempt_at <= $2)
    OR (w.org_id IS NULL AND EXISTS (
          SELECT 1 FROM orgs o WHERE o.project_id = w.project_id AND o.tree_size > 0
            AND NOT EXISTS (SELECT 1 FROM webhook_cursors c WHERE c.webhook_id = w.id AND c.org_id = o.id))))
  ORDER BY coalesce(w.lease_expires_at, 0), w.id
  LIMIT $4
  FOR UPDATE SKIP LOCKED)
RETURNING *`;

const ADD_MISSING_CURSORS = `
INSERT INTO webhook_cursors (webhook_id, org_id, next_index, attempt, next_attempt_at)
SELECT w.id, o.id, 0, 0, 0 FROM webhooks w JOIN orgs o ON o.project_id = w.project_id
WHERE w.id = $1 AND w.org_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM webhook_cursors c WHERE c.webhook_id = w.id AND c.org_id = o.id)
ON CONFLICT DO NOTHING`;

const PENDING = `
SELECT c.*, o.tree_size FROM webhook_cursors c JOIN orgs o ON o.id = c.org_id
WHERE c.webhook_id = $1 AND c.next_index < o.tree_size ORDER BY c.org_id`;

// As SQLite's: SET expressions read the old row, so attempt counts follow a
// cursor that moved; one statement for every cursor of the save.
const MOVE_CURSORS = `
UPDATE webhook_cursors AS c SET
  attempt = CASE WHEN m.next_index > c.next_index OR $2 THEN m.attempt ELSE c.attempt END,
  next_attempt_at = CASE WHEN m.next_index > c.next_index OR $2 THEN m.next_attempt_at ELSE c.next_attempt_at END,
  next_index = greatest(c.next_index, m.next_index)
FROM unnest($3::text[], $4::bigint[], $5::int[], $6::bigint[]) AS m(org_id, next_index, attempt, next_attempt_at)
WHERE c.webhook_id = $1 AND c.org_id = m.org_id`;

/** WebhookStore on PostgreSQL: single statements on the pool, transactions where several must agree. */
export class PostgresWebhooks implements WebhookStore {
  constructor(
    private readonly pool: Pool,
    private readonly transaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  async #rows(text: string, values: readonly unknown[]): Promise<Row[]> {
    return (await this.pool.query<Row>(text, values as unknown[])).rows;
  }

  async insertWebhook(w: WebhookRecord): Promise<void> {
    await this.transaction(async (c) => {
      await c.query(INSERT_WEBHOOK, [
        w.id,
        w.projectId,
        w.url,
        w.description,
        w.orgId,
        actionsParam(w.actions),
        w.enabled,
        w.disabledReason,
        w.sealedSecret,
        w.sealedPreviousSecret,
        w.previousSecretExpiresAt,
        w.version,
        w.createdAt,
        w.updatedAt,
        w.consecutiveFailures,
        w.failingSince,
        w.lastSuccessAt,
        w.lastFailureAt,
      ]);
      await c.query(INSERT_CURSORS_AT_HEAD, [w.id, w.projectId, w.orgId]);
    });
  }

  async getWebhook(projectId: string, id: string): Promise<WebhookRecord | null> {
    const row = (
      await this.#rows('SELECT * FROM webhooks WHERE project_id = $1 AND id = $2', [projectId, id])
    )[0];
    return row ? toWebhook(row) : null;
  }

  async listWebhooks(
    projectId: string,
    options: { limit: number; afterId?: string },
  ): Promise<WebhookRecord[]> {
    const rows = await this.#rows(
      'SELECT * FROM webhooks WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3',
      [projectId, options.afterId ?? '', options.limit],
    );
    return rows.map(toWebhook);
  }

  async updateWebhook(
    projectId: string,
    id: string,
    patch: WebhookPatch,
    at: number,
  ): Promise<WebhookRecord | null> {
    return this.transaction(async (c) => {
      // The row lock orders this against a lease holder saving progress.
      const row = (
        await c.query<Row>('SELECT * FROM webhooks WHERE project_id = $1 AND id = $2 FOR UPDATE', [
          projectId,
          id,
        ])
      ).rows[0];
      if (!row) return null;
      const next = applyWebhookPatch(toWebhook(row), patch);
      const updated = await c.query<Row>(UPDATE_WEBHOOK, [
        id,
        next.url,
        next.description,
        actionsParam(next.actions),
        next.enabled,
        next.disabledReason,
        next.consecutiveFailures,
        next.failingSince,
        at,
      ]);
      if (next.retryNow) {
        await c.query(
          'UPDATE webhook_cursors SET attempt = 0, next_attempt_at = 0 WHERE webhook_id = $1',
          [id],
        );
      }
      return toWebhook(updated.rows[0]!);
    });
  }

  async rotateWebhookSecret(
    projectId: string,
    id: string,
    sealedSecret: Uint8Array,
    previousExpiresAt: number,
    at: number,
  ): Promise<WebhookRecord | null> {
    const row = (await this.#rows(ROTATE, [projectId, id, previousExpiresAt, sealedSecret, at]))[0];
    return row ? toWebhook(row) : null;
  }

  async deleteWebhook(projectId: string, id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM webhooks WHERE project_id = $1 AND id = $2', [
      projectId,
      id,
    ]);
    return result.rowCount === 1;
  }

  async webhookLag(webhookId: string): Promise<number> {
    return (await this.#rows(LAG, [webhookId]))[0]!.lag as number;
  }

  async listDeliveryAttempts(webhookId: string, limit: number): Promise<DeliveryAttemptRecord[]> {
    const rows = await this.#rows(
      'SELECT * FROM webhook_attempts WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2',
      [webhookId, limit],
    );
    return rows.map(toAttempt);
  }

  async insertDeliveryAttempts(attempts: readonly DeliveryAttemptRecord[]): Promise<void> {
    if (attempts.length === 0) return;
    await this.transaction(async (c) => {
      await insertAttempts(c, attempts);
      for (const id of new Set(attempts.map((a) => a.webhookId))) {
        await c.query(PRUNE_ATTEMPTS, [id, KEPT_ATTEMPTS_PER_WEBHOOK]);
      }
    });
  }

  async claimWebhooks(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<WebhookRecord[]> {
    return (await this.#rows(CLAIM, [owner, now, now + leaseMs, limit])).map(toWebhook);
  }

  async pendingCursors(webhookId: string): Promise<WebhookCursor[]> {
    await this.pool.query(ADD_MISSING_CURSORS, [webhookId]);
    return (await this.#rows(PENDING, [webhookId])).map(toCursor);
  }

  async saveDeliveryProgress(p: DeliveryProgress): Promise<ProgressOutcome> {
    return this.transaction(async (c): Promise<ProgressOutcome> => {
      // Extending the lease takes the row lock first: an API update waits for
      // this save, or this save sees the version the update wrote.
      const lease = (
        await c.query<Row>(
          'UPDATE webhooks SET lease_expires_at = $3 WHERE id = $1 AND lease_owner = $2 RETURNING version, enabled',
          [p.webhookId, p.owner, p.now + p.leaseMs],
        )
      ).rows[0];
      if (!lease) return { held: false, version: 0, enabled: false };
      const current = lease.version === p.version;
      if (p.cursors.length > 0) {
        await c.query(MOVE_CURSORS, [
          p.webhookId,
          current,
          p.cursors.map((x) => x.orgId),
          p.cursors.map((x) => x.nextIndex),
          p.cursors.map((x) => x.attempt),
          p.cursors.map((x) => x.nextAttemptAt),
        ]);
      }
      if (p.attempts.length > 0) {
        await insertAttempts(c, p.attempts);
        await c.query(PRUNE_ATTEMPTS, [p.webhookId, KEPT_ATTEMPTS_PER_WEBHOOK]);
      }
      if (current && p.health) {
        const h = p.health;
        await c.query(
          'UPDATE webhooks SET consecutive_failures = $2, failing_since = $3, last_success_at = $4, last_failure_at = $5 WHERE id = $1',
          [p.webhookId, h.consecutiveFailures, h.failingSince, h.lastSuccessAt, h.lastFailureAt],
        );
      }
      if (current && p.disable) {
        await c.query(
          'UPDATE webhooks SET enabled = false, disabled_reason = $2, updated_at = $3 WHERE id = $1',
          [p.webhookId, p.disable, p.now],
        );
      }
      return {
        held: true,
        version: lease.version as number,
        enabled: (lease.enabled as boolean) && !(current && p.disable),
      };
    });
  }

  async releaseWebhookLease(webhookId: string, owner: string): Promise<void> {
    await this.pool.query(
      // lease_expires_at stays: claims serve the least recently leased first.
      'UPDATE webhooks SET lease_owner = NULL WHERE id = $1 AND lease_owner = $2',
      [webhookId, owner],
    );
  }
}

async function insertAttempts(
  c: PoolClient,
  attempts: readonly DeliveryAttemptRecord[],
): Promise<void> {
  await c.query(INSERT_ATTEMPTS, [
    attempts.map((a) => a.webhookId),
    attempts.map((a) => a.orgId),
    attempts.map((a) => a.eventId),
    attempts.map((a) => a.chainIndex),
    attempts.map((a) => a.messageId),
    attempts.map((a) => a.attempt),
    attempts.map((a) => a.statusCode),
    attempts.map((a) => a.error),
    attempts.map((a) => Math.round(a.durationMs)),
    attempts.map((a) => a.attemptedAt),
    attempts.map((a) => a.nextRetryAt),
  ]);
}
