import { describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  bytesToHex,
  computeKeyId,
  concatBytes,
  createNoteSigner,
  formatSignerKey,
  formatVerifierKey,
  generateSeed,
  hexToBytes,
  isValidKeyName,
  LogproofError,
  nobleCrypto,
  parseSignerKey,
  parseVerifierKey,
  type CryptoProvider,
  type LogproofErrorCode,
} from '../src/index.js';

const NAME = 'example.com/acme-prod';
const SEED = hexToBytes('5e4c23f7098b342513abd4eabb89517ba2e1479b16e754771a3dc02bbcbbba78');
const PUBLIC = hexToBytes('3a89f8f84e43e4d44e38a5e4279aa935ddf9990ae43ced1de20f283e989412f5');
const VKEY = 'example.com/acme-prod+bc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1';
const SKEY =
  'PRIVATE+KEY+example.com/acme-prod+bc92823b+AV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p4';

function expectCode(fn: () => unknown, code: LogproofErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(LogproofError);
  expect((caught as LogproofError).code).toBe(code);
}

/** A verifier key with the right key ID for whatever `keyData` holds. */
function verifierKeyWith(name: string, keyData: Uint8Array): string {
  return `${name}+${bytesToHex(computeKeyId(name, PUBLIC))}+${bytesToBase64(keyData)}`;
}

describe('isValidKeyName', () => {
  it('accepts origins like the ones PROOFS.md §1 describes', () => {
    expect(isValidKeyName('logproof.example.com/org_2mZ8')).toBe(true);
    expect(isValidKeyName('日本.example/ログ')).toBe(true);
  });

  it.each([
    ['the empty string', ''],
    ['a space', 'a b'],
    ['a no-break space', 'a\u00a0b'],
    ['an ideographic space', 'a\u3000b'],
    ['a plus sign', 'a+b'],
    ['a tab', 'a\tb'],
    ['a control character', 'a\u0001b'],
    ['a lone surrogate', 'a\ud800b'],
  ])('rejects %s', (_, name) => {
    expect(isValidKeyName(name)).toBe(false);
  });

  it('rejects a value that is not a string', () => {
    expect(isValidKeyName(42)).toBe(false);
  });
});

describe('computeKeyId', () => {
  it('is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || key)', () => {
    expect(bytesToHex(computeKeyId(NAME, PUBLIC))).toBe('bc92823b');
  });

  it('rejects a 31-byte public key', () => {
    expectCode(() => computeKeyId(NAME, PUBLIC.slice(1)), 'ERR_VERIFIER_KEY');
  });

  it('rejects a name with a plus sign', () => {
    expectCode(() => computeKeyId('a+b', PUBLIC), 'ERR_VERIFIER_KEY');
  });
});

describe('formatVerifierKey', () => {
  it('writes name, 8 hex digits and base64(0x01 || key)', () => {
    expect(formatVerifierKey(NAME, PUBLIC)).toBe(VKEY);
  });
});

describe('parseVerifierKey', () => {
  it('splits at the first two plus signs only, since base64 may hold more', () => {
    const key = parseVerifierKey(VKEY);
    expect(key).toEqual({
      name: NAME,
      keyId: hexToBytes('bc92823b'),
      keyIdHex: 'bc92823b',
      publicKey: PUBLIC,
      text: VKEY,
    });
  });

  it.each([
    [
      'an extra plus sign before the key ID',
      'example.com+acme-prod+bc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1',
    ],
    [
      'an extra plus sign after the key ID',
      'example.com/acme-prod+bc92823b++ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1',
    ],
    ['no plus sign at all', 'example.com/acme-prod'],
    ['only one plus sign', 'example.com/acme-prod+bc92823b'],
    [
      'a missing plus sign between name and ID',
      'example.com/acme-prodbc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1',
    ],
    ['an empty name', '+bc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1'],
    [
      'a name containing a space',
      'example.com/acme prod+bc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1',
    ],
    [
      'a non-hex key ID',
      'example.com/acme-prod+bc92823g+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1',
    ],
    [
      'an uppercase key ID',
      'example.com/acme-prod+BC92823B+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1',
    ],
    [
      'a 7-digit key ID',
      'example.com/acme-prod+bc92823+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1',
    ],
    [
      'a wrong key ID',
      'example.com/acme-prod+bc92823c+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1',
    ],
    [
      'a key ID of another name',
      'example.com/acme-test+bc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL1',
    ],
    [
      'non-canonical base64 (trailing bits set)',
      'example.com/acme-prod+bc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd+ZkK5DztHeIPKD6YlBL2',
    ],
    [
      'base64 without its padding',
      'example.com/acme-prod+bc92823b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2',
    ],
    [
      'base64 with a newline in it',
      'example.com/acme-prod+bc92823b+ATqJ+PhOQ+TUTjil5CeaqTXd\n+ZkK5DztHeIPKD6YlBL1',
    ],
    ['empty key data', 'example.com/acme-prod+bc92823b+'],
    ['a trailing space', VKEY + ' '],
  ])('rejects a verifier key with %s', (_, text) => {
    expectCode(() => parseVerifierKey(text), 'ERR_VERIFIER_KEY');
  });

  it('rejects an algorithm byte other than 0x01 even with a matching key ID', () => {
    expectCode(
      () => parseVerifierKey(verifierKeyWith(NAME, concatBytes(Uint8Array.of(2), PUBLIC))),
      'ERR_VERIFIER_KEY',
    );
  });

  it('rejects a 31-byte public key', () => {
    expectCode(
      () => parseVerifierKey(verifierKeyWith(NAME, concatBytes(Uint8Array.of(1), PUBLIC.slice(1)))),
      'ERR_VERIFIER_KEY',
    );
  });

  it('rejects a 33-byte public key', () => {
    expectCode(
      () =>
        parseVerifierKey(
          verifierKeyWith(NAME, concatBytes(Uint8Array.of(1), PUBLIC, Uint8Array.of(0))),
        ),
      'ERR_VERIFIER_KEY',
    );
  });

  it('rejects a value that is not a string with a typed error', () => {
    expectCode(() => parseVerifierKey(undefined as unknown as string), 'ERR_VERIFIER_KEY');
  });
});

