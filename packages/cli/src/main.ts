import { Command, InvalidArgumentError } from 'commander';
import { registerMonitorCommand } from './monitor-command.js';
import { registerVerifyCommand } from './verify-command.js';
import { registerWorkerCommand } from './worker-command.js';

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  }
  return Number(value);
}

interface ServerFlags {
  data?: string;
  databaseUrl?: string;
}

function overrides(flags: ServerFlags & { port?: number; host?: string }) {
  return {
    ...(flags.data !== undefined ? { dataDir: flags.data } : {}),
    ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
    ...(flags.port !== undefined ? { port: flags.port } : {}),
    ...(flags.host !== undefined ? { host: flags.host } : {}),
  };
}

/** Builds the `logproof` command line. */
export function buildProgram(): Command {
  const program = new Command('logproof')
    .description('Logproof: a tamper-evident audit log')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  registerVerifyCommand(program);
  registerWorkerCommand(program);
  registerMonitorCommand(program);

  program
    .command('init')
    .description('create a project with its default org and an admin API key (printed once)')
    .option('--data <dir>', 'data directory of the embedded SQLite store (LOGPROOF_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL connection string (LOGPROOF_DATABASE_URL)')
    .option('--name <name>', 'project name', 'Default project')
    .option('--json', 'print {"project_id","api_key"} as JSON')
    .action(async (flags: ServerFlags & { name: string; json?: boolean }) => {
      const { readConfig, initProject } = await import('@logproof/server');
      const result = await initProject(readConfig(process.env, overrides(flags)), flags.name);
      for (const notice of result.notices) process.stderr.write(`logproof: ${notice}\n`);
      if (flags.json) {
        process.stdout.write(
          JSON.stringify({ project_id: result.projectId, api_key: result.apiKey }) + '\n',
        );
      } else {
        process.stdout.write(
          `Created project ${result.projectId} with its default org.\nAdmin API key (shown once, keep it secret):\n\n  ${result.apiKey}\n\n`,
        );
      }
    });

  program
    .command('serve')
    .description(
      'run the HTTP API server (on an empty database, runs init first and prints the admin key)',
    )
    .option('--data <dir>', 'data directory of the embedded SQLite store (LOGPROOF_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL connection string (LOGPROOF_DATABASE_URL)')
    .option('--port <n>', 'port to listen on (PORT, default 3000)', parsePort)
    .option('--host <host>', 'address to listen on (HOST, default 127.0.0.1)')
    .action(async (flags: ServerFlags & { port?: number; host?: string }) => {
      const { readConfig, createLogproof } = await import('@logproof/server');
      const config = readConfig(process.env, overrides(flags));
      const logproof = await createLogproof(config, { init: true });
      for (const notice of logproof.notices) logproof.app.log.warn(notice);
      if (logproof.initialApiKey) {
        process.stdout.write(
          `\nlogproof: the database was empty, so it now holds a project with a default org.\nAdmin API key (shown once, keep it secret):\n\n  ${logproof.initialApiKey}\n\n`,
        );
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logproof.app.log.info({ signal }, 'shutting down: finishing in-flight commits');
        logproof
          .close()
          .then(() => process.exit(0))
          .catch((error: unknown) => {
            logproof.app.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      const address = await logproof.app.listen({ host: config.host, port: config.port });
      process.stdout.write(`logproof: listening on ${address} (${logproof.store.kind})\n`);
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .option('--data <dir>', 'data directory of the embedded SQLite store (LOGPROOF_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL connection string (LOGPROOF_DATABASE_URL)')
    .action(async (flags: ServerFlags) => {
      const { readConfig, openStore } = await import('@logproof/server');
      const store = openStore(readConfig(process.env, overrides(flags)));
      try {
        const { applied } = await store.migrate();
        process.stdout.write(
          applied.length
            ? `applied migrations ${applied.join(', ')}\n`
            : 'database is up to date\n',
        );
      } finally {
        await store.close();
      }
    });

  return program;
}

/** Entry point of bin/logproof.js. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ConfigError') {
      process.stderr.write(`logproof: ${(error as Error).message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
