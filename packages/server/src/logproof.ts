import { createNodeCrypto } from '@logproof/core/node-crypto';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp } from './app.js';
import { ConfigError, type Config } from './config.js';
import { MasterKey } from './master-key.js';
import { Metrics } from './plugins/metrics.js';
import { AppendQueue, groupsInFlight } from './services/append-queue.js';
import { EventService } from './services/event-service.js';
import { OrgKeys } from './services/org-keys.js';
import { SelfAudit } from './services/self-audit.js';
import { VerificationService } from './services/verification-service.js';
import { Tenancy } from './services/tenancy.js';
import { SigningWorker } from './services/signing-worker.js';
import type { Store } from './store/store.js';
import { PostgresStore } from './stores/postgres/postgres-store.js';
import { SqliteStore } from './stores/sqlite/sqlite-store.js';
import { SqliteVerifyWorker } from './stores/sqlite/verify-worker.js';
import {
  createWebhookRuntime,
  createWebhookWorker,
  type WebhookOptions,
  type WebhookRuntime,
} from './webhooks/webhook-runtime.js';
import type { WorkerLogger } from './webhooks/delivery-worker.js';
import { join } from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import { ExportJobs } from './exports/export-jobs.js';
import { ExportService } from './exports/export-service.js';
import { PdfFonts } from './exports/pdf-fonts.js';
import { DOWNLOAD_KEY_LABEL, DownloadSigner } from './exports/presign.js';
import { EMBED_TOKEN_KEY_LABEL, EmbedTokens } from './services/embed-tokens.js';
import { DatabaseExportStorage, DirectoryExportStorage } from './exports/storage.js';
import { PortalService } from './services/portal-service.js';

