// The WebCrypto verifiers against the real server's events, proofs and
// checkpoints, with Node 20's globalThis.crypto.subtle (which has Ed25519),
// and their fallback to the noble path where WebCrypto lacks Ed25519.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLogproofError } from '@logproof/core';
import type { EventVerifyResponse, Logproof, Org, StoredEvent } from '../src/index.js';
import {
  verifyCheckpointNote,
  verifyCheckpointNoteWebCrypto,
  verifyEventProof,
  verifyEventProofWebCrypto,
  type SubtleVerifier,
} from '../src/verify.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let t: TestServer;
let client: Logproof;
let org: Org;
const events: StoredEvent[] = [];

beforeAll(async () => {
  t = await startTestServer();
  client = t.client();
  org = await client.orgs.create({ external_id: 'webcrypto-org', name: 'WebCrypto' });
  events.push(
    await client.events.create({
      org: 'webcrypto-org',
      action: 'user.login',
      actor: { id: 'user_1', name: 'Zoë 🦊', email: 'zoe@example.com' },
      context: { ip: '2001:db8::1' },
    }),
    ...(await client.events.createBatch([
      {
        org: 'webcrypto-org',
        action: 'billing.invoice.paid',
        actor: { id: 'user_1' },
        target: { id: 'inv_1', type: 'invoice' },
        metadata: { amount_cents: 12900, currency: 'EUR', note: 'café ☕' },
      },
      { org: 'webcrypto-org', action: 'user.logout', actor: { id: 'user_1' } },
    ])),
  );
});
afterAll(async () => {
  await t.close();
});

/** The real WebCrypto, with Ed25519 refused as a browser without it refuses it. */
function subtleWithoutEd25519(where: 'importKey' | 'verify'): SubtleVerifier {
  const real = globalThis.crypto.subtle;
  const refuse = () =>
    Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'));
  return {
    digest: (...args: Parameters<SubtleCrypto['digest']>) => real.digest(...args),
    importKey: (...args: any[]) =>
      where === 'importKey' ? refuse() : (real.importKey as any)(...args),
    verify: (...args: Parameters<SubtleCrypto['verify']>) =>
      where === 'verify' ? refuse() : real.verify(...args),
  } as SubtleVerifier;
}

/** The real WebCrypto, counting its calls. */
function countingSubtle(): {
  subtle: SubtleVerifier;
  calls: { digest: number; importKey: number; verify: number };
} {
  const real = globalThis.crypto.subtle;
  const calls = { digest: 0, importKey: 0, verify: 0 };
  const subtle = {
    digest: (...args: Parameters<SubtleCrypto['digest']>) => (calls.digest++, real.digest(...args)),
    importKey: (...args: any[]) => (calls.importKey++, (real.importKey as any)(...args)),
    verify: (...args: Parameters<SubtleCrypto['verify']>) => (calls.verify++, real.verify(...args)),
  } as SubtleVerifier;
  return { subtle, calls };
}

async function answerFor(event: StoredEvent): Promise<EventVerifyResponse & { event: unknown }> {
  return { ...(await client.events.verify(event.id)), event };
}

