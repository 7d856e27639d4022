import { createNodeCrypto } from '@logproof/core/node-crypto';
import { readFile, stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { isLogproofError, parseVerifierKey, verifyBundle, type VerifierKey } from '@logproof/core';

// The CLI runs on Node, so it uses the native provider (about 10x faster
// Ed25519 than pure JS); the verification logic is the same core code the
// browser runs with nobleCrypto.
const cliCrypto = createNodeCrypto();

/** Exit status when the bundle does not verify. */
const EXIT_FAILED = 1;
/** Exit status when the input cannot be read at all (file, JSON, --key). */
const EXIT_UNUSABLE = 2;
/**
 * Largest bundle file read: V8 strings stop near 512 MiB, and a bundle of
 * BUNDLE_LIMITS.maxEvents events fits well below this.
 */
const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

// Control characters are named on purpose: they are what is escaped.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Paths and messages can quote member names from the bundle, which may hold
 * control characters: escaped, so a hostile bundle can neither drive the
 * terminal nor print a second, forged line.
 */
function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Writes `message` to stderr through commander and exits with `exitCode` (or throws, under exitOverride). */
function exitWith(command: Command, message: string, exitCode: number): never {
  // Help after a verification failure would bury the one line that matters.
  command.showHelpAfterError(false);
  return command.error(printable(message), {
    exitCode,
    code: `logproof.verify.${exitCode === EXIT_FAILED ? 'failed' : 'unusable'}`,
  });
}

async function readBundle(command: Command, file: string): Promise<unknown> {
  const unusable = (why: string): never =>
    exitWith(command, `logproof verify: ${file}: ${why}`, EXIT_UNUSABLE);
  let bytes: Buffer | undefined;
  let failure: string | undefined;
  try {
    const info = await stat(file);
    if (!info.isFile()) failure = 'not a file';
    else if (info.size > MAX_BUNDLE_BYTES) failure = `larger than ${MAX_BUNDLE_BYTES} bytes`;
    else bytes = await readFile(file);
  } catch (error) {
    failure = `cannot read it: ${(error as Error).message}`;
  }
  if (bytes === undefined) return unusable(failure ?? 'cannot read it');
  let text: string;
  try {
    // RFC 8259 §8.1: JSON text is UTF-8; a bad sequence is a broken file, not U+FFFD.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return unusable('not valid JSON (not UTF-8)');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return unusable(`not valid JSON: ${(error as Error).message}`);
  }
}

function parseKeys(command: Command, texts: readonly string[]): VerifierKey[] {
  return texts.map((text) => {
    try {
      return parseVerifierKey(text, cliCrypto);
    } catch (error) {
      const reason = isLogproofError(error) ? error.message : String(error);
      return exitWith(
        command,
        `logproof verify: --key ${JSON.stringify(text)} is not a verifier key: ${reason}`,
        EXIT_UNUSABLE,
      );
    }
  });
}

/**
 * Adds `logproof verify <bundle.json> --key <verifier key> [--key ...]`:
 * verifies a PROOFS.md §7 evidence bundle offline with Node's native crypto provider, the
 * browser runs the same core code with nobleCrypto). Prints one `OK: ...` line and exits 0;
 * prints `FAILED: <JSON Pointer>: <message>` to stderr and exits 1; exits 2
 * when the file, its JSON or a --key cannot be read.
 *
 * Output and exit go through commander (`configureOutput`, `exitOverride`),
 * which subcommands inherit when created: configure `program` first.
 *
 * Returns the `verify` subcommand.
 *
 * @example
 * ```ts
 * const program = new Command('logproof');
 * registerVerifyCommand(program);
 * await program.parseAsync(process.argv);
 * ```
 */
export function registerVerifyCommand(program: Command): Command {
  return program
    .command('verify')
    .description('verify an evidence bundle offline against verifier keys obtained out of band')
    .argument('<bundle.json>', 'evidence bundle file (an export in format "bundle")')
    .addOption(
      new Option(
        '--key <verifier-key>',
        'trusted verifier key, <name>+<key ID>+<key>; repeat for rotated keys',
      )
        .argParser(collect)
        .makeOptionMandatory(),
    )
    .action(async (file: string, options: { key: string[] }, command: Command) => {
      const keys = parseKeys(command, options.key);
      const bundle = await readBundle(command, file);
      try {
        const report = verifyBundle(bundle, keys, cliCrypto);
        command
          .configureOutput()
          .writeOut?.(
            `OK: ${report.events} events (chain_index ${report.firstIndex}..${report.lastIndex}) of ${report.origin} ` +
              `verified against checkpoint size ${report.treeSize}, root ${report.rootHash}\n`,
          );
      } catch (error) {
        if (!isLogproofError(error)) throw error;
        // Only ERR_BUNDLE is about the bundle; anything else (two --key with
        // one ID and different bytes) is about the command's own input.
        if (error.code !== 'ERR_BUNDLE')
          exitWith(command, `logproof verify: ${error.message}`, EXIT_UNUSABLE);
        const problem = error.problems[0] ?? { path: '', message: error.message };
        exitWith(
          command,
          `FAILED: ${problem.path === '' ? '(root)' : problem.path}: ${problem.message}`,
          EXIT_FAILED,
        );
      }
    });
}
