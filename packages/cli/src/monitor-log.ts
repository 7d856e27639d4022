import {
  bytesToHex,
  isLogproofError,
  parseHash,
  verifyCheckpoint,
  verifyConsistency,
  type Checkpoint,
  type VerifierKey,
} from '@logproof/core';
import { Logproof, LogproofApiError, LogproofNetworkError } from '@logproof/sdk';
import {
  MonitorStateError,
  readMonitorState,
  writeMonitorState,
  type MonitorState,
} from './monitor-state.js';

/** The integrity failures a monitor raises, each evidence that the log misbehaved. */
export type AlertKind =
  /** A signature by the trusted key does not verify: the checkpoint was changed. */
  | 'BAD SIGNATURE'
  /** No signature by the trusted key: forged, or signed by a key you have not verified. */
  | 'UNTRUSTED SIGNATURE'
  /** Not a checkpoint at all. */
  | 'MALFORMED CHECKPOINT'
  /** A checkpoint of another log than the one followed. */
  | 'WRONG LOG'
  /** The log is smaller than it was: history was removed, or an old view is served. */
  | 'ROLLBACK'
  /** The log's history was rewritten: two roots for one size, or no valid consistency proof. */
  | 'FORK';

/** What one run found: the one line to print, or an alert, or an operational error. */
export type MonitorOutcome =
  | { status: 'ok'; message: string }
  | { status: 'alert'; kind: AlertKind; message: string; evidence: string[] }
  | { status: 'error'; message: string };

export interface MonitorInput {
  /** Base URL of the server. */
  url: string;
  /** The org id (`org_...`) whose log is followed. */
  orgId: string;
  /** Trusted verifier keys, obtained out of band. */
  keys: readonly VerifierKey[];
  /** The state file. */
  statePath: string;
  /** A client of the server (tests pass one with their own fetch). */
  client?: Logproof;
}

function alert(kind: AlertKind, message: string, evidence: string[] = []): MonitorOutcome {
  return { status: 'alert', kind, message, evidence };
}

function error(message: string): MonitorOutcome {
  return { status: 'error', message };
}

function labelled(label: string, note: string): string[] {
  return [
    `${label}:`,
    ...note
      .trimEnd()
      .split('\n')
      .map((line) => `  ${line}`),
  ];
}

function keyList(keys: readonly VerifierKey[]): string {
  return keys.map((k) => `${k.name}+${k.keyIdHex}`).join(', ');
}

function fetchFailure(what: string, e: unknown): MonitorOutcome {
  if (e instanceof LogproofApiError || e instanceof LogproofNetworkError) {
    return error(`cannot fetch ${what}: ${e.message}`);
  }
  throw e;
}

/** PROOFS.md §5: the note must carry a valid signature by a trusted key named after its origin. */
function checkServed(note: string, input: MonitorInput): Checkpoint | MonitorOutcome {
  let cp: Checkpoint;
  try {
    cp = verifyCheckpoint(note, input.keys);
  } catch (e) {
    if (!isLogproofError(e)) throw e;
    const evidence = labelled('served checkpoint', note);
    switch (e.code) {
      case 'ERR_SIGNATURE_INVALID':
        return alert(
          'BAD SIGNATURE',
          `the checkpoint served for ${input.orgId} carries a signature by your key that does not verify: its text or its signature was changed (${e.message})`,
          evidence,
        );
      case 'ERR_NOTE_UNVERIFIED':
        return alert(
          'UNTRUSTED SIGNATURE',
          `the checkpoint served for ${input.orgId} is not signed by the key you trust (${keyList(input.keys)}): it is forged, or the log's key changed; check any new key out of band before trusting it`,
          evidence,
        );
      default:
        return alert(
          'MALFORMED CHECKPOINT',
          `what the server serves as the checkpoint of ${input.orgId} is not a valid signed checkpoint: ${e.message}`,
          evidence,
        );
    }
  }
  // PROOFS.md §1: an org's log is <LOGPROOF_ORIGIN>/<org id>.
  if (!cp.origin.endsWith(`/${input.orgId}`)) {
    return alert(
      'WRONG LOG',
      `the checkpoint served for ${input.orgId} is of the log ${cp.origin}`,
      labelled('served checkpoint', note),
    );
  }
  return cp;
}

/** The saved state must be what we saved: its note verifies and matches its fields. */
function checkSaved(state: MonitorState, input: MonitorInput): Checkpoint | MonitorOutcome {
  let cp: Checkpoint;
  try {
    cp = verifyCheckpoint(state.checkpoint, input.keys);
  } catch (e) {
    if (!isLogproofError(e)) throw e;
    return error(
      `the checkpoint saved in ${input.statePath} does not verify with the given key(s) (${e.message}); ` +
        'after a key rotation, pass the old key too (--key may be repeated)',
    );
  }
  if (
    cp.origin !== state.origin ||
    cp.treeSize !== state.tree_size ||
    bytesToHex(cp.rootHash) !== state.root_hash
  ) {
    return error(
      `the state file ${input.statePath} does not match the checkpoint it holds: it was edited`,
    );
  }
  return cp;
}