describe('verifyEventProofWebCrypto', () => {
  it('accepts every event of the server with WebCrypto, and agrees with verifyEventProof', async () => {
    for (const [i, event] of events.entries()) {
      const answer = await answerFor(event);
      const canonical = await client.events.canonical(event.id);
      const previous = i > 0 ? events[i - 1] : undefined;
      const result = await verifyEventProofWebCrypto(answer, {
        verifierKeys: org.verifier_key,
        canonical,
        previous,
      });
      expect(result, JSON.stringify(result.problems)).toMatchObject({
        valid: true,
        engine: 'webcrypto',
        event_id: event.id,
        checks: {
          canonical: true,
          leaf_hash: true,
          chain_link: true,
          signature: true,
          checkpoint: true,
          inclusion: true,
        },
        checkpoint: { origin: org.origin, tree_size: events.length },
      });
      const { engine: _engine, ...checked } = result;
      expect(checked).toEqual(
        verifyEventProof(answer, org.verifier_key, { event, canonical, previous }),
      );
    }
  });

  it('names the checks a changed event, proof, predecessor or checkpoint fails', async () => {
    const answer = await answerFor(events[1]!);
    const keys = { verifierKeys: org.verifier_key };
    const changed = { ...answer, event: { ...events[1]!, outcome: 'failure' } };
    expect((await verifyEventProofWebCrypto(changed, keys)).checks).toEqual({
      canonical: true,
      leaf_hash: false,
      chain_link: false,
      signature: false,
      checkpoint: true,
      inclusion: false,
    });

    const badPath = structuredClone(answer);
    badPath.inclusion_proof.hashes[0] = 'ff'.repeat(32);
    const pathResult = await verifyEventProofWebCrypto(badPath, keys);
    expect(pathResult.checks).toMatchObject({ signature: true, inclusion: false });
    expect(pathResult.problems[0]!.detail).toMatch(/not proven in the checkpoint's tree/);

    const wrongPrevious = await verifyEventProofWebCrypto(answer, { ...keys, previous: events[2] });
    expect(wrongPrevious.checks.chain_link).toBe(false);

    const forged = { ...answer, checkpoint: answer.checkpoint.replace(/\n\d+\n/, '\n99\n') };
    const forgedResult = await verifyEventProofWebCrypto(forged, keys);
    expect(forgedResult).toMatchObject({
      valid: false,
      engine: 'webcrypto',
      checks: { signature: true, checkpoint: false, inclusion: false },
    });
    expect(forgedResult.problems[0]!.detail).toMatch(/invalid note signature by/);
  });

  it('never rejects for hostile input, only for malformed trusted keys', async () => {
    const answer = await answerFor(events[0]!);
    for (const junk of [null, 42, 'evt', [], { id: 'evt_1' }]) {
      const result = await verifyEventProofWebCrypto(
        { ...answer, event: junk },
        { verifierKeys: org.verifier_key },
      );
      expect(result).toMatchObject({ valid: false, engine: 'webcrypto' });
    }
    const noCheckpoint = await verifyEventProofWebCrypto(
      { ...answer, checkpoint: 42 as unknown as string },
      { verifierKeys: org.verifier_key },
    );
    expect(noCheckpoint.checks.checkpoint).toBe(false);
    const error: unknown = await verifyEventProofWebCrypto(answer, {
      verifierKeys: 'not a key',
    }).catch((e: unknown) => e);
    expect(isLogproofError(error, 'ERR_VERIFIER_KEY')).toBe(true);
  });

  it('falls back to the noble path, and says so, where WebCrypto refuses Ed25519', async () => {
    const answer = await answerFor(events[2]!);
    const expected = verifyEventProof(answer, org.verifier_key, { event: answer.event });
    for (const where of ['importKey', 'verify'] as const) {
      const result = await verifyEventProofWebCrypto(answer, {
        verifierKeys: org.verifier_key,
        subtle: subtleWithoutEd25519(where),
      });
      expect(result).toEqual({ ...expected, engine: 'noble' });
      expect(result.valid).toBe(true);
    }
    const tampered = { ...answer, event: { ...events[2]!, action: 'user.login' } };
    const bad = await verifyEventProofWebCrypto(tampered, {
      verifierKeys: org.verifier_key,
      subtle: subtleWithoutEd25519('importKey'),
    });
    expect(bad).toMatchObject({ valid: false, engine: 'noble', checks: { leaf_hash: false } });
  });

  it('falls back to the noble path without WebCrypto (subtle: null)', async () => {
    const answer = await answerFor(events[0]!);
    const result = await verifyEventProofWebCrypto(answer, {
      verifierKeys: org.verifier_key,
      subtle: null,
    });
    expect(result).toMatchObject({ valid: true, engine: 'noble' });
  });

  it('hashes and verifies with the WebCrypto it is given, importing each key once', async () => {
    const { subtle, calls } = countingSubtle();
    const answer = await answerFor(events[1]!);
    const options = { verifierKeys: org.verifier_key, subtle };
    expect(await verifyEventProofWebCrypto(answer, options)).toMatchObject({
      valid: true,
      engine: 'webcrypto',
    });
    // Leaf, chain link, and one node per proof hash; the event's and the checkpoint's signatures.
    expect(calls.digest).toBe(2 + answer.inclusion_proof.hashes.length);
    expect(calls.verify).toBe(2);
    await verifyEventProofWebCrypto(answer, options);
    expect(calls.importKey).toBe(1);
  });
});

describe('verifyCheckpointNoteWebCrypto', () => {
  it('returns what verifyCheckpointNote returns, with the engine that checked it', async () => {
    const { checkpoint, tree_size } = await client.orgs.checkpoint('webcrypto-org');
    const good = await verifyCheckpointNoteWebCrypto(checkpoint, org.verifier_key);
    expect(good).toEqual({
      ...verifyCheckpointNote(checkpoint, org.verifier_key),
      engine: 'webcrypto',
    });
    expect(good.valid).toBe(true);

    const changed = checkpoint.replace(`\n${tree_size}\n`, `\n${tree_size + 1}\n`);
    const bad = await verifyCheckpointNoteWebCrypto(changed, org.verifier_key);
    expect(bad).toEqual({
      ...verifyCheckpointNote(changed, org.verifier_key),
      engine: 'webcrypto',
    });
    expect(bad.valid).toBe(false);

    const fallback = await verifyCheckpointNoteWebCrypto(checkpoint, org.verifier_key, {
      subtle: subtleWithoutEd25519('importKey'),
    });
    expect(fallback).toMatchObject({ valid: true, engine: 'noble' });
  });
});
