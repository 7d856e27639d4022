// A log changed in the database behind the server's back (API.md
// "Verification"): every kind of change is found and named by chain_index,
// by POST /v1/orgs/{org}/verify and by the self-audit, on both backends.
import { randomBytes } from 'node:crypto';
import {
  chainHash,
  hexToBytes,
  leafHash,
  storedHashIndex,
  utf8Encode,
  type StoredEvent,
} from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../src/index.js';
import { getJson, postJson } from './helpers/http-app.js';
import {
  deleteEvent,
  describeOnBackends,
  editCanonical,
  openVerifyApp,
  seedLog,
  setEventHash,
  setTreeHash,
  swapEvents,
  TAMPER_BATCHES,
  type VerifyApp,
} from './helpers/verify-app.js';

const crypto = createNodeCrypto();

interface Problem {
  chain_index: number | null;
  event_id: string | null;
  check: string;
  detail: string;
}

interface Verification {
  valid: boolean;
  tree_size: number;
  root_hash: string | null;
  checked: number;
  problems: Problem[];
}

interface Scenario {
  readonly name: string;
  readonly tamper: (t: VerifyApp, orgId: string, events: StoredEvent[]) => Promise<void>;
  /** The problems POST /verify must report, in order, as [chain_index, check]. */
  readonly expected: ReadonlyArray<readonly [number, string]>;
}

const random32 = () => randomBytes(32);

const SCENARIOS: Scenario[] = [
  {
    name: 'one event’s canonical content is edited',
    tamper: editCanonical(9),
    expected: [[9, 'leaf_hash']],
  },
  {
    name: 'a row is deleted',
    tamper: deleteEvent(17),
    expected: [[17, 'missing']],
  },
  {
    name: 'the last row is deleted',
    tamper: deleteEvent(31),
    expected: [[31, 'missing']],
  },
  {
    name: 'two rows are swapped',
    tamper: swapEvents(4, 20),
    expected: [
      [4, 'canonical'],
      [20, 'canonical'],
    ],
  },
  {
    name: 'a stored event hash is edited',
    tamper: setEventHash('hash', 11),
    expected: [[11, 'chain_link']],
  },
  {
    name: 'a stored leaf_hash is edited',
    tamper: setEventHash('leaf_hash', 6),
    expected: [[6, 'leaf_hash']],
  },
  {
    name: 'a stored previous_hash is edited',
    tamper: setEventHash('previous_hash', 22),
    expected: [[22, 'chain_link']],
  },
  {
    name: 'a stored Merkle tree hash is edited',
    // The subtree over leaves 6..7 is stored when leaf 7 is appended.
    tamper: setTreeHash(storedHashIndex(1, 3)),
    expected: [[7, 'tree_hash']],
  },
  {
    name: 'a stored Merkle tree hash is deleted',
    tamper: (t, org) =>
      t.sql('DELETE FROM tree_hashes WHERE org_id = ? AND idx = ?', [org, storedHashIndex(0, 20)]),
    expected: [[20, 'tree_hash']],
  },
  {
    name: 'an event is rewritten with all of its own hashes recomputed',
    async tamper(t, org, events) {
      const event = events[12]!;
      const canonical = (
        await getJson(t.app, t.apiKey, `/v1/events/${event.id}/canonical`)
      ).body.replace('"action":"user.login"', '"action":"user.logout"');
      const leaf = leafHash(utf8Encode(canonical), crypto);
      const hash = chainHash(hexToBytes(event.previous_hash), leaf, crypto);
      await t.sql(
        'UPDATE events SET canonical = ?, leaf_hash = ?, hash = ? WHERE org_id = ? AND chain_index = ?',
        [canonical, leaf, hash, org, 12],
      );
    },
    // The Merkle tree still holds the original leaf, and the next event still links to the original hash.
    expected: [
      [12, 'tree_hash'],
      [13, 'chain_link'],
    ],
  },
  {
    name: 'a checkpoint’s stored root is edited',
    tamper: (t, org) =>
      t.sql('UPDATE checkpoints SET root_hash = ? WHERE org_id = ? AND tree_size = ?', [
        random32(),
        org,
        13,
      ]),
    expected: [[12, 'checkpoint']],
  },
  {
    name: 'the latest checkpoint is deleted',
    tamper: (t, org) =>
      t.sql('DELETE FROM checkpoints WHERE org_id = ? AND tree_size = ?', [org, 32]),
    expected: [[31, 'checkpoint']],
  },
];

