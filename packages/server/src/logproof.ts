import { createNodeCrypto } from '@logproof/core/node-crypto';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp } from './app.js';
import { ConfigError, type Config } from './config.js';
import { MasterKey } from './master-key.js';
import { Metrics } from './plugins/metrics.js';
import { AppendQueue } from './services/append-queue.js';
import { EventService } from './services/event-service.js';
import { OrgKeys } from './services/org-keys.js';
import { Tenancy } from './services/tenancy.js';
import type { Store } from './store/store.js';
import { PostgresStore } from './stores/postgres/postgres-store.js';
import { SqliteStore } from './stores/sqlite/sqlite-store.js';
import { join } from 'node:path';

/** The composition root's product: a ready app and what it owns. */
export interface Logproof {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly tenancy: Tenancy;
  /** Set when this start created the project: the admin key, to print once. */
  readonly initialApiKey: string | null;
  readonly notices: readonly string[];
  close(): Promise<void>;
}

/** Opens the store the configuration names: PostgreSQL when a URL is set, else embedded SQLite. */
export function openStore(config: Config): Store {
  return config.databaseUrl
    ? new PostgresStore({ connectionString: config.databaseUrl })
    : new SqliteStore({ filename: join(config.dataDir, 'logproof.db') });
}

/** Loads the master key: LOGPROOF_MASTER_KEY, or for SQLite a key file generated in the data dir. */
export function loadMasterKey(config: Config): { key: MasterKey; notice: string | null } {
  if (config.masterKey) return { key: MasterKey.parse(config.masterKey), notice: null };
  if (config.databaseUrl) {
    throw new ConfigError(
      'LOGPROOF_MASTER_KEY is required with PostgreSQL (every server process must share it); generate one with: openssl rand -base64 32',
    );
  }
  const { key, created, path } = MasterKey.loadOrCreate(config.dataDir);
  return {
    key,
    notice: created
      ? `generated a master key at ${path} (mode 0600); back it up: org signing keys are sealed with it`
      : null,
  };
}

/** Wires store, services and app. With `init`, an empty database gets a project and admin key. */
export async function createLogproof(
  config: Config,
  options: { init?: boolean; logger?: FastifyServerOptions['logger']; store?: Store; clock?: () => number } = {},
): Promise<Logproof> {
  const notices: string[] = [];
  const { key: masterKey, notice } = loadMasterKey(config);
  if (notice) notices.push(notice);
  const store = options.store ?? openStore(config);
  try {
    await store.migrate();
    const crypto = createNodeCrypto();
    const clock = options.clock ?? Date.now;
    const metrics = new Metrics();
    const orgKeys = new OrgKeys(store, masterKey, crypto, config.origin);
    const tenancy = new Tenancy(store, orgKeys, crypto, clock);
    const queue = new AppendQueue({
      store,
      crypto,
      maxCommitEvents: config.maxCommitEvents,
      clock,
      onCommit: (events, ms) => metrics.recordCommit(events, ms),
    });
    const events = new EventService(store, queue, orgKeys, crypto);
    let initialApiKey: string | null = null;
    if (options.init && (await store.countProjects()) === 0) {
      initialApiKey = (await tenancy.initProject()).apiKey;
    }
    const app = await buildApp({
      config,
      store,
      crypto,
      tenancy,
      orgKeys,
      events,
      queue,
      metrics,
      clock,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    app.addHook('onClose', async () => {
      await store.close();
    });
    return {
      app,
      store,
      tenancy,
      initialApiKey,
      notices,
      close: () => app.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** `logproof init`: migrates, then creates a project, its default org and an admin key. */
export async function initProject(
  config: Config,
  name?: string,
): Promise<{ projectId: string; apiKey: string; notices: string[] }> {
  const { key: masterKey, notice } = loadMasterKey(config);
  const store = openStore(config);
  try {
    await store.migrate();
    const crypto = createNodeCrypto();
    const tenancy = new Tenancy(store, new OrgKeys(store, masterKey, crypto, config.origin), crypto);
    const { project, apiKey } = await tenancy.initProject(name);
    return { projectId: project.id, apiKey, notices: notice ? [notice] : [] };
  } finally {
    await store.close();
  }
}
