import { randomBytes } from 'node:crypto';
import { ApiError } from '../errors.js';
import { newId } from '../ids.js';
import type { Tenancy } from '../services/tenancy.js';
import type { Store } from '../store/store.js';
import type { DeliveryAttemptRecord, WebhookPatch, WebhookRecord } from '../store/webhook-port.js';
import { generateWebhookSecret, webhookHeaders } from './signer.js';
import { SsrfError, type SsrfGuard } from './ssrf-guard.js';
import { isActionPattern, MAX_ACTION_PATTERNS, TEST_MESSAGE_TYPE } from './webhook-message.js';
import type { WebhookSecrets } from './webhook-secrets.js';
import type { WebhookSender } from './webhook-sender.js';

/** What POST /v1/webhooks takes, parsed. */
export interface WebhookInput {
  readonly url: string;
  readonly description?: string | undefined;
  /** Org id or external id; all of the project's orgs when absent. */
  readonly org?: string | undefined;
  readonly actions?: readonly string[] | undefined;
  readonly enabled?: boolean | undefined;
}

/** Health of a webhook (GET /v1/webhooks/{id}/deliveries). */
export interface WebhookHealth {
  readonly state: 'healthy' | 'failing' | 'disabled';
  readonly consecutiveFailures: number;
  readonly lastSuccessAt: number | null;
  readonly lastFailureAt: number | null;
  readonly failingSince: number | null;
  /** Events of the covered orgs the cursors have not passed yet. */
  readonly lag: number;
}

export interface TestResult {
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly error: string | null;
}

export interface WebhookServiceOptions {
  readonly store: Store;
  readonly tenancy: Tenancy;
  readonly guard: SsrfGuard;
  readonly sender: WebhookSender;
  readonly secrets: WebhookSecrets;
  /** How long the old secret still signs after a rotation. */
  readonly secretGraceMs: number;
  readonly clock?: () => number;
}

export function stateOf(w: WebhookRecord): WebhookHealth['state'] {
  if (!w.enabled) return 'disabled';
  return w.consecutiveFailures > 0 ? 'failing' : 'healthy';
}

/** A refused destination, as the 400 the API answers (API.md: "Checked at creation"). */
function refusedUrl(error: SsrfError): ApiError {
  return new ApiError('validation_failed', `the webhook URL is refused: ${error.message}`, {
    errors: [{ path: '/url', message: `${error.code}: ${error.message}` }],
    cause: error,
  });
}

/**
 * Action patterns, checked here as well as by the route's schema: the service
 * is also what a caller without HTTP (a script, a test) goes through.
 */
function checkActions(actions: readonly string[] | null | undefined): void {
  if (!actions) return;
  if (actions.length === 0 || actions.length > MAX_ACTION_PATTERNS) {
    throw new ApiError('validation_failed', `actions holds 1 to ${MAX_ACTION_PATTERNS} patterns`, {
      errors: [{ path: '/actions', message: `1 to ${MAX_ACTION_PATTERNS} patterns` }],
    });
  }
  const bad = actions.findIndex((a) => !isActionPattern(a));
  if (bad >= 0) {
    throw new ApiError(
      'validation_failed',
      `actions/${bad} is not an action pattern such as user.*`,
      {
        errors: [
          {
            path: `/actions/${bad}`,
            message: 'must be an action such as user.login, or leading segments and .*',
          },
        ],
      },
    );
  }
}

/** Webhook endpoints: create, change, rotate, test, and their delivery health. */
export class WebhookService {
  readonly #o: WebhookServiceOptions;
  readonly #clock: () => number;

  constructor(options: WebhookServiceOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  async #checkUrl(url: string): Promise<void> {
    try {
      await this.#o.guard.checkDestination(url);
    } catch (error) {
      if (error instanceof SsrfError) throw refusedUrl(error);
      throw error;
    }
  }

  /** Creates the webhook; its secret is returned this once (only its sealed form is stored). */
  async create(
    projectId: string,
    input: WebhookInput,
  ): Promise<{ webhook: WebhookRecord; secret: string }> {
    checkActions(input.actions);
    await this.#checkUrl(input.url);
    let orgId: string | null = null;
    if (input.org !== undefined) {
      const org = await this.#o.tenancy.findOrg(projectId, input.org);
      if (!org) {
        throw new ApiError('not_found', `no org ${JSON.stringify(input.org)} in this project`, {
          errors: [{ path: '/org', message: 'unknown org' }],
        });
      }
      orgId = org.id;
    }
    const now = this.#clock();
    const id = newId('wh', now);
    const secret = generateWebhookSecret();
    const enabled = input.enabled ?? true;
    const webhook: WebhookRecord = {
      id,
      projectId,
      url: input.url,
      description: input.description ?? '',
      orgId,
      actions: input.actions === undefined ? null : [...new Set(input.actions)],
      enabled,
      disabledReason: enabled ? null : 'manual',
      sealedSecret: this.#o.secrets.seal(id, secret.bytes),
      sealedPreviousSecret: null,
      previousSecretExpiresAt: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
      consecutiveFailures: 0,
      failingSince: null,
      lastSuccessAt: null,
      lastFailureAt: null,
    };
    await this.#o.store.insertWebhook(webhook);
    return { webhook, secret: secret.text };
  }

