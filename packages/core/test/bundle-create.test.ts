import { describe, expect, it } from 'vitest';
import {
  bundleHashIndexes,
  createBundle,
  isLogproofError,
  readerFromMap,
  verifyBundle,
  type CreateBundleInput,
  type HashReader,
} from '../src/index.js';
import {
  checkpointOf,
  makeLog,
  nodeCrypto,
  ORG,
  ORIGIN,
  range,
  SEEDS,
  signerFor,
} from './bundle-helpers.js';

const log = makeLog(30, { rotateAt: 10 });
const keys = [log.signers.current.verifierKey, log.signers.rotated.verifierKey];

function input(indexes: readonly number[], proofs: CreateBundleInput['proofs']): CreateBundleInput {
  return {
    origin: ORIGIN,
    org: ORG,
    verifierKeys: keys,
    checkpoint: checkpointOf(log),
    events: indexes.map((i) => log.events[i]!),
    proofs,
    crypto: nodeCrypto,
  };
}

/** A reader that holds only the hashes bundleHashIndexes asked for, like a store query would return. */
function storeReader(indexes: readonly number[]): HashReader {
  const wanted = bundleHashIndexes(indexes, log.tree.size);
  const fetched = log.tree.read(wanted);
  return readerFromMap(new Map(wanted.map((index, i) => [index, fetched[i]!])));
}

function expectBundleError(run: () => unknown, path: string): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  if (!isLogproofError(thrown, 'ERR_BUNDLE'))
    expect.fail(`expected ERR_BUNDLE, got ${String(thrown)}`);
  expect(thrown.problems[0]?.path).toBe(path);
}

describe('createBundle', () => {
  it('builds both forms from exactly the stored hashes bundleHashIndexes names', () => {
    for (const indexes of [range(7, 19), [25, 2, 14]]) {
      const bundle = createBundle(input(indexes, { read: storeReader(indexes) }));
      expect(bundle.range_proof !== undefined).toBe(indexes.length === 12);
      expect(verifyBundle(bundle, keys, nodeCrypto).events).toBe(indexes.length);
    }
  });

  it('asks for no more hashes than a range proof carries', () => {
    const wanted = bundleHashIndexes(range(7, 19), 30);
    const bundle = createBundle(input(range(7, 19), { read: storeReader(range(7, 19)) }));
    expect(wanted).toHaveLength(bundle.range_proof!.left.length + bundle.range_proof!.right.length);
    expect(bundleHashIndexes([], 30)).toEqual([]);
  });

  it('accepts ready-made inclusion proofs in the order of the events given', () => {
    const indexes = [20, 3, 11];
    const proofs = indexes.map((i) => log.tree.inclusionProof(i));
    const bundle = createBundle(input(indexes, { inclusionProofs: proofs }));
    expect(bundle.events.map((item) => item.event.chain_index)).toEqual([3, 11, 20]);
    expect(verifyBundle(bundle, keys, nodeCrypto).events).toBe(3);
  });

  it('accepts ready-made compact ranges', () => {
    const bundle = createBundle(
      input(range(4, 9), {
        left: log.tree.compactRange(0, 4),
        right: log.tree.compactRange(9, 30),
      }),
    );
    expect(bundle.range_proof?.start).toBe(4);
    expect(verifyBundle(bundle, keys, nodeCrypto).events).toBe(5);
  });

  it('lists only the verifier keys the checkpoint and events use', () => {
    const newOnly = createBundle(input(range(12, 15), { read: log.tree.read }));
    expect(newOnly.verifier_keys).toEqual([log.signers.current.verifierKey]);
    const both = createBundle(input(range(8, 12), { read: log.tree.read }));
    expect(both.verifier_keys).toEqual(keys);
  });

  it('refuses what the verifier would refuse', () => {
    expectBundleError(() => createBundle(input([], { read: log.tree.read })), '/events');
    expectBundleError(
      () => createBundle(input([3, 3], { read: log.tree.read })),
      '/events/1/chain_index',
    );
    expectBundleError(
      () => createBundle(input([3, 5], { read: log.tree.read, form: 'range' })),
      '/proofs/form',
    );
    expectBundleError(
      () => createBundle({ ...input([3], { read: log.tree.read }), org: 'org_other' }),
      '/org',
    );
    expectBundleError(
      () =>
        createBundle({
          ...input([3], { read: log.tree.read }),
          verifierKeys: [log.signers.current.verifierKey],
        }),
      '/events/0/key_id',
    );
    expectBundleError(
      () =>
        createBundle({
          ...input([3, 29], { read: log.tree.read }),
          checkpoint: checkpointOf(log, 20),
        }),
      '/events/1/chain_index',
    );
    const wrong = log.tree.inclusionProof(4);
    expectBundleError(() => createBundle(input([3], { inclusionProofs: [wrong] })), '/events/0');
    expectBundleError(
      () =>
        createBundle(
          input(range(4, 9), {
            left: log.tree.compactRange(0, 4),
            right: log.tree.compactRange(9, 29),
          }),
        ),
      '/proofs',
    );
  });

  it('refuses a checkpoint its keys do not sign, with the note error', () => {
    const stranger = signerFor(SEEDS.attacker);
    let thrown: unknown;
    try {
      createBundle({
        ...input([3], { read: log.tree.read }),
        checkpoint: checkpointOf(log, 30, stranger),
      });
    } catch (error) {
      thrown = error;
    }
    expect(isLogproofError(thrown, 'ERR_NOTE_UNVERIFIED')).toBe(true);
  });

  it('reports a hash the store did not return as ERR_HASH_MISSING', () => {
    let thrown: unknown;
    try {
      createBundle(input(range(4, 9), { read: readerFromMap(new Map()) }));
    } catch (error) {
      thrown = error;
    }
    expect(isLogproofError(thrown, 'ERR_HASH_MISSING')).toBe(true);
  });
});
