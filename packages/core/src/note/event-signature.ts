import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { base64ToBytes, bytesToBase64 } from '../encoding.js';

/**
 * PROOFS.md §6: `signature = base64(Ed25519-Sign(org signing key, canonical))`,
 * where `canonical` is the event's RFC 8785 bytes.
 *
 * @example
 * ```ts
 * const signature = signEvent(canonical, signer); // 88 base64 characters
 * ```
 */
export function signEvent(
  canonical: Uint8Array,
  signer: { sign(m: Uint8Array): Uint8Array },
): string {
  return bytesToBase64(signer.sign(canonical));
}

/**
 * Checks an event signature (PROOFS.md §6) under a 32-byte Ed25519 public key.
 * Returns false, never throws, for any malformed input: a signature that is
 * not canonical base64 of 64 bytes, a bad key, or a wrong signature.
 *
 * @example
 * ```ts
 * verifyEventSignature(canonical, event.signature, key.publicKey); // true
 * ```
 */
export function verifyEventSignature(
  canonical: Uint8Array,
  signatureBase64: string,
  publicKey: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): boolean {
  try {
    if (!(canonical instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) return false;
    if (typeof signatureBase64 !== 'string' || signatureBase64.length !== 88) return false;
    const signature = base64ToBytes(signatureBase64);
    return crypto.ed25519Verify(publicKey, canonical, signature);
  } catch {
    // Verification input is attacker-controlled: any failure is "not valid".
    return false;
  }
}