/** The composition root's product: a ready app and what it owns. */
export interface Logproof {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly tenancy: Tenancy;
  /** The background self-audit; `runOnce()` audits every org log now. */
  readonly selfAudit: SelfAudit;
  /** Webhook streams: the delivery worker (running when `config.webhookWorker`). */
  readonly webhooks: WebhookRuntime;
  /** Background exports of this process; `sweep()` fails abandoned jobs and deletes expired files now. */
  readonly exports: ExportJobs;
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
  options: {
    init?: boolean;
    logger?: FastifyServerOptions['logger'];
    store?: Store;
    clock?: () => number;
    webhooks?: WebhookOptions;
  } = {},
): Promise<Logproof> {
  const notices: string[] = [];
  const { key: masterKey, notice } = loadMasterKey(config);
  if (notice) notices.push(notice);
  const store = options.store ?? openStore(config);
  // Appends sign on a second thread too, when there is a second core.
  const signing = availableParallelism() > 1 ? new SigningWorker() : null;
  // Whole-log verifications check chunks on a second thread too, with its
  // own read-only connection to the SQLite file.
  const verifyWorker =
    store instanceof SqliteStore && store.filename !== ':memory:' && availableParallelism() > 1
      ? new SqliteVerifyWorker({ filename: store.filename })
      : null;
  try {
    await store.migrate();
    const crypto = signing?.wrap(createNodeCrypto()) ?? createNodeCrypto();
    const clock = options.clock ?? Date.now;
    const metrics = new Metrics();
    if (store instanceof SqliteStore) metrics.watchSqliteWriter(() => store.writerBusySeconds);
    const orgKeys = new OrgKeys(store, masterKey, crypto, config.origin, clock);
    const tenancy = new Tenancy(store, orgKeys, crypto, clock);
    const webhooks = createWebhookRuntime(
      config,
      { store, tenancy, masterKey, clock },
      options.webhooks,
    );
    const queue = new AppendQueue({
      store,
      crypto,
      keys: orgKeys,
      maxCommitEvents: config.maxCommitEvents,
      maxInFlight: groupsInFlight(store.kind),
      clock,
      onCommit: (events, ms) => {
        metrics.recordCommit(events, ms);
        webhooks.worker.notify();
      },
    });
    const events = new EventService(store, queue, orgKeys, crypto, config.maxQueuedEvents);
    const verification = new VerificationService({
      store,
      crypto,
      originOf: (id) => orgKeys.originOf(id),
      helper: verifyWorker,
    });
    const selfAudit = new SelfAudit({
      store,
      verification,
      metrics,
      crypto,
      intervalMs: config.selfAuditIntervalMs,
      fullScanEvery: config.selfAuditFullScanEvery,
      clock,
    });
    // Export files live where every process can serve them: in the
    // database with PostgreSQL (several processes), in the data directory
    // with the embedded SQLite (one process).
    const exportStorage =
      store.kind === 'postgres'
        ? new DatabaseExportStorage(store)
        : new DirectoryExportStorage(join(config.dataDir, 'exports'));
    const exportService = new ExportService({
      store,
      crypto,
      originOf: (id) => orgKeys.originOf(id),
      fonts: new PdfFonts(),
      pdfMaxPages: config.exportPdfMaxPages,
      tmpDir: tmpdir(),
      clock,
    });
    const exportJobs = new ExportJobs({
      store,
      service: exportService,
      storage: exportStorage,
      clock,
      concurrency: config.exportConcurrency,
      retentionMs: config.exportRetentionMs,
      sweepIntervalMs: config.exportSweepIntervalMs,
    });
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
      verification,
      selfAudit,
      metrics,
      webhooks: webhooks.service,
      exports: {
        store,
        service: exportService,
        jobs: exportJobs,
        storage: exportStorage,
        signer: new DownloadSigner(masterKey.deriveKey(DOWNLOAD_KEY_LABEL)),
        clock,
        urlTtlMs: config.exportUrlTtlMs,
        publicUrl: config.publicUrl,
      },
      embedTokens: new EmbedTokens(masterKey.deriveKey(EMBED_TOKEN_KEY_LABEL)),
      portal: new PortalService({
        store,
        tenancy,
        events,
        clock,
        backfillWindowMs: config.backfillWindowMs,
      }),
      clock,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    app.addHook('onClose', async () => {
      // Running exports end as failed (not resumed) before the store closes.
      await exportJobs.stop();
      // The audit reads the store: stop it first.
      await selfAudit.stop();
      await verifyWorker?.close();
      // Saves every delivery cursor and gives the leases up (API.md "Operations").
      await webhooks.close();
      await store.close();
      await signing?.close();
    });
    selfAudit.start(app.log);
    if (config.webhookWorker) webhooks.worker.start(app.log);
    exportJobs.start(app.log);
    return {
      app,
      store,
      tenancy,
      selfAudit,
      webhooks,
      exports: exportJobs,
      initialApiKey,
      notices,
      close: () => app.close(),
    };
  } catch (error) {
    await verifyWorker?.close();
    await store.close();
    await signing?.close();
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
    const tenancy = new Tenancy(
      store,
      new OrgKeys(store, masterKey, crypto, config.origin),
      crypto,
    );
    const { project, apiKey } = await tenancy.initProject(name);
    return { projectId: project.id, apiKey, notices: notice ? [notice] : [] };
  } finally {
    await store.close();
  }
}

/**
 * `logproof worker`: the webhook delivery worker alone, on the configured
 * store, beside any number of `serve` processes (leases keep them apart).
 */
export async function startWebhookWorker(
  config: Config,
  options: { logger?: WorkerLogger; webhooks?: WebhookOptions } = {},
): Promise<{ kind: Store['kind']; owner: string; notices: string[]; stop(): Promise<void> }> {
  const { key: masterKey, notice } = loadMasterKey(config);
  const store = openStore(config);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  const runtime = createWebhookWorker(config, { store, masterKey }, options.webhooks);
  runtime.worker.start(options.logger);
  return {
    kind: store.kind,
    owner: runtime.worker.owner,
    notices: notice ? [notice] : [],
    async stop() {
      await runtime.close();
      await store.close();
    },
  };
}
