// The real app on either backend, for the verification suites, with a side
// door into its database: tampering tests change rows behind the server's
// back exactly as someone with database access would.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { StoredEvent } from '@logproof/core';
import type { FastifyInstance } from 'fastify';
import { describe, expect } from 'vitest';
import { createLogproof, readConfig, type Config, type Logproof } from '../../src/index.js';
import { postJson } from './http-app.js';
import { createTestDatabase, describeWithPostgres } from './postgres.js';

export type Backend = 'sqlite' | 'postgres';

export interface VerifyApp {
  readonly backend: Backend;
  readonly logproof: Logproof;
  readonly app: FastifyInstance;
  /** The admin key (every scope) `init` made. */
  readonly apiKey: string;
  /** Another server process on the same database (same master key). */
  openPeer(): Promise<Logproof>;
  /** Runs one statement on the database directly; `?` placeholders on both backends. */
  sql(text: string, params?: readonly unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** Opens the app on `backend` with the self-audit timer off (tests run it on demand). */
export async function openVerifyApp(
  backend: Backend,
  overrides: Partial<Config> = {},
): Promise<VerifyApp> {
  const dataDir = await mkdtemp(join(tmpdir(), `logproof-verify-${backend}-`));
  const db = backend === 'postgres' ? await createTestDatabase() : null;
  const config = readConfig(
    {},
    {
      dataDir,
      logLevel: 'silent',
      rateLimitPerMinute: 0,
      selfAuditIntervalMs: 0,
      ...(db ? { databaseUrl: db.url, masterKey: randomBytes(32).toString('hex') } : {}),
      ...overrides,
    },
  );
  const logproof = await createLogproof(config, { init: true, logger: false });
  await logproof.app.ready();
  const peers: Logproof[] = [];
  let sqlite: Database.Database | undefined;
  let client: pg.Client | undefined;
  return {
    backend,
    logproof,
    app: logproof.app,
    apiKey: logproof.initialApiKey!,
    async openPeer() {
      const peer = await createLogproof(config, { logger: false });
      await peer.app.ready();
      peers.push(peer);
      return peer;
    },
    async sql(text, params = []) {
      if (db) {
        if (!client) {
          client = new pg.Client({ connectionString: db.url });
          await client.connect();
        }
        let n = 0;
        await client.query(
          text.replace(/\?/g, () => `$${++n}`),
          params as unknown[],
        );
      } else {
        sqlite ??= new Database(join(dataDir, 'logproof.db'));
        sqlite.pragma('busy_timeout = 10000');
        sqlite.prepare(text).run(...params);
      }
    },
    async close() {
      for (const peer of peers) await peer.close();
      await logproof.close();
      sqlite?.close();
      await client?.end();
      await db?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `body` once per backend: SQLite always, PostgreSQL when configured. */
export function describeOnBackends(name: string, body: (backend: Backend) => void): void {
  describe(`${name} (sqlite)`, () => body('sqlite'));
  describeWithPostgres(`${name} (postgres)`, () => body('postgres'));
}

/** Creates an org and records `batches` batches of events in it (one checkpoint per batch). */
export async function seedLog(
  t: VerifyApp,
  externalId: string,
  batches: readonly number[],
): Promise<{ orgId: string; events: StoredEvent[] }> {
  const created = await postJson(t.app, t.apiKey, '/v1/orgs', {
    external_id: externalId,
    name: externalId,
  });
  expect(created.statusCode, created.body).toBe(201);
  const orgId = created.json<{ id: string }>().id;
  const events: StoredEvent[] = [];
  for (const [b, size] of batches.entries()) {
    const body = {
      events: Array.from({ length: size }, (_, i) => ({
        org: externalId,
        action: 'user.login',
        actor: { id: `user_${b}_${i}` },
      })),
    };
    const res = await postJson(t.app, t.apiKey, '/v1/events/batch', body);
    expect(res.statusCode, res.body).toBe(201);
    events.push(...res.json<{ events: StoredEvent[] }>().events);
  }
  return { orgId, events };
}

/** A change made to a seeded log behind the server's back (raw SQL). */
export type Tamper = (t: VerifyApp, orgId: string) => Promise<void>;

/**
 * The log the tamper suites seed: batches of 5, 8, 1, 12 and 6 events, so 32
 * events with checkpoints at 0, 5, 13, 14, 26 and 32 (their expected indexes
 * depend on it).
 */
export const TAMPER_BATCHES: readonly number[] = [5, 8, 1, 12, 6];

/** A tamper and the problems a whole-log verification must name, in order, as [chain_index, check]. */
export interface TamperCase {
  readonly name: string;
  readonly tamper: Tamper;
  readonly expected: ReadonlyArray<readonly [number | null, string]>;
}

/** Replaces one event's `hash`, `leaf_hash` or `previous_hash` with random bytes. */
export const setEventHash =
  (column: 'hash' | 'leaf_hash' | 'previous_hash', index: number): Tamper =>
  (t, org) =>
    t.sql(`UPDATE events SET ${column} = ? WHERE org_id = ? AND chain_index = ?`, [
      randomBytes(32),
      org,
      index,
    ]);

/** Edits one event's stored canonical bytes (a seeded `user.login` becomes `user.logout`). */
export const editCanonical =
  (index: number): Tamper =>
  (t, org) =>
    t.sql(
      `UPDATE events SET canonical = replace(canonical, '"action":"user.login"', '"action":"user.logout"') WHERE org_id = ? AND chain_index = ?`,
      [org, index],
    );

/** Deletes one event row. */
export const deleteEvent =
  (index: number): Tamper =>
  (t, org) =>
    t.sql('DELETE FROM events WHERE org_id = ? AND chain_index = ?', [org, index]);

/** Swaps the positions of two event rows. */
export const swapEvents =
  (a: number, b: number): Tamper =>
  async (t, org) => {
    const move = 'UPDATE events SET chain_index = ? WHERE org_id = ? AND chain_index = ?';
    await t.sql(move, [-1, org, a]);
    await t.sql(move, [a, org, b]);
    await t.sql(move, [b, org, -1]);
  };

/** Replaces one stored Merkle subtree hash (its storedHashIndex) with random bytes. */
export const setTreeHash =
  (idx: number): Tamper =>
  (t, org) =>
    t.sql('UPDATE tree_hashes SET hash = ? WHERE org_id = ? AND idx = ?', [
      randomBytes(32),
      org,
      idx,
    ]);
