import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  canonicalBytes,
  chainHash,
  entryFromEvent,
  hexToBytes,
  leafHash,
  signCheckpoint,
  signEvent,
  verifyBundle,
  type EvidenceBundle,
  type StoredEvent,
} from '../src/index.js';
import {
  bundleOf,
  bundleProblem,
  checkpointOf,
  copy,
  makeLog,
  nodeCrypto,
  ORIGIN,
  range,
  SEEDS,
  signerFor,
} from './bundle-helpers.js';

// Every change below is one an attacker (or a corrupted copy) can make; each
// must be caught and named by a stable JSON Pointer. Node crypto keeps it fast;
// the verify path is the same as with noble.
const log = makeLog(40);
const key = log.signers.current.verifierKey;
const ranged = bundleOf(log, range(10, 20));
const proven = bundleOf(log, [2, 3, 9, 21, 22, 38]);

function problemOf(bundle: unknown, trusted: Parameters<typeof verifyBundle>[1] = key) {
  return bundleProblem(() => verifyBundle(bundle, trusted, nodeCrypto));
}

function tamper(bundle: EvidenceBundle, change: (b: EvidenceBundle) => void): EvidenceBundle {
  const changed = copy(bundle);
  change(changed);
  return changed;
}

function flipHex(hex: string, at = 0): string {
  const digit = hex[at] === '0' ? '1' : '0';
  return hex.slice(0, at) + digit + hex.slice(at + 1);
}

/** Recomputes leaf_hash and hash after an edit, as an attacker without the private key would. */
function rehash(event: StoredEvent): void {
  const leaf = leafHash(canonicalBytes(entryFromEvent(event)));
  event.leaf_hash = bytesToHex(leaf);
  event.hash = bytesToHex(chainHash(hexToBytes(event.previous_hash), leaf));
}

describe('verifyBundle names an edited event', () => {
  it.each([
    ['action', (e: StoredEvent) => void (e.action = 'user.logout')],
    ['metadata value', (e: StoredEvent) => void (e.metadata.amount_cents = 1)],
    ['occurred_at', (e: StoredEvent) => void (e.occurred_at = '2026-02-10T14:00:00.000Z')],
    ['actor id', (e: StoredEvent) => void (e.actor.id = 'user_mallory')],
    ['chain_index', (e: StoredEvent) => void (e.chain_index += 1)],
  ])('names the event whose %s was changed', (_what, edit) => {
    for (const bundle of [ranged, proven]) {
      const problem = problemOf(tamper(bundle, (b) => edit(b.events[3]!.event)));
      expect(problem.path).toBe('/events/3/event');
      // The label shows the chain_index the bundle states, edited or not.
      expect(problem.message).toMatch(
        /^event 3 \(chain_index \d+\): content matches neither its signature nor its leaf_hash: a member of the event was changed$/,
      );
    }
  });

  it('names the member itself when the edit breaks the event schema', () => {
    expect(
      problemOf(tamper(ranged, (b) => void (b.events[3]!.event.action = 'User.Login'))).path,
    ).toBe('/events/3/event/action');
    expect(
      problemOf(
        tamper(ranged, (b) => void (b.events[3]!.event.occurred_at = '2026-02-10T14:00:00Z')),
      ).path,
    ).toBe('/events/3/event/occurred_at');
    const problem = problemOf(
      tamper(ranged, (b) => ((b.events[3]!.event as Record<string, unknown>).admin = true)),
    );
    expect(problem.path).toBe('/events/3/event/admin');
    expect(problem.message).toMatch(/^event 3 \(chain_index 13\): admin unknown member/);
  });

  it('names the signature when the attacker also recomputed leaf_hash and hash', () => {
    const problem = problemOf(
      tamper(ranged, (b) => {
        const event = b.events[3]!.event;
        event.action = 'user.logout';
        rehash(event);
      }),
    );
    expect(problem.path).toBe('/events/3/event/signature');
    expect(problem.message).toMatch(/^event 3 \(chain_index 13\): signature does not verify/);
  });

  it.each(['leaf_hash', 'signature', 'hash', 'previous_hash', 'key_id'] as const)(
    'names a changed %s',
    (member) => {
      for (const bundle of [ranged, proven]) {
        const changed = tamper(bundle, (b) => {
          const event = b.events[3]!.event;
          event[member] =
            member === 'signature' ? 'A' + event.signature.slice(1) : flipHex(event[member], 5);
        });
        expect(problemOf(changed).path).toBe(`/events/3/event/${member}`);
      }
    },
  );

  it('names a changed previous_hash of the first event of a run by the next event’s confirmation', () => {
    const changed = tamper(
      ranged,
      (b) => void (b.events[0]!.event.previous_hash = flipHex(b.events[0]!.event.previous_hash)),
    );
    expect(problemOf(changed).path).toBe('/events/0/event/previous_hash');
  });

  it('requires 32 zero bytes as previous_hash of chain_index 0', () => {
    const bundle = bundleOf(log, range(0, 3));
    const changed = tamper(bundle, (b) => void (b.events[0]!.event.previous_hash = 'f'.repeat(64)));
    const problem = problemOf(changed);
    expect(problem.path).toBe('/events/0/event/previous_hash');
    expect(problem.message).toMatch(/32 zero bytes/);
  });

  it('names key_id when the signature is by another trusted key than key_id says', () => {
    const rotated = makeLog(10, { rotateAt: 5 });
    const bundle = bundleOf(rotated, range(3, 7));
    const changed = tamper(
      bundle,
      (b) => void (b.events[0]!.event.key_id = rotated.signers.current.keyIdHex),
    );
    const problem = problemOf(changed, [
      rotated.signers.current.verifierKey,
      rotated.signers.rotated.verifierKey,
    ]);
    expect(problem.path).toBe('/events/0/event/key_id');
    expect(problem.message).toMatch(/signature is by key .*, not by key_id/);
  });
});

