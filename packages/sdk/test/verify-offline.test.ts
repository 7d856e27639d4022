import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bytesToHex,
  createBundle,
  createNoteSigner,
  hexToBytes,
  isLogproofError,
  leafHash,
  MerkleTree,
  parseHash,
  signCheckpoint,
  utf8Encode,
} from '@logproof/core';
import type { Logproof, Org, StoredEvent } from '../src/index.js';
import {
  verifyBundle,
  verifyCheckpointNote,
  verifyConsistencyBetween,
  verifyEvent,
  verifyEventInclusion,
  verifyEventProof,
} from '../src/verify.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let t: TestServer;
let client: Logproof;
let org: Org;
let other: Org;
const events: StoredEvent[] = [];

function tree(upTo = events.length): MerkleTree {
  const tree = new MerkleTree();
  for (const e of events.slice(0, upTo)) tree.append(parseHash(e.leaf_hash));
  return tree;
}

beforeAll(async () => {
  t = await startTestServer();
  client = t.client();
  org = await client.orgs.create({ external_id: 'verify-org', name: 'Verify' });
  other = await client.orgs.create({ external_id: 'other-org', name: 'Other' });
  events.push(
    await client.events.create({
      org: 'verify-org',
      action: 'user.login',
      actor: { id: 'user_1', name: 'Ada', email: 'ada@example.com' },
      context: { ip: '2001:db8::1', user_agent: 'curl/8.5.0' },
      metadata: { plan: 'pro', seats: 12, sso: true, note: 'café ☕' },
    }),
  );
  events.push(
    ...(await client.events.createBatch([
      {
        org: 'verify-org',
        action: 'billing.invoice.paid',
        actor: { id: 'user_1' },
        target: { id: 'inv_1', type: 'invoice' },
      },
      {
        org: 'verify-org',
        action: 'user.logout',
        actor: { id: 'svc', type: 'service' },
        outcome: 'failure',
      },
    ])),
  );
  events.push(
    await client.events.create({
      org: 'verify-org',
      action: 'user.login',
      actor: { id: 'user_2' },
    }),
  );
  await client.events.create({ org: 'other-org', action: 'user.login', actor: { id: 'x' } });
});
afterAll(async () => {
  await t.close();
});

describe('verifyEvent', () => {
  it('accepts every event the API returned, with the canonical bytes and chain links checked too', async () => {
    for (const [i, event] of events.entries()) {
      const result = verifyEvent(await client.events.get(event.id), {
        verifierKeys: org.verifier_key,
        canonical: await client.events.canonical(event.id),
        ...(i > 0 ? { previous: events[i - 1] } : {}),
      });
      expect(result, JSON.stringify(result.problems)).toMatchObject({
        valid: true,
        event_id: event.id,
        checks: { canonical: true, leaf_hash: true, chain_link: true, signature: true },
      });
    }
  });

  it('names the checks a changed event fails', () => {
    const tampered = structuredClone(events[1]!);
    tampered.actor.id = 'user_666';
    const result = verifyEvent(tampered, { verifierKeys: org.verifier_key });
    expect(result.valid).toBe(false);
    expect(result.checks).toEqual({
      canonical: true,
      leaf_hash: false,
      chain_link: false,
      signature: false,
    });
  });

  it('finds a swapped signature, a broken chain link and a wrong predecessor', () => {
    const swapped = { ...events[1]!, signature: events[2]!.signature };
    expect(verifyEvent(swapped, { verifierKeys: org.verifier_key }).checks).toEqual({
      canonical: true,
      leaf_hash: true,
      chain_link: true,
      signature: false,
    });
    const relinked = { ...events[1]!, previous_hash: '00'.repeat(32) };
    expect(verifyEvent(relinked, { verifierKeys: org.verifier_key }).checks.chain_link).toBe(false);
    const wrongPrevious = verifyEvent(events[2], {
      verifierKeys: org.verifier_key,
      previous: events[0],
    });
    expect(wrongPrevious.checks.chain_link).toBe(false);
    expect(wrongPrevious.problems[0]!.check).toBe('chain_link');
  });

  it('refuses an event with an extra member, which no signature would cover', () => {
    const result = verifyEvent(
      { ...events[0]!, approved_by: 'mallory' },
      { verifierKeys: org.verifier_key },
    );
    expect(result.valid).toBe(false);
    expect(result.checks.canonical).toBe(false);
    expect(result.problems[0]!.detail).toMatch(/not a stored event/);
  });

  it('refuses canonical bytes that differ from the event', () => {
    const bytes = utf8Encode('{"v":1}');
    expect(
      verifyEvent(events[0], { verifierKeys: org.verifier_key, canonical: bytes }).checks.canonical,
    ).toBe(false);
  });

  it("does not accept another org's key, even a valid one", () => {
    const result = verifyEvent(events[0], { verifierKeys: other.verifier_key });
    expect(result.checks.signature).toBe(false);
    expect(result.problems[0]!.detail).toMatch(/no trusted key of org/);
  });

  it('never throws for hostile input, only for malformed trusted keys', () => {
    for (const junk of [null, 42, 'evt', [], { id: 'evt_1' }]) {
      expect(verifyEvent(junk, { verifierKeys: org.verifier_key }).valid).toBe(false);
    }
    let error: unknown;
    try {
      verifyEvent(events[0], { verifierKeys: 'not a key' });
    } catch (e) {
      error = e;
    }
    expect(isLogproofError(error, 'ERR_VERIFIER_KEY')).toBe(true);
  });
});

