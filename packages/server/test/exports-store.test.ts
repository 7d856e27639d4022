// The ExportStore port (store/export-port.ts), one contract for both
// adapters, against real SQLite and real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventFilter } from '../src/query/event-filter.js';
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

  for (const [name, params] of [
    ['every event', {}],
    ['a filter on action and actor', { action: 'user.login', actor_id: 'u3' }],
    ['a target', { target_id: 'd1', target_type: 'doc' }],
  ] as const) {
    it(`reads the rows listEvents reads, in its order and pages, for ${name}`, async () => {
      const filter = parseEventFilter(params, null);
      for (const order of ['asc', 'desc'] as const) {
        const expected = await store.listEvents(projectId, {
          filter,
          order,
          limit: 1000,
          after: null,
        });
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
        rows.forEach((r, i) => {
          expect(r.canonical).toBe(expected[i]!.canonical);
          expect(Buffer.from(r.signature).equals(Buffer.from(expected[i]!.signature))).toBe(true);
          expect(r.keyId).toBe(expected[i]!.keyId);
        });
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
    });
  }
}

describe('ExportStore contract (sqlite)', () => describeContract('sqlite'));
describeWithPostgres('ExportStore contract (postgres)', () => describeContract('postgres'));
