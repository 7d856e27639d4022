import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { CryptoProvider, Ed25519Signer } from '@logproof/core';
import { createEd25519PrivateKey } from '@logproof/core/node-crypto';

// Ed25519 signing was a fifth of the append path's CPU, all of it on the main
// thread inside the (synchronous) append transaction. A group's signatures
// are independent of each other, so a second thread can sign part of them
// while the main thread signs the rest, and the transaction stays synchronous:
// the main thread waits for the worker's share with Atomics.wait.
//
// A job is one SharedArrayBuffer: per message a state (FREE, CLAIMED,
// SIGNED), the message offsets, the 64-byte signature slots, the messages.
// The main thread claims messages from the front, the worker from the back,
// each with a compare-and-swap, so neither ever waits for the other to start:
// a worker that wakes late finds everything claimed and does nothing. The
// main thread then waits only for the messages the worker claimed.
//
// The worker is inline (eval) so that it runs the same from dist/ and from
// the TypeScript sources under the test runner. The key travels as a
// KeyObject: the key stays inside the process and is never copied as bytes.
const FREE = 0;
const CLAIMED = 1;
const SIGNED = 2;
const SIGNATURE_SIZE = 64;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { sign } = require('node:crypto');
parentPort.on('message', ({ key, buffer, count }) => {
  // As layoutOf below.
  const signaturesAt = 4 * (2 * count + 1);
  const state = new Int32Array(buffer, 0, count);
  const offsets = new Int32Array(buffer, 4 * count, count + 1);
  const signatures = new Uint8Array(buffer, signaturesAt, 64 * count);
  const bytes = new Uint8Array(buffer, signaturesAt + 64 * count);
  for (let i = count - 1; i >= 0 && Atomics.compareExchange(state, i, ${FREE}, ${CLAIMED}) === ${FREE}; i--) {
    try {
      signatures.set(sign(null, bytes.subarray(offsets[i], offsets[i + 1]), key), ${SIGNATURE_SIZE} * i);
      Atomics.store(state, i, ${SIGNED});
    } catch {
      // Hand the message back: the main thread signs it and sees the error.
      Atomics.store(state, i, ${FREE});
      Atomics.notify(state, i);
      return;
    }
    Atomics.notify(state, i);
  }
});
`;

/** The views of a job's buffer (the worker source repeats it). */
function layoutOf(buffer: SharedArrayBuffer, count: number) {
  const signaturesAt = 4 * (2 * count + 1);
  return {
    state: new Int32Array(buffer, 0, count),
    offsets: new Int32Array(buffer, 4 * count, count + 1),
    signatures: new Uint8Array(buffer, signaturesAt, 64 * count),
    bytes: new Uint8Array(buffer, signaturesAt + 64 * count),
  };
}

export interface SigningWorkerOptions {
  /**
   * Fewer messages than this are signed in the calling thread alone: waking
   * the worker costs more than it saves (a single event, say). Default 16.
   */
  readonly minMessages?: number;
  /**
   * How long the calling thread waits for the worker's share before signing
   * it itself and giving the worker up. Default 5000 ms.
   */
  readonly timeoutMs?: number;
}

/**
 * A second thread for Ed25519 signing. {@link SigningWorker.wrap} gives a
 * crypto provider whose signers' `signEach` sign large groups on both
 * threads, with the same bytes as in one thread. The worker does not keep
 * the process alive; after {@link SigningWorker.close}, or if the worker
 * dies or hangs, everything is signed in the calling thread.
 */
export class SigningWorker {
  readonly #minMessages: number;
  readonly #timeoutMs: number;
  #worker: Worker | null = null;
  #closed = false;

  constructor(options: SigningWorkerOptions = {}) {
    this.#minMessages = Math.max(2, options.minMessages ?? 16);
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** `base`, with signers that also sign on this worker (`Ed25519Signer.signEach`). */
  wrap(base: CryptoProvider): CryptoProvider {
    return Object.freeze({
      sha256: base.sha256.bind(base),
      ed25519Verify: base.ed25519Verify.bind(base),
      ed25519Signer: (seed: Uint8Array): Ed25519Signer => {
        const inner = base.ed25519Signer(seed);
        const key = createEd25519PrivateKey(seed);
        const sign = (message: Uint8Array) => inner.sign(message);
        return {
          publicKey: inner.publicKey,
          sign,
          signEach: (messages) => this.signEach(key, messages, sign),
        };
      },
    });
  }

  /**
   * The signatures of `messages` under `key`: the worker signs some, `sign`
   * (the same key, in this thread) the others. Synchronous: it returns when
   * every message is signed.
   */
  signEach(
    key: KeyObject,
    messages: readonly Uint8Array[],
    sign: (message: Uint8Array) => Uint8Array,
  ): Uint8Array[] {
    const count = messages.length;
    const worker = count >= this.#minMessages ? this.#start() : null;
    if (!worker) return messages.map(sign);
    let total = 0;
    for (const m of messages) total += m.length;
    const buffer = new SharedArrayBuffer(4 * (2 * count + 1) + SIGNATURE_SIZE * count + total);
    const { state, offsets, signatures, bytes } = layoutOf(buffer, count);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      offsets[i] = offset;
      bytes.set(messages[i]!, offset);
      offset += messages[i]!.length;
    }
    offsets[count] = offset;
    worker.postMessage({ key, buffer, count });

    const out: Uint8Array[] = new Array<Uint8Array>(count);
    let i = 0;
    for (; i < count && Atomics.compareExchange(state, i, FREE, CLAIMED) === FREE; i++) {
      out[i] = sign(messages[i]!);
    }
    // The rest, [i, count), the worker claimed (from the back).
    const deadline = performance.now() + this.#timeoutMs;
    for (; i < count; i++) {
      while (Atomics.load(state, i) === CLAIMED) {
        const left = deadline - performance.now();
        if (left <= 0 || Atomics.wait(state, i, CLAIMED, left) === 'timed-out') {
          // A stuck worker: sign here (a late write by the worker would be
          // the same bytes) and sign in this thread from now on.
          this.#stop();
          break;
        }
      }
      out[i] =
        Atomics.load(state, i) === SIGNED
          ? Buffer.from(signatures.subarray(SIGNATURE_SIZE * i, SIGNATURE_SIZE * (i + 1)))
          : sign(messages[i]!);
    }
    return out;
  }

  /** Stops the worker; signing goes on in the calling thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  /** The worker, started on first use (processes that never sign many pay nothing). */
  #start(): Worker | null {
    if (this.#worker || this.#closed) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    // Without an 'error' listener a crash in the worker would throw here.
    worker.on('error', () => this.#stop());
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = null;
    });
    this.#worker = worker;
    return worker;
  }

  #stop(): void {
    this.#closed = true;
    void this.#worker?.terminate();
    this.#worker = null;
  }
}