async function verifyLog(t: VerifyApp, org: string, body: unknown = {}): Promise<Verification> {
  const res = await postJson(t.app, t.apiKey, `/v1/orgs/${org}/verify`, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Verification>();
}

describeOnBackends('tampering', (backend) => {
  let t: VerifyApp;

  beforeAll(async () => {
    t = await openVerifyApp(backend);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe.each(SCENARIOS.map((s, i) => ({ ...s, label: s.name, ext: `tamper-${i}` })))(
    'when $label',
    (s) => {
      let orgId: string;
      let events: StoredEvent[];

      beforeAll(async () => {
        ({ orgId, events } = await seedLog(t, s.ext, TAMPER_BATCHES));
        expect((await verifyLog(t, s.ext)).valid).toBe(true);
        await s.tamper(t, orgId, events);
      });

      it('POST /verify names the changed index', async () => {
        const v = await verifyLog(t, s.ext);
        expect(v.valid).toBe(false);
        expect(v.tree_size).toBe(32);
        expect(v.problems.map((p) => [p.chain_index, p.check])).toEqual(s.expected);
        for (const p of v.problems) {
          expect(p.detail.length).toBeGreaterThan(10);
          if (p.event_id !== null) expect(events.map((e) => e.id)).toContain(p.event_id);
        }
      });

      it('the self-audit names the first changed index', async () => {
        const results = await t.logproof.selfAudit.runOnce();
        expect(results.get(orgId)).toMatchObject({
          valid: false,
          treeSize: 32,
          firstBadIndex: s.expected[0]![0],
        });
        const org = await getJson(t.app, t.apiKey, `/v1/orgs/${s.ext}`);
        expect(org.json<{ self_audit: unknown }>().self_audit).toMatchObject({
          valid: false,
          tree_size: 32,
          first_bad_index: s.expected[0]![0],
        });
      });
    },
  );

  it('GET /v1/events/{id}/verify fails the checks an edited event breaks, and only those', async () => {
    const { events } = await seedLog(t, 'tamper-one-event', TAMPER_BATCHES);
    await t.sql(
      `UPDATE events SET canonical = replace(canonical, '"action":"user.login"', '"action":"user.logout"') WHERE id = ?`,
      [events[3]!.id],
    );
    const edited = await getJson(t.app, t.apiKey, `/v1/events/${events[3]!.id}/verify`);
    expect(edited.json()).toMatchObject({
      valid: false,
      checks: {
        canonical: true,
        leaf_hash: false,
        chain_link: false,
        signature: false,
        inclusion: false,
      },
    });
    const next = await getJson(t.app, t.apiKey, `/v1/events/${events[4]!.id}/verify`);
    expect(next.json()).toMatchObject({ valid: true });
  });

  it('GET /v1/events/{id}/verify survives a key_id that names no key', async () => {
    const { orgId, events } = await seedLog(t, 'tamper-key-id', [3]);
    await t.sql('UPDATE events SET key_id = ? WHERE org_id = ? AND chain_index = ?', [
      '00000000',
      orgId,
      1,
    ]);
    const res = await getJson(t.app, t.apiKey, `/v1/events/${events[1]!.id}/verify`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      valid: false,
      verifier_key: null,
      checks: { signature: false, leaf_hash: true, inclusion: true },
    });
  });

  it('answers a proof that needs a deleted tree hash with a 500 that says so', async () => {
    const { orgId } = await seedLog(t, 'tamper-proof', [8]);
    await t.sql('DELETE FROM tree_hashes WHERE org_id = ? AND idx = ?', [
      orgId,
      storedHashIndex(0, 1),
    ]);
    const res = await getJson(
      t.app,
      t.apiKey,
      '/v1/orgs/tamper-proof/proofs/inclusion?leaf_index=0&tree_size=8',
    );
    expect(res.statusCode).toBe(500);
    expect(res.json<{ code: string; detail: string }>()).toMatchObject({
      code: 'internal_error',
      detail: expect.stringMatching(/tree hash .* is missing/),
    });
  });

  it('checks event signatures on request', async () => {
    const { orgId, events } = await seedLog(t, 'tamper-signature', TAMPER_BATCHES);
    await t.sql('UPDATE events SET signature = ? WHERE org_id = ? AND chain_index = ?', [
      randomBytes(64),
      orgId,
      14,
    ]);
    expect((await verifyLog(t, 'tamper-signature')).valid).toBe(true);
    const v = await verifyLog(t, 'tamper-signature', { signatures: true });
    expect(v.problems.map((p) => [p.chain_index, p.check, p.event_id])).toEqual([
      [14, 'signature', events[14]!.id],
    ]);
  });

  it('leaves the other orgs valid', async () => {
    const { orgId } = await seedLog(t, 'untouched', TAMPER_BATCHES);
    expect((await verifyLog(t, 'untouched')).valid).toBe(true);
    const results = await t.logproof.selfAudit.runOnce();
    expect(results.get(orgId)).toMatchObject({ valid: true, firstBadIndex: null });
  });

  it('exposes the last self-audit per org as Prometheus gauges', async () => {
    const { orgId } = await seedLog(t, 'tamper-metrics', TAMPER_BATCHES);
    await t.sql('DELETE FROM events WHERE org_id = ? AND chain_index = ?', [orgId, 3]);
    await t.logproof.selfAudit.runOnce();
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`logproof_self_audit_valid{org="${orgId}"} 0`);
    expect(metrics).toContain(`logproof_self_audit_first_bad_index{org="${orgId}"} 3`);
    expect(metrics).toContain(`logproof_self_audit_tree_size{org="${orgId}"} 32`);
    expect(metrics).toMatch(/logproof_self_audit_valid\{org="org_[^"]+"\} 1/);
  });

  it('logs an error naming the first bad index', async () => {
    const { orgId } = await seedLog(t, 'tamper-log', TAMPER_BATCHES);
    await t.sql('DELETE FROM events WHERE org_id = ? AND chain_index = ?', [orgId, 8]);
    const errors: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const log = (obj: unknown, msg?: string) =>
      errors.push({ obj: obj as Record<string, unknown>, msg: msg ?? '' });
    t.logproof.selfAudit.start({ error: log, warn: () => {}, info: () => {} } as never);
    await t.logproof.selfAudit.runOnce();
    const entry = errors.find((e) => e.obj.org === orgId);
    expect(entry?.obj.first_bad_index).toBe(8);
    expect(entry?.msg).toMatch(/first bad chain_index 8/);
  });
});

describeOnBackends('incremental self-audit', (backend) => {
  let t: VerifyApp;

  beforeAll(async () => {
    t = await openVerifyApp(backend, { selfAuditFullScanEvery: 3 });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function audit(orgId: string, full = false) {
    return (await t.logproof.selfAudit.runOnce({ full })).get(orgId)!;
  }

  async function append(ext: string, count: number): Promise<void> {
    const events = Array.from({ length: count }, () => ({
      org: ext,
      action: 'user.login',
      actor: { id: 'u' },
    }));
    expect((await postJson(t.app, t.apiKey, '/v1/events/batch', { events })).statusCode).toBe(201);
  }

  it('verifies only the events since the last run, and finds a change among them', async () => {
    const { orgId } = await seedLog(t, 'inc-tail', [10, 10]);
    expect(await audit(orgId, true)).toMatchObject({ valid: true, full: true, treeSize: 20 });
    await append('inc-tail', 10);
    expect(await audit(orgId)).toMatchObject({ valid: true, full: false, treeSize: 30 });
    await append('inc-tail', 5);
    await t.sql('DELETE FROM events WHERE org_id = ? AND chain_index = ?', [orgId, 32]);
    expect(await audit(orgId)).toMatchObject({
      valid: false,
      full: false,
      treeSize: 35,
      firstBadIndex: 32,
    });
  });

  it('notices that the verified prefix changed and re-verifies the whole log', async () => {
    const { orgId } = await seedLog(t, 'inc-prefix', [12, 8]);
    expect(await audit(orgId, true)).toMatchObject({ valid: true, treeSize: 20 });
    // The subtree over leaves 16..19 is part of the size-20 tree's root.
    await t.sql('UPDATE tree_hashes SET hash = ? WHERE org_id = ? AND idx = ?', [
      randomBytes(32),
      orgId,
      storedHashIndex(2, 4),
    ]);
    expect(await audit(orgId)).toMatchObject({ valid: false, full: true, firstBadIndex: 19 });
  });

  it('re-reads the whole log every selfAuditFullScanEvery runs, which finds a change deep in the prefix', async () => {
    const { orgId, events } = await seedLog(t, 'inc-full', [10, 10]);
    expect(await audit(orgId, true)).toMatchObject({ valid: true, full: true });
    await t.sql(
      `UPDATE events SET canonical = replace(canonical, '"action":"user.login"', '"action":"user.logout"') WHERE id = ?`,
      [events[5]!.id],
    );
    // Runs 2 and 3 continue from the verified prefix; run 3 + 1 re-reads it all.
    expect(await audit(orgId)).toMatchObject({ full: false });
    expect(await audit(orgId)).toMatchObject({ full: false });
    expect(await audit(orgId)).toMatchObject({ valid: false, full: true, firstBadIndex: 5 });
    // An invalid log is re-read in full until it is valid again.
    expect(await audit(orgId)).toMatchObject({ valid: false, full: true, firstBadIndex: 5 });
  });

  it('shows the last result in the org, next to the log size and root it verified', async () => {
    const { orgId } = await seedLog(t, 'inc-root', [3, 4]);
    await audit(orgId, true);
    const org = (await getJson(t.app, t.apiKey, '/v1/orgs/inc-root')).json<{
      tree_size: number;
      root_hash: string;
      self_audit: {
        checked_at: string;
        valid: boolean;
        tree_size: number;
        first_bad_index: number | null;
      };
    }>();
    expect(org.self_audit).toMatchObject({ valid: true, tree_size: 7, first_bad_index: null });
    expect(Date.parse(org.self_audit.checked_at)).toBeGreaterThan(0);
    expect((await verifyLog(t, 'inc-root')).root_hash).toBe(org.root_hash);
  });
});

describeOnBackends('self-audit timer', (backend) => {
  it('audits every org on its own every LOGPROOF_SELF_AUDIT_INTERVAL_MS, and stops with the app', async () => {
    const t = await openVerifyApp(backend, { selfAuditIntervalMs: 100 });
    try {
      const { orgId } = await seedLog(t, 'timer', [4]);
      // Whether a pass ran before this or not, the next one finds it: the
      // last event of a verified prefix is re-checked on every pass.
      await t.sql('DELETE FROM events WHERE org_id = ? AND chain_index = ?', [orgId, 3]);
      let audit: { valid: boolean } | null = null;
      for (let i = 0; i < 200 && audit?.valid !== false; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        audit = t.logproof.selfAudit.resultFor(orgId);
      }
      expect(audit).toMatchObject({ valid: false, firstBadIndex: 3 });
    } finally {
      await t.close();
    }
  });
});

describe('self-audit settings', () => {
  it('reads the interval and the full-scan period from the environment', () => {
    const config = readConfig({
      LOGPROOF_SELF_AUDIT_INTERVAL_MS: '0',
      LOGPROOF_SELF_AUDIT_FULL_SCAN_EVERY: '6',
    });
    expect(config).toMatchObject({ selfAuditIntervalMs: 0, selfAuditFullScanEvery: 6 });
    expect(readConfig({})).toMatchObject({
      selfAuditIntervalMs: 600_000,
      selfAuditFullScanEvery: 24,
    });
    expect(() => readConfig({ LOGPROOF_SELF_AUDIT_INTERVAL_MS: '10m' })).toThrow(ConfigError);
    expect(() => readConfig({ LOGPROOF_SELF_AUDIT_FULL_SCAN_EVERY: '0' })).toThrow(ConfigError);
  });
});
