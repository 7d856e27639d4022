// Evidence-bundle exports (PROOFS.md §7) through the real server, checked
// offline by the CLI (`logproof verify`) and the core verifier: both proof
// forms verify, and each kind of tampering is caught and named.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isLogproofError,
  verifyBundle as verifyWith,
  type EvidenceBundle,
  type TrustedKeys,
} from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportEvents, openExportApp, seedOrg, type ExportApp } from './helpers/export-app.js';
import { expectProblem, postJson } from './helpers/http-app.js';

// Node's native Ed25519: the pure-JS default is ten times slower on 10,000 events.
const nodeCrypto = createNodeCrypto();
const verifyBundle = (bundle: unknown, keys: TrustedKeys) => verifyWith(bundle, keys, nodeCrypto);

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../cli/bin/logproof.js');

/** Runs `logproof verify` on `bundle` with `keys`: { status, out, err }. */
async function cliVerify(bundle: unknown, keys: readonly string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'logproof-bundle-'));
  try {
    const file = join(dir, 'bundle.json');
    await writeFile(file, typeof bundle === 'string' ? bundle : JSON.stringify(bundle));
    const result = spawnSync(
      process.execPath,
      [CLI, 'verify', file, ...keys.flatMap((k) => ['--key', k])],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    return { status: result.status, out: result.stdout, err: result.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The JSON Pointer verifyBundle names for a bad bundle (null when it verifies). */
function problemPath(bundle: unknown, keys: string | string[]): string | null {
  try {
    verifyBundle(bundle, keys);
    return null;
  } catch (error) {
    if (!isLogproofError(error, 'ERR_BUNDLE')) throw error;
    return error.problems[0]!.path;
  }
}

const clone = (b: EvidenceBundle): EvidenceBundle =>
  JSON.parse(JSON.stringify(b)) as EvidenceBundle;
const flipHex = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

describe('GET /v1/events/export?format=bundle', () => {
  let t: ExportApp;
  let org: Awaited<ReturnType<typeof seedOrg>>;
  let other: Awaited<ReturnType<typeof seedOrg>>;
  let whole: EvidenceBundle;
  let sparse: EvidenceBundle;
  const DAY = 86_400_000;

  beforeAll(async () => {
    t = await openExportApp('sqlite');
    const now = Date.now();
    // Several batches (checkpoints); every fourth event a logout; some
    // backfilled, so that occurred_at order is not chain order.
    org = await seedOrg(
      t,
      'acme',
      Array.from({ length: 300 }, (_, i) => ({
        action: i % 4 === 0 ? 'user.logout' : 'user.login',
        actor: { id: `user_${i}` },
        occurred_at: new Date(now - (i % 7 === 0 ? 3 * DAY : 0) - (300 - i) * 1000).toISOString(),
      })),
      70,
    );
    other = await seedOrg(t, 'other', [{ action: 'user.login', actor: { id: 'x' } }]);
    const a = await exportEvents(t, { format: 'bundle', org: 'acme' });
    expect(a.statusCode, a.body).toBe(200);
    expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(String(a.headers['content-disposition'])).toContain(
      `logproof-bundle-${org.orgId}-300.json`,
    );
    whole = a.json<EvidenceBundle>();
    const s = await exportEvents(t, { format: 'bundle', org: 'acme', action: 'user.logout' });
    expect(s.statusCode, s.body).toBe(200);
    sparse = s.json<EvidenceBundle>();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('holds every event in chain_index order with one range proof, and logproof verify accepts it', async () => {
    expect(whole.events.map((e) => e.event.chain_index)).toEqual(
      org.events.map((e) => e.chain_index),
    );
    expect(whole.events.every((e) => e.inclusion_proof === undefined)).toBe(true);
    expect(whole.range_proof).toEqual({ start: 0, left: [], right: [] });
    expect(whole.verifier_keys).toEqual([org.verifierKey]);
    expect(verifyBundle(whole, org.verifierKey)).toMatchObject({
      valid: true,
      events: 300,
      treeSize: 300,
    });
    const cli = await cliVerify(whole, [org.verifierKey]);
    expect(cli.status, cli.err).toBe(0);
    expect(cli.out).toMatch(/^OK: 300 events \(chain_index 0\.\.299\)/);
  });

  it('proves a sparse selection with an inclusion proof per event', async () => {
    expect(sparse.range_proof).toBeUndefined();
    expect(sparse.events.map((e) => e.event.chain_index)).toEqual(
      org.events.filter((e) => e.action === 'user.logout').map((e) => e.chain_index),
    );
    expect(sparse.events.every((e) => (e.inclusion_proof?.length ?? 0) > 0)).toBe(true);
    expect(verifyBundle(sparse, org.verifierKey).events).toBe(75);
    expect((await cliVerify(sparse, [org.verifierKey])).status).toBe(0);
  });

  it('proves a run in the middle of the log with left and right compact ranges', async () => {
    // Events occurred one second apart (multiples of 7 three days earlier): 101..104 are one run.
    const first = org.events[101]!;
    const last = org.events[104]!;
    const res = await exportEvents(t, {
      format: 'bundle',
      org: org.orgId,
      from: first.occurred_at,
      to: new Date(Date.parse(last.occurred_at) + 1).toISOString(),
    });
    expect(res.statusCode, res.body).toBe(200);
    const bundle = res.json<EvidenceBundle>();
    expect(bundle.events.map((e) => e.event.chain_index)).toEqual([101, 102, 103, 104]);
    expect(bundle.range_proof?.start).toBe(101);
    expect(bundle.range_proof!.left.length).toBeGreaterThan(0);
    expect(bundle.range_proof!.right.length).toBeGreaterThan(0);
    expect(verifyBundle(bundle, org.verifierKey).events).toBe(4);
  });

  describe('tampering is caught and named', () => {
    const cases: Array<[string, () => { bundle: EvidenceBundle; keys?: string[] }, RegExp]> = [
      [
        'an edited event field',
        () => {
          const b = clone(whole);
          b.events[5]!.event.actor.id = 'someone_else';
          return { bundle: b };
        },
        /^\/events\/5\/event$/,
      ],
      [
        'an event dropped from a contiguous range',
        () => {
          const b = clone(whole);
          b.events.splice(5, 1);
          return { bundle: b };
        },
        /^\/events\/5\/event\/chain_index$/,
      ],
      [
        'a changed inclusion-proof hash',
        () => {
          const b = clone(sparse);
          b.events[3]!.inclusion_proof![0] = flipHex(b.events[3]!.inclusion_proof![0]!);
          return { bundle: b };
        },
        /^\/events\/3\/inclusion_proof$/,
      ],
      [
        'a changed checkpoint size',
        () => {
          const b = clone(whole);
          b.checkpoint = b.checkpoint.replace('\n300\n', '\n301\n');
          return { bundle: b };
        },
        /^\/checkpoint$/,
      ],
      [
        'a changed checkpoint root',
        () => {
          const b = clone(whole);
          const lines = b.checkpoint.split('\n');
          lines[2] = Buffer.from(new Uint8Array(32).fill(7)).toString('base64');
          b.checkpoint = lines.join('\n');
          return { bundle: b };
        },
        /^\/checkpoint$/,
      ],
      [
        'verification with a different key',
        () => ({ bundle: clone(whole), keys: [other.verifierKey] }),
        /^\/checkpoint$/,
      ],
    ];

    for (const [name, make, path] of cases) {
      it(`${name}`, async () => {
        const { bundle, keys = [org.verifierKey] } = make();
        expect(problemPath(bundle, keys)).toMatch(path);
        const cli = await cliVerify(bundle, keys);
        expect(cli.status).toBe(1);
        expect(cli.err).toMatch(new RegExp(`^FAILED: ${path.source.slice(1, -1)}: `));
      });
    }

    it('a changed hash in the left or right compact range of a middle run', async () => {
      const res = await exportEvents(t, {
        format: 'bundle',
        org: 'acme',
        from: org.events[120]!.occurred_at,
        to: org.events[125]!.occurred_at,
      });
      const bundle = res.json<EvidenceBundle>();
      expect(bundle.range_proof).toBeDefined();
      for (const side of ['left', 'right'] as const) {
        const b = clone(bundle);
        b.range_proof![side][0] = flipHex(b.range_proof![side][0]!);
        expect(problemPath(b, org.verifierKey)).toBe('/range_proof');
      }
    });
  });

  it('stays within twice the NDJSON size for 10,000 contiguous events', async () => {
    const big = await seedOrg(
      t,
      'big',
      Array.from({ length: 10_000 }, (_, i) => ({
        action: 'document.viewed',
        actor: { id: `user_${i % 97}` },
        targets: [{ id: `doc_${i}`, type: 'document' }],
      })),
    );
    const bundle = await exportEvents(t, { format: 'bundle', org: 'big' });
    const ndjson = await exportEvents(t, { format: 'ndjson', org: 'big' });
    expect(bundle.statusCode).toBe(200);
    expect(ndjson.statusCode).toBe(200);
    expect(ndjson.body.split('\n').filter(Boolean)).toHaveLength(10_000);
    const ratio = bundle.rawPayload.length / ndjson.rawPayload.length;
    expect(ratio).toBeLessThanOrEqual(2);
    expect(ratio).toBeLessThan(1.05); // one range proof; nothing repeated per event
    expect(verifyBundle(bundle.json(), big.verifierKey).events).toBe(10_000);
  }, 120_000);

  it('lists every key that signed after a rotation, and needs them all to verify', async () => {
    const rotating = await seedOrg(t, 'rotating', [{ action: 'user.login', actor: { id: 'a' } }]);
    const rotated = await postJson(t.app, t.apiKey, '/v1/orgs/rotating/keys/rotate', {});
    expect(rotated.statusCode, rotated.body).toBe(201);
    const newKey = rotated.json<{ verifier_key: string }>().verifier_key;
    const res = await postJson(t.app, t.apiKey, '/v1/events', {
      org: 'rotating',
      action: 'user.login',
      actor: { id: 'b' },
    });
    expect(res.statusCode).toBe(201);
    const bundle = (
      await exportEvents(t, { format: 'bundle', org: 'rotating' })
    ).json<EvidenceBundle>();
    expect(new Set(bundle.verifier_keys)).toEqual(new Set([rotating.verifierKey, newKey]));
    expect(verifyBundle(bundle, [rotating.verifierKey, newKey]).events).toBe(2);
    expect(problemPath(bundle, [newKey])).toBe('/events/0/event/key_id');
  });

  it('is of one org, and of at least one event', async () => {
    expectProblem(await exportEvents(t, { format: 'bundle' }), 400, 'validation_failed', ['/org']);
    expectProblem(await exportEvents(t, { format: 'pdf' }), 400, 'validation_failed', ['/org']);
    expectProblem(
      await exportEvents(t, { format: 'bundle', org: 'acme', action: 'never.happened' }),
      400,
      'validation_failed',
    );
  });
});
