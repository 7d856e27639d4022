import { createHmac, randomBytes } from 'node:crypto';

// PROOFS.md §8 / Standard Webhooks v1: `webhook-signature` is
// `v1,` + base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)), with the
// secret shown once as `whsec_` + base64(secret bytes).

export const SECRET_PREFIX = 'whsec_';
/** 32 bytes: the HMAC-SHA256 block size is 64, and 256 bits is beyond guessing. */
const SECRET_BYTES = 32;

/** A new secret: its bytes (to seal) and the text shown to the user once. */
export function generateWebhookSecret(): { bytes: Uint8Array; text: string } {
  const bytes = new Uint8Array(randomBytes(SECRET_BYTES));
  return { bytes, text: formatWebhookSecret(bytes) };
}

export function formatWebhookSecret(bytes: Uint8Array): string {
  return SECRET_PREFIX + Buffer.from(bytes).toString('base64');
}

/** The v1 signature of one message under one secret. */
export function signMessage(
  secret: Uint8Array,
  messageId: string,
  timestamp: number,
  body: string,
): string {
  const mac = createHmac('sha256', secret)
    .update(`${messageId}.${timestamp}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/**
 * The Standard Webhooks headers of one attempt. Every secret in `secrets`
 * signs (space-separated signatures): during a rotation the new and the old
 * one, so receivers still holding the old secret keep verifying. The
 * timestamp is the attempt's; the id is the message's, the same on retries.
 */
export function webhookHeaders(
  secrets: readonly Uint8Array[],
  messageId: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  if (secrets.length === 0) throw new Error('webhookHeaders: no secret');
  return {
    'content-type': 'application/json',
    'user-agent': 'Logproof-Webhooks/1',
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => signMessage(s, messageId, timestamp, body)).join(' '),
  };
}
