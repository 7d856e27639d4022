import { describe, expect, it } from 'vitest';
import {
  GENESIS_PREVIOUS_HASH,
  buildEntry,
  bytesToBase64,
  canonicalBytes,
  canonicalizeEntry,
  chainHash,
  entryFromEvent,
  formatHash,
  isLogproofError,
  leafHash,
  nobleCrypto,
  type EntryFields,
  type EventEntry,
  type StoredEvent,
} from '../src/index.js';
import { fullEvent, minimalEvent, valueOf } from './event-fixtures.js';

const FIELDS: EntryFields = {
  id: 'evt_01',
  org: 'org_01',
  orgExternalId: 'acme-prod',
  chainIndex: 0,
  createdAt: '2026-02-10T15:00:00.000Z',
};

// PROOFS.md §2, in its order.
const ENTRY_MEMBERS = [
  'v',
  'id',
  'org',
  'org_external_id',
  'chain_index',
  'action',
  'actor',
  'targets',
  'metadata',
  'context',
  'occurred_at',
  'created_at',
  'entry_type',
  'outcome',
  'description',
];

function storedFrom(entry: EventEntry): StoredEvent {
  const bytes = canonicalBytes(entry);
  const leaf = leafHash(bytes);
  const signer = nobleCrypto.ed25519Signer(new Uint8Array(32).fill(7));
  return {
    ...entry,
    leaf_hash: formatHash(leaf),
    hash: formatHash(chainHash(GENESIS_PREVIOUS_HASH, leaf)),
    previous_hash: formatHash(GENESIS_PREVIOUS_HASH),
    signature: bytesToBase64(signer.sign(bytes)),
    key_id: '0a1b2c3d',
  };
}

