/// <reference types="node" />
// The only file of the core that touches node:*; it is exported separately
// (`@logproof/core/node-crypto`) so browser bundles never see it.
import {
  createPrivateKey,
  createPublicKey,
  hash as nodeHash,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import type { CryptoProvider, Ed25519Signer } from './crypto.js';
import { LogproofError } from './errors.js';

// DER prefixes that wrap a raw Ed25519 key (RFC 8410): PKCS#8 private, SPKI public.
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

function withPrefix(prefix: Uint8Array, key: Uint8Array): Buffer {
  const der = Buffer.alloc(prefix.length + key.length);
  der.set(prefix, 0);
  der.set(key, prefix.length);
  return der;
}

/**
 * The private KeyObject of an Ed25519 `seed` (RFC 8032 private key), as the
 * node provider's signers hold it. A KeyObject can be posted to a worker
 * thread without its bytes leaving the process (the server's signing worker).
 *
 * @example
 * ```ts
 * const key = createEd25519PrivateKey(seed);
 * const signature = sign(null, message, key); // node:crypto
 * ```
 */
export function createEd25519PrivateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32)
    throw new LogproofError('ERR_SIGNER_KEY', 'Ed25519 seed must be 32 bytes');
  return createPrivateKey({ key: withPrefix(PKCS8_PREFIX, seed), format: 'der', type: 'pkcs8' });
}

/**
 * Node's native (OpenSSL) provider: several times faster than pure JS for
 * Ed25519, used by the server on its hot path. Verification keys are cached
 * (bounded) because parsing a KeyObject costs as much as a verification.
 *
 * @example
 * ```ts
 * const crypto = createNodeCrypto();
 * const signer = crypto.ed25519Signer(seed);
 * ```
 */
export function createNodeCrypto(options: { verifyKeyCacheSize?: number } = {}): CryptoProvider {
  const cacheSize = options.verifyKeyCacheSize ?? 1024;
  const verifyKeys = new Map<string, KeyObject | null>();

  function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString(
      'hex',
    );
    let key = verifyKeys.get(id);
    if (key === undefined) {
      try {
        key = createPublicKey({
          key: withPrefix(SPKI_PREFIX, publicKey),
          format: 'der',
          type: 'spki',
        });
      } catch {
        key = null;
      }
      if (verifyKeys.size >= cacheSize) verifyKeys.delete(verifyKeys.keys().next().value!);
      verifyKeys.set(id, key);
    }
    return key;
  }

  return Object.freeze({
    sha256(...parts: Uint8Array[]): Uint8Array {
      // One-shot hash() over the parts joined: the inputs here are short
      // (an entry, two or three hashes), and a Hash object per call cost
      // more than the copy (Node >= 20.12, which engines requires).
      return nodeHash('sha256', parts.length === 1 ? parts[0]! : Buffer.concat(parts), 'buffer');
    },
    ed25519Signer(seed: Uint8Array): Ed25519Signer {
      const privateKey = createEd25519PrivateKey(seed);
      const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
      const publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
      return {
        publicKey,
        sign: (message: Uint8Array) => nodeSign(null, message, privateKey),
      };
    },
    ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (publicKey.length !== 32 || signature.length !== 64) return false;
      const key = publicKeyObject(publicKey);
      if (key === null) return false;
      try {
        return nodeVerify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  });
}
