// The ExportStore port (store/export-port.ts), one contract for both
// adapters, against real SQLite and real PostgreSQL.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventFilter, type KeysetPosition } from '../src/query/event-filter.js';
import type { ExportRecord } from '../src/store/export-port.js';
import type { Store } from '../src/store/store.js';
import { openExportApp, seedOrg, type ExportApp } from './helpers/export-app.js';
import { describeWithPostgres } from './helpers/postgres.js';
import type { Backend } from './helpers/verify-app.js';

let n = 0;
const nextId = () => `exp_${String(++n).padStart(26, '0')}`;

function describeContract(backend: Backend) {
  let t: ExportApp;
  let store: Store;
  let projectId: string;
  let otherProject: string;
  const orgIds: Record<string, string> = {};
  const windowParams: Record<string, { from: string; to: string }> = {};

  const job = (extra: Partial<ExportRecord> = {}): ExportRecord => ({
    id: nextId(),
    projectId,
    orgId: null,
    format: 'csv',
    params: { action: 'user.*', order: 'asc' },
    status: 'queued',
    rowsTotal: null,
    rowCount: 0,
    byteCount: 0,
    sha256: null,
    error: null,
    owner: 'proc_a',
    heartbeatAt: 1000,
    createdAt: 1000,
    startedAt: null,
    finishedAt: null,
    expiresAt: 100_000,
    ...extra,
  });

  beforeAll(async () => {
    t = await openExportApp(backend);
    store = t.logproof.store;
    const org = await seedOrg(
      t,
      'acme',
      Array.from({ length: 120 }, (_, i) => ({
        action: i % 2 ? 'user.login' : 'user.logout',
        actor: { id: `u${i % 7}` },
        targets: i % 3 === 0 ? [{ id: 'd1', type: 'doc' }] : [],
        occurred_at: new Date(Date.now() - (i % 10) * 1000).toISOString(),
      })),
      50,
    );
    // Sent as they happen (occurred_at grows with chain_index) but for every
    // seventh, a few seconds late: SQLite reads such an org by key range.
    const base = Date.now() - 3_600_000;
    const globex = await seedOrg(
      t,
      'globex',
      Array.from({ length: 90 }, (_, i) => ({
        action: 'user.login',
        actor: { id: `g${i % 3}` },
        occurred_at: new Date(base + i * 1000 - (i % 7 === 6 ? 5000 : 0)).toISOString(),
      })),
      40,
    );
    orgIds.acme = org.orgId;
    orgIds.globex = globex.orgId;
    const window = {
      from: new Date(base + 20_000).toISOString(),
      to: new Date(base + 70_000).toISOString(),
    };
    windowParams.globex = window;
    projectId = (await store.getOrgById(org.orgId))!.projectId;
    otherProject = (await t.logproof.tenancy.initProject('other')).project.id;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('keeps a job and its filter, and shows it within its project only', async () => {
    const j = job();
    await store.insertExport(j);
    expect(await store.getExport(projectId, j.id)).toEqual(j);
    expect(await store.getExportById(j.id)).toEqual(j);
    expect(await store.getExport(otherProject, j.id)).toBeNull();
    expect(await store.getExport(projectId, 'exp_missing')).toBeNull();
  });

  it('lets only the owner start, advance and finish a job, each from the right status', async () => {
    const j = job();
    await store.insertExport(j);
    expect(
      await store.updateExportProgress(j.id, 'proc_a', { rowCount: 1, byteCount: 1 }, 2000),
    ).toBe(false);
    expect(await store.startExport(j.id, 'proc_b', 2000)).toBe(false);
    expect(await store.startExport(j.id, 'proc_a', 2000)).toBe(true);
    expect(await store.startExport(j.id, 'proc_a', 2000)).toBe(false);
    expect(
      await store.updateExportProgress(
        j.id,
        'proc_a',
        { rowsTotal: 10, rowCount: 4, byteCount: 400 },
        3000,
      ),
    ).toBe(true);
    expect(
      await store.updateExportProgress(j.id, 'proc_a', { rowCount: 6, byteCount: 600 }, 3500),
    ).toBe(true);
    expect(await store.getExport(projectId, j.id)).toMatchObject({
      status: 'running',
      startedAt: 2000,
      rowsTotal: 10,
      rowCount: 6,
      byteCount: 600,
      heartbeatAt: 3500,
    });
    const done = {
      status: 'succeeded',
      rowCount: 10,
      byteCount: 1000,
      sha256: 'ab'.repeat(32),
    } as const;
    expect(await store.finishExport(j.id, 'proc_b', done, 4000, 9000)).toBe(false);
    expect(await store.finishExport(j.id, 'proc_a', done, 4000, 9000)).toBe(true);
    expect(
      await store.finishExport(j.id, 'proc_a', { status: 'failed', error: 'x' }, 4000, 9000),
    ).toBe(false);
    expect(await store.getExport(projectId, j.id)).toMatchObject({
      status: 'succeeded',
      rowCount: 10,
      sha256: 'ab'.repeat(32),
      finishedAt: 4000,
      expiresAt: 9000,
    });
  });

  it('fails the queued and running jobs of a silent process, and only those', async () => {
    const stale = job({ owner: 'proc_dead', heartbeatAt: 500 });
    const staleRunning = job({ owner: 'proc_dead', heartbeatAt: 500, status: 'running' });
    const alive = job({ owner: 'proc_live', heartbeatAt: 500 });
    const finished = job({ owner: 'proc_dead', heartbeatAt: 500, status: 'succeeded' });
    for (const j of [stale, staleRunning, alive, finished]) await store.insertExport(j);
    await store.heartbeatExports('proc_live', 5000);
    const failed = await store.failStaleExports(4000, 'gone', 6000, 7000);
    expect(failed).toEqual(expect.arrayContaining([stale.id, staleRunning.id]));
    expect(failed).not.toContain(alive.id);
    expect(failed).not.toContain(finished.id);
    expect(await store.getExport(projectId, stale.id)).toMatchObject({
      status: 'failed',
      error: 'gone',
      finishedAt: 6000,
      expiresAt: 7000,
    });
    expect((await store.getExport(projectId, alive.id))!.status).toBe('queued');
  });

  it('lists finished jobs past their expiry, then marks them expired', async () => {
    const old = job({ status: 'succeeded', expiresAt: 50 });
    const oldFailed = job({ status: 'failed', expiresAt: 60 });
    const running = job({ status: 'running', expiresAt: 50 });
    const fresh = job({ status: 'succeeded', expiresAt: 10_000_000 });
    for (const j of [old, oldFailed, running, fresh]) await store.insertExport(j);
    const ids = await store.listExpiredExports(1000, 100);
    expect(ids).toEqual(expect.arrayContaining([old.id, oldFailed.id]));
    expect(ids).not.toContain(running.id);
    expect(ids).not.toContain(fresh.id);
    for (const id of ids) await store.markExportExpired(id);
    expect((await store.getExport(projectId, old.id))!.status).toBe('expired');
    expect(await store.listExpiredExports(1000, 100)).toEqual([]);
  });

  it('keeps file chunks in order and deletes them', async () => {
    const j = job();
    await store.insertExport(j);
    for (let seq = 0; seq < 5; seq++)
      await store.writeExportChunk(j.id, seq, Buffer.from(`chunk ${seq}`));
    const first = await store.readExportChunks(j.id, 0, 3);
    expect(first.map((c) => [c.seq, Buffer.from(c.data).toString()])).toEqual([
      [0, 'chunk 0'],
      [1, 'chunk 1'],
      [2, 'chunk 2'],
    ]);
    expect((await store.readExportChunks(j.id, 3, 3)).map((c) => c.seq)).toEqual([3, 4]);
    await store.deleteExportChunks(j.id);
    expect(await store.readExportChunks(j.id, 0, 3)).toEqual([]);
  });

  for (const [name, params, org] of [
    ['every event', {}, null],
    ['a filter on action and actor', { action: 'user.login', actor_id: 'u3' }, null],
    ['a target', { target_id: 'd1', target_type: 'doc' }, null],
    // Far out of chain order: SQLite's key-range read gives up, the listing reads.
    ['one org whose events are out of order', {}, 'acme'],
    ['one org whose events are mostly in order', {}, 'globex'],
    ['one org in a time window', 'window', 'globex'],
  ] as const) {
    it(`reads the rows listEvents reads, in its order and pages, for ${name}`, async () => {
      const filter = parseEventFilter(
        params === 'window' ? windowParams[org!]! : params,
        org === null ? null : orgIds[org]!,
      );
      for (const order of ['asc', 'desc'] as const) {
        const expected = await store.listEvents(projectId, {
          filter,
          order,
          limit: 1000,
          after: null,
        });
        expect(expected.length).toBeGreaterThan(7);
        const page1 = await store.listExportEvents(projectId, {
          filter,
          order,
          limit: 7,
          after: null,
        });
        const last = page1.at(-1)!;
        const page2 = await store.listExportEvents(projectId, {
          filter,
          order,
          limit: 1000,
          after: { occurredAt: last.occurredAt, orgId: last.orgId, chainIndex: last.chainIndex },
        });
        const rows = [...page1, ...page2];
        expect(rows.map((r) => `${r.orgId}/${r.chainIndex}`)).toEqual(
          expected.map((e) => `${e.orgId}/${e.chainIndex}`),
        );
        const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
        rows.forEach((r, i) => {
          const e = expected[i]!;
          expect(r.canonical).toBe(e.canonical);
          expect(r.occurredAt).toBe(e.occurredAt);
          expect(r.leafHashHex).toBe(hex(e.leafHash));
          expect(r.hashHex).toBe(hex(e.hash));
          expect(r.previousHashHex).toBe(hex(e.previousHash));
          expect(r.signatureBase64).toBe(Buffer.from(e.signature).toString('base64'));
          expect(r.keyId).toBe(e.keyId);
        });
        // Every page of 7, as an export walks them.
        const walked: string[] = [];
        let after: KeysetPosition | null = null;
        for (;;) {
          const page = await store.listExportEvents(projectId, { filter, order, limit: 7, after });
          walked.push(...page.map((r) => `${r.orgId}/${r.chainIndex}`));
          if (page.length < 7) break;
          const l = page.at(-1)!;
          after = { occurredAt: l.occurredAt, orgId: l.orgId, chainIndex: l.chainIndex };
        }
        expect(walked).toEqual(expected.map((e) => `${e.orgId}/${e.chainIndex}`));
        // Positions: the same rows, in the same order and pages, without their bytes.
        const positions = await store.listExportPositions(projectId, {
          filter,
          order,
          limit: 1000,
          after: null,
        });
        expect(positions).toEqual(
          expected.map((e) => ({
            orgId: e.orgId,
            chainIndex: e.chainIndex,
            occurredAt: e.occurredAt,
          })),
        );
        const afterFirst = await store.listExportPositions(projectId, {
          filter,
          order,
          limit: 1000,
          after: page1.at(-1)!,
        });
        expect(afterFirst.map((p) => p.chainIndex)).toEqual(page2.map((r) => r.chainIndex));
        expect(await store.countEvents(projectId, filter)).toBe(expected.length);
      }
      expect(
        await store.listExportEvents(otherProject, {
          filter,
          order: 'asc',
          limit: 10,
          after: null,
        }),
      ).toEqual([]);
      expect(await store.countEvents(otherProject, filter)).toBe(0);
      expect(
        await store.listExportPositions(otherProject, {
          filter,
          order: 'asc',
          limit: 10,
          after: null,
        }),
      ).toEqual([]);
    });
  }

  it("reads an org's events by chain index range, ascending, as the log holds them", async () => {
    const orgId = orgIds.globex!;
    const log = await store.scanLog(orgId, 0, 1000, { signatures: true });
    expect(log).toHaveLength(90);
    const rows = await store.readExportRange(orgId, 5, 47);
    expect(rows.map((r) => r.chainIndex)).toEqual(log.slice(5, 47).map((r) => r.chainIndex));
    rows.forEach((r, i) => {
      const e = log[5 + i]!;
      expect(r.orgId).toBe(orgId);
      expect(r.canonical).toBe(e.canonical);
      expect(r.leafHashHex).toBe(Buffer.from(e.leafHash).toString('hex'));
      expect(r.hashHex).toBe(Buffer.from(e.hash).toString('hex'));
      expect(r.previousHashHex).toBe(Buffer.from(e.previousHash).toString('hex'));
      expect(r.signatureBase64).toBe(Buffer.from(e.signature!).toString('base64'));
      expect(r.keyId).toBe(e.keyId);
    });
    expect(await store.readExportRange(orgId, 89, 200)).toHaveLength(1);
    expect(await store.readExportRange(orgId, 90, 200)).toEqual([]);
    expect(await store.readExportRange(orgIds.acme!, 0, 3)).toHaveLength(3);
  });
}

describe('ExportStore contract (sqlite)', () => describeContract('sqlite'));

// The SQLite adapter reads the three hashes and the signature as one string
// (stores/sqlite/export-rows.ts); PostgreSQL reads each on its own.
describe('SQLite export rows', () => {
  it('give a damaged row its hashes as stored, not shifted into its neighbours', async () => {
    const t = await openExportApp('sqlite');
    try {
      const { orgId, events } = await seedOrg(t, 'acme', [
        { action: 'user.login', actor: { id: 'a' } },
        { action: 'user.login', actor: { id: 'b' } },
        { action: 'user.login', actor: { id: 'c' } },
      ]);
      const db = new Database(join(t.dataDir, 'logproof.db'));
      try {
        db.prepare(
          "UPDATE events SET leaf_hash = x'abcd' WHERE org_id = ? AND chain_index = 1",
        ).run(orgId);
        // As many bytes in all as an intact row (160), in other places.
        db.prepare(
          `UPDATE events SET leaf_hash = CAST(leaf_hash || x'ee' AS BLOB), signature = substr(signature, 1, 63)
           WHERE org_id = ? AND chain_index = 2`,
        ).run(orgId);
      } finally {
        db.close();
      }
      const projectId = (await t.logproof.store.getOrgById(orgId))!.projectId;
      for (const rows of [
        await t.logproof.store.readExportRange(orgId, 0, 3),
        await t.logproof.store.listExportEvents(projectId, {
          filter: parseEventFilter({}, orgId),
          order: 'asc',
          limit: 10,
          after: null,
        }),
        // Not one org alone: the listing's own statement.
        await t.logproof.store.listExportEvents(projectId, {
          filter: parseEventFilter({ action: 'user.login' }, null),
          order: 'asc',
          limit: 10,
          after: null,
        }),
      ]) {
        expect(rows).toHaveLength(3);
        const damaged = rows.find((r) => r.chainIndex === 1)!;
        expect(damaged.leafHashHex).toBe('abcd');
        expect(damaged.hashHex).toBe(events[1]!.hash);
        expect(damaged.previousHashHex).toBe(events[1]!.previous_hash);
        expect(damaged.signatureBase64).toBe(events[1]!.signature);
        expect(rows.find((r) => r.chainIndex === 0)!.leafHashHex).toBe(events[0]!.leaf_hash);
        const shifted = rows.find((r) => r.chainIndex === 2)!;
        expect(shifted.leafHashHex).toBe(events[2]!.leaf_hash + 'ee');
        expect(shifted.hashHex).toBe(events[2]!.hash);
        expect(shifted.previousHashHex).toBe(events[2]!.previous_hash);
        expect(shifted.signatureBase64).toBe(
          Buffer.from(events[2]!.signature, 'base64').subarray(0, 63).toString('base64'),
        );
      }
    } finally {
      await t.close();
    }
  });
});
describeWithPostgres('ExportStore contract (postgres)', () => describeContract('postgres'));
