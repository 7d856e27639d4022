import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What `logproof monitor` remembers between runs: the last checkpoint it verified. */
export interface MonitorState {
  /** The log's origin (PROOFS.md §1). */
  origin: string;
  tree_size: number;
  /** RFC 6962 root, 64 lowercase hex digits. */
  root_hash: string;
  /** The signed note itself, so that the state can be re-verified and shown as evidence. */
  checkpoint: string;
}

/** The state file is missing its shape, or cannot be read: never silently trusted anew. */
export class MonitorStateError extends Error {
  override readonly name = 'MonitorStateError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads the state file; null when it does not exist yet (first use). Any
 * other problem is a {@link MonitorStateError}: a state file that exists but
 * cannot be read must not turn into a second "trust on first use".
 */
export async function readMonitorState(path: string): Promise<MonitorState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MonitorStateError(`cannot read the state file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MonitorStateError(`the state file ${path} is not JSON`);
  }
  if (
    !isObject(value) ||
    typeof value.origin !== 'string' ||
    !Number.isSafeInteger(value.tree_size) ||
    (value.tree_size as number) < 0 ||
    typeof value.root_hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(value.root_hash) ||
    typeof value.checkpoint !== 'string'
  ) {
    throw new MonitorStateError(
      `the state file ${path} is not { origin, tree_size, root_hash, checkpoint }`,
    );
  }
  return {
    origin: value.origin,
    tree_size: value.tree_size as number,
    root_hash: value.root_hash,
    checkpoint: value.checkpoint,
  };
}

/**
 * Replaces the state file atomically: the new state is written to a temporary
 * file in the same folder, flushed to disk, then renamed over the old one, so
 * a crash leaves either the old state or the new one, never half of either.
 */
export async function writeMonitorState(path: string, state: MonitorState): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