describe('verifyEventProof', () => {
  it('repeats offline every check of GET /v1/events/{id}/verify', async () => {
    const event = events[2]!;
    const response = await client.events.verify(event.id);
    const result = verifyEventProof(response, org.verifier_key, { event });
    expect(result, JSON.stringify(result.problems)).toMatchObject({
      valid: true,
      checks: {
        canonical: true,
        leaf_hash: true,
        chain_link: true,
        signature: true,
        checkpoint: true,
        inclusion: true,
      },
      checkpoint: { origin: org.origin, tree_size: events.length },
    });
  });

  it('uses the event in the answer when the caller passes none', async () => {
    const response = await client.events.verify(events[0]!.id);
    expect(verifyEventProof(response, org.verifier_key).valid).toBe(response.event !== undefined);
  });

  it('fails when the event, the proof or the checkpoint was changed', async () => {
    const event = events[1]!;
    const response = await client.events.verify(event.id);
    const changed = { ...event, outcome: 'failure' as const };
    expect(verifyEventProof(response, org.verifier_key, { event: changed }).checks.inclusion).toBe(
      false,
    );

    const badPath = structuredClone(response);
    badPath.inclusion_proof.hashes[0] = 'ff'.repeat(32);
    expect(verifyEventProof(badPath, org.verifier_key, { event }).checks).toMatchObject({
      signature: true,
      inclusion: false,
    });

    const otherCheckpoint = {
      ...response,
      checkpoint: (await client.orgs.checkpoint('other-org')).checkpoint,
    };
    const result = verifyEventProof(otherCheckpoint, [org.verifier_key, other.verifier_key], {
      event,
    });
    expect(result.checks.checkpoint).toBe(false);
    expect(result.valid).toBe(false);

    const forOtherEvent = { ...response, event_id: events[0]!.id };
    expect(verifyEventProof(forOtherEvent, org.verifier_key, { event }).valid).toBe(false);
  });

  it('trusts only the keys it is given, never the verifier key in the answer', async () => {
    const response = await client.events.verify(events[0]!.id);
    const result = verifyEventProof(response, other.verifier_key, { event: events[0] });
    expect(result.checks).toMatchObject({ signature: false, checkpoint: false, inclusion: false });
  });
});

describe('verifyEventInclusion', () => {
  it('proves an event in the latest checkpoint with a proof built from the events themselves', async () => {
    const { checkpoint } = await client.orgs.checkpoint('verify-org');
    const local = tree();
    const proof = {
      leaf_index: 1,
      tree_size: local.size,
      hashes: local.inclusionProof(1).map(bytesToHex),
    };
    const result = verifyEventInclusion(events[1], proof, checkpoint, org.verifier_key);
    expect(result, JSON.stringify(result.problems)).toMatchObject({
      valid: true,
      checks: { checkpoint: true, inclusion: true },
    });
    expect(result.checkpoint!.root_hash).toBe(bytesToHex(local.root()));
  });

  it("accepts the server's inclusion proof and refuses it for another event", async () => {
    const { checkpoint, tree_size } = await client.orgs.checkpoint('verify-org');
    const proof = await client.orgs.inclusionProof('verify-org', { leaf_index: 3, tree_size });
    expect(verifyEventInclusion(events[3], proof, checkpoint, org.verifier_key).valid).toBe(true);
    expect(verifyEventInclusion(events[2], proof, checkpoint, org.verifier_key).valid).toBe(false);
  });

  it('takes the tree size from the signed checkpoint, not from the proof', async () => {
    const { checkpoint } = await client.orgs.checkpoint('verify-org');
    const local = tree();
    const proof = {
      leaf_index: 0,
      tree_size: 1,
      hashes: local.inclusionProof(0, 1).map(bytesToHex),
    };
    const result = verifyEventInclusion(events[0], proof, checkpoint, org.verifier_key);
    expect(result.valid).toBe(false);
    expect(result.problems[0]!.detail).toMatch(/tree size 1/);
  });
});

