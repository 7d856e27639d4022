import { isLogproofError, parseVerifierKey, type VerifierKey } from '@logproof/core';
import type { Command } from 'commander';
import { monitorLog, type MonitorOutcome } from './monitor-log.js';

/** Exit status of `logproof monitor`: scripts and cron jobs branch on it. */
export const MONITOR_EXIT = Object.freeze({ ok: 0, alert: 1, error: 2 });

interface MonitorFlags {
  url?: string;
  org?: string;
  key?: string[];
  state?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Ends the command with `message` on stderr and `exitCode`, through
 * commander, so that a program with exitOverride() gets a CommanderError
 * instead of a process exit. Usage help after an alert would only bury it.
 */
function fail(command: Command, message: string, exitCode: number): never {
  command.showHelpAfterError(false);
  command.error(message, {
    exitCode,
    code: exitCode === MONITOR_EXIT.alert ? 'logproof.monitor.alert' : 'logproof.monitor.error',
  });
  // command.error() exits or throws; this is never reached.
  throw new Error(message);
}

function usage(command: Command, message: string): never {
  fail(command, `logproof monitor: ${message} (see logproof monitor --help)`, MONITOR_EXIT.error);
}

function parseFlags(command: Command, flags: MonitorFlags) {
  if (command.args.length > 0)
    usage(command, `unexpected argument or option: ${command.args.join(' ')}`);
  for (const name of ['url', 'org', 'state'] as const) {
    if (typeof flags[name] !== 'string' || flags[name] === '')
      usage(command, `--${name} is required`);
  }
  const keyTexts = flags.key ?? [];
  if (keyTexts.length === 0)
    usage(command, '--key is required: the verifier key of the log, obtained out of band');
  let url: URL;
  try {
    url = new URL(flags.url!);
  } catch {
    usage(command, `--url ${JSON.stringify(flags.url)} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    usage(command, '--url must be http: or https:');
  if (!/^[\x21-\x7e]{1,64}$/.test(flags.org!) || flags.org!.includes('/')) {
    usage(command, '--org is the org id (org_...), as in the log origin');
  }
  const keys: VerifierKey[] = [];
  for (const text of keyTexts) {
    try {
      keys.push(parseVerifierKey(text));
    } catch (error) {
      if (!isLogproofError(error)) throw error;
      usage(command, `--key ${JSON.stringify(text)} is not a verifier key: ${error.message}`);
    }
  }
  return { url: flags.url!, orgId: flags.org!, keys, statePath: flags.state! };
}

function report(command: Command, outcome: MonitorOutcome): void {
  if (outcome.status === 'ok') {
    const write = command.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s));
    write(`logproof monitor: ${outcome.message}\n`);
    return;
  }
  if (outcome.status === 'error')
    fail(command, `logproof monitor: error: ${outcome.message}`, MONITOR_EXIT.error);
  const lines = [
    `ALERT: ${outcome.kind}: ${outcome.message}`,
    ...outcome.evidence.map((line) => `ALERT: ${line}`),
  ];
  fail(command, lines.map((line) => line.trimEnd()).join('\n'), MONITOR_EXIT.alert);
}

/**
 * Adds `logproof monitor --url <base> --org <org id> --key <verifier key>
 * --state <file>` to `program`: one check of an org's log from the outside,
 * with no API key. It fetches the public checkpoint, verifies its signature
 * with the key given, checks that it extends the checkpoint saved by the
 * last run (RFC 6962 consistency proof), then saves it. Exit status 0 when
 * all is well, 1 with `ALERT: ...` on stderr on a bad signature, a rollback
 * or a fork, 2 on a usage or network error. Run it from cron.
 *
 * @example
 * ```ts
 * const program = new Command('logproof');
 * registerMonitorCommand(program);
 * await program.parseAsync(process.argv);
 * ```
 */
export function registerMonitorCommand(program: Command): Command {
  return program
    .command('monitor')
    .description(
      "check an org's log from outside, with no API key: its public checkpoint must be signed by your key and extend the one seen last time",
    )
    .option('--url <base>', 'base URL of the Logproof server')
    .option('--org <org id>', 'the org id (org_...) whose log to follow')
    .option(
      '--key <verifier key>',
      "the log's verifier key, obtained out of band (repeat it to trust a rotated key too)",
      collect,
    )
    .option(
      '--state <file>',
      'JSON file keeping the last verified checkpoint (written on first use)',
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText(
      'after',
      '\nExit status: 0 the log only grew; 1 ALERT (bad signature, rollback, fork: its history was rewritten);\n2 usage, state file or network error. The state file is updated only when every check passed.',
    )
    .action(async function (this: Command, flags: MonitorFlags) {
      const input = parseFlags(this, flags);
      report(this, await monitorLog(input));
    });
}
