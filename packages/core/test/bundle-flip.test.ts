import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isLogproofError,
  nobleCrypto,
  verifyBundle,
  type CryptoProvider,
  type EvidenceBundle,
} from '../src/index.js';
import { bundleOf, makeLog, nodeCrypto, range } from './bundle-helpers.js';

// PROOFS.md §7: "Any single flipped byte anywhere in the bundle must be
// detected and named." A flipped byte of the serialized bundle either breaks
// the JSON (the CLI reports a parse failure) or is ERR_BUNDLE, never a pass,
// and the path named lies in the part of the bundle the byte was flipped in:
// the same event, or the same top-level member.
const log = makeLog(24, { rotateAt: 6 });
const keys = [log.signers.current.verifierKey, log.signers.rotated.verifierKey];
const forms: [string, EvidenceBundle][] = [
  ['range_proof', bundleOf(log, range(4, 8))],
  ['inclusion_proof', bundleOf(log, [0, 6, 23])],
];

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 byte span of each top-level member and of each /events/i, member name included. */
function spansOf(bundle: EvidenceBundle): {
  bytes: Uint8Array;
  spans: Map<string, [number, number]>;
} {
  const spans = new Map<string, [number, number]>();
  let text = '{';
  const at = () => encoder.encode(text).length;
  Object.entries(bundle).forEach(([name, value], k) => {
    if (k > 0) text += ',';
    const start = at();
    text += `${JSON.stringify(name)}:`;
    if (name === 'events') {
      text += '[';
      (value as unknown[]).forEach((item, i) => {
        if (i > 0) text += ',';
        const from = at();
        text += JSON.stringify(item);
        spans.set(`/events/${i}`, [from, at()]);
      });
      text += ']';
    } else {
      text += JSON.stringify(value);
    }
    spans.set(`/${name}`, [start, at()]);
  });
  text += '}';
  expect(text).toBe(JSON.stringify(bundle));
  return { bytes: encoder.encode(text), spans };
}

/** The part of the bundle a problem path names: /events/i or a top-level member. */
function scopeOf(path: string): string {
  const events = /^\/events\/\d+/.exec(path);
  if (events !== null) return events[0];
  return /^\/[^/]*/.exec(path)?.[0] ?? '';
}

type Outcome = 'parse-failure' | 'located' | 'renamed';

/** Verifies the bundle with byte `offset` replaced by `value`; fails the test on a pass. */
function verifyFlipped(
  form: [string, EvidenceBundle],
  layout: ReturnType<typeof spansOf>,
  offset: number,
  value: number,
  crypto: CryptoProvider = nodeCrypto,
): Outcome {
  const bytes = Uint8Array.from(layout.bytes);
  bytes[offset] = value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return 'parse-failure';
  }
  let thrown: unknown;
  try {
    verifyBundle(parsed, keys, crypto);
  } catch (error) {
    thrown = error;
  }
  const where = `${form[0]} byte ${offset} -> 0x${value.toString(16)}`;
  if (!isLogproofError(thrown, 'ERR_BUNDLE'))
    expect.fail(`${where}: expected ERR_BUNDLE, got ${String(thrown)}`);
  const path = thrown.problems[0]!.path;
  const span = layout.spans.get(scopeOf(path));
  // A flipped member name makes a member that did not exist (`/formau`): its
  // parent, the whole bundle, trivially holds the byte.
  if (span === undefined) return 'renamed';
  expect(offset >= span[0] && offset < span[1], `${where}: named ${path}`).toBe(true);
  return 'located';
}

describe('verifyBundle against single flipped bytes', () => {
  it.each(forms)(
    'detects and locates every byte of a %s bundle flipped in its low bit or its case bit',
    (...form) => {
      const layout = spansOf(form[1]);
      const counts: Record<Outcome, number> = { 'parse-failure': 0, located: 0, renamed: 0 };
      for (let offset = 0; offset < layout.bytes.length; offset++) {
        // Bit 0 turns a digit or letter into its neighbour; bit 5 changes case (and hex validity).
        const mask = offset % 2 === 0 ? 0x01 : 0x20;
        counts[verifyFlipped(form, layout, offset, layout.bytes[offset]! ^ mask)]++;
      }
      expect(counts.located).toBeGreaterThan(counts['parse-failure']);
    },
  );

  it.each(forms)('detects a random byte of a %s bundle replaced by any other value', (...form) => {
    const layout = spansOf(form[1]);
    fc.assert(
      fc.property(
        fc.nat({ max: layout.bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (offset, delta) => {
          verifyFlipped(form, layout, offset, (layout.bytes[offset]! + delta) & 0xff);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('detects random replaced bytes with the pure-JS noble provider the CLI and browser use', () => {
    const form = forms[0]!;
    const layout = spansOf(form[1]);
    fc.assert(
      fc.property(
        fc.nat({ max: layout.bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (offset, delta) => {
          verifyFlipped(form, layout, offset, (layout.bytes[offset]! + delta) & 0xff, nobleCrypto);
        },
      ),
      { numRuns: 150 },
    );
  });
});