describe('verifyBundle names dropped, duplicated and reordered events', () => {
  it('catches an event dropped from the middle of a contiguous run', () => {
    const problem = problemOf(tamper(ranged, (b) => void b.events.splice(4, 1)));
    expect(problem).toEqual({
      path: '/events/4/event/chain_index',
      message:
        'event 4 (chain_index 15): the run must be contiguous, but chain_index 14 is missing (an event was dropped or moved)',
    });
  });

  it('catches the first event of a run dropped', () => {
    expect(problemOf(tamper(ranged, (b) => void b.events.shift())).path).toBe('/range_proof/start');
  });

  it('catches the last event of a run dropped', () => {
    for (const [start, end] of [
      [10, 20],
      [0, 8],
      [3, 40],
      [8, 16],
    ] as const) {
      const changed = tamper(bundleOf(log, range(start, end)), (b) => void b.events.pop());
      expect(problemOf(changed).path, `[${start}, ${end})`).toMatch(/^\/range_proof(\/right)?$/);
    }
  });

  it('catches a duplicated event in either form', () => {
    for (const bundle of [ranged, proven]) {
      const problem = problemOf(tamper(bundle, (b) => void b.events.splice(3, 0, b.events[2]!)));
      expect(problem.path).toBe('/events/3/event/chain_index');
      expect(problem.message).toMatch(/duplicated or moved/);
    }
  });

  it('catches reordered events in either form', () => {
    for (const bundle of [ranged, proven]) {
      const changed = tamper(bundle, (b) => {
        const [second] = b.events.splice(2, 1);
        b.events.splice(3, 0, second!);
      });
      expect(problemOf(changed).path).toMatch(/^\/events\/[23]\/event\/chain_index$/);
    }
  });
});