describe('createNoteSigner', () => {
  it('derives the public key, key ID and verifier key from the seed', () => {
    const signer = createNoteSigner(NAME, SEED);
    expect(signer.publicKey).toEqual(PUBLIC);
    expect(signer.keyIdHex).toBe('bc92823b');
    expect(signer.verifierKey).toBe(VKEY);
    expect(signer.sign(new Uint8Array(0))).toHaveLength(64);
    expect(Object.isFrozen(signer)).toBe(true);
  });

  it('signs each message with signEach as sign does, one by one or through the provider', () => {
    const messages = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7)];
    const signer = createNoteSigner(NAME, SEED);
    const expected = messages.map((m) => signer.sign(m));
    expect(signer.signEach([])).toEqual([]);
    expect(signer.signEach(messages)).toEqual(expected);
    const seen: number[] = [];
    const provider: CryptoProvider = {
      ...nobleCrypto,
      ed25519Signer: (seed) => ({
        ...nobleCrypto.ed25519Signer(seed),
        signEach: (batch) => {
          seen.push(batch.length);
          return batch.map((m) => nobleCrypto.ed25519Signer(seed).sign(m));
        },
      }),
    };
    expect(createNoteSigner(NAME, SEED, provider).signEach(messages)).toEqual(expected);
    expect(seen).toEqual([3]);
  });

  it('rejects a 31-byte seed', () => {
    expectCode(() => createNoteSigner(NAME, SEED.slice(1)), 'ERR_SIGNER_KEY');
  });

  it('rejects a name with a space', () => {
    expectCode(() => createNoteSigner('a b', SEED), 'ERR_SIGNER_KEY');
  });
});

describe('generateSeed', () => {
  it('returns 32 fresh random bytes each time', () => {
    const a = generateSeed();
    const b = generateSeed();
    expect(a).toHaveLength(32);
    expect(bytesToHex(a)).not.toBe(bytesToHex(b));
    expect(parseSignerKey(formatSignerKey('log.example/x', a)).seed).toEqual(a);
  });
});

describe('parseSignerKey', () => {
  it('reads the name, seed and key ID of a Go signer key', () => {
    expect(parseSignerKey(SKEY)).toEqual({ name: NAME, seed: SEED, keyIdHex: 'bc92823b' });
  });

  it('parses the signer key of the Go sumdb/note documentation', () => {
    const parsed = parseSignerKey(
      'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz',
    );
    expect(createNoteSigner(parsed.name, parsed.seed).verifierKey).toBe(
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    );
  });

  it.each([
    [
      'no PRIVATE+KEY prefix',
      'example.com/acme-prod+bc92823b+AV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p4',
    ],
    [
      'a lowercase prefix',
      'private+key+example.com/acme-prod+bc92823b+AV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p4',
    ],
    [
      'a missing plus sign',
      'PRIVATE+KEY+example.com/acme-prod+bc92823bAV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p4',
    ],
    [
      'an extra plus sign',
      'PRIVATE+KEY+example.com+acme-prod+bc92823b+AV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p4',
    ],
    [
      'a non-hex key ID',
      'PRIVATE+KEY+example.com/acme-prod+bc92823x+AV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p4',
    ],
    [
      'a wrong key ID',
      'PRIVATE+KEY+example.com/acme-prod+bc92823c+AV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p4',
    ],
    [
      'non-canonical base64',
      'PRIVATE+KEY+example.com/acme-prod+bc92823b+AV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p5',
    ],
    [
      'an algorithm byte of 2',
      'PRIVATE+KEY+example.com/acme-prod+bc92823b+Al5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7p4',
    ],
    [
      'a 31-byte seed',
      'PRIVATE+KEY+example.com/acme-prod+bc92823b+AV5MI/cJizQlE6vU6ruJUXui4UebFudUdxo9wCu8u7o=',
    ],
    ['an empty string', ''],
  ])('rejects a signer key with %s', (_, text) => {
    expectCode(() => parseSignerKey(text), 'ERR_SIGNER_KEY');
  });

  it('never quotes the secret in its error message', () => {
    const bad = SKEY.replace('bc92823b', 'bc92823c');
    try {
      parseSignerKey(bad);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('AV5MI');
    }
  });
});
