import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** An Ed25519 key pair able to sign (RFC 8032, pure Ed25519). */
export interface Ed25519Signer {
  /** 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** 64-byte deterministic signature over `message`. */
  sign(message: Uint8Array): Uint8Array;
  /**
   * Optional: the signature of each message, byte for byte what `sign` gives
   * (Ed25519 is deterministic), possibly computed on several threads. Without
   * it, callers sign the messages one by one.
   */
  signEach?(messages: readonly Uint8Array[]): Uint8Array[];
}

/**
 * The core's only door to hashing and signatures. The server passes Node's
 * native `crypto` ({@link createNodeCrypto} in `@logproof/core/node-crypto`);
 * the SDK, CLI and portal use {@link nobleCrypto} (audited pure JS, runs in
 * any browser). Every function that hashes or signs takes a provider, with
 * `nobleCrypto` as the default.
 */
export interface CryptoProvider {
  /** SHA-256 of the concatenation of `parts`. */
  sha256(...parts: Uint8Array[]): Uint8Array;
  /** A signer for a 32-byte RFC 8032 seed (private key). */
  ed25519Signer(seed: Uint8Array): Ed25519Signer;
  /**
   * Verifies an Ed25519 signature. MUST return false, never throw, for a
   * malformed key or signature: verification input is attacker-controlled.
   */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Pure-JS provider from the audited `@noble` libraries; synchronous, no
 * Node-only API, so it works in browsers.
 *
 * @example
 * ```ts
 * const digest = nobleCrypto.sha256(new TextEncoder().encode('abc'));
 * ```
 */
export const nobleCrypto: CryptoProvider = Object.freeze({
  sha256(...parts: Uint8Array[]): Uint8Array {
    if (parts.length === 1) return nobleSha256(parts[0]!);
    const h = nobleSha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  ed25519Signer(seed: Uint8Array): Ed25519Signer {
    const secret = Uint8Array.from(seed);
    const publicKey = ed25519.getPublicKey(secret);
    return { publicKey, sign: (message) => ed25519.sign(message, secret) };
  },
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      // zip215: false gives RFC 8032 / Go crypto/ed25519 strictness.
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
});
