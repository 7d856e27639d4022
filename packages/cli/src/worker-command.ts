import type { Command } from 'commander';

const LEVELS = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
} as const;

/** JSON lines on stdout, pino's shape (level number, time, msg), at LOGPROOF_LOG_LEVEL and above. */
function jsonLogger(levelName: string) {
  const threshold = LEVELS[levelName as keyof typeof LEVELS] ?? LEVELS.info;
  const write = (level: number) => (details: object, message: string) => {
    if (level < threshold) return;
    const fields: Record<string, unknown> = { ...details };
    const err = fields.err;
    if (err instanceof Error)
      fields.err = { type: err.name, message: err.message, stack: err.stack };
    process.stdout.write(
      JSON.stringify({
        level,
        time: Date.now(),
        pid: process.pid,
        name: 'logproof-worker',
        ...fields,
        msg: message,
      }) + '\n',
    );
  };
  return { info: write(LEVELS.info), warn: write(LEVELS.warn), error: write(LEVELS.error) };
}

/**
 * `logproof worker`: delivers webhook streams without serving the API. Run
 * any number beside `logproof serve` processes on one PostgreSQL database (a
 * lease in the database keeps two of them off one webhook); pair it with
 * LOGPROOF_WEBHOOK_WORKER=0 on the API servers to keep delivery off them.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run the webhook delivery worker alone (no HTTP API); SIGTERM saves the cursors and exits',
    )
    .option('--data <dir>', 'data directory of the embedded SQLite store (LOGPROOF_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL connection string (LOGPROOF_DATABASE_URL)')
    .action(async (flags: { data?: string; databaseUrl?: string }) => {
      const { readConfig, startWebhookWorker } = await import('@logproof/server');
      const config = readConfig(process.env, {
        ...(flags.data !== undefined ? { dataDir: flags.data } : {}),
        ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
      });
      const logger = jsonLogger(config.logLevel);
      const worker = await startWebhookWorker(config, { logger });
      for (const notice of worker.notices) logger.warn({}, notice);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: saving delivery cursors');
        worker
          .stop()
          .then(() => process.exit(0))
          .catch((error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      process.stdout.write(
        `logproof: webhook worker running (${worker.kind}) as ${worker.owner}\n`,
      );
    });
}
