import { resolve } from 'node:path';
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
  /** Event-loop delay past which requests are shed with 503. */
  readonly maxEventLoopDelayMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function readInt(env: Record<string, string | undefined>, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be at least ${min}`);
  return value;
}

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
    eventBodyLimit: overrides.eventBodyLimit ?? readInt(env, 'LOGPROOF_EVENT_BODY_LIMIT', 64 * 1024, 1024),
    batchBodyLimit:
      overrides.batchBodyLimit ?? readInt(env, 'LOGPROOF_BATCH_BODY_LIMIT', 4 * 1024 * 1024, 1024),
    rateLimitPerMinute:
      overrides.rateLimitPerMinute ?? readInt(env, 'LOGPROOF_RATE_LIMIT_PER_MINUTE', 60_000, 0),
    maxCommitEvents: overrides.maxCommitEvents ?? readInt(env, 'LOGPROOF_MAX_COMMIT_EVENTS', 5000, 1),
    maxEventLoopDelayMs:
      overrides.maxEventLoopDelayMs ?? readInt(env, 'LOGPROOF_MAX_EVENT_LOOP_DELAY_MS', 1000, 0),
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    throw new ConfigError(`LOGPROOF_LOG_LEVEL must be a pino level, got ${config.logLevel}`);
  }
  return Object.freeze(config);
}
