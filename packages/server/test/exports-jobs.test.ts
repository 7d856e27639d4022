// Background exports (POST /v1/exports) and presigned downloads through the
// real server, on SQLite (files in the data directory) and PostgreSQL
// (files in the database): progress, sha256, downloads without a key,
// 403 for any changed or expired link, tenancy, expiry sweeps and crashes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyBundle, type EvidenceBundle } from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_AFTER_MS } from '../src/exports/export-jobs.js';
import type { ExportRecord } from '../src/store/export-port.js';
import {
  download,
  exportEvents,
  openExportApp,
  runJob,
  seedOrg,
  type ExportApp,
  type ExportJob,
} from './helpers/export-app.js';
import { expectProblem, getJson, postJson } from './helpers/http-app.js';
import { describeWithPostgres } from './helpers/postgres.js';
import type { Backend } from './helpers/verify-app.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A job row as a process that then died left it. */
function abandonedJob(projectId: string, id: string, at: number): ExportRecord {
  return {
    id,
    projectId,
    orgId: null,
    format: 'ndjson',
    params: { order: 'asc' },
    status: 'running',
    rowsTotal: 10,
    rowCount: 3,
    byteCount: 100,
    sha256: null,
    error: null,
    owner: 'proc_dead',
    heartbeatAt: at,
    createdAt: at,
    startedAt: at,
    finishedAt: null,
    expiresAt: at + 86_400_000,
  };
}

