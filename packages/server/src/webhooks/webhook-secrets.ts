import type { MasterKey } from '../master-key.js';
import type { WebhookRecord } from '../store/webhook-port.js';

/**
 * Webhook signing secrets at rest: sealed under the master key (AES-256-GCM),
 * bound to their webhook by the associated data, so a sealed secret copied
 * onto another webhook's row does not open. Never stored in plain text.
 */
export class WebhookSecrets {
  constructor(private readonly masterKey: MasterKey) {}

  static #context(webhookId: string): string {
    return `logproof webhook secret ${webhookId}`;
  }

  seal(webhookId: string, secret: Uint8Array): Uint8Array {
    return this.masterKey.seal(secret, WebhookSecrets.#context(webhookId));
  }

  /** The secrets that sign at `now`: the current one, then the previous one while its grace period lasts. */
  signingSecrets(webhook: WebhookRecord, now: number): Uint8Array[] {
    const context = WebhookSecrets.#context(webhook.id);
    const out = [this.masterKey.open(webhook.sealedSecret, context)];
    if (
      webhook.sealedPreviousSecret !== null &&
      webhook.previousSecretExpiresAt !== null &&
      webhook.previousSecretExpiresAt > now
    ) {
      out.push(this.masterKey.open(webhook.sealedPreviousSecret, context));
    }
    return out;
  }
}
