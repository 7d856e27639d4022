import { LogproofError, type LogproofErrorCode } from '../errors.js';
import { HASH_SIZE } from '../hashes.js';

/**
 * The largest tree size (and so the largest leaf count) the core accepts: 2^52.
 *
 * Why this bound: a tree of n leaves has 2n - popcount(n) stored hashes
 * (see {@link storedHashCount}), so with n <= 2^52 every stored-hash index is
 * below 2^53 and stays an exact JS number. Sizes, indexes and proofs then
 * never need BigInt. A log would need 4.5 quadrillion events to reach it.
 *
 * @example
 * ```ts
 * if (size > MAX_TREE_SIZE) throw new Error('too large');
 * ```
 */
export const MAX_TREE_SIZE = 2 ** 52;

/**
 * Sizes and indexes arrive from URLs, JSON and bundles: anything that is not
 * an integer in [0, max] is `ERR_TREE_RANGE`, never a TypeError later on.
 */
export function assertTreeNumber(value: unknown, name: string, max = MAX_TREE_SIZE): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    const shown = typeof value === 'number' ? String(value) : typeof value;
    throw new LogproofError(
      'ERR_TREE_RANGE',
      `${name} must be an integer from 0 to ${max}, got ${shown}`,
    );
  }
  return value;
}

/** A 32-byte hash given by the caller (leaf hash, root): else `ERR_HASH_FORMAT`. */
export function assertHash(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    throw new LogproofError('ERR_HASH_FORMAT', `${name} must be a 32-byte hash`);
  }
  return value;
}

/**
 * A list of 32-byte hashes (a proof, a compact range): anything else is `code`
 * (`ERR_PROOF_MALFORMED` for proofs). Proofs are attacker-controlled, so the
 * array itself and every element are checked before any hashing.
 */
export function assertHashList(
  value: unknown,
  name: string,
  code: LogproofErrorCode = 'ERR_PROOF_MALFORMED',
): readonly Uint8Array[] {
  if (!Array.isArray(value)) throw new LogproofError(code, `${name} must be an array of hashes`);
  for (let i = 0; i < value.length; i++) {
    const element: unknown = value[i];
    if (!(element instanceof Uint8Array) || element.length !== HASH_SIZE) {
      throw new LogproofError(code, `${name}[${i}] must be a 32-byte hash`);
    }
  }
  return value as readonly Uint8Array[];
}
