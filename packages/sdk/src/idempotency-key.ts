const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A fresh idempotency key: a random (version 4) UUID. Uses
 * `crypto.randomUUID` where it exists and `crypto.getRandomValues`
 * otherwise (browsers hide randomUUID outside secure contexts).
 *
 * @example
 * ```ts
 * const key = generateIdempotencyKey(); // '3b241101-e2bb-4255-8caf-4136c566a962'
 * await client.events.create(input, { idempotencyKey: key });
 * ```
 */
export function generateIdempotencyKey(): string {
  const webCrypto = globalThis.crypto;
  if (typeof webCrypto.randomUUID === 'function') return webCrypto.randomUUID();
  const b = webCrypto.getRandomValues(new Uint8Array(16));
  // RFC 9562 §5.4: version 4 in the high nibble of byte 6, variant 10 in byte 8.
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => HEX[x]!).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
