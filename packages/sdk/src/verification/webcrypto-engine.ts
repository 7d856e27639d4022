import { bytesToHex, concatBytes, type CryptoProvider, type Ed25519Signer } from '@logproof/core';

/**
 * The part of WebCrypto's `SubtleCrypto` the verifier uses: `crypto.subtle`
 * in browsers (secure contexts only) and in Node 20.
 */
export type SubtleVerifier = Pick<SubtleCrypto, 'digest' | 'importKey' | 'verify'>;

/** One Ed25519 verification a core function asked for. */
interface Ed25519Check {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * Stands in for a CryptoProvider while a core function runs, so that the core
 * still lays out every byte that is hashed or signed: it records what the
 * core asks for, and WebCrypto, which is asynchronous where CryptoProvider is
 * not, does the work afterwards. Its answers are placeholders (a zero hash,
 * "valid"), so {@link WebCryptoEngine} only runs functions whose outcome
 * does not depend on them, and checks that they asked for what it expects.
 */
class RecordingCrypto implements CryptoProvider {
  readonly hashed: Uint8Array[] = [];
  readonly verified: Ed25519Check[] = [];

  sha256(...parts: Uint8Array[]): Uint8Array {
    this.hashed.push(concatBytes(...parts));
    return new Uint8Array(32);
  }

  ed25519Signer(): Ed25519Signer {
    throw new Error('the verifier never signs');
  }

  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    this.verified.push({ publicKey, message, signature });
    return true;
  }
}

/** WebCrypto's answer when it lacks an algorithm (Ed25519 in older browsers). */
export function isNotSupported(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'NotSupportedError'
  );
}

// Imported keys, per SubtleCrypto and public key. Only the caller's trusted
// keys are ever imported (the core asks to verify only under those), so the
// cap is a guard against a long-lived page verifying for very many orgs.
const importedKeys = new WeakMap<SubtleVerifier, Map<string, Promise<CryptoKey>>>();
const MAX_CACHED_KEYS = 1000;

/** Copies into a fresh ArrayBuffer: WebCrypto's BufferSource excludes shared memory. */
function bufferOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/**
 * SHA-256 and Ed25519 through WebCrypto, over byte layouts the core makes.
 * A `NotSupportedError` from WebCrypto propagates: the caller falls back.
 */
export class WebCryptoEngine {
  readonly #subtle: SubtleVerifier;
  readonly #keys: Map<string, Promise<CryptoKey>>;

  constructor(subtle: SubtleVerifier) {
    this.#subtle = subtle;
    let keys = importedKeys.get(subtle);
    if (keys === undefined) importedKeys.set(subtle, (keys = new Map()));
    this.#keys = keys;
  }

  /**
   * SHA-256, by WebCrypto, of exactly the bytes `layout` (a call to one of
   * the core's hash functions, e.g. `(c) => leafHash(canonical, c)`) hashes.
   */
  readonly hash = async (layout: (crypto: CryptoProvider) => unknown): Promise<Uint8Array> => {
    const recorder = new RecordingCrypto();
    layout(recorder);
    const [input, ...more] = recorder.hashed;
    if (input === undefined || more.length > 0 || recorder.verified.length > 0) {
      throw new Error('bug: a hash layout must hash exactly once and verify nothing');
    }
    return new Uint8Array(await this.#subtle.digest('SHA-256', bufferOf(input)));
  };

  /**
   * Runs `check`, a core function that verifies Ed25519 signatures and hashes
   * nothing (`openNote`, `verifyCheckpoint`, `verifyEventSignature`), with
   * every signature it checks deferred to WebCrypto. Returns what `check`
   * returned, and the public keys under which a signature then failed: the
   * outcome is the core's only when `failed` is empty.
   */
  async verifyDeferred<T>(
    check: (crypto: CryptoProvider) => T,
  ): Promise<{ value: T; failed: Uint8Array[] }> {
    const recorder = new RecordingCrypto();
    const value = check(recorder);
    if (recorder.hashed.length > 0) {
      throw new Error('bug: a deferred signature check must not hash');
    }
    const results = await Promise.all(recorder.verified.map((c) => this.#verify(c)));
    const failed = recorder.verified.filter((_, i) => !results[i]).map((c) => c.publicKey);
    return { value, failed };
  }

  async #verify({ publicKey, message, signature }: Ed25519Check): Promise<boolean> {
    // As CryptoProvider.ed25519Verify: malformed input is "not valid", never a throw.
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      const key = await this.#importKey(publicKey);
      return await this.#subtle.verify('Ed25519', key, bufferOf(signature), bufferOf(message));
    } catch (error) {
      // A key WebCrypto refuses (DataError) cannot have made a valid signature.
      if (isNotSupported(error)) throw error;
      return false;
    }
  }

  #importKey(publicKey: Uint8Array): Promise<CryptoKey> {
    const id = bytesToHex(publicKey);
    let key = this.#keys.get(id);
    if (key === undefined) {
      if (this.#keys.size >= MAX_CACHED_KEYS) this.#keys.clear();
      key = this.#subtle.importKey('raw', bufferOf(publicKey), { name: 'Ed25519' }, false, [
        'verify',
      ]);
      this.#keys.set(id, key);
      // A failed import is not cached: the next call tries again.
      key.catch(() => this.#keys.delete(id));
    }
    return key;
  }
}
