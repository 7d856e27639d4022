import type { CryptoProvider } from '../crypto.js';
import { equalBytes, hexToBytes } from '../encoding.js';
import { isLogproofError } from '../errors.js';
import { canonicalBytes, entryFromEvent, type StoredEvent } from '../event/index.js';
import { chainHash, GENESIS_PREVIOUS_HASH, leafHash } from '../hashes.js';
import { verifyInclusion } from '../merkle/index.js';
import { verifyEventSignature, type VerifierKey } from '../note/index.js';
import { bundleError, quote } from './bundle-problem.js';
import type { ShapedEvent } from './bundle-shape.js';

/** A key of the bundle's `verifier_keys`, and whether the caller trusts it. */
export interface ListedKey {
  readonly index: number;
  readonly key: VerifierKey;
  readonly trusted: boolean;
}

/** What the events are checked against; all of it already authenticated or checked. */
export interface EventChecks {
  /** The origin and tree of the verified checkpoint. */
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  /** The bundle's org, already matched against the origin. */
  readonly org: string;
  /** The bundle's `verifier_keys` by key ID. */
  readonly listed: ReadonlyMap<string, ListedKey>;
  /** The caller's trusted keys of this origin by key ID: the only keys signatures are checked with. */
  readonly trusted: ReadonlyMap<string, VerifierKey>;
  /** True for the range_proof form: the events must then be one contiguous run. */
  readonly contiguous: boolean;
  readonly crypto: CryptoProvider;
}

/** The authenticated run: leaf hashes and chain indexes in bundle order. */
export interface VerifiedEvents {
  leaves: Uint8Array[];
  chainIndexes: number[];
  /** Key IDs that signed events, in first use order. */
  keyIds: string[];
}

type Fail = (suffix: string, message: string) => never;

function showChainIndex(event: Record<string, unknown>): string {
  const value = Object.hasOwn(event, 'chain_index') ? event.chain_index : undefined;
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : '?';
}

/** PROOFS.md §2: the entry is the event minus its five derived members; its JCS bytes are signed. */
function readEntry(
  raw: Record<string, unknown>,
  fail: Fail,
): { stored: StoredEvent; canonical: Uint8Array } {
  try {
    const entry = entryFromEvent(raw);
    return { stored: raw as unknown as StoredEvent, canonical: canonicalBytes(entry) };
  } catch (error) {
    if (!isLogproofError(error)) throw error;
    const problem = error.problems[0];
    if (error.code === 'ERR_VALIDATION' && problem !== undefined) {
      const what = problem.path === '' ? '' : `${problem.path.slice(1).replaceAll('/', '.')} `;
      return fail(problem.path, `${what}${problem.message}`);
    }
    return fail('', `cannot be canonicalised: ${error.message}`);
  }
}

/**
 * Which member of an event was changed, told apart by the two independent
 * witnesses of its content: the signature and the leaf hash. One changed
 * member breaks exactly one of them, unless it is the content itself, which
 * breaks both. The content is then named as a whole (`/events/i/event`): a
 * hash cannot say which member changed, only that one did.
 */
function checkSignature(
  stored: StoredEvent,
  canonical: Uint8Array,
  leaf: Uint8Array,
  key: VerifierKey,
  checks: EventChecks,
  fail: Fail,
): void {
  const { crypto } = checks;
  const signed = verifyEventSignature(canonical, stored.signature, key.publicKey, crypto);
  const leafOk = equalBytes(leaf, hexToBytes(stored.leaf_hash));
  if (signed && leafOk) return;
  if (signed)
    return fail('/leaf_hash', 'leaf_hash is not SHA-256(0x00 || canonical bytes): it was changed');
  if (!leafOk) {
    return fail(
      '',
      'content matches neither its signature nor its leaf_hash: a member of the event was changed',
    );
  }
  for (const other of checks.trusted.values()) {
    if (
      other !== key &&
      verifyEventSignature(canonical, stored.signature, other.publicKey, crypto)
    ) {
      return fail(
        '/key_id',
        `signature is by key ${other.keyIdHex}, not by key_id ${stored.key_id}: key_id was changed`,
      );
    }
  }
  return fail(
    '/signature',
    'signature does not verify: the signature (or, with leaf_hash recomputed, the content) was changed',
  );
}

/**
 * PROOFS.md §3 chain: hash = SHA-256(previous_hash || leaf_hash). When they
 * disagree, the neighbours tell which was changed: a previous_hash linked to
 * the event before is confirmed, a hash repeated as the next event's
 * previous_hash is confirmed; otherwise `hash` is named.
 */
