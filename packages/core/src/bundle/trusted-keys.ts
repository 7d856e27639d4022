import { nobleCrypto, type CryptoProvider } from '../crypto.js';
import { equalBytes } from '../encoding.js';
import { LogproofError } from '../errors.js';
import { parseVerifierKey, type VerifierKey } from '../note/index.js';

/** The keys a caller trusts: verifier key strings or parsed keys, one or several. */
export type TrustedKeys = string | VerifierKey | readonly (string | VerifierKey)[];

function isList(value: TrustedKeys): value is readonly (string | VerifierKey)[] {
  return Array.isArray(value);
}

function fail(message: string, cause?: unknown): never {
  throw new LogproofError('ERR_VERIFIER_KEY', message, cause === undefined ? {} : { cause });
}

/** A parsed key is re-read from its one text form, so a hand-made object cannot smuggle in other bytes. */
function fromObject(value: unknown, crypto: CryptoProvider): VerifierKey {
  const text =
    typeof value === 'object' && value !== null ? (value as { text?: unknown }).text : undefined;
  if (typeof text !== 'string')
    fail('a trusted key is a verifier key string or a parsed VerifierKey');
  const key = parseVerifierKey(text, crypto);
  const given = value as Partial<VerifierKey>;
  if (
    given.name !== key.name ||
    !(given.publicKey instanceof Uint8Array) ||
    !equalBytes(given.publicKey, key.publicKey)
  ) {
    fail('a trusted VerifierKey object does not match its own text');
  }
  return key;
}

/**
 * The caller's trusted keys, parsed and checked. These are the caller's own
 * input, not the bundle's, so problems are `ERR_VERIFIER_KEY`, not `ERR_BUNDLE`:
 * no key, a malformed key, or two different keys with one name and key ID
 * (as Go's note.VerifierList, that list was itself tampered with).
 */
export function parseTrustedKeys(
  input: TrustedKeys,
  crypto: CryptoProvider = nobleCrypto,
): VerifierKey[] {
  const list = isList(input) ? input : [input];
  if (list.length === 0) fail('at least one trusted verifier key is needed');
  const byId = new Map<string, VerifierKey>();
  for (const item of list) {
    const key =
      typeof item === 'string' ? parseVerifierKey(item, crypto) : fromObject(item, crypto);
    const id = `${key.name}+${key.keyIdHex}`;
    const other = byId.get(id);
    if (other !== undefined && !equalBytes(other.publicKey, key.publicKey)) {
      fail(`two trusted keys share name and key ID ${id}`);
    }
    byId.set(id, key);
  }
  return [...byId.values()];
}
