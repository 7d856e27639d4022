import { describe, expect, it } from 'vitest';
import {
  BUNDLE_FORMAT,
  isLogproofError,
  nobleCrypto,
  parseVerifierKey,
  verifyBundle,
} from '../src/index.js';
import {
  bundleOf,
  bundleProblem,
  copy,
  makeLog,
  nodeCrypto,
  ORIGIN,
  range,
} from './bundle-helpers.js';

const log = makeLog(40);
const key = log.signers.current.verifierKey;

describe('verifyBundle on honest bundles', () => {
  it('accepts a contiguous run with one range proof and reports what it proved', () => {
    const bundle = bundleOf(log, range(11, 23));
    expect(bundle.range_proof).toBeDefined();
    expect(bundle.events.every((item) => item.inclusion_proof === undefined)).toBe(true);
    expect(verifyBundle(bundle, key)).toEqual({
      valid: true,
      origin: ORIGIN,
      treeSize: 40,
      rootHash: Buffer.from(log.tree.root()).toString('hex'),
      events: 12,
      firstIndex: 11,
      lastIndex: 22,
      keyIds: [log.signers.current.keyIdHex],
    });
  });

  it('accepts scattered events, each with its inclusion proof', () => {
    const bundle = bundleOf(log, [3, 17, 4, 39, 0]);
    expect(bundle.range_proof).toBeUndefined();
    expect(bundle.events.map((item) => item.event.chain_index)).toEqual([0, 3, 4, 17, 39]);
    const report = verifyBundle(bundle, key);
    expect(report).toMatchObject({ events: 5, firstIndex: 0, lastIndex: 39, treeSize: 40 });
  });

  it('accepts a contiguous run in the inclusion-proof form when asked for it', () => {
    const bundle = bundleOf(log, range(5, 9), { form: 'inclusion' });
    expect(bundle.events.every((item) => item.inclusion_proof !== undefined)).toBe(true);
    expect(verifyBundle(bundle, key).events).toBe(4);
  });

  it('accepts runs at both edges of the tree, where left or right is empty', () => {
    for (const [start, end] of [
      [0, 40],
      [0, 1],
      [39, 40],
      [0, 16],
      [16, 32],
    ] as const) {
      const bundle = bundleOf(log, range(start, end));
      expect(verifyBundle(bundle, key), `[${start}, ${end})`).toMatchObject({
        firstIndex: start,
        lastIndex: end - 1,
      });
    }
  });

  it('accepts a bundle proven against an older checkpoint than the latest', () => {
    const bundle = bundleOf(log, range(2, 9), { size: 9 });
    expect(verifyBundle(bundle, key)).toMatchObject({ treeSize: 9, lastIndex: 8 });
  });

  it('gives the same answer with the pure-JS noble provider and with Node crypto', () => {
    const bundle = bundleOf(log, [1, 2, 30]);
    expect(verifyBundle(bundle, key, nobleCrypto)).toEqual(verifyBundle(bundle, key, nodeCrypto));
  });

  it('accepts a bundle after a round trip through JSON text', () => {
    const bundle = JSON.parse(JSON.stringify(bundleOf(log, range(0, 7)))) as unknown;
    expect(verifyBundle(bundle, key).events).toBe(7);
  });

  it('accepts the trusted key as a string, a parsed key or a list', () => {
    const bundle = bundleOf(log, [8]);
    expect(verifyBundle(bundle, parseVerifierKey(key)).valid).toBe(true);
    expect(verifyBundle(bundle, [key]).valid).toBe(true);
    expect(verifyBundle(bundle, [log.signers.rotated.verifierKey, key]).valid).toBe(true);
  });

  it('writes the format string and only the keys in use', () => {
    const bundle = bundleOf(log, [1]);
    expect(bundle.format).toBe(BUNDLE_FORMAT);
    expect(bundle.verifier_keys).toEqual([key]);
  });
});

describe('verifyBundle after a key rotation', () => {
  const rotatedLog = makeLog(20, { rotateAt: 8 });
  const keys = [rotatedLog.signers.current.verifierKey, rotatedLog.signers.rotated.verifierKey];

  it('verifies events signed by the old and the new key when the caller trusts both', () => {
    const bundle = bundleOf(rotatedLog, range(4, 12));
    expect(bundle.verifier_keys).toHaveLength(2);
    expect(verifyBundle(bundle, keys).keyIds).toEqual([
      rotatedLog.signers.current.keyIdHex,
      rotatedLog.signers.rotated.keyIdHex,
    ]);
  });

  it('names the first event signed by an old key the caller did not pass', () => {
    const bundle = bundleOf(rotatedLog, range(4, 12));
    const problem = bundleProblem(() =>
      verifyBundle(bundle, rotatedLog.signers.current.verifierKey),
    );
    expect(problem.path).toBe('/events/0/event/key_id');
    expect(problem.message).toMatch(
      /^event 0 \(chain_index 4\): signed by key .* the caller does not trust/,
    );
  });

  it('needs only the keys in use: a bundle of new events verifies with the new key alone', () => {
    const bundle = bundleOf(rotatedLog, range(8, 20));
    expect(bundle.verifier_keys).toEqual([rotatedLog.signers.current.verifierKey]);
    expect(verifyBundle(bundle, rotatedLog.signers.current.verifierKey).events).toBe(12);
  });
});

describe('verifyBundle on bad trusted keys (the caller’s input)', () => {
  const bundle = bundleOf(log, [1]);

  it('throws ERR_VERIFIER_KEY, not ERR_BUNDLE, for a malformed key or an empty list', () => {
    for (const bad of ['not a key', [], [key, `${key}x`]] as const) {
      let thrown: unknown;
      try {
        verifyBundle(bundle, bad);
      } catch (error) {
        thrown = error;
      }
      expect(isLogproofError(thrown, 'ERR_VERIFIER_KEY'), JSON.stringify(bad)).toBe(true);
    }
  });

  it('re-reads a parsed key from its text, so a doctored object is refused', () => {
    const parsed = parseVerifierKey(key);
    const doctored = {
      ...parsed,
      publicKey: parseVerifierKey(log.signers.rotated.verifierKey).publicKey,
    };
    expect(() => verifyBundle(bundle, doctored)).toThrow(/does not match its own text/);
  });

  it('leaves the caller’s bundle untouched', () => {
    const before = copy(bundle);
    verifyBundle(bundle, key);
    expect(bundle).toEqual(before);
  });
});
