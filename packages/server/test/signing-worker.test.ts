import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createNoteSigner, nobleCrypto } from '@logproof/core';
import { createEd25519PrivateKey, createNodeCrypto } from '@logproof/core/node-crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SigningWorker } from '../src/services/signing-worker.js';

const SEED = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const ORIGIN = 'logproof.test/org_signing';
const encoder = new TextEncoder();

/** Messages of varied lengths, the empty one included. */
function messages(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    encoder.encode(
      `{"chain_index":${i},"pad":"${'x'.repeat((i * 37) % 900)}"}`.slice(
        0,
        i % 50 === 7 ? 0 : undefined,
      ),
    ),
  );
}

const hex = (signatures: Uint8Array[]) => signatures.map((s) => Buffer.from(s).toString('hex'));

describe('SigningWorker', () => {
  let worker: SigningWorker;
  afterEach(async () => {
    await worker.close();
  });

  it('gives the same signatures as the plain signer, for 0, 1 and many messages', () => {
    worker = new SigningWorker({ minMessages: 2 });
    const plain = createNoteSigner(ORIGIN, SEED, createNodeCrypto());
    const parallel = createNoteSigner(ORIGIN, SEED, worker.wrap(createNodeCrypto()));
    expect(parallel.publicKey).toEqual(plain.publicKey);
    expect(parallel.keyIdHex).toBe(plain.keyIdHex);
    for (const count of [0, 1, 2, 3, 64, 1000]) {
      const batch = messages(count);
      const signatures = parallel.signEach(batch);
      expect(signatures).toHaveLength(count);
      expect(hex(signatures)).toEqual(hex(batch.map((m) => plain.sign(m))));
    }
  });

  it('signs many groups in a row, with any base provider', () => {
    worker = new SigningWorker({ minMessages: 2 });
    // nobleCrypto signs in this thread, node:crypto in the worker: Ed25519 is
    // deterministic, so the bytes agree whichever thread signed.
    const parallel = createNoteSigner(ORIGIN, SEED, worker.wrap(nobleCrypto));
    const plain = createNoteSigner(ORIGIN, SEED);
    for (let round = 0; round < 8; round++) {
      const batch = messages(40 + round);
      expect(hex(parallel.signEach(batch))).toEqual(hex(batch.map((m) => plain.sign(m))));
    }
  });

  it('hands part of a large group to the worker', () => {
    worker = new SigningWorker({ minMessages: 2 });
    const key = createEd25519PrivateKey(SEED);
    const plain = createNodeCrypto().ed25519Signer(SEED);
    const batch = messages(1000);
    // The first groups may find the worker still starting: allow a few.
    let inThread = batch.length;
    for (let round = 0; round < 10 && inThread === batch.length; round++) {
      inThread = 0;
      const signatures = worker.signEach(key, batch, (m) => {
        inThread++;
        return plain.sign(m);
      });
      expect(hex(signatures)).toEqual(hex(batch.map((m) => plain.sign(m))));
    }
    expect(inThread).toBeLessThan(batch.length);
  });

  it('signs the worker share itself when the worker does not answer in time', () => {
    worker = new SigningWorker({ minMessages: 2, timeoutMs: 0 });
    const key = createEd25519PrivateKey(SEED);
    const plain = createNodeCrypto().ed25519Signer(SEED);
    const batch = messages(300);
    for (let round = 0; round < 3; round++) {
      const signatures = worker.signEach(key, batch, (m) => plain.sign(m));
      expect(hex(signatures)).toEqual(hex(batch.map((m) => plain.sign(m))));
    }
  });

  it('signs in the calling thread after close, with the same bytes', async () => {
    worker = new SigningWorker({ minMessages: 2 });
    const key = createEd25519PrivateKey(SEED);
    const plain = createNodeCrypto().ed25519Signer(SEED);
    const batch = messages(100);
    const before = worker.signEach(key, batch, (m) => plain.sign(m));
    await worker.close();
    let calls = 0;
    const after = worker.signEach(key, batch, (m) => {
      calls++;
      return plain.sign(m);
    });
    expect(calls).toBe(batch.length);
    expect(hex(after)).toEqual(hex(before));
  });

  it('signs small groups in the calling thread', () => {
    worker = new SigningWorker({ minMessages: 16 });
    const key = createEd25519PrivateKey(SEED);
    const plain = createNodeCrypto().ed25519Signer(SEED);
    let calls = 0;
    const batch = messages(15);
    worker.signEach(key, batch, (m) => {
      calls++;
      return plain.sign(m);
    });
    expect(calls).toBe(15);
  });

  it('surfaces the calling thread signer error when a message cannot be signed', () => {
    worker = new SigningWorker({ minMessages: 2 });
    const key = createEd25519PrivateKey(SEED);
    expect(() =>
      worker.signEach(key, messages(50), () => {
        throw new Error('signer failed');
      }),
    ).toThrow('signer failed');
  });

  it('does not keep the process alive', () => {
    // A process that signed on the worker and never closed it must still exit.
    // Node runs the build (as the process-*.test.ts suites do), not the sources.
    const module = fileURLToPath(new URL('../dist/services/signing-worker.js', import.meta.url));
    const script = `
      const { SigningWorker } = await import(${JSON.stringify(module)});
      const { createEd25519PrivateKey } = await import('@logproof/core/node-crypto');
      const { sign } = await import('node:crypto');
      const key = createEd25519PrivateKey(new Uint8Array(32).fill(3));
      const signing = new SigningWorker({ minMessages: 2 });
      const out = signing.signEach(key, Array.from({ length: 500 }, (_, i) => new Uint8Array([i & 255])), (m) => sign(null, m, key));
      console.log(out.length);
    `;
    worker = new SigningWorker();
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.signal).toBeNull();
    expect(result.stdout.trim()).toBe('500');
  });
});
