import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isValidKeyName } from '@logproof/core';

/** Server settings: read once at start-up, validated, frozen, passed down. */
export interface Config {
  /** Folder of the embedded SQLite database and the generated master key. */
  readonly dataDir: string;
  /** PostgreSQL connection string; the embedded SQLite store when absent. */
  readonly databaseUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  /** PROOFS.md §1: the prefix of every org log's origin. */
  readonly origin: string;
  /** Base64 or hex of 32 bytes; generated into dataDir for SQLite when absent. */
  readonly masterKey: string | undefined;
  readonly logLevel: string;
  /** API.md: occurred_at older than this is rejected. */
  readonly backfillWindowMs: number;
  readonly eventBodyLimit: number;
  readonly batchBodyLimit: number;
  /** Requests per minute per API key; 0 turns the limiter off. */
  readonly rateLimitPerMinute: number;
  /** Most events one group commit may hold. */
  readonly maxCommitEvents: number;
  /** Event-loop delay past which requests are shed with 503; 0 = off (the default, see README). */
  readonly maxEventLoopDelayMs: number;
  /** Events waiting for a commit past which new writes are shed with 503. */
  readonly maxQueuedEvents: number;
  /** Time between self-audit passes over every org log; 0 turns the self-audit off. */
  readonly selfAuditIntervalMs: number;
  /** Every this many self-audit passes, each log is re-verified from its start. */
  readonly selfAuditFullScanEvery: number;
  // Webhook streams (API.md "Webhooks (streams)").
  /** Scales the whole retry schedule: 5000 (the default) is the standard one, 5 s to 10 h, over 3 days. */
  readonly webhookRetryBaseMs: number;
  /** Lifts the SSRF guard's address rules (loopback, private...). Local testing only. */
  readonly webhookAllowPrivate: boolean;
  /** Allows http:// destinations. Local testing only. */
  readonly webhookAllowHttp: boolean;
  /** Whether `serve` runs the delivery worker (`logproof worker` runs it alone). */
  readonly webhookWorker: boolean;
  /** Whole time of one delivery attempt (connect, send, answer). */
  readonly webhookTimeoutMs: number;
  /** How long the previous secret still signs after a rotation. */
  readonly webhookSecretGraceMs: number;
  /**
   * A worker's hold on a webhook, renewed while it delivers. After a crash
   * the webhook waits this long before another worker takes it over.
   */
  readonly webhookLeaseMs: number;
  // Exports (API.md "Exports").
  /** Public base URL of the API (scheme, host, optional path) for links it hands out; the request's origin when absent. */
  readonly publicUrl: string | undefined;
  /** Background exports that run at once in one process. */
  readonly exportConcurrency: number;
  /** How long a finished export file is kept before the sweep deletes it. */
  readonly exportRetentionMs: number;
  /** How long a presigned download link is valid (never past the file's expiry). */
  readonly exportUrlTtlMs: number;
  /** Most events-table pages in a PDF report (the attached bundle holds every event). */
  readonly exportPdfMaxPages: number;
  /** Time between sweeps of stale jobs and expired files; 0 turns the timer off. */
  readonly exportSweepIntervalMs: number;
  /** The widget bundle GET /widget.js serves (packages/widget/dist/widget.js in the monorepo). */
  readonly widgetFile: string;
  /** The built customer portal served under /portal/ (packages/portal/dist in the monorepo). */
  readonly portalDir: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function readInt(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw))
    throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min)
    throw new ConfigError(`${name} must be at least ${min}`);
  return value;
}

function readBool(
  env: Record<string, string | undefined>,
  name: string,
  fallback: boolean,
): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new ConfigError(`${name} must be 1 or 0, got ${JSON.stringify(raw)}`);
}

