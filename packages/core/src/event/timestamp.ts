import { LogproofError } from '../errors.js';
import { EVENT_LIMITS, NORMALIZED_TIMESTAMP_PATTERN } from './limits.js';

// RFC 3339 §5.6 date-time is read character by character (the same grammar
// as RFC3339_PATTERN; a test holds them together), and the calendar checked
// with arithmetic rather than Date, whose parser is lenient and
// implementation-defined and whose Date.UTC maps years 0-99 to 1900-1999.
// Hand-read because it runs on every append, up to three times.

const SYNTAX_MESSAGE =
  'must be an RFC 3339 date-time such as 2026-02-10T14:32:18.123Z or 2026-02-10T16:32:18+02:00';

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `count` ASCII digits at `at` as a number, or -1 when any is missing or not a digit. */
function readDigits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i); // NaN past the end: not a digit
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 48);
  }
  return value;
}

const MS_PER_DAY = 86_400_000;

/** 0000-01-01T00:00:00.000Z: the first instant a four-digit year can name. */
const MIN_TIMESTAMP_MS = -62_167_219_200_000;
/** 9999-12-31T23:59:59.999Z: the last instant a four-digit year can name. */
const MAX_TIMESTAMP_MS = 253_402_300_799_999;

function fail(message: string): never {
  throw new LogproofError('ERR_VALIDATION', message, { problems: [{ path: '', message }] });
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Days from 1970-01-01 to a proleptic Gregorian date (the "days from civil"
// algorithm, valid for every year here).
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

// The inverse of daysFromCivil ("civil from days"): [year, month, day].
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Formats milliseconds since the Unix epoch the one way Logproof writes
 * timestamps (PROOFS.md §2): UTC, exactly three fractional digits, `Z`.
 * Throws `ERR_VALIDATION` for a non-integer or an instant outside years
 * 0000-9999, which that form cannot name.
 *
 * @example
 * ```ts
 * formatTimestamp(Date.UTC(2026, 1, 10, 14, 32, 18, 123)); // '2026-02-10T14:32:18.123Z'
 * ```
 */
export function formatTimestamp(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) {
    fail('a timestamp must be whole milliseconds within years 0000-9999 (UTC)');
  }
  // Arithmetic rather than Date#toISOString: the same text for years
  // 0000-9999 (a test compares the two), at a fraction of the cost on the
  // append path.
  const days = Math.floor(ms / MS_PER_DAY);
  const [year, month, day] = civilFromDays(days);
  let rest = ms - days * MS_PER_DAY;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(millis, 3)}Z`;
}

/**
 * Parses a strict RFC 3339 §5.6 `date-time` into milliseconds since the Unix
 * epoch. Accepts `T`/`t`, `Z`/`z` or a `±hh:mm` offset (`-00:00` is UTC,
 * RFC 3339 §4.3) and a fraction of any precision, truncated to milliseconds
 * (truncated, not rounded, so that a value never moves into the next second,
 * day or year). Throws `ERR_VALIDATION` for anything else, naming the field.
 *
 * @example
 * ```ts
 * parseTimestamp('2026-02-10T16:32:18.123456+02:00') === Date.UTC(2026, 1, 10, 14, 32, 18, 123);
 * ```
 */
export function parseTimestamp(text: string): number {
  if (typeof text !== 'string' || text.length > EVENT_LIMITS.maxTimestampLength) {
    fail(`must be an RFC 3339 date-time of at most ${EVENT_LIMITS.maxTimestampLength} characters`);
  }
  // Fixed positions: YYYY-MM-DDTHH:MM:SS, then [.fraction], then Z or ±HH:MM.
  const year = readDigits(text, 0, 4);
  const month = readDigits(text, 5, 2);
  const day = readDigits(text, 8, 2);
  const hour = readDigits(text, 11, 2);
  const minute = readDigits(text, 14, 2);
  const second = readDigits(text, 17, 2);
  if (
    year < 0 ||
    text[4] !== '-' ||
    month < 0 ||
    text[7] !== '-' ||
    day < 0 ||
    (text[10] !== 'T' && text[10] !== 't') ||
    hour < 0 ||
    text[13] !== ':' ||
    minute < 0 ||
    text[16] !== ':' ||
    second < 0
  ) {
    fail(SYNTAX_MESSAGE);
  }
  let at = 19;
  let millis = 0;
  if (text[at] === '.') {
    const start = ++at;
    while (isDigit(text.charCodeAt(at))) at++;
    if (at === start) fail(SYNTAX_MESSAGE);
    const digits = Math.min(at - start, 3);
    millis = readDigits(text, start, digits) * 10 ** (3 - digits);
  }
  let offsetMinutes = 0;
  const zone = text[at];
  if (zone === '+' || zone === '-') {
    const offsetHour = readDigits(text, at + 1, 2);
    const offsetMinute = readDigits(text, at + 4, 2);
    if (offsetHour < 0 || text[at + 3] !== ':' || offsetMinute < 0 || at + 6 !== text.length)
      fail(SYNTAX_MESSAGE);
    if (offsetHour > 23 || offsetMinute > 59) fail(`offset ${text.slice(at)} does not exist`);
    offsetMinutes = (zone === '-' ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  } else if ((zone !== 'Z' && zone !== 'z') || at + 1 !== text.length) {
    fail(SYNTAX_MESSAGE);
  }
  if (month < 1 || month > 12) fail(`month ${text.slice(5, 7)} does not exist`);
  if (day < 1 || day > daysInMonth(year, month))
    fail(`day ${text.slice(8, 10)} does not exist in ${text.slice(0, 7)}`);
  if (hour > 23) fail(`hour ${text.slice(11, 13)} does not exist (RFC 3339 hours are 00-23)`);
  if (minute > 59) fail(`minute ${text.slice(14, 16)} does not exist`);
  // RFC 3339 §5.7 allows second 60 during a leap second, but JavaScript time,
  // like POSIX time, has no instant for it, and mapping it to :59.999 or to the
  // next second would silently record a different time than was sent.
  if (second === 60) fail('leap seconds (:60) cannot be recorded; send 23:59:59.999 instead');
  if (second > 59) fail(`second ${text.slice(17, 19)} does not exist`);
  const ms =
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    millis;
  if (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) {
    fail('is outside years 0000-9999 once converted to UTC');
  }
  return ms;
}

/**
 * True for a timestamp in Logproof's one written form (as
 * {@link formatTimestamp} makes it): UTC, three fractional digits, `Z`, and
 * a real calendar instant.
 *
 * @example
 * ```ts
 * isNormalizedTimestamp('2026-02-10T14:32:18.123Z'); // true
 * isNormalizedTimestamp('2026-02-10T14:32:18Z');     // false
 * ```
 */
export function isNormalizedTimestamp(text: unknown): text is string {
  if (typeof text !== 'string' || !NORMALIZED_TIMESTAMP_PATTERN.test(text)) return false;
  try {
    parseTimestamp(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Normalises an RFC 3339 date-time already parsed to `ms`: text already in
 * the normal form is returned as it is (it can only format to itself).
 */
export function normalizeTimestamp(text: string, ms: number): string {
  return NORMALIZED_TIMESTAMP_PATTERN.test(text) ? text : formatTimestamp(ms);
}
