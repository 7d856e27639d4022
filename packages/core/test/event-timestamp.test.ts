import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RFC3339_PATTERN,
  formatTimestamp,
  isLogproofError,
  isNormalizedTimestamp,
  parseTimestamp,
} from '../src/index.js';

const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

function expectInvalid(text: string, message?: RegExp): void {
  try {
    parseTimestamp(text);
    expect.unreachable(`${text} was accepted`);
  } catch (error) {
    expect(isLogproofError(error, 'ERR_VALIDATION')).toBe(true);
    if (message) expect((error as Error).message).toMatch(message);
  }
}

describe('formatTimestamp', () => {
  it('writes UTC with exactly three fractional digits and Z', () => {
    expect(formatTimestamp(Date.UTC(2026, 1, 10, 14, 32, 18, 123))).toBe(
      '2026-02-10T14:32:18.123Z',
    );
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(formatTimestamp(-1)).toBe('1969-12-31T23:59:59.999Z');
    expect(formatTimestamp(MIN_MS)).toBe('0000-01-01T00:00:00.000Z');
    expect(formatTimestamp(MAX_MS)).toBe('9999-12-31T23:59:59.999Z');
  });

  it('refuses instants outside years 0000-9999 and fractional milliseconds', () => {
    for (const ms of [MIN_MS - 1, MAX_MS + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => formatTimestamp(ms)).toThrow(
        expect.objectContaining({ code: 'ERR_VALIDATION' }),
      );
    }
  });

  it('agrees with Date#toISOString on every instant it can write', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_MS, max: MAX_MS }), (ms) => {
        expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseTimestamp', () => {
  it('reads Z, offsets and any fractional precision, truncating to milliseconds', () => {
    const expected = Date.UTC(2026, 1, 10, 14, 32, 18, 123);
    expect(parseTimestamp('2026-02-10T14:32:18.123Z')).toBe(expected);
    expect(parseTimestamp('2026-02-10T16:32:18.123456+02:00')).toBe(expected);
    expect(parseTimestamp('2026-02-10T09:02:18.1239-05:30')).toBe(expected);
    expect(parseTimestamp('2026-02-10t14:32:18.123999999z')).toBe(expected);
    expect(parseTimestamp('2026-02-10T14:32:18.123-00:00')).toBe(expected);
    expect(parseTimestamp('2026-02-10T14:32:18Z')).toBe(expected - 123);
    expect(parseTimestamp('2026-02-10T14:32:18.1Z')).toBe(expected - 23);
  });

  it('crosses day, month and year boundaries with the offset', () => {
    expect(formatTimestamp(parseTimestamp('2026-01-01T00:30:00+01:00'))).toBe(
      '2025-12-31T23:30:00.000Z',
    );
    expect(formatTimestamp(parseTimestamp('2024-02-28T23:00:00-02:00'))).toBe(
      '2024-02-29T01:00:00.000Z',
    );
  });

  it('knows leap years', () => {
    expect(formatTimestamp(parseTimestamp('2024-02-29T00:00:00Z'))).toBe(
      '2024-02-29T00:00:00.000Z',
    );
    expect(formatTimestamp(parseTimestamp('2000-02-29T00:00:00Z'))).toBe(
      '2000-02-29T00:00:00.000Z',
    );
    expectInvalid('2026-02-29T00:00:00Z', /day 29 does not exist in 2026-02/);
    expectInvalid('2100-02-29T00:00:00Z', /day 29/);
  });

  it('refuses dates and times that do not exist', () => {
    expectInvalid('2026-02-30T00:00:00Z', /day 30 does not exist in 2026-02/);
    expectInvalid('2026-04-31T00:00:00Z', /day 31/);
    expectInvalid('2026-00-10T00:00:00Z', /month 00/);
    expectInvalid('2026-13-10T00:00:00Z', /month 13/);
    expectInvalid('2026-02-00T00:00:00Z', /day 00/);
    expectInvalid('2026-02-10T24:00:00Z', /hour 24/);
    expectInvalid('2026-02-10T23:60:00Z', /minute 60/);
    expectInvalid('2026-02-10T23:59:61Z', /second 61/);
    expectInvalid('2026-02-10T23:59:59+24:00', /offset \+24:00/);
    expectInvalid('2026-02-10T23:59:59+01:60', /offset/);
  });

  it('refuses leap seconds, saying what to send instead', () => {
    expectInvalid(
      '2016-12-31T23:59:60Z',
      /leap seconds \(:60\) cannot be recorded; send 23:59:59\.999/,
    );
  });

  it('accepts years 0000 to 9999 only, after conversion to UTC', () => {
    expect(parseTimestamp('0000-01-01T00:00:00Z')).toBe(MIN_MS);
    expect(parseTimestamp('9999-12-31T23:59:59.999Z')).toBe(MAX_MS);
    expectInvalid('0000-01-01T00:00:00+00:01', /outside years 0000-9999/);
    expectInvalid('9999-12-31T23:59:59.999-00:01', /outside years 0000-9999/);
    expectInvalid('10000-01-01T00:00:00Z');
    expectInvalid('-0001-01-01T00:00:00Z');
  });

  it('refuses everything that is not RFC 3339 date-time syntax', () => {
    for (const text of [
      '',
      '2026-02-10',
      '2026-02-10T14:32Z',
      '2026-02-10T14:32:18',
      '2026-02-10 14:32:18Z',
      '2026-02-10T14:32:18.Z',
      '2026-02-10T14:32:18,5Z',
      '2026-02-10T14:32:18+0200',
      '2026-02-10T14:32:18+2:00',
      '2026-02-10T14:32:18Z ',
      ' 2026-02-10T14:32:18Z',
      '2026-2-10T14:32:18Z',
      '+2026-02-10T14:32:18Z',
      '2026-02-10T14:32:18ZZ',
      '２０２６-02-10T14:32:18Z',
      `2026-02-10T14:32:18.${'1'.repeat(100)}Z`,
    ]) {
      expectInvalid(text);
    }
  });

  it("accepts exactly the syntax RFC3339_PATTERN (the schema's pattern) describes", () => {
    const base = '2024-06-15T12:34:56.789+01:30';
    const alphabet = [...'0123456789-:.TtZz+ x'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length + 2), fc.constantFrom(...alphabet), fc.boolean()), {
          maxLength: 3,
        }),
        (edits) => {
          let text = base;
          for (const [at, char, insert] of edits) {
            const i = Math.min(at, text.length);
            text = insert
              ? text.slice(0, i) + char + text.slice(i)
              : text.slice(0, i) + char + text.slice(i + 1);
          }
          let parsed = true;
          try {
            parseTimestamp(text);
          } catch (error) {
            parsed = false;
            // A calendar problem is fine only when the syntax matched.
            if (!/does not exist|leap seconds|outside years/.test((error as Error).message)) {
              expect(RFC3339_PATTERN.test(text), text).toBe(false);
            }
          }
          if (parsed) expect(RFC3339_PATTERN.test(text), text).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('round-trips every instant through formatTimestamp', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_MS, max: MAX_MS }), (ms) => {
        expect(parseTimestamp(formatTimestamp(ms))).toBe(ms);
      }),
    );
  });
});

describe('isNormalizedTimestamp', () => {
  it('accepts only the written form of a real instant', () => {
    expect(isNormalizedTimestamp('2026-02-10T14:32:18.123Z')).toBe(true);
    for (const text of [
      '2026-02-10T14:32:18Z',
      '2026-02-10T14:32:18.1234Z',
      '2026-02-10t14:32:18.123z',
      '2026-02-30T14:32:18.123Z',
      42,
    ]) {
      expect(isNormalizedTimestamp(text)).toBe(false);
    }
  });
});
