import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EVENT_LIMITS,
  buildEntry,
  canonicalBytes,
  canonicalJson,
  canonicalizeEntry,
  entryFromEvent,
  formatTimestamp,
  validateEventInput,
  type EntryFields,
} from '../src/index.js';
import { NOW, OPTIONS } from './event-fixtures.js';

// Random valid inputs, built from the rules of API.md "Events".
const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/);
const action = fc.array(segment, { minLength: 2, maxLength: 8 }).map((s) => s.join('.'));
// Any well-formed Unicode but U+0000, which the API refuses (see event-nul.test.ts).
const noNul = (s: string) => !s.includes('\u0000');
const text = (maxLength: number) =>
  fc.string({ unit: 'binary', minLength: 1, maxLength }).filter(noNul);
const id = text(40);
const metadataKey = fc
  .stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/)
  .filter((key) => key !== '__proto__');
const metadataValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }).filter(noNul),
  fc.maxSafeInteger(),
  fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: 0 }),
  fc.boolean(),
);
const metadata = fc.dictionary(metadataKey, metadataValue, { maxKeys: 8 });
const actor = fc.record(
  {
    id,
    type: fc.constantFrom('user', 'service', 'system'),
    name: text(40),
    email: fc.emailAddress().filter((e) => e.length <= 320),
    metadata,
  },
  { requiredKeys: ['id'] },
);
const target = fc.record(
  { id, type: text(20), name: text(40), metadata },
  { requiredKeys: ['id', 'type'] },
);
const offset = fc.oneof(
  fc.constant('Z'),
  fc
    .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 30, 45))
    .map(([sign, h, m]) => `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`),
);
// An instant inside the accepted window, written with a random offset and precision.
const occurredAt = fc
  .tuple(
    fc.integer({
      min: NOW - EVENT_LIMITS.defaultBackfillWindowMs,
      max: NOW + EVENT_LIMITS.futureSkewMs,
    }),
    offset,
    fc.integer({ min: 0, max: 9 }),
  )
  .map(([ms, zone, digits]) => {
    const minutes =
      zone === 'Z'
        ? 0
        : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
    const local = formatTimestamp(ms - (ms % 1000) + minutes * 60_000); // whole seconds, shifted to local time
    const fraction =
      digits === 0
        ? ''
        : `.${String(ms % 1000)
            .padStart(3, '0')
            .padEnd(digits, '7')
            .slice(0, digits)}`;
    return {
      text: `${local.slice(0, 19)}${fraction}${zone}`,
      ms: digits >= 3 ? ms : ms - (ms % 10 ** (3 - digits)),
    };
  });
const eventInput = fc
  .record(
    {
      org: id,
      action,
      actor,
      targets: fc.array(target, { maxLength: 4 }),
      metadata,
      context: fc.record(
        {
          ip: fc.oneof(fc.ipV4(), fc.ipV6()),
          user_agent: fc.string({ unit: 'binary', maxLength: 80 }).filter(noNul),
          request_id: id,
        },
        { requiredKeys: [] },
      ),
      occurred_at: occurredAt,
      entry_type: fc.constantFrom('business', 'auth', 'system', 'database'),
      outcome: fc.constantFrom('success', 'failure'),
      description: fc.string({ unit: 'binary', maxLength: 100 }).filter(noNul),
    },
    { requiredKeys: ['action', 'actor'] },
  )
  .map(({ occurred_at, ...rest }) => ({
    input: occurred_at === undefined ? rest : { ...rest, occurred_at: occurred_at.text },
    occurredMs: occurred_at?.ms,
  }));

const FIELDS: EntryFields = {
  id: 'evt_01',
  org: 'org_01',
  orgExternalId: 'acme',
  chainIndex: 7,
  createdAt: formatTimestamp(NOW),
};

describe('event pipeline properties', () => {
  it('accepts every valid input and normalises occurred_at to the same instant', () => {
    fc.assert(
      fc.property(eventInput, ({ input, occurredMs }) => {
        const result = validateEventInput(input, OPTIONS);
        if (!result.ok) throw new Error(JSON.stringify(result.problems));
        if (occurredMs !== undefined)
          expect(result.value.occurredAt).toBe(formatTimestamp(occurredMs));
      }),
      { numRuns: 200 },
    );
  });

  it('canonicalises deterministically, whatever the member order of the input', () => {
    const reorder = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reorder);
      if (typeof value !== 'object' || value === null) return value;
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([k, v]) => [k, reorder(v)]),
      );
    };
    fc.assert(
      fc.property(eventInput, ({ input }) => {
        const first = validateEventInput(input, OPTIONS);
        const second = validateEventInput(reorder(input), OPTIONS);
        if (!first.ok || !second.ok) throw new Error('expected valid input');
        const bytes = canonicalBytes(buildEntry(first.value, FIELDS));
        expect(canonicalBytes(buildEntry(second.value, FIELDS))).toEqual(bytes);
        expect(canonicalBytes(buildEntry(first.value, FIELDS))).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('gives canonical text that is a fixed point of parse-and-canonicalise', () => {
    fc.assert(
      fc.property(eventInput, ({ input }) => {
        const result = validateEventInput(input, OPTIONS);
        if (!result.ok) throw new Error('expected valid input');
        const text = canonicalizeEntry(buildEntry(result.value, FIELDS));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('recovers the entry from the stored event as the API would return it', () => {
    fc.assert(
      fc.property(eventInput, ({ input }) => {
        const result = validateEventInput(input, OPTIONS);
        if (!result.ok) throw new Error('expected valid input');
        const entry = buildEntry(result.value, FIELDS);
        const stored = {
          ...entry,
          leaf_hash: 'a'.repeat(64),
          hash: 'b'.repeat(64),
          previous_hash: '0'.repeat(64),
          signature: `${'A'.repeat(86)}==`,
          key_id: '0a1b2c3d',
        };
        const recovered = entryFromEvent(JSON.parse(JSON.stringify(stored)));
        expect(canonicalBytes(recovered)).toEqual(canonicalBytes(entry));
      }),
      { numRuns: 200 },
    );
  });
});
