import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertValidEventInput,
  buildEntry,
  bytesToHex,
  canonicalBytes,
  chainHash,
  createBundle,
  createNoteSigner,
  GENESIS_PREVIOUS_HASH,
  hexToBytes,
  leafHash,
  MerkleTree,
  signCheckpoint,
  signEvent,
  type EvidenceBundle,
  type StoredEvent,
} from '@logproof/core';
import { registerVerifyCommand } from '../src/verify-command.js';

const ORG = 'org_cli1';
const ORIGIN = `logproof.local/${ORG}`;
const oldSigner = createNoteSigner(
  ORIGIN,
  hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
);
const newSigner = createNoteSigner(
  ORIGIN,
  hexToBytes('5e4c23f7098b342513abd4eabb89517ba2e1479b16e754771a3dc02bbcbbba78'),
);
const strangerKey = createNoteSigner(ORIGIN, new Uint8Array(32).fill(9)).verifierKey;

/** 12 events, the first 4 signed before a key rotation, in a tree with a checkpoint by the new key. */
function buildLog() {
  const tree = new MerkleTree();
  const events: StoredEvent[] = [];
  let previous = GENESIS_PREVIOUS_HASH;
  const now = Date.parse('2026-02-10T14:32:18.123Z');
  for (let i = 0; i < 12; i++) {
    const input = { action: 'user.login', actor: { id: `user_${i}` }, metadata: { attempt: i } };
    const normalized = assertValidEventInput(input, { now, backfillWindowMs: 86_400_000 });
    const entry = buildEntry(normalized, {
      id: `evt_${i}`,
      org: ORG,
      orgExternalId: 'acme',
      chainIndex: i,
      createdAt: '2026-02-10T14:32:18.123Z',
    });
    const bytes = canonicalBytes(entry);
    const leaf = leafHash(bytes);
    const hash = chainHash(previous, leaf);
    const signer = i < 4 ? oldSigner : newSigner;
    events.push({
      ...entry,
      leaf_hash: bytesToHex(leaf),
      hash: bytesToHex(hash),
      previous_hash: bytesToHex(previous),
      signature: signEvent(bytes, signer),
      key_id: signer.keyIdHex,
    });
    tree.append(leaf);
    previous = hash;
  }
  const checkpoint = signCheckpoint(
    { origin: ORIGIN, treeSize: 12, rootHash: tree.root(), extensions: [] },
    newSigner,
  );
  const bundle = (indexes: number[]): EvidenceBundle =>
    createBundle({
      origin: ORIGIN,
      org: ORG,
      verifierKeys: [newSigner.verifierKey, oldSigner.verifierKey],
      checkpoint,
      events: indexes.map((i) => events[i]!),
      proofs: { read: tree.read },
    });
  return { tree, bundle };
}

const log = buildLog();
const dir = mkdtempSync(join(tmpdir(), 'logproof-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeBundle(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    typeof content === 'string' || content instanceof Uint8Array
      ? content
      : JSON.stringify(content),
  );
  return file;
}

/** Runs `logproof verify ...args` in process, as main.ts would after registerVerifyCommand(program). */
async function run(
  ...args: string[]
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const program = new Command('logproof')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  registerVerifyCommand(program);
  let exitCode = 0;
  try {
    await program.parseAsync(['verify', ...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    exitCode = error.exitCode;
  }
  return { exitCode, stdout, stderr };
}

const rootHex = bytesToHex(log.tree.root());
const ranged = writeBundle('ranged.json', log.bundle([5, 6, 7, 8, 9]));

describe('logproof verify', () => {
  it('prints one OK line and exits 0 for a contiguous bundle', async () => {
    expect(await run(ranged, '--key', newSigner.verifierKey)).toEqual({
      exitCode: 0,
      stdout: `OK: 5 events (chain_index 5..9) of ${ORIGIN} verified against checkpoint size 12, root ${rootHex}\n`,
      stderr: '',
    });
  });

  it('verifies a bundle with inclusion proofs and events signed before a key rotation, given both keys', async () => {
    const file = writeBundle('scattered.json', log.bundle([1, 7, 11]));
    const result = await run(file, '--key', newSigner.verifierKey, '--key', oldSigner.verifierKey);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      `OK: 3 events (chain_index 1..11) of ${ORIGIN} verified against checkpoint size 12, root ${rootHex}\n`,
    );
  });

  it('prints FAILED with the path and exits 1 when an event was edited', async () => {
    const bundle = log.bundle([5, 6, 7, 8, 9]);
    bundle.events[2]!.event.action = 'user.logout';
    const result = await run(writeBundle('edited.json', bundle), '--key', newSigner.verifierKey);
    expect(result).toEqual({
      exitCode: 1,
      stdout: '',
      stderr:
        'FAILED: /events/2/event: event 2 (chain_index 7): content matches neither its signature nor its leaf_hash: a member of the event was changed\n',
    });
  });

  it('prints FAILED and exits 1 for an event dropped from the run', async () => {
    const bundle = log.bundle([5, 6, 7, 8, 9]);
    bundle.events.splice(2, 1);
    const result = await run(writeBundle('dropped.json', bundle), '--key', newSigner.verifierKey);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^FAILED: \/events\/2\/event\/chain_index: .*chain_index 7 is missing/,
    );
  });

  it('fails against a key the bundle was not signed with, and names the untrusted rotated key', async () => {
    const wrong = await run(ranged, '--key', strangerKey);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(
      /^FAILED: \/checkpoint: checkpoint is not signed by a trusted key/,
    );
    const old = await run(
      writeBundle('old.json', log.bundle([2, 3, 4])),
      '--key',
      newSigner.verifierKey,
    );
    expect(old.exitCode).toBe(1);
    expect(old.stderr).toMatch(
      /^FAILED: \/events\/0\/event\/key_id: event 0 \(chain_index 2\): signed by key/,
    );
  });

  it('prints a hostile member name escaped, on one line', async () => {
    const bundle = log.bundle([5, 6]) as unknown as { events: Record<string, unknown>[] };
    (bundle.events[1]!.event as Record<string, unknown>)['x\nOK: forged\u001b[2J'] = 1;
    const result = await run(writeBundle('hostile.json', bundle), '--key', newSigner.verifierKey);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^FAILED: \/events\/1\/event\/x\\u000aOK: forged\\u001b\[2J: /);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 2 with a clear message when the file cannot be read or is not JSON', async () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.json'), /missing\.json: cannot read it: ENOENT/],
      [
        writeBundle('truncated.json', JSON.stringify(log.bundle([5])).slice(0, 100)),
        /truncated\.json: not valid JSON: /,
      ],
      [
        writeBundle('latin1.json', Uint8Array.of(0x7b, 0xe9, 0x7d)),
        /latin1\.json: not valid JSON \(not UTF-8\)/,
      ],
      [(mkdirSync(join(dir, 'folder.json')), join(dir, 'folder.json')), /folder\.json: not a file/],
    ];
    for (const [file, message] of cases) {
      const result = await run(file, '--key', newSigner.verifierKey);
      expect(result.exitCode, file).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^logproof verify: .*${message.source}`));
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('exits 2 for a --key that is not a verifier key', async () => {
    const result = await run(ranged, '--key', 'logproof.local/org_cli1+00000000+AAAA');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^logproof verify: --key "logproof\.local\/org_cli1\+00000000\+AAAA" is not a verifier key: /,
    );
  });

  it('requires --key, as a usage error', async () => {
    const result = await run(ranged);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/required option '--key <verifier-key>' not specified/);
  });
});
