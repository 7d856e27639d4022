// Shared by the bundle-*.test.ts suites: a realistic org log built with the
// core exactly as the server builds it (validate -> buildEntry -> JCS ->
// leaf hash -> chain hash -> Ed25519), a MerkleTree over it, signed
// checkpoints, and bundles in both forms.
import { expect } from 'vitest';
import {
  assertValidEventInput,
  bytesToHex,
  canonicalBytes,
  chainHash,
  createBundle,
  createNoteSigner,
  EVENT_LIMITS,
  formatTimestamp,
  GENESIS_PREVIOUS_HASH,
  hexToBytes,
  isLogproofError,
  leafHash,
  MerkleTree,
  signCheckpoint,
  signEvent,
  buildEntry,
  type BundleForm,
  type CryptoProvider,
  type EvidenceBundle,
  type NoteSigner,
  type StoredEvent,
} from '../src/index.js';
import { createNodeCrypto } from '../src/node-crypto.js';

/** Node's native provider, for suites that sign or verify a lot. */
export const nodeCrypto: CryptoProvider = createNodeCrypto();

export const ORG = 'org_2mZ8k1Qz';
export const ORIGIN = `logproof.example.com/${ORG}`;
const NOW = Date.parse('2026-02-10T14:32:18.123Z');

/** Fixed seeds: the org's current key, its key before a rotation, an attacker's key. */
export const SEEDS = {
  current: hexToBytes('5e4c23f7098b342513abd4eabb89517ba2e1479b16e754771a3dc02bbcbbba78'),
  rotated: hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  attacker: hexToBytes('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'),
};

export function signerFor(
  seed: Uint8Array,
  crypto: CryptoProvider = nodeCrypto,
  name = ORIGIN,
): NoteSigner {
  return createNoteSigner(name, seed, crypto);
}

const ACTIONS = [
  'user.login',
  'billing.invoice.paid',
  'org.member.invited',
  'api_key.created',
  'user.password.reset',
];

/** An API input as a customer would send it; varied so entries differ in shape. */
function inputFor(i: number): unknown {
  const input: Record<string, unknown> = {
    action: ACTIONS[i % ACTIONS.length],
    actor:
      i % 7 === 3
        ? { id: 'svc_exporter', type: 'service' }
        : { id: `user_${i % 13}`, name: 'Ada Lovelace', email: 'ada@example.com' },
  };
  if (i % 2 === 0)
    input.target = { id: `inv_${8800 + i}`, type: 'invoice', name: `Invoice #${8800 + i}` };
  if (i % 3 !== 0)
    input.metadata = { amount_cents: 1000 + i, currency: 'EUR', sso: i % 2 === 0, note: 'café ☕' };
  if (i % 4 === 1)
    input.context = { ip: '203.0.113.7', user_agent: 'curl/8.5.0', request_id: `req_${i}` };
  if (i % 5 === 2) input.occurred_at = '2026-02-10T16:00:00.5+02:00';
  if (i % 6 === 5) input.description = `Ada paid invoice #${8800 + i}`;
  if (i % 9 === 8) input.outcome = 'failure';
  return input;
}

export interface TestLog {
  events: StoredEvent[];
  tree: MerkleTree;
  signers: { current: NoteSigner; rotated: NoteSigner };
}

/**
 * An org log of `count` events. Events before `rotateAt` are signed by the
 * rotated (old) key, the rest by the current key; checkpoints by the current key.
 */
export function makeLog(
  count: number,
  options: { rotateAt?: number; crypto?: CryptoProvider } = {},
): TestLog {
  const crypto = options.crypto ?? nodeCrypto;
  const signers = {
    current: signerFor(SEEDS.current, crypto),
    rotated: signerFor(SEEDS.rotated, crypto),
  };
  const tree = new MerkleTree(crypto);
  const events: StoredEvent[] = [];
  let previous = GENESIS_PREVIOUS_HASH;
  for (let i = 0; i < count; i++) {
    const normalized = assertValidEventInput(inputFor(i), {
      now: NOW,
      backfillWindowMs: EVENT_LIMITS.defaultBackfillWindowMs,
    });
    const entry = buildEntry(normalized, {
      id: `evt_${String(i).padStart(8, '0')}`,
      org: ORG,
      orgExternalId: 'acme-prod',
      chainIndex: i,
      createdAt: formatTimestamp(NOW + i * 37),
    });
    const bytes = canonicalBytes(entry);
    const leaf = leafHash(bytes, crypto);
    const hash = chainHash(previous, leaf, crypto);
    const signer = i < (options.rotateAt ?? 0) ? signers.rotated : signers.current;
    events.push({
      ...entry,
      leaf_hash: bytesToHex(leaf),
      hash: bytesToHex(hash),
      previous_hash: bytesToHex(previous),
      signature: signEvent(bytes, signer),
      key_id: signer.keyIdHex,
    });
    tree.append(leaf);
    previous = hash;
  }
  return { events, tree, signers };
}

/** The signed checkpoint of the first `size` leaves (default: all). */
export function checkpointOf(
  log: TestLog,
  size = log.tree.size,
  signer = log.signers.current,
): string {
  return signCheckpoint(
    { origin: signer.name, treeSize: size, rootHash: log.tree.root(size), extensions: [] },
    signer,
  );
}

/** A bundle of `log.events[i]` for each i in `indexes`, proven against the checkpoint of `size`. */
export function bundleOf(
  log: TestLog,
  indexes: readonly number[],
  options: { form?: BundleForm; size?: number; crypto?: CryptoProvider } = {},
): EvidenceBundle {
  const size = options.size ?? log.tree.size;
  return createBundle({
    origin: ORIGIN,
    org: ORG,
    verifierKeys: [log.signers.current.verifierKey, log.signers.rotated.verifierKey],
    checkpoint: checkpointOf(log, size),
    events: indexes.map((i) => log.events[i]!),
    proofs: { read: log.tree.read, ...(options.form === undefined ? {} : { form: options.form }) },
    crypto: options.crypto ?? nodeCrypto,
  });
}

/** [start, end) as a list of indexes. */
export function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

/** A deep copy that tests can mutate freely. */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Runs `run`, asserts ERR_BUNDLE and returns problems[0]. */
export function bundleProblem(run: () => unknown): { path: string; message: string } {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  if (!isLogproofError(thrown, 'ERR_BUNDLE')) {
    expect.fail(`expected ERR_BUNDLE, got ${thrown === undefined ? 'a pass' : String(thrown)}`);
  }
  expect(thrown.problems).toHaveLength(1);
  return thrown.problems[0]!;
}
