import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  createNoteSigner,
  formatCheckpoint,
  formatSignerKey,
  hexToBytes,
  nobleCrypto,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
  verifyCheckpoint,
  type CryptoProvider,
} from '../src/index.js';
import { createNodeCrypto } from '../src/node-crypto.js';

// Vectors made by independent implementations (Go's sumdb/note, the C2SP spec).
const VECTORS = new URL('../../../../shared/vectors/', import.meta.url);
const tlog = JSON.parse(readFileSync(new URL('tlog-vectors.json', VECTORS), 'utf8')) as {
  checkpoints: Record<string, string>;
  roots: Record<string, string>;
  ed25519_seed_hex: string;
  ed25519_public_hex: string;
  key_id_hex: string;
  key_name: string;
  origin: string;
  signer_key: string;
  verifier_key: string;
};
const c2sp = (
  JSON.parse(readFileSync(new URL('rfc6962-merkle.json', VECTORS), 'utf8')) as {
    c2sp_signed_note_example: { verifier_key: string; note: string };
  }
).c2sp_signed_note_example;

const providers: [string, CryptoProvider][] = [
  ['nobleCrypto', nobleCrypto],
  ['createNodeCrypto()', createNodeCrypto()],
];
const sizes = Object.keys(tlog.checkpoints).sort((a, b) => Number(a) - Number(b));

describe.each(providers)('signed-note vectors with %s', (_, crypto) => {
  it('verifies the C2SP signed-note example with its verifier key', () => {
    const key = parseVerifierKey(c2sp.verifier_key, crypto);
    const opened = openNote(c2sp.note, [key], crypto);
    expect(opened.text).toBe('This is an example message.\n');
    expect(opened.verifiedBy).toEqual([key]);
    expect(opened.signatures).toHaveLength(1);
    expect(opened.signatures[0]!.keyIdHex).toBe('530d903a');
    expect(opened.signatures[0]!.signature).toHaveLength(64);
  });

  it('verifies the C2SP example given as UTF-8 bytes too', () => {
    const key = parseVerifierKey(c2sp.verifier_key, crypto);
    expect(openNote(new TextEncoder().encode(c2sp.note), [key], crypto).text).toBe(
      'This is an example message.\n',
    );
  });

  it('reproduces the vector verifier key, signer key and key ID from the seed', () => {
    const seed = hexToBytes(tlog.ed25519_seed_hex);
    const signer = createNoteSigner(tlog.key_name, seed, crypto);
    expect(bytesToHex(signer.publicKey)).toBe(tlog.ed25519_public_hex);
    expect(signer.keyIdHex).toBe(tlog.key_id_hex);
    expect(bytesToHex(signer.keyId)).toBe(tlog.key_id_hex);
    expect(signer.verifierKey).toBe(tlog.verifier_key);
    expect(formatSignerKey(tlog.key_name, seed, crypto)).toBe(tlog.signer_key);
  });

  it('parses the vector keys back to the same seed, name and key ID', () => {
    const parsedSigner = parseSignerKey(tlog.signer_key, crypto);
    expect(parsedSigner).toEqual({
      name: tlog.key_name,
      seed: hexToBytes(tlog.ed25519_seed_hex),
      keyIdHex: tlog.key_id_hex,
    });
    const key = parseVerifierKey(tlog.verifier_key, crypto);
    expect(key.name).toBe(tlog.key_name);
    expect(key.keyIdHex).toBe(tlog.key_id_hex);
    expect(bytesToHex(key.publicKey)).toBe(tlog.ed25519_public_hex);
    expect(key.text).toBe(tlog.verifier_key);
  });

  it.each(sizes)(
    'reproduces the signed checkpoint at size %s byte for byte and verifies it',
    (size) => {
      const signer = createNoteSigner(tlog.key_name, hexToBytes(tlog.ed25519_seed_hex), crypto);
      const cp = {
        origin: tlog.origin,
        treeSize: Number(size),
        rootHash: hexToBytes(tlog.roots[size]!),
        extensions: [],
      };
      const expected = tlog.checkpoints[size]!;
      expect(expected.startsWith(formatCheckpoint(cp) + '\n')).toBe(true);
      expect(signCheckpoint(cp, signer)).toBe(expected);

      const verified = verifyCheckpoint(
        expected,
        parseVerifierKey(tlog.verifier_key, crypto),
        crypto,
      );
      expect(verified.origin).toBe(tlog.origin);
      expect(verified.treeSize).toBe(Number(size));
      expect(bytesToHex(verified.rootHash)).toBe(tlog.roots[size]);
      expect(verified.extensions).toEqual([]);
    },
  );
});

it('covers every checkpoint in the vectors (sizes 1..13)', () => {
  expect(sizes).toEqual(Array.from({ length: 13 }, (_, i) => String(i + 1)));
});
