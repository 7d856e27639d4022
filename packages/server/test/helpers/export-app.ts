// The real app on either backend for the export suites, with a settable
// clock (link and file expiry) and helpers to export, run jobs and read files.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '@logproof/core';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createLogproof, readConfig, type Config, type Logproof } from '../../src/index.js';
import { bearer, createTestClock, getJson, postJson, type TestClock } from './http-app.js';
import { createTestDatabase } from './postgres.js';
import type { Backend } from './verify-app.js';

export interface ExportApp {
  readonly backend: Backend;
  readonly logproof: Logproof;
  readonly app: FastifyInstance;
  readonly apiKey: string;
  readonly dataDir: string;
  readonly clock: TestClock;
  /** Another server process on the same database (as after a restart): same config, same clock. */
  openPeer(): Promise<Logproof>;
  close(): Promise<void>;
}

/** The app on `backend`, self-audit and sweep timers off (tests sweep on demand). */
export async function openExportApp(
  backend: Backend,
  overrides: Partial<Config> = {},
): Promise<ExportApp> {
  const dataDir = await mkdtemp(join(tmpdir(), `logproof-export-${backend}-`));
  const db = backend === 'postgres' ? await createTestDatabase() : null;
  const clock = createTestClock();
  const config = readConfig(
    {},
    {
      dataDir,
      logLevel: 'silent',
      rateLimitPerMinute: 0,
      selfAuditIntervalMs: 0,
      exportSweepIntervalMs: 0,
      webhookWorker: false,
      ...(db ? { databaseUrl: db.url, masterKey: randomBytes(32).toString('hex') } : {}),
      ...overrides,
    },
  );
  const logproof = await createLogproof(config, { init: true, logger: false, clock });
  await logproof.app.ready();
  const peers: Logproof[] = [];
  return {
    backend,
    logproof,
    app: logproof.app,
    apiKey: logproof.initialApiKey!,
    dataDir,
    clock,
    async openPeer() {
      const peer = await createLogproof(config, { logger: false, clock });
      await peer.app.ready();
      peers.push(peer);
      return peer;
    },
    async close() {
      for (const peer of peers) await peer.close();
      await logproof.close();
      await db?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A query string with every value percent-encoded. */
export function query(params: Record<string, string | number | undefined>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
}

/** GET /v1/events/export with these parameters. */
export function exportEvents(
  t: Pick<ExportApp, 'app' | 'apiKey'>,
  params: Record<string, string | number | undefined>,
  apiKey = t.apiKey,
): Promise<LightMyRequestResponse> {
  return getJson(t.app, apiKey, `/v1/events/export?${query(params)}`);
}

/** Creates an org and records events in it, `batchSize` per batch; returns them as stored. */
export async function seedOrg(
  t: Pick<ExportApp, 'app' | 'apiKey'>,
  externalId: string,
  events: readonly Record<string, unknown>[],
  batchSize = 1000,
): Promise<{ orgId: string; verifierKey: string; events: StoredEvent[] }> {
  const created = await postJson(t.app, t.apiKey, '/v1/orgs', {
    external_id: externalId,
    name: `Org ${externalId}`,
  });
  expect(created.statusCode, created.body).toBe(201);
  const org = created.json<{ id: string; verifier_key: string }>();
  const stored: StoredEvent[] = [];
  for (let i = 0; i < events.length; i += batchSize) {
    const body = { events: events.slice(i, i + batchSize).map((e) => ({ org: externalId, ...e })) };
    const res = await postJson(t.app, t.apiKey, '/v1/events/batch', body);
    expect(res.statusCode, res.body).toBe(201);
    stored.push(...res.json<{ events: StoredEvent[] }>().events);
  }
  return { orgId: org.id, verifierKey: org.verifier_key, events: stored };
}

export interface ExportJob {
  id: string;
  status: string;
  format: string;
  progress: number | null;
  rows_total: number | null;
  row_count: number;
  byte_count: number;
  sha256: string | null;
  download_url: string | null;
  download_url_expires_at: string | null;
  expires_at: string;
  error: string | null;
}

/** Starts a background export and waits for this process to finish it. */
export async function runJob(t: ExportApp, body: Record<string, unknown>): Promise<ExportJob> {
  const res = await postJson(t.app, t.apiKey, '/v1/exports', body);
  expect(res.statusCode, res.body).toBe(202);
  await t.logproof.exports.idle();
  const job = await getJson(t.app, t.apiKey, `/v1/exports/${res.json<ExportJob>().id}`);
  expect(job.statusCode, job.body).toBe(200);
  return job.json<ExportJob>();
}

/** GETs a download link as anyone would: no Authorization header. */
export function download(t: Pick<ExportApp, 'app'>, url: string): Promise<LightMyRequestResponse> {
  const { pathname, search } = new URL(url);
  return t.app.inject({ method: 'GET', url: `${pathname}${search}` });
}

/** True when a command can be run (poppler-utils, LibreOffice). */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export { bearer };