describe('verifyBundle names a changed proof', () => {
  it('names the inclusion proof whose hash was changed', () => {
    const problem = problemOf(
      tamper(
        proven,
        (b) =>
          void (b.events[2]!.inclusion_proof![1] = flipHex(b.events[2]!.inclusion_proof![1]!, 9)),
      ),
    );
    expect(problem.path).toBe('/events/2/inclusion_proof');
    expect(problem.message).toMatch(
      /^event 2 \(chain_index 9\): inclusion_proof does not lead to the root/,
    );
  });

  it('names an inclusion proof with a hash removed, added, or malformed', () => {
    expect(problemOf(tamper(proven, (b) => void b.events[2]!.inclusion_proof!.pop())).path).toBe(
      '/events/2/inclusion_proof',
    );
    expect(
      problemOf(tamper(proven, (b) => void b.events[2]!.inclusion_proof!.push('0'.repeat(64))))
        .path,
    ).toBe('/events/2/inclusion_proof');
    const upper = tamper(
      proven,
      (b) =>
        void (b.events[2]!.inclusion_proof![1] = b.events[2]!.inclusion_proof![1]!.toUpperCase()),
    );
    expect(problemOf(upper).path).toBe('/events/2/inclusion_proof/1');
  });

  it.each(['left', 'right'] as const)(
    'names the range proof when a %s hash was changed',
    (side) => {
      const problem = problemOf(
        tamper(
          ranged,
          (b) => void (b.range_proof![side][0] = flipHex(b.range_proof![side][0]!, 7)),
        ),
      );
      expect(problem.path).toBe('/range_proof');
      expect(problem.message).toMatch(/do not rebuild the root of the checkpoint \(size 40\)/);
    },
  );

  it.each(['left', 'right'] as const)(
    'names the range proof’s %s when a hash is missing or malformed',
    (side) => {
      expect(problemOf(tamper(ranged, (b) => void b.range_proof![side].pop())).path).toBe(
        `/range_proof/${side}`,
      );
      expect(problemOf(tamper(ranged, (b) => void (b.range_proof![side][0] = 'xyz'))).path).toBe(
        `/range_proof/${side}/0`,
      );
    },
  );

  it('names a changed start and a missing range proof', () => {
    expect(problemOf(tamper(ranged, (b) => void (b.range_proof!.start = 11))).path).toBe(
      '/range_proof/start',
    );
    expect(problemOf(tamper(ranged, (b) => delete b.range_proof)).path).toBe(
      '/events/0/inclusion_proof',
    );
    const mixed = tamper(ranged, (b) => void (b.events[1]!.inclusion_proof = []));
    expect(problemOf(mixed).path).toBe('/events/1/inclusion_proof');
  });
});