function checkChain(
  stored: StoredEvent,
  leaf: Uint8Array,
  linked: Uint8Array | undefined,
  next: Record<string, unknown> | undefined,
  crypto: CryptoProvider,
  fail: Fail,
): Uint8Array {
  const previous = hexToBytes(stored.previous_hash);
  const hash = hexToBytes(stored.hash);
  const index = stored.chain_index;
  if (index === 0 && !equalBytes(previous, GENESIS_PREVIOUS_HASH)) {
    fail('/previous_hash', 'previous_hash of chain_index 0 must be 32 zero bytes');
  }
  if (linked !== undefined && !equalBytes(previous, linked)) {
    fail(
      '/previous_hash',
      `previous_hash is not the hash of chain_index ${index - 1}, the event before it`,
    );
  }
  if (equalBytes(chainHash(previous, leaf, crypto), hash)) return hash;
  const confirmed =
    next !== undefined && next.chain_index === index + 1 && next.previous_hash === stored.hash;
  if (index !== 0 && linked === undefined && confirmed) {
    fail(
      '/previous_hash',
      'hash is not SHA-256(previous_hash || leaf_hash) and the next event confirms hash: previous_hash was changed',
    );
  }
  return fail(
    '/hash',
    'hash is not SHA-256(previous_hash || leaf_hash): hash (or, if unlinked, previous_hash) was changed',
  );
}

function checkOrder(
  index: number,
  before: number | undefined,
  checks: EventChecks,
  fail: Fail,
): void {
  if (index >= checks.treeSize) {
    fail('/chain_index', `is not in the checkpoint's tree of size ${checks.treeSize}`);
  }
  if (before === undefined) return;
  if (index <= before) {
    fail(
      '/chain_index',
      `does not come after chain_index ${before} of the event before it: events must be sorted, each once (an event was duplicated or moved)`,
    );
  }
  if (checks.contiguous && index !== before + 1) {
    const gap = index === before + 2 ? `${before + 1}` : `${before + 1}..${index - 1}`;
    fail(
      '/chain_index',
      `the run must be contiguous, but chain_index ${gap} is missing (an event was dropped or moved)`,
    );
  }
}

function checkInclusion(
  leaf: Uint8Array,
  index: number,
  proof: Uint8Array[],
  checks: EventChecks,
  fail: Fail,
): void {
  try {
    verifyInclusion(index, checks.treeSize, leaf, proof, checks.rootHash, checks.crypto);
  } catch (error) {
    if (!isLogproofError(error)) throw error;
    // The leaf is authenticated by the signature and the root by the
    // checkpoint, so a mismatch can only be the proof; which of its hashes
    // cannot be told (SHA-256 has no inverse).
    const message =
      error.code === 'ERR_PROOF_MISMATCH'
        ? `inclusion_proof does not lead to the root of the checkpoint (size ${checks.treeSize}): a hash in it was changed`
        : `inclusion_proof is malformed: ${error.message}`;
    fail('', message);
  }
}

/**
 * Checks every event of a shape-checked bundle in order (PROOFS.md §7): entry
 * shape, key, signature and leaf hash, org, order, chain link and, in the
 * inclusion-proof form, inclusion. Throws `ERR_BUNDLE` at the first problem.
 */
export function verifyEvents(events: readonly ShapedEvent[], checks: EventChecks): VerifiedEvents {
  const leaves: Uint8Array[] = [];
  const chainIndexes: number[] = [];
  const keyIds: string[] = [];
  let externalId: string | undefined;
  let before: { index: number; hash: Uint8Array } | undefined;
  for (let i = 0; i < events.length; i++) {
    const item = events[i]!;
    const label = `event ${i} (chain_index ${showChainIndex(item.event)})`;
    const fail: Fail = (suffix, message) => {
      throw bundleError(`/events/${i}/event${suffix}`, `${label}: ${message}`);
    };
    const { stored, canonical } = readEntry(item.event, fail);

    // Signatures are checked only with keys the caller passed, matched by
    // key_id. The bundle's verifier_keys travel with the bundle, so whoever
    // forged the bundle wrote them too: a key listed there but not trusted by
    // the caller proves nothing, and is named as the problem.
    const listed = checks.listed.get(stored.key_id);
    if (listed === undefined)
      fail('/key_id', `key_id ${stored.key_id} is not among the bundle's verifier_keys`);
    const key = checks.trusted.get(stored.key_id);
    if (key === undefined) {
      fail(
        '/key_id',
        `signed by key ${checks.origin}+${stored.key_id}, which the bundle lists but the caller does not trust ` +
          '(a key is trusted only when passed by the caller, obtained out of band)',
      );
    }
    const leaf = leafHash(canonical, checks.crypto);
    checkSignature(stored, canonical, leaf, key, checks, fail);

    if (stored.org !== checks.org)
      fail('/org', `org is ${quote(stored.org)}, not the bundle's org ${quote(checks.org)}`);
    externalId ??= stored.org_external_id;
    if (stored.org_external_id !== externalId) {
      fail(
        '/org_external_id',
        `org_external_id ${quote(stored.org_external_id)} differs from the first event's ${quote(externalId)}`,
      );
    }

    const index = stored.chain_index;
    checkOrder(index, before?.index, checks, fail);
    const linked = before !== undefined && before.index === index - 1 ? before.hash : undefined;
    const hash = checkChain(stored, leaf, linked, events[i + 1]?.event, checks.crypto, fail);

    if (item.inclusionProof !== undefined) {
      checkInclusion(leaf, index, item.inclusionProof, checks, (_suffix, message) => {
        throw bundleError(`/events/${i}/inclusion_proof`, `${label}: ${message}`);
      });
    }
    if (!keyIds.includes(stored.key_id)) keyIds.push(stored.key_id);
    leaves.push(leaf);
    chainIndexes.push(index);
    before = { index, hash };
  }
  return { leaves, chainIndexes, keyIds };
}
