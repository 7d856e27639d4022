import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

// lp_sk_ + base62(32 random bytes) + base62(CRC32) — like GitHub's tokens: the
// checksum lets us (and secret scanners) reject a mistyped or made-up key
// without a database lookup; the 256 random bits make guessing hopeless.
export const API_KEY_PREFIX = 'lp_sk_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43; // ceil(256 / log2(62))
const CHECK_LENGTH = 6; // ceil(32 / log2(62))
const KEY_RE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECK_LENGTH}}$`);

function toBase62(value: bigint, length: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < length; i++) {
    out = BASE62[Number(v % 62n)]! + out;
    v /= 62n;
  }
  return out;
}

function checksum(body: string): string {
  return toBase62(BigInt(crc32(body)), CHECK_LENGTH);
}

/** A new API key secret; shown to its owner once, stored only as {@link hashApiKey}. */
export function generateApiKey(): string {
  const body = toBase62(BigInt('0x' + randomBytes(32).toString('hex')), BODY_LENGTH);
  return API_KEY_PREFIX + body + checksum(body);
}

/** True when the text has the shape and checksum of a Logproof key. */
export function isWellFormedApiKey(text: string): boolean {
  if (!KEY_RE.test(text)) return false;
  const body = text.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + BODY_LENGTH);
  return checksum(body) === text.slice(API_KEY_PREFIX.length + BODY_LENGTH);
}

/** SHA-256 hex of the key: what the database stores and looks keys up by. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What may be displayed of a key: its prefix and first characters. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, API_KEY_PREFIX.length + 6);
}