describe('verifyCheckpointNote', () => {
  it('returns the signed fields of a good note and refuses a changed one', async () => {
    const { checkpoint, tree_size, root_hash } = await client.orgs.checkpoint('verify-org');
    expect(verifyCheckpointNote(checkpoint, org.verifier_key)).toEqual({
      valid: true,
      checkpoint: { origin: org.origin, tree_size, root_hash },
      problems: [],
    });
    const changed = checkpoint.replace(`\n${tree_size}\n`, `\n${tree_size + 1}\n`);
    const result = verifyCheckpointNote(changed, org.verifier_key);
    expect(result.valid).toBe(false);
    expect(result.problems[0]!.detail).toMatch(/signature/);
  });
});

describe('verifyConsistencyBetween', () => {
  it('accepts two checkpoints of a log that only grew', async () => {
    const before = await client.orgs.checkpoint('verify-org');
    const extra = await client.events.create({
      org: 'verify-org',
      action: 'user.login',
      actor: { id: 'late' },
    });
    const after = await client.orgs.checkpoint('verify-org');
    const local = tree();
    local.append(parseHash(extra.leaf_hash));
    const proof = local.consistencyProof(before.tree_size, after.tree_size).map(bytesToHex);
    const result = verifyConsistencyBetween(
      before.checkpoint,
      after.checkpoint,
      proof,
      org.verifier_key,
    );
    expect(result, JSON.stringify(result.problems)).toMatchObject({
      valid: true,
      old: { tree_size: before.tree_size },
      new: { tree_size: after.tree_size },
    });
    const served = await client.orgs.consistencyProof(
      'verify-org',
      before.tree_size,
      after.tree_size,
    );
    expect(
      verifyConsistencyBetween(before.checkpoint, after.checkpoint, served, org.verifier_key).valid,
    ).toBe(true);
    events.push(extra);
  });

  // A log rewritten by whoever holds its signing key: the org's key is sealed
  // in the server, so this history is built with the core and a local key.
  const signer = createNoteSigner('logproof.local/org_rewritten', hexToBytes('11'.repeat(32)));
  const leaves = (tag: string, n: number) =>
    Array.from({ length: n }, (_, i) =>
      leafHash(utf8Encode(`${tag === 'forged' && i === 1 ? 'forged' : 'event'} ${i}`)),
    );
  const logOf = (tag: string, n: number) => {
    const tree = new MerkleTree();
    for (const leaf of leaves(tag, n)) tree.append(leaf);
    const note = signCheckpoint(
      { origin: signer.name, treeSize: n, rootHash: tree.root(), extensions: [] },
      signer,
    );
    return { tree, note };
  };

  it('catches a history rewritten and re-signed: one event changed, the log grown', () => {
    const honest = logOf('honest', 5);
    const rewritten = logOf('forged', 8);
    const proof = rewritten.tree.consistencyProof(5, 8).map(bytesToHex);
    const result = verifyConsistencyBetween(honest.note, rewritten.note, proof, signer.verifierKey);
    expect(result.valid).toBe(false);
    expect(result.checks).toEqual({
      old_checkpoint: true,
      new_checkpoint: true,
      consistency: false,
    });
    expect(result.problems[0]!.detail).toMatch(/history was rewritten/);
  });

  it('catches a fork (two roots for one size) and a rollback', () => {
    const honest = logOf('honest', 5);
    const fork = verifyConsistencyBetween(
      honest.note,
      logOf('forged', 5).note,
      [],
      signer.verifierKey,
    );
    expect(fork.problems[0]!.detail).toMatch(/^fork/);
    const rollback = verifyConsistencyBetween(
      honest.note,
      logOf('honest', 3).note,
      [],
      signer.verifierKey,
    );
    expect(rollback.problems[0]!.detail).toMatch(/^rollback/);
  });

  it('refuses a proof for other sizes than the checkpoints', () => {
    const a = logOf('honest', 3);
    const b = logOf('honest', 6);
    const proof = {
      from_size: 2,
      to_size: 6,
      hashes: b.tree.consistencyProof(3, 6).map(bytesToHex),
    };
    expect(verifyConsistencyBetween(a.note, b.note, proof, signer.verifierKey).valid).toBe(false);
    expect(
      verifyConsistencyBetween(a.note, b.note, { ...proof, from_size: 3 }, signer.verifierKey)
        .valid,
    ).toBe(true);
  });
});

describe('verifyBundle', () => {
  it("verifies an evidence bundle of the server's events with the org's key", async () => {
    const { checkpoint } = await client.orgs.checkpoint('verify-org');
    const local = tree();
    const bundle = createBundle({
      origin: org.origin,
      org: org.id,
      verifierKeys: [org.verifier_key],
      checkpoint,
      events,
      proofs: { read: local.read },
    });
    expect(verifyBundle(JSON.parse(JSON.stringify(bundle)), org.verifier_key)).toMatchObject({
      valid: true,
      events: events.length,
    });
  });
});
