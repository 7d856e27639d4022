import { describe, expect, it } from 'vitest';
import { verifyBundle } from '../src/index.js';
import { bundleOf, makeLog, nodeCrypto, range } from './bundle-helpers.js';

describe('evidence bundle size', () => {
  it('keeps a 10,000-event contiguous bundle within 2x the same events as NDJSON', () => {
    const count = 10_000;
    const log = makeLog(count + 37);
    const indexes = range(20, 20 + count);
    const bundle = bundleOf(log, indexes);
    const bundleBytes = Buffer.byteLength(JSON.stringify(bundle));
    const ndjsonBytes = indexes.reduce(
      (sum, i) => sum + Buffer.byteLength(JSON.stringify(log.events[i])) + 1,
      0,
    );
    const ratio = bundleBytes / ndjsonBytes;
    console.log(
      `bundle ${bundleBytes} bytes / NDJSON ${ndjsonBytes} bytes = ${ratio.toFixed(4)} for ${count} contiguous events`,
    );
    expect(ratio).toBeLessThanOrEqual(2);
    const started = performance.now();
    expect(
      verifyBundle(JSON.parse(JSON.stringify(bundle)), log.signers.current.verifierKey, nodeCrypto)
        .events,
    ).toBe(count);
    console.log(`verified in ${Math.round(performance.now() - started)} ms with Node crypto`);
  });
});
