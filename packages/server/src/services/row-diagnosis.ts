import { bytesToHex, chainHash, equalBytes, type CryptoProvider } from '@logproof/core';
import type { LogRow } from '../store/log-read-port.js';
import type { LogCheck, LogProblem } from './log-verification.js';

/** What diagnoseRow found, for LogVerifier to report and continue from. */
export interface RowDiagnosis {
  /** The row's problems, in the order they are to be reported. */
  readonly problems: readonly LogProblem[];
  /** The expected previous_hash of the next row; undefined when unknown. */
  readonly previous: Uint8Array | undefined;
  /** Whether the row's leaf is to be compared with the stored Merkle leaf. */
  readonly rowConsistent: boolean;
}

/**
 * A row whose stored values disagree: find out which changed, and say it once.
 * `expected` is the previous_hash the row should have; undefined when unknown
 * (after a lost row).
 */
export function diagnoseRow(
  i: number,
  row: LogRow,
  leaf: Uint8Array,
  expected: Uint8Array | undefined,
  orgId: string,
  crypto: CryptoProvider,
): RowDiagnosis {
  const problems: LogProblem[] = [];
  const add = (check: LogCheck, detail: string): void => {
    problems.push({ chainIndex: i, eventId: row.id, check, detail });
  };
  if (checkCanonical(i, row, orgId, add)) {
    // Another position's event: its own hashes cannot link here, and
    // reporting each of them would only repeat the one finding.
    return { problems, previous: undefined, rowConsistent: false };
  }
  const linked = expected === undefined || equalBytes(row.previousHash, expected);
  if (!linked) {
    add('chain_link', `previous_hash is not the hash of chain_index ${i - 1}`);
  }
  // Which stored values are the originals: the ones that, chained, give the
  // stored hash. That tells an edited content from an edited leaf_hash, and
  // an edited previous_hash from a forged hash of the event before.
  const leafOk = equalBytes(leaf, row.leafHash);
  const previousCandidates = linked ? [row.previousHash] : [expected!, row.previousHash];
  const leafCandidates = leafOk ? [leaf] : [leaf, row.leafHash];
  let hash: Uint8Array | undefined;
  let chainedLeaf: Uint8Array | undefined;
  search: for (const p of previousCandidates) {
    for (const l of leafCandidates) {
      const h = chainHash(p, l, crypto);
      if (equalBytes(h, row.hash)) {
        hash = h;
        chainedLeaf = l;
        break search;
      }
    }
  }
  if (!leafOk) {
    add(
      'leaf_hash',
      chainedLeaf === leaf
        ? 'the stored leaf_hash was changed: the content and the chain agree on another'
        : chainedLeaf === row.leafHash
          ? `the content was changed: its canonical bytes hash to ${bytesToHex(leaf)}, not to the leaf_hash the chain holds`
          : 'the content or the leaf_hash was changed: the canonical bytes do not hash to the stored leaf_hash',
    );
  }
  if (hash === undefined) {
    add(
      'chain_link',
      'hash is not SHA-256(previous_hash || leaf_hash): the stored hash was changed',
    );
    hash = chainHash(previousCandidates[0]!, leaf, crypto);
  }
  return { problems, previous: hash, rowConsistent: leafOk };
}

/**
 * The canonical bytes must be an entry of this org at this position.
 * Returns true when they are another position's (rows were moved).
 */
function checkCanonical(
  i: number,
  row: LogRow,
  orgId: string,
  add: (check: LogCheck, detail: string) => void,
): boolean {
  let entry: unknown;
  try {
    entry = JSON.parse(row.canonical);
  } catch {
    add('canonical', 'the stored canonical bytes are not JSON');
    return false;
  }
  const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  if (e.chain_index !== i) {
    add(
      'canonical',
      `the row holds the event of chain_index ${JSON.stringify(e.chain_index)}: rows were moved or swapped`,
    );
    return true;
  }
  if (e.id !== row.id || e.org !== orgId) {
    add(
      'canonical',
      `the canonical bytes name event ${JSON.stringify(e.id)} of org ${JSON.stringify(e.org)}`,
    );
  }
  return false;
}