describe('verifyBundle names a changed checkpoint or key', () => {
  it('catches a checkpoint whose size or root was changed', () => {
    for (const bundle of [ranged, proven]) {
      const size = tamper(
        bundle,
        (b) => void (b.checkpoint = b.checkpoint.replace('\n40\n', '\n41\n')),
      );
      expect(problemOf(size)).toEqual({
        path: '/checkpoint',
        message:
          'checkpoint signature does not verify: the checkpoint text or its signature was changed',
      });
      const root = tamper(bundle, (b) => {
        const lines = b.checkpoint.split('\n');
        lines[2] = (lines[2]![0] === 'A' ? 'B' : 'A') + lines[2]!.slice(1);
        b.checkpoint = lines.join('\n');
      });
      expect(problemOf(root).path).toBe('/checkpoint');
    }
  });

  it('catches a checkpoint for another tree, even if properly signed', () => {
    const other = tamper(ranged, (b) => void (b.checkpoint = checkpointOf(log, 39)));
    expect(problemOf(other).path).toMatch(/^\/range_proof/);
    const otherProven = tamper(proven, (b) => void (b.checkpoint = checkpointOf(log, 39)));
    expect(problemOf(otherProven).path).toBe('/events/0/inclusion_proof');
    const beyond = tamper(proven, (b) => void b.events.splice(0, 5));
    expect(problemOf(tamper(beyond, (b) => void (b.checkpoint = checkpointOf(log, 38)))).path).toBe(
      '/events/0/event/chain_index',
    );
  });

  it('refuses a bundle when the caller trusts a different key', () => {
    const stranger = signerFor(SEEDS.attacker).verifierKey;
    const problem = problemOf(ranged, stranger);
    expect(problem.path).toBe('/checkpoint');
    expect(problem.message).toMatch(/^checkpoint is not signed by a trusted key/);
    const otherLog = signerFor(
      SEEDS.current,
      nodeCrypto,
      'logproof.example.com/org_other',
    ).verifierKey;
    expect(problemOf(ranged, otherLog).path).toBe('/checkpoint');
  });

  it('names an event signed by a key the caller does not trust, even when the bundle lists it', () => {
    const attacker = signerFor(SEEDS.attacker);
    const forged = tamper(ranged, (b) => {
      b.verifier_keys.push(attacker.verifierKey);
      const event = b.events[3]!.event;
      event.action = 'user.logout';
      rehash(event);
      event.signature = signEvent(canonicalBytes(entryFromEvent(event)), attacker);
      event.key_id = attacker.keyIdHex;
    });
    const problem = problemOf(forged);
    expect(problem.path).toBe('/events/3/event/key_id');
    expect(problem.message).toMatch(/which the bundle lists but the caller does not trust/);
  });

  it('refuses an extra verifier key the caller did not trust, even if nothing uses it', () => {
    const extra = tamper(
      ranged,
      (b) => void b.verifier_keys.push(signerFor(SEEDS.attacker).verifierKey),
    );
    const problem = problemOf(extra);
    expect(problem.path).toBe('/verifier_keys/1');
    expect(problem.message).toMatch(
      /signs neither the checkpoint nor any event.*the caller does not trust it/,
    );
  });

  it('refuses a bundle fully re-signed by an attacker key of the same name', () => {
    const attacker = signerFor(SEEDS.attacker);
    const forged = tamper(ranged, (b) => {
      b.verifier_keys = [attacker.verifierKey];
      b.checkpoint = signCheckpoint(
        { origin: ORIGIN, treeSize: 40, rootHash: log.tree.root(), extensions: [] },
        attacker,
      );
    });
    expect(problemOf(forged).path).toBe('/checkpoint');
  });

  it('names a listed key that is malformed, foreign, duplicated or missing', () => {
    const flipped = tamper(
      ranged,
      (b) => void (b.verifier_keys[0] = b.verifier_keys[0]!.replace('+A', '+B')),
    );
    expect(problemOf(flipped).path).toBe('/verifier_keys/0');
    const foreign = signerFor(
      SEEDS.attacker,
      nodeCrypto,
      'logproof.example.com/org_other',
    ).verifierKey;
    expect(problemOf(tamper(ranged, (b) => void b.verifier_keys.push(foreign))).path).toBe(
      '/verifier_keys/1',
    );
    expect(problemOf(tamper(ranged, (b) => void b.verifier_keys.push(key))).path).toBe(
      '/verifier_keys/1',
    );
    const rotated = makeLog(10, { rotateAt: 5 });
    const missing = tamper(bundleOf(rotated, range(3, 7)), (b) => void b.verifier_keys.pop());
    const problem = problemOf(missing, [
      rotated.signers.current.verifierKey,
      rotated.signers.rotated.verifierKey,
    ]);
    expect(problem.path).toBe('/events/0/event/key_id');
    expect(problem.message).toMatch(/not among the bundle's verifier_keys/);
    expect(
      problemOf(
        tamper(ranged, (b) => void (b.verifier_keys = [rotated.signers.rotated.verifierKey])),
        [key, rotated.signers.rotated.verifierKey],
      ).path,
    ).toBe('/verifier_keys');
  });
});

describe('verifyBundle names a changed top-level member', () => {
  it('names format, origin and org', () => {
    expect(
      problemOf(tamper(ranged, (b) => void (b.format = 'logproof.bundle/v2' as never))).path,
    ).toBe('/format');
    expect(
      problemOf(tamper(ranged, (b) => void (b.origin = 'logproof.example.com/org_2mZ8k1Qy'))).path,
    ).toBe('/origin');
    expect(problemOf(tamper(ranged, (b) => void (b.org = 'org_2mZ8k1Qy'))).path).toBe('/org');
  });

  it('refuses unknown members anywhere and values that are not JSON objects', () => {
    expect(
      problemOf(tamper(ranged, (b) => ((b as unknown as Record<string, unknown>).signature = 'x')))
        .path,
    ).toBe('/signature');
    expect(
      problemOf(
        tamper(ranged, (b) => ((b.events[1] as unknown as Record<string, unknown>).note = 1)),
      ).path,
    ).toBe('/events/1/note');
    expect(
      problemOf(
        tamper(ranged, (b) => ((b.range_proof as unknown as Record<string, unknown>).end = 20)),
      ).path,
    ).toBe('/range_proof/end');
    for (const value of [null, [], 'bundle', 7]) expect(problemOf(value).path).toBe('');
    expect(problemOf(JSON.parse('{"__proto__": {}}')).path).toBe('/__proto__');
  });

  it('refuses an empty bundle and oversized proofs before any hashing', () => {
    expect(problemOf(tamper(ranged, (b) => void (b.events = []))).path).toBe('/events');
    const long = tamper(
      proven,
      (b) => void (b.events[0]!.inclusion_proof = Array(129).fill('0'.repeat(64))),
    );
    expect(problemOf(long)).toEqual({
      path: '/events/0/inclusion_proof',
      message: 'must hold at most 128 items (got 129)',
    });
  });

  it('names an event that belongs to another org', () => {
    const other = tamper(ranged, (b) => void (b.events[2]!.event.org_external_id = 'other'));
    expect(problemOf(other).path).toBe('/events/2/event');
  });
});