async function proveConsistency(
  client: Logproof,
  input: MonitorInput,
  saved: Checkpoint,
  served: Checkpoint,
  evidence: string[],
): Promise<MonitorOutcome | null> {
  let hashes: Uint8Array[] = [];
  // From the empty tree there is nothing to prove beyond its root (RFC 6962 §2.1.2).
  if (saved.treeSize > 0) {
    let proof;
    try {
      proof = await client.public.consistencyProof(input.orgId, saved.treeSize, served.treeSize);
    } catch (e) {
      return fetchFailure(`a consistency proof from ${saved.treeSize} to ${served.treeSize}`, e);
    }
    if (
      proof.from_size !== saved.treeSize ||
      proof.to_size !== served.treeSize ||
      !Array.isArray(proof.hashes)
    ) {
      return alert(
        'FORK',
        `asked for a consistency proof from ${saved.treeSize} to ${served.treeSize}, the server sent one from ${String(proof.from_size)} to ${String(proof.to_size)}`,
        evidence,
      );
    }
    try {
      hashes = proof.hashes.map((h) => parseHash(h));
    } catch (e) {
      if (!isLogproofError(e)) throw e;
      return alert('FORK', `the server's consistency proof is malformed: ${e.message}`, evidence);
    }
  }
  try {
    // From size 0 this also checks that the saved root is the empty tree's.
    verifyConsistency(saved.treeSize, served.treeSize, hashes, saved.rootHash, served.rootHash);
  } catch (e) {
    if (!isLogproofError(e)) throw e;
    return alert(
      'FORK',
      `the log of size ${served.treeSize} does not extend the one of size ${saved.treeSize} you saw before: its history was rewritten (${e.message})`,
      evidence,
    );
  }
  return null;
}

/**
 * One monitoring run (API.md "Public"): fetches the log's public checkpoint,
 * verifies its signature with the trusted keys, and checks it against the
 * checkpoint saved by the previous run: same size, same root; larger, a valid
 * RFC 6962 consistency proof; smaller, a rollback. The state is saved only
 * when everything verified. The first run trusts on first use.
 */
export async function monitorLog(input: MonitorInput): Promise<MonitorOutcome> {
  let state: MonitorState | null;
  try {
    state = await readMonitorState(input.statePath);
  } catch (e) {
    if (e instanceof MonitorStateError)
      return error(`${e.message}; fix or remove it (removing it trusts the log anew)`);
    throw e;
  }
  const saved = state === null ? null : checkSaved(state, input);
  if (saved !== null && 'status' in saved) return saved;

  const client = input.client ?? new Logproof({ baseUrl: input.url, maxRetries: 2 });
  let note: string;
  try {
    note = await client.public.checkpointNote(input.orgId);
  } catch (e) {
    return fetchFailure(`the checkpoint of ${input.orgId}`, e);
  }
  const served = checkServed(note, input);
  if ('status' in served) return served;
  const next: MonitorState = {
    origin: served.origin,
    tree_size: served.treeSize,
    root_hash: bytesToHex(served.rootHash),
    checkpoint: note,
  };

  if (state === null || saved === null) {
    await writeMonitorState(input.statePath, next);
    return {
      status: 'ok',
      message: `trusted on first use: ${next.origin} at size ${next.tree_size}, root ${next.root_hash}; saved to ${input.statePath}`,
    };
  }
  const evidence = [
    ...labelled(`saved checkpoint (size ${saved.treeSize})`, state.checkpoint),
    ...labelled(`served checkpoint (size ${served.treeSize})`, note),
  ];
  if (served.origin !== saved.origin) {
    return alert(
      'WRONG LOG',
      `the server now serves the log ${served.origin}, you followed ${saved.origin}`,
      evidence,
    );
  }
  if (served.treeSize < saved.treeSize) {
    return alert(
      'ROLLBACK',
      `${served.origin} was at size ${saved.treeSize} and is now served at size ${served.treeSize}: a log never shrinks, so history was removed or you are served an old view`,
      evidence,
    );
  }
  if (served.treeSize === saved.treeSize) {
    if (next.root_hash !== state.root_hash) {
      return alert(
        'FORK',
        `${served.origin} has two different signed roots for size ${served.treeSize} (saved ${state.root_hash}, served ${next.root_hash}): its history was rewritten`,
        evidence,
      );
    }
    return {
      status: 'ok',
      message: `ok: ${served.origin} unchanged at size ${served.treeSize}, root ${next.root_hash}`,
    };
  }
  const failure = await proveConsistency(client, input, saved, served, evidence);
  if (failure !== null) return failure;
  await writeMonitorState(input.statePath, next);
  return {
    status: 'ok',
    message: `ok: ${served.origin} grew from ${saved.treeSize} to ${served.treeSize} and is consistent with what you saw, root ${next.root_hash}`,
  };
}