/** LOGPROOF_PUBLIC_URL: an http(s) URL without query or fragment, kept without a trailing slash. */
function readPublicUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`LOGPROOF_PUBLIC_URL must be a URL, got ${JSON.stringify(raw)}`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search !== '' || url.hash !== '') {
    throw new ConfigError('LOGPROOF_PUBLIC_URL must be an http(s) URL without query or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

// This file is src/config.ts or dist/config.js of packages/server: either
// way two levels below packages/, where the widget is built.
const DEFAULT_WIDGET_FILE = fileURLToPath(new URL('../../widget/dist/widget.js', import.meta.url));
// Likewise: the portal's Vite build.
const DEFAULT_PORTAL_DIR = fileURLToPath(new URL('../../portal/dist', import.meta.url));

/** Reads and validates the configuration from the environment and CLI overrides. */
export function readConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Config> = {},
): Readonly<Config> {
  const origin = overrides.origin ?? env.LOGPROOF_ORIGIN ?? 'logproof.local';
  // PROOFS.md §1: origin/<org id> is a key name: printable, no spaces, no '+'.
  if (!isValidKeyName(`${origin}/org_x`) || origin.length > 200) {
    throw new ConfigError('LOGPROOF_ORIGIN must be printable, with no spaces and no "+"');
  }
  const config: Config = {
    dataDir: resolve(overrides.dataDir ?? env.LOGPROOF_DATA_DIR ?? './logproof-data'),
    databaseUrl: overrides.databaseUrl ?? (env.LOGPROOF_DATABASE_URL || undefined),
    host: overrides.host ?? env.HOST ?? '127.0.0.1',
    port: overrides.port ?? readInt(env, 'PORT', 3000, 0),
    origin,
    masterKey: overrides.masterKey ?? (env.LOGPROOF_MASTER_KEY || undefined),
    logLevel: overrides.logLevel ?? env.LOGPROOF_LOG_LEVEL ?? 'info',
    backfillWindowMs:
      overrides.backfillWindowMs ?? readInt(env, 'LOGPROOF_BACKFILL_DAYS', 365, 0) * 86_400_000,
    eventBodyLimit:
      overrides.eventBodyLimit ?? readInt(env, 'LOGPROOF_EVENT_BODY_LIMIT', 64 * 1024, 1024),
    batchBodyLimit:
      overrides.batchBodyLimit ?? readInt(env, 'LOGPROOF_BATCH_BODY_LIMIT', 4 * 1024 * 1024, 1024),
    rateLimitPerMinute:
      overrides.rateLimitPerMinute ?? readInt(env, 'LOGPROOF_RATE_LIMIT_PER_MINUTE', 60_000, 0),
    maxCommitEvents:
      overrides.maxCommitEvents ?? readInt(env, 'LOGPROOF_MAX_COMMIT_EVENTS', 1000, 1),
    maxEventLoopDelayMs:
      overrides.maxEventLoopDelayMs ?? readInt(env, 'LOGPROOF_MAX_EVENT_LOOP_DELAY_MS', 0, 0),
    maxQueuedEvents:
      overrides.maxQueuedEvents ?? readInt(env, 'LOGPROOF_MAX_QUEUED_EVENTS', 20_000, 1),
    selfAuditIntervalMs:
      overrides.selfAuditIntervalMs ?? readInt(env, 'LOGPROOF_SELF_AUDIT_INTERVAL_MS', 600_000, 0),
    selfAuditFullScanEvery:
      overrides.selfAuditFullScanEvery ??
      readInt(env, 'LOGPROOF_SELF_AUDIT_FULL_SCAN_EVERY', 24, 1),
    webhookRetryBaseMs:
      overrides.webhookRetryBaseMs ?? readInt(env, 'LOGPROOF_WEBHOOK_RETRY_BASE_MS', 5000, 1),
    webhookAllowPrivate:
      overrides.webhookAllowPrivate ?? readBool(env, 'LOGPROOF_WEBHOOK_ALLOW_PRIVATE', false),
    webhookAllowHttp:
      overrides.webhookAllowHttp ?? readBool(env, 'LOGPROOF_WEBHOOK_ALLOW_HTTP', false),
    webhookWorker: overrides.webhookWorker ?? readBool(env, 'LOGPROOF_WEBHOOK_WORKER', true),
    webhookTimeoutMs:
      overrides.webhookTimeoutMs ?? readInt(env, 'LOGPROOF_WEBHOOK_TIMEOUT_MS', 10_000, 100),
    webhookSecretGraceMs:
      overrides.webhookSecretGraceMs ??
      readInt(env, 'LOGPROOF_WEBHOOK_SECRET_GRACE_MS', 86_400_000, 0),
    webhookLeaseMs:
      overrides.webhookLeaseMs ?? readInt(env, 'LOGPROOF_WEBHOOK_LEASE_MS', 30_000, 1_000),
    publicUrl: overrides.publicUrl ?? readPublicUrl(env.LOGPROOF_PUBLIC_URL),
    exportConcurrency:
      overrides.exportConcurrency ?? readInt(env, 'LOGPROOF_EXPORT_CONCURRENCY', 2, 1),
    exportRetentionMs:
      overrides.exportRetentionMs ??
      readInt(env, 'LOGPROOF_EXPORT_RETENTION_SECONDS', 86_400, 60) * 1000,
    exportUrlTtlMs:
      overrides.exportUrlTtlMs ?? readInt(env, 'LOGPROOF_EXPORT_URL_TTL_SECONDS', 900, 1) * 1000,
    exportPdfMaxPages:
      overrides.exportPdfMaxPages ?? readInt(env, 'LOGPROOF_EXPORT_PDF_MAX_PAGES', 250, 1),
    exportSweepIntervalMs:
      overrides.exportSweepIntervalMs ??
      readInt(env, 'LOGPROOF_EXPORT_SWEEP_INTERVAL_MS', 60_000, 0),
    widgetFile: resolve(overrides.widgetFile ?? (env.LOGPROOF_WIDGET_FILE || DEFAULT_WIDGET_FILE)),
    portalDir: resolve(overrides.portalDir ?? (env.LOGPROOF_PORTAL_DIR || DEFAULT_PORTAL_DIR)),
  };
  // An attempt may only start while the lease outlasts it (webhooks/webhook-delivery.ts).
  if (config.webhookLeaseMs < 2 * config.webhookTimeoutMs + 2_000) {
    throw new ConfigError(
      'LOGPROOF_WEBHOOK_LEASE_MS must be at least twice LOGPROOF_WEBHOOK_TIMEOUT_MS plus 2000',
    );
  }
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    throw new ConfigError(`LOGPROOF_LOG_LEVEL must be a pino level, got ${config.logLevel}`);
  }
  return Object.freeze(config);
}