  async get(projectId: string, id: string): Promise<WebhookRecord> {
    const webhook = await this.#o.store.getWebhook(projectId, id);
    if (!webhook)
      throw new ApiError('not_found', `no webhook ${JSON.stringify(id)} in this project`);
    return webhook;
  }

  list(projectId: string, options: { limit: number; afterId?: string }): Promise<WebhookRecord[]> {
    return this.#o.store.listWebhooks(projectId, options);
  }

  async update(projectId: string, id: string, patch: WebhookPatch): Promise<WebhookRecord> {
    checkActions(patch.actions);
    if (patch.url !== undefined) await this.#checkUrl(patch.url);
    const actions = patch.actions ? [...new Set(patch.actions)] : patch.actions;
    const updated = await this.#o.store.updateWebhook(
      projectId,
      id,
      { ...patch, ...(actions !== undefined ? { actions } : {}) },
      this.#clock(),
    );
    if (!updated)
      throw new ApiError('not_found', `no webhook ${JSON.stringify(id)} in this project`);
    return updated;
  }

  async delete(projectId: string, id: string): Promise<void> {
    if (!(await this.#o.store.deleteWebhook(projectId, id))) {
      throw new ApiError('not_found', `no webhook ${JSON.stringify(id)} in this project`);
    }
  }

  /**
   * A new secret; the old one keeps signing (a second signature in
   * `webhook-signature`) for the grace period, so receivers can switch over
   * without losing a delivery.
   */
  async rotateSecret(
    projectId: string,
    id: string,
  ): Promise<{ webhook: WebhookRecord; secret: string }> {
    const now = this.#clock();
    const secret = generateWebhookSecret();
    const webhook = await this.#o.store.rotateWebhookSecret(
      projectId,
      id,
      this.#o.secrets.seal(id, secret.bytes),
      now + this.#o.secretGraceMs,
      now,
    );
    if (!webhook)
      throw new ApiError('not_found', `no webhook ${JSON.stringify(id)} in this project`);
    return { webhook, secret: secret.text };
  }

  /** One signed test message, now, through the same guard and sender as deliveries; recorded as an attempt. */
  async test(projectId: string, id: string): Promise<TestResult> {
    const webhook = await this.get(projectId, id);
    const now = this.#clock();
    const messageId = `msg_test_${randomBytes(12).toString('hex')}`;
    const body = JSON.stringify({
      type: TEST_MESSAGE_TYPE,
      timestamp: new Date(now).toISOString(),
      data: { webhook_id: webhook.id, message: 'A test message from Logproof.' },
    });
    const secrets = this.#o.secrets.signingSecrets(webhook, now);
    const result = await this.#o.sender.send(
      webhook.url,
      webhookHeaders(secrets, messageId, Math.floor(now / 1000), body),
      body,
    );
    const attempt: DeliveryAttemptRecord = {
      webhookId: webhook.id,
      orgId: null,
      eventId: null,
      chainIndex: null,
      messageId,
      attempt: 1,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: result.durationMs,
      attemptedAt: this.#clock(),
      nextRetryAt: null,
    };
    await this.#o.store.insertDeliveryAttempts([attempt]);
    return {
      ok: result.ok,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error,
    };
  }

  /** Health and the most recent attempts, newest first. */
  async deliveries(
    projectId: string,
    id: string,
    limit: number,
  ): Promise<{ webhook: WebhookRecord; health: WebhookHealth; attempts: DeliveryAttemptRecord[] }> {
    const webhook = await this.get(projectId, id);
    const [lag, attempts] = await Promise.all([
      this.#o.store.webhookLag(webhook.id),
      this.#o.store.listDeliveryAttempts(webhook.id, limit),
    ]);
    return {
      webhook,
      attempts,
      health: {
        state: stateOf(webhook),
        consecutiveFailures: webhook.consecutiveFailures,
        lastSuccessAt: webhook.lastSuccessAt,
        lastFailureAt: webhook.lastFailureAt,
        failingSince: webhook.failingSince,
        lag,
      },
    };
  }
}