function describeJobs(backend: Backend) {
  let t: ExportApp;
  let org: Awaited<ReturnType<typeof seedOrg>>;
  let projectId: string;

  beforeAll(async () => {
    t = await openExportApp(backend, { exportUrlTtlMs: 60_000, exportRetentionMs: 3_600_000 });
    org = await seedOrg(
      t,
      'acme',
      Array.from({ length: 2500 }, (_, i) => ({
        action: i % 2 ? 'user.login' : 'document.viewed',
        actor: { id: `user_${i % 50}`, name: `Ünïcode ${i}` },
      })),
    );
    projectId = (await t.logproof.store.getOrgById(org.orgId))!.projectId;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('runs an NDJSON export in the background and serves it without an API key', async () => {
    const started = await postJson(t.app, t.apiKey, '/v1/exports', {
      format: 'ndjson',
      org: 'acme',
    });
    expect(started.statusCode, started.body).toBe(202);
    const accepted = started.json<ExportJob>();
    expect(accepted.id).toMatch(/^exp_[0-9a-z]{26}$/);
    expect(started.headers.location).toBe(`/v1/exports/${accepted.id}`);
    expect(['queued', 'running']).toContain(accepted.status);
    expect(accepted.download_url).toBeNull();
    await t.logproof.exports.idle();
    const job = (await getJson(t.app, t.apiKey, `/v1/exports/${accepted.id}`)).json<ExportJob>();
    expect(job).toMatchObject({
      status: 'succeeded',
      rows_total: 2500,
      row_count: 2500,
      progress: 1,
      error: null,
    });
    expect(job.download_url).toMatch(
      new RegExp(`/v1/exports/${job.id}/download\\?expires=\\d+&signature=[\\w-]{43}$`),
    );

    const res = await download(t, job.download_url!);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(job.byte_count);
    expect(sha256(res.rawPayload)).toBe(job.sha256);
    expect(res.headers['repr-digest']).toBe(
      `sha-256=:${Buffer.from(job.sha256!, 'hex').toString('base64')}:`,
    );
    // The same bytes as the streamed export of the same filters.
    const streamed = await exportEvents(t, { format: 'ndjson', org: 'acme' });
    expect(res.rawPayload.equals(streamed.rawPayload)).toBe(true);
    expect(res.body.trimEnd().split('\n')).toHaveLength(2500);
  });

  it('runs every format, the bundle and the PDF included', async () => {
    for (const format of ['csv', 'json', 'bundle', 'pdf']) {
      const job = await runJob(t, { format, org: 'acme', filter: { action: 'user.login' } });
      expect(job.status, job.error ?? '').toBe('succeeded');
      expect(job.row_count).toBe(1250);
      const res = await download(t, job.download_url!);
      expect(res.statusCode).toBe(200);
      expect(sha256(res.rawPayload)).toBe(job.sha256);
      if (format === 'bundle') {
        const bundle = res.json<EvidenceBundle>();
        expect(verifyBundle(bundle, org.verifierKey, createNodeCrypto()).events).toBe(1250);
      }
      if (format === 'pdf') expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    }
  }, 120_000);

  it('refuses a changed or expired link with 403, and needs no key before that', async () => {
    const job = await runJob(t, { format: 'json', org: 'acme', filter: { actor_id: 'user_7' } });
    const other = await runJob(t, { format: 'json', org: 'acme', filter: { actor_id: 'user_8' } });
    const url = new URL(job.download_url!);
    const signature = url.searchParams.get('signature')!;
    const expires = url.searchParams.get('expires')!;
    const path = (id: string, e: string, s: string) =>
      `http://x/v1/exports/${id}/download?expires=${e}&signature=${s}`;
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);

    expect((await download(t, job.download_url!)).statusCode).toBe(200);
    expectProblem(await download(t, path(job.id, expires, flipped)), 403, 'forbidden');
    expectProblem(await download(t, path(other.id, expires, signature)), 403, 'forbidden');
    expectProblem(
      await download(t, path(job.id, String(Number(expires) + 3600), signature)),
      403,
      'forbidden',
    );
    expectProblem(await download(t, path('exp_nope', expires, signature)), 403, 'forbidden');
    expectProblem(await download(t, `http://x/v1/exports/${job.id}/download`), 403, 'forbidden');

    // Past the link's expiry (the file is still kept): 403, and a fresh link works.
    const now = t.clock();
    t.clock.set(Date.parse(job.download_url_expires_at!) + 1);
    const expired = expectProblem(await download(t, job.download_url!), 403, 'forbidden');
    expect(expired.detail).toContain('expired');
    const fresh = (await getJson(t.app, t.apiKey, `/v1/exports/${job.id}`)).json<ExportJob>();
    expect((await download(t, fresh.download_url!)).statusCode).toBe(200);
    t.clock.set(now);
  });

  it("shows a project's exports to its own keys only", async () => {
    const job = await runJob(t, {
      format: 'ndjson',
      org: 'acme',
      filter: { action: 'user.login' },
    });
    const { apiKey: otherKey } = await t.logproof.tenancy.initProject('another');
    expectProblem(await getJson(t.app, otherKey, `/v1/exports/${job.id}`), 404, 'not_found');
    expectProblem(
      await postJson(t.app, otherKey, '/v1/exports', { format: 'csv', org: 'acme' }),
      404,
      'not_found',
      ['/org'],
    );
    const theirs = await runJobWith(otherKey, { format: 'ndjson' });
    expect(theirs.row_count).toBe(0);
    expectProblem(await getJson(t.app, t.apiKey, `/v1/exports/${theirs.id}`), 404, 'not_found');
  });

  async function runJobWith(apiKey: string, body: Record<string, unknown>): Promise<ExportJob> {
    const res = await postJson(t.app, apiKey, '/v1/exports', body);
    expect(res.statusCode, res.body).toBe(202);
    await t.logproof.exports.idle();
    return (
      await getJson(t.app, apiKey, `/v1/exports/${res.json<ExportJob>().id}`)
    ).json<ExportJob>();
  }

  it('deletes the file when it expires, and the link stops working', async () => {
    const job = await runJob(t, { format: 'csv', org: 'acme' });
    const url = job.download_url!;
    const before = await t.logproof.store.readExportChunks(job.id, 0, 1);
    if (backend === 'postgres') expect(before).toHaveLength(1);
    else expect(existsSync(join(t.dataDir, 'exports', job.id))).toBe(true);

    const now = t.clock();
    t.clock.set(Date.parse(job.expires_at) + 1);
    expect(await t.logproof.exports.sweep()).toMatchObject({
      expired: expect.any(Number) as number,
    });
    const after = (await getJson(t.app, t.apiKey, `/v1/exports/${job.id}`)).json<ExportJob>();
    expect(after).toMatchObject({ status: 'expired', download_url: null });
    expect(await t.logproof.store.readExportChunks(job.id, 0, 1)).toHaveLength(0);
    expect(existsSync(join(t.dataDir, 'exports', job.id))).toBe(false);
    expectProblem(await download(t, url), 403, 'forbidden');
    t.clock.set(now);
  });

  it('fails a job whose server stopped, on restart, and deletes its partial file', async () => {
    const id = 'exp_0000000000abcdefghjkmnpqrs';
    await t.logproof.store.insertExport(
      abandonedJob(projectId, id, t.clock() - STALE_AFTER_MS - 1000),
    );
    const partialFile = join(t.dataDir, 'exports', `${id}.partial`);
    if (backend === 'postgres')
      await t.logproof.store.writeExportChunk(id, 0, Buffer.from('partial'));
    else {
      await mkdir(join(t.dataDir, 'exports'), { recursive: true });
      await writeFile(partialFile, 'partial');
    }
    // A process starting on the same database sweeps at start.
    const peer = await t.openPeer();
    await peer.exports.sweep();
    const job = (await getJson(t.app, t.apiKey, `/v1/exports/${id}`)).json<ExportJob>();
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/stopped before it finished; start a new export/);
    expect(await t.logproof.store.readExportChunks(id, 0, 1)).toHaveLength(0);
    expect(existsSync(partialFile)).toBe(false);
  });

  it('refuses what it cannot export before accepting a job', async () => {
    expectProblem(
      await postJson(t.app, t.apiKey, '/v1/exports', { format: 'bundle' }),
      400,
      'validation_failed',
      ['/org'],
    );
    expectProblem(
      await postJson(t.app, t.apiKey, '/v1/exports', { format: 'csv', org: 'nope' }),
      404,
      'not_found',
    );
    expectProblem(
      await postJson(t.app, t.apiKey, '/v1/exports', { format: 'csv', filter: { limit: 3 } }),
      400,
      'validation_failed',
      ['/filter/limit'],
    );
    expectProblem(
      await postJson(t.app, t.apiKey, '/v1/exports', { format: 'csv', filter: { q: 'action:(' } }),
      400,
      'validation_failed',
      ['/q'],
    );
    expectProblem(
      await getJson(t.app, t.apiKey, '/v1/exports/exp_0000000000000000000000000z'),
      404,
      'not_found',
    );
  });

  it('fails a bundle job with nothing to prove, saying why', async () => {
    const job = await runJob(t, {
      format: 'bundle',
      org: 'acme',
      filter: { action: 'never.happened' },
    });
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/at least one event/);
    expect(job.download_url).toBeNull();
  });
}

describe('background exports (sqlite)', () => describeJobs('sqlite'));
describeWithPostgres('background exports (postgres)', () => describeJobs('postgres'));
