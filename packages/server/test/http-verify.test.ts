// API.md "Verification" through the real app, on SQLite and PostgreSQL:
// proofs and checkpoints checked offline with the core's verifiers, the
// per-event verification, hash lookups and the public log routes.
import {
  bytesToHex,
  canonicalBytes,
  entryFromEvent,
  hexToBytes,
  leafHash,
  parseVerifierKey,
  verifyCheckpoint,
  verifyConsistency,
  verifyEventSignature,
  verifyInclusion,
  type StoredEvent,
} from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  expectProblem,
  getJson,
  postJson,
  recordEvent,
  validEvent,
} from './helpers/http-app.js';
import { describeOnBackends, openVerifyApp, type VerifyApp } from './helpers/verify-app.js';

const crypto = createNodeCrypto();

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

interface Proof {
  leaf_index: number;
  tree_size: number;
  leaf_hash: string;
  hashes: string[];
}

describeOnBackends('verification endpoints', (backend) => {
  let t: VerifyApp;
  let orgId: string;
  let verifierKey: string;
  /** Every event of the `proofs` org, by chain_index; sizes 1..30 each have a checkpoint. */
  const events: StoredEvent[] = [];

  /** The checkpoint signed at `size`, verified with the org's key: its root. */
  async function signedRoot(size: number): Promise<Uint8Array> {
    const res = await getJson(t.app, t.apiKey, `/v1/orgs/proofs/checkpoints?tree_size=${size}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const checkpoint = verifyCheckpoint(res.body, parseVerifierKey(verifierKey, crypto), crypto);
    expect(checkpoint.treeSize).toBe(size);
    return checkpoint.rootHash;
  }

  beforeAll(async () => {
    t = await openVerifyApp(backend);
    const created = await postJson(t.app, t.apiKey, '/v1/orgs', {
      external_id: 'proofs',
      name: 'Proofs',
    });
    orgId = created.json<{ id: string }>().id;
    verifierKey = created.json<{ verifier_key: string }>().verifier_key;
    // 30 single events (a checkpoint at every size 1..30), then one batch of 20.
    for (let i = 0; i < 30; i++)
      events.push(await recordEvent(t.app, t.apiKey, validEvent({ org: 'proofs' })));
    const batch = await postJson(t.app, t.apiKey, '/v1/events/batch', {
      events: Array.from({ length: 20 }, () => validEvent({ org: 'proofs' })),
    });
    events.push(...batch.json<{ events: StoredEvent[] }>().events);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('GET /v1/orgs/{org}/proofs/inclusion', () => {
    it('answers proofs that verify against signed checkpoints, for random leaves and sizes', async () => {
      const next = random(42);
      const sizes = [...Array.from({ length: 30 }, (_, i) => i + 1), 50];
      for (let k = 0; k < 40; k++) {
        const size = sizes[next(sizes.length)]!;
        const m = next(size);
        const res = await getJson(
          t.app,
          t.apiKey,
          `/v1/orgs/proofs/proofs/inclusion?leaf_index=${m}&tree_size=${size}`,
        );
        expect(res.statusCode, res.body).toBe(200);
        const proof = res.json<Proof>();
        expect(proof).toMatchObject({
          leaf_index: m,
          tree_size: size,
          leaf_hash: events[m]!.leaf_hash,
        });
        const root = await signedRoot(size);
        expect(() =>
          verifyInclusion(
            m,
            size,
            hexToBytes(proof.leaf_hash),
            proof.hashes.map(hexToBytes),
            root,
            crypto,
          ),
        ).not.toThrow();
      }
    });

    it('finds the leaf by event_id and defaults tree_size to the current size', async () => {
      const event = events[17]!;
      const res = await getJson(
        t.app,
        t.apiKey,
        `/v1/orgs/${orgId}/proofs/inclusion?event_id=${event.id}`,
      );
      expect(res.statusCode, res.body).toBe(200);
      const proof = res.json<Proof>();
      expect(proof).toMatchObject({ leaf_index: 17, tree_size: 50, leaf_hash: event.leaf_hash });
      const root = await signedRoot(50);
      verifyInclusion(
        17,
        50,
        hexToBytes(event.leaf_hash),
        proof.hashes.map(hexToBytes),
        root,
        crypto,
      );
    });

    it('refuses a tree_size past the log, a leaf outside the tree and ambiguous parameters with 400', async () => {
      const url = '/v1/orgs/proofs/proofs/inclusion';
      expectProblem(
        await getJson(t.app, t.apiKey, `${url}?leaf_index=1&tree_size=51`),
        400,
        'validation_failed',
        ['/tree_size'],
      );
      expectProblem(
        await getJson(t.app, t.apiKey, `${url}?leaf_index=5&tree_size=5`),
        400,
        'validation_failed',
        ['/leaf_index'],
      );
      expectProblem(
        await getJson(t.app, t.apiKey, `${url}?leaf_index=0&tree_size=0`),
        400,
        'validation_failed',
        ['/tree_size'],
      );
      expectProblem(await getJson(t.app, t.apiKey, url), 400, 'validation_failed');
      expectProblem(
        await getJson(t.app, t.apiKey, `${url}?leaf_index=1&event_id=${events[1]!.id}`),
        400,
        'validation_failed',
      );
      expectProblem(
        await getJson(t.app, t.apiKey, `${url}?leaf_index=-1`),
        400,
        'validation_failed',
      );
      expectProblem(
        await getJson(t.app, t.apiKey, `${url}?leaf_index=x`),
        400,
        'validation_failed',
      );
    });

    it('answers 404 for an unknown org and for an event of another org', async () => {
      const other = await recordEvent(t.app, t.apiKey);
      expectProblem(
        await getJson(t.app, t.apiKey, '/v1/orgs/nope/proofs/inclusion?leaf_index=0'),
        404,
        'not_found',
      );
      expectProblem(
        await getJson(t.app, t.apiKey, `/v1/orgs/proofs/proofs/inclusion?event_id=${other.id}`),
        404,
        'not_found',
      );
    });
  });

  describe('GET /v1/orgs/{org}/proofs/consistency', () => {
    it('answers proofs that verify between random pairs of signed checkpoints', async () => {
      const next = random(7);
      const sizes = [0, ...Array.from({ length: 30 }, (_, i) => i + 1), 50];
      for (let k = 0; k < 30; k++) {
        const a = sizes[next(sizes.length)]!;
        const b = sizes[next(sizes.length)]!;
        const [from, to] = a <= b ? [a, b] : [b, a];
        const res = await getJson(
          t.app,
          t.apiKey,
          `/v1/orgs/proofs/proofs/consistency?from=${from}&to=${to}`,
        );
        expect(res.statusCode, res.body).toBe(200);
        const proof = res.json<{ from_size: number; to_size: number; hashes: string[] }>();
        expect(proof).toMatchObject({ from_size: from, to_size: to });
        const fromRoot = from === 0 ? crypto.sha256(new Uint8Array(0)) : await signedRoot(from);
        const toRoot = await signedRoot(to);
        expect(() =>
          verifyConsistency(from, to, proof.hashes.map(hexToBytes), fromRoot, toRoot, crypto),
        ).not.toThrow();
      }
    });

    it('answers an empty proof from size 0 and defaults `to` to the current size', async () => {
      const res = await getJson(t.app, t.apiKey, '/v1/orgs/proofs/proofs/consistency?from=0');
      expect(res.json()).toEqual({ from_size: 0, to_size: 50, hashes: [] });
    });

    it('refuses from > to and a size past the log with 400', async () => {
      const url = '/v1/orgs/proofs/proofs/consistency';
      expectProblem(
        await getJson(t.app, t.apiKey, `${url}?from=9&to=8`),
        400,
        'validation_failed',
        ['/from'],
      );
      expectProblem(
        await getJson(t.app, t.apiKey, `${url}?from=1&to=51`),
        400,
        'validation_failed',
        ['/to'],
      );
      expectProblem(await getJson(t.app, t.apiKey, `${url}?to=5`), 400, 'validation_failed');
      expectProblem(
        await getJson(t.app, t.apiKey, `${url}?from=1&to=2&x=1`),
        400,
        'validation_failed',
        ['/x'],
      );
    });
  });

  describe('GET /v1/orgs/{org}/checkpoints', () => {
    it('answers the note signed at a size, or its JSON form', async () => {
      const res = await getJson(t.app, t.apiKey, '/v1/orgs/proofs/checkpoints?tree_size=12', {
        accept: 'application/json',
      });
      expect(res.statusCode, res.body).toBe(200);
      const json = res.json<{
        tree_size: number;
        root_hash: string;
        checkpoint: string;
        verifier_key: string;
      }>();
      expect(json.tree_size).toBe(12);
      expect(json.verifier_key).toBe(verifierKey);
      expect(json.root_hash).toBe(bytesToHex(await signedRoot(12)));
    });

    it('answers 404 for a size no checkpoint was signed at, 400 without a size', async () => {
      // Sizes 31..49 were inside one batch: one checkpoint, at 50.
      expectProblem(
        await getJson(t.app, t.apiKey, '/v1/orgs/proofs/checkpoints?tree_size=40'),
        404,
        'not_found',
      );
      expectProblem(
        await getJson(t.app, t.apiKey, '/v1/orgs/proofs/checkpoints?tree_size=51'),
        404,
        'not_found',
      );
      expectProblem(
        await getJson(t.app, t.apiKey, '/v1/orgs/proofs/checkpoints'),
        400,
        'validation_failed',
      );
    });
  });

  describe('GET /v1/events/{id}/verify', () => {
    it('passes every check and carries what is needed to repeat them offline', async () => {
      const event = events[33]!;
      const res = await getJson(t.app, t.apiKey, `/v1/events/${event.id}/verify`);
      expect(res.statusCode, res.body).toBe(200);
      const v = res.json<{
        event_id: string;
        valid: boolean;
        checks: Record<string, boolean>;
        checkpoint: string;
        verifier_key: string;
        checkpoint_verifier_key: string;
        inclusion_proof: { leaf_index: number; tree_size: number; hashes: string[] };
        event: StoredEvent;
      }>();
      expect(v).toMatchObject({
        event_id: event.id,
        valid: true,
        checks: {
          canonical: true,
          leaf_hash: true,
          chain_link: true,
          signature: true,
          inclusion: true,
        },
        verifier_key: verifierKey,
        inclusion_proof: { leaf_index: 33, tree_size: 50 },
      });
      expect(v.event).toEqual(event);
      // Offline, from the answer alone and the verifier key:
      const key = parseVerifierKey(v.checkpoint_verifier_key, crypto);
      const checkpoint = verifyCheckpoint(v.checkpoint, key, crypto);
      const bytes = canonicalBytes(entryFromEvent(v.event));
      const leaf = leafHash(bytes, crypto);
      expect(bytesToHex(leaf)).toBe(v.event.leaf_hash);
      expect(
        verifyEventSignature(
          bytes,
          v.event.signature,
          parseVerifierKey(v.verifier_key, crypto).publicKey,
          crypto,
        ),
      ).toBe(true);
      verifyInclusion(
        33,
        checkpoint.treeSize,
        leaf,
        v.inclusion_proof.hashes.map(hexToBytes),
        checkpoint.rootHash,
        crypto,
      );
    });

    it('verifies the first event of a log, whose predecessor is the zero hash', async () => {
      const res = await getJson(t.app, t.apiKey, `/v1/events/${events[0]!.id}/verify`);
      expect(res.json()).toMatchObject({ valid: true, checks: { chain_link: true } });
    });

    it('answers 404 for an unknown event', async () => {
      expectProblem(await getJson(t.app, t.apiKey, '/v1/events/evt_nope/verify'), 404, 'not_found');
    });
  });

  describe('POST /v1/orgs/{org}/verify', () => {
    it('finds an untouched log valid, with and without event signatures', async () => {
      for (const body of [undefined, { signatures: true }]) {
        const res =
          body === undefined
            ? await t.app.inject({
                method: 'POST',
                url: '/v1/orgs/proofs/verify',
                headers: bearer(t.apiKey),
              })
            : await postJson(t.app, t.apiKey, '/v1/orgs/proofs/verify', body);
        expect(res.statusCode, res.body).toBe(200);
        const v = res.json<{
          valid: boolean;
          tree_size: number;
          checked: number;
          root_hash: string;
          problems: unknown[];
        }>();
        expect(v).toMatchObject({ valid: true, tree_size: 50, checked: 50, problems: [] });
        expect(v.root_hash).toBe(bytesToHex(await signedRoot(50)));
      }
    });

    it('refuses unknown body members with 400', async () => {
      expectProblem(
        await postJson(t.app, t.apiKey, '/v1/orgs/proofs/verify', { sigs: true }),
        400,
        'validation_failed',
      );
    });
  });

  describe('GET /v1/hashes/{hex}', () => {
    it('finds an issued chain hash and leaf hash', async () => {
      const event = events[5]!;
      const chain = await getJson(t.app, t.apiKey, `/v1/hashes/${event.hash}`);
      expect(chain.json()).toEqual({
        found: true,
        kind: 'chain',
        event_id: event.id,
        chain_index: 5,
        org: orgId,
      });
      const leaf = await getJson(t.app, t.apiKey, `/v1/hashes/${event.leaf_hash.toUpperCase()}`);
      expect(leaf.json()).toMatchObject({ found: true, kind: 'leaf', event_id: event.id });
    });

    it('does not find a hash never issued, nor another project’s', async () => {
      const unknown = await getJson(t.app, t.apiKey, `/v1/hashes/${'ab'.repeat(32)}`);
      expect(unknown.json()).toEqual({
        found: false,
        kind: null,
        event_id: null,
        chain_index: null,
        org: null,
      });
      const { apiKey: otherKey } = await t.logproof.tenancy.initProject('Other');
      const other = await getJson(t.app, otherKey, `/v1/hashes/${events[5]!.hash}`);
      expect(other.json()).toMatchObject({ found: false });
    });

    it('refuses what is not 64 hex digits with 400', async () => {
      expectProblem(await getJson(t.app, t.apiKey, '/v1/hashes/abc'), 400, 'validation_failed');
    });
  });

  describe('public log routes', () => {
    it('serve the latest checkpoint and the keys without an API key', async () => {
      const keys = await t.app.inject({ method: 'GET', url: `/v1/public/logs/${orgId}/keys` });
      expect(keys.statusCode, keys.body).toBe(200);
      expect(keys.headers['access-control-allow-origin']).toBe('*');
      const body = keys.json<{
        origin: string;
        data: Array<{ verifier_key: string; retired_at: string | null }>;
      }>();
      expect(body.data.map((k) => k.verifier_key)).toEqual([verifierKey]);
      const note = await t.app.inject({
        method: 'GET',
        url: `/v1/public/logs/${orgId}/checkpoint`,
      });
      expect(note.statusCode, note.body).toBe(200);
      expect(note.headers['content-type']).toMatch(/^text\/plain/);
      const checkpoint = verifyCheckpoint(
        note.body,
        parseVerifierKey(body.data[0]!.verifier_key, crypto),
        crypto,
      );
      expect(checkpoint.origin).toBe(body.origin);
      expect(checkpoint.treeSize).toBe(50);
      const json = await t.app.inject({
        method: 'GET',
        url: `/v1/public/logs/${orgId}/checkpoint`,
        headers: { accept: 'application/json' },
      });
      expect(json.json()).toMatchObject({ tree_size: 50, checkpoint: note.body });
    });

    it('serve consistency proofs without an API key', async () => {
      const url = `/v1/public/logs/${orgId}/proofs/consistency`;
      const res = await t.app.inject({ method: 'GET', url: `${url}?from=12&to=50` });
      expect(res.statusCode, res.body).toBe(200);
      const proof = res.json<{ from_size: number; to_size: number; hashes: string[] }>();
      expect(proof).toMatchObject({ from_size: 12, to_size: 50 });
      const [from, to] = [await signedRoot(12), await signedRoot(50)];
      verifyConsistency(12, 50, proof.hashes.map(hexToBytes), from, to, crypto);
      const current = await t.app.inject({ method: 'GET', url: `${url}?from=0` });
      expect(current.json()).toEqual({ from_size: 0, to_size: 50, hashes: [] });
      expectProblem(
        await t.app.inject({ method: 'GET', url: `${url}?from=9&to=8` }),
        400,
        'validation_failed',
        ['/from'],
      );
      expectProblem(
        await t.app.inject({
          method: 'GET',
          url: '/v1/public/logs/proofs/proofs/consistency?from=0',
        }),
        404,
        'not_found',
      );
    });

    it('answer 404 for an unknown org and for an external id', async () => {
      for (const ref of ['org_unknown', 'proofs', 'default']) {
        expectProblem(
          await t.app.inject({ method: 'GET', url: `/v1/public/logs/${ref}/checkpoint` }),
          404,
          'not_found',
        );
        expectProblem(
          await t.app.inject({ method: 'GET', url: `/v1/public/logs/${ref}/keys` }),
          404,
          'not_found',
        );
      }
    });
  });

  describe('authentication', () => {
    it('keeps every other verification route behind an API key', async () => {
      for (const url of [
        `/v1/events/${events[0]!.id}/verify`,
        '/v1/orgs/proofs/checkpoints?tree_size=1',
        '/v1/orgs/proofs/proofs/inclusion?leaf_index=0',
        '/v1/orgs/proofs/proofs/consistency?from=0',
        `/v1/hashes/${events[0]!.hash}`,
      ]) {
        expectProblem(await t.app.inject({ method: 'GET', url }), 401, 'unauthorized');
      }
      expectProblem(
        await t.app.inject({ method: 'POST', url: '/v1/orgs/proofs/verify' }),
        401,
        'unauthorized',
      );
    });
  });
});