function expectValidationError(run: () => unknown, paths: string[]): void {
  try {
    run();
    expect.unreachable();
  } catch (error) {
    expect(isLogproofError(error, 'ERR_VALIDATION'), String(error)).toBe(true);
    expect((error as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual(paths);
  }
}

describe('buildEntry', () => {
  it('builds exactly the members of PROOFS.md §2 for a full event', () => {
    const entry = buildEntry(valueOf(fullEvent()), { ...FIELDS, chainIndex: 1247 });
    expect(Object.keys(entry)).toEqual(ENTRY_MEMBERS);
    const input = fullEvent();
    expect(entry).toEqual({
      v: 1,
      id: 'evt_01',
      org: 'org_01',
      org_external_id: 'acme-prod',
      chain_index: 1247,
      action: input.action,
      actor: input.actor,
      targets: input.targets,
      metadata: input.metadata,
      context: input.context,
      occurred_at: '2026-02-10T14:32:18.123Z',
      created_at: '2026-02-10T15:00:00.000Z',
      entry_type: 'auth',
      outcome: 'failure',
      description: input.description,
    });
  });

  it('fills defaults, uses the receipt time and omits description for a minimal event', () => {
    const entry = buildEntry(valueOf(minimalEvent()), FIELDS);
    expect(Object.keys(entry)).toEqual(ENTRY_MEMBERS.filter((m) => m !== 'description'));
    expect(entry).toMatchObject({
      actor: { id: 'user_1', type: 'user' },
      targets: [],
      metadata: {},
      context: {},
      occurred_at: FIELDS.createdAt,
      entry_type: 'business',
      outcome: 'success',
    });
    expect(Object.keys(entry.actor)).toEqual(['id', 'type']);
  });

  it('has the canonical bytes of a minimal event, byte for byte', () => {
    const entry = buildEntry(valueOf(minimalEvent()), FIELDS);
    expect(canonicalizeEntry(entry)).toBe(
      '{"action":"user.login","actor":{"id":"user_1","type":"user"},"chain_index":0,"context":{},' +
        '"created_at":"2026-02-10T15:00:00.000Z","entry_type":"business","id":"evt_01","metadata":{},' +
        '"occurred_at":"2026-02-10T15:00:00.000Z","org":"org_01","org_external_id":"acme-prod",' +
        '"outcome":"success","targets":[],"v":1}',
    );
  });

  it('never writes undefined or null for absent optional members', () => {
    const event = valueOf(minimalEvent());
    const entry = buildEntry(
      {
        ...event,
        actor: { ...event.actor, name: undefined },
        targets: [{ id: 't', type: 'x', name: undefined }],
        description: undefined,
      },
      FIELDS,
    );
    expect(entry.actor).toEqual({ id: 'user_1', type: 'user' });
    expect(Object.keys(entry.targets[0]!)).toEqual(['id', 'type']);
    expect('description' in entry).toBe(false);
    expect(() => canonicalBytes(entry)).not.toThrow();
  });

  it('shares no object with the event it was built from', () => {
    const event = valueOf(fullEvent());
    const entry = buildEntry(event, FIELDS);
    event.metadata.plan = 'free';
    event.actor.metadata!.role = 'guest';
    event.targets[0]!.id = 'changed';
    event.context.ip = '198.51.100.1';
    expect(entry.metadata.plan).toBe('pro');
    expect(entry.actor.metadata).toEqual({ role: 'owner' });
    expect(entry.targets[0]!.id).toBe('inv_8812');
    expect(entry.context.ip).toBe('203.0.113.7');
  });

  it('keeps a __proto__ metadata key as plain data if one is handed to it', () => {
    const event = valueOf(minimalEvent());
    const metadata = JSON.parse('{"__proto__":"x"}');
    const entry = buildEntry({ ...event, metadata }, FIELDS);
    expect(Object.getPrototypeOf(entry.metadata)).toBe(Object.prototype);
    expect(canonicalizeEntry(entry)).toContain('"metadata":{"__proto__":"x"}');
  });

  it('refuses malformed server fields', () => {
    const event = valueOf(minimalEvent());
    expectValidationError(() => buildEntry(event, { ...FIELDS, chainIndex: -1 }), ['/chain_index']);
    expectValidationError(
      () => buildEntry(event, { ...FIELDS, chainIndex: 1.5 }),
      ['/chain_index'],
    );
    expectValidationError(
      () => buildEntry(event, { ...FIELDS, createdAt: '2026-02-10T15:00:00Z' }),
      ['/created_at'],
    );
    expectValidationError(() => buildEntry(event, { ...FIELDS, id: '', org: '' }), ['/id', '/org']);
    expectValidationError(
      () => buildEntry({ ...event, occurredAt: '2026-02-10T16:00:00+01:00' }, FIELDS),
      ['/occurred_at'],
    );
  });
});

describe('entryFromEvent', () => {
  it('drops exactly the five derived members and round-trips through JSON', () => {
    const entry = buildEntry(valueOf(fullEvent()), FIELDS);
    const stored = JSON.parse(JSON.stringify(storedFrom(entry)));
    const recovered = entryFromEvent(stored);
    expect(recovered).toEqual(entry);
    expect(Object.keys(recovered).sort()).toEqual([...ENTRY_MEMBERS].sort());
    expect(canonicalBytes(recovered)).toEqual(canonicalBytes(entry));
    expect(formatHash(leafHash(canonicalBytes(recovered)))).toBe(stored.leaf_hash);
  });

  it('round-trips a minimal entry, which has no description', () => {
    const entry = buildEntry(valueOf(minimalEvent()), FIELDS);
    expect(entryFromEvent(storedFrom(entry))).toEqual(entry);
  });

  it('refuses an event with any member beyond the entry and the five derived ones', () => {
    const stored = { ...storedFrom(buildEntry(valueOf(minimalEvent()), FIELDS)), verified: true };
    expectValidationError(() => entryFromEvent(stored), ['/verified']);
  });

  it('refuses an event with a missing or malformed derived member', () => {
    const stored: Record<string, unknown> = storedFrom(buildEntry(valueOf(minimalEvent()), FIELDS));
    const { leaf_hash: _dropped, ...missing } = stored;
    expectValidationError(() => entryFromEvent(missing), ['/leaf_hash']);
    expectValidationError(() => entryFromEvent({ ...stored, hash: 'ABC' }), ['/hash']);
    expectValidationError(() => entryFromEvent({ ...stored, key_id: '0A1B2C3D' }), ['/key_id']);
    expectValidationError(
      () => entryFromEvent({ ...stored, signature: 'not base64' }),
      ['/signature'],
    );
  });

  it('refuses entries whose own members have the wrong shape', () => {
    const stored: Record<string, unknown> = storedFrom(buildEntry(valueOf(minimalEvent()), FIELDS));
    expectValidationError(() => entryFromEvent({ ...stored, v: 2 }), ['/v']);
    expectValidationError(() => entryFromEvent({ ...stored, description: null }), ['/description']);
    expectValidationError(
      () => entryFromEvent({ ...stored, created_at: '2026-02-10T15:00:00Z' }),
      ['/created_at'],
    );
    expectValidationError(
      () => entryFromEvent({ ...stored, metadata: { 'bad key': 1 } }),
      ['/metadata/bad key'],
    );
    expectValidationError(() => entryFromEvent({ ...stored, actor: { id: 'u' } }), ['/actor/type']);
  });

  it('refuses what is not an object', () => {
    for (const value of [null, 'evt', [], 1])
      expectValidationError(() => entryFromEvent(value), ['']);
  });
});
