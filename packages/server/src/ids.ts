import { randomBytes } from 'node:crypto';

// Crockford base32, lowercase: ids are readable, case-insensitive-safe, URL-safe.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

// randomBytes per id costs a syscall-sized overhead; draw from a pool instead.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function takeRandom(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

/**
 * A new object id: `<prefix>_` + 26 characters, the first 10 encoding the
 * millisecond time (ULID layout) so that new ids land at the end of B-tree
 * indexes, the last 16 from 80 random bits.
 */
export function newId(
  prefix: 'proj' | 'key' | 'org' | 'evt' | 'wh' | 'exp' | 'plink' | 'psess',
  now = Date.now(),
): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const bytes = takeRandom(10);
  let rand = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      rand += ALPHABET[(acc >>> bits) & 31]!;
    }
    acc &= (1 << bits) - 1;
  }
  return `${prefix}_${time}${rand}`;
}
