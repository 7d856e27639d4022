import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  bytesToBase64,
  createNoteSigner,
  nobleCrypto,
  signEvent,
  verifyEventSignature,
  type CryptoProvider,
} from '../src/index.js';
import { createNodeCrypto } from '../src/node-crypto.js';

const canonical = new TextEncoder().encode('{"action":"user.login","v":1}');
const signer = createNoteSigner('logproof.local/org_1', new Uint8Array(32).fill(9));
const signature = signEvent(canonical, signer);

describe('signEvent', () => {
  it('is base64 of the 64-byte Ed25519 signature over the canonical bytes (PROOFS.md §6)', () => {
    expect(signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(base64ToBytes(signature)).toEqual(signer.sign(canonical));
  });

  it('signs with any object that has a sign method, such as a provider signer', () => {
    const raw = nobleCrypto.ed25519Signer(new Uint8Array(32).fill(9));
    expect(signEvent(canonical, raw)).toBe(signature);
  });
});

describe.each<[string, CryptoProvider]>([
  ['nobleCrypto', nobleCrypto],
  ['createNodeCrypto()', createNodeCrypto()],
])('verifyEventSignature with %s', (_, crypto) => {
  it('accepts the signature of the canonical bytes', () => {
    expect(verifyEventSignature(canonical, signature, signer.publicKey, crypto)).toBe(true);
  });

  it('rejects the signature of other bytes', () => {
    expect(
      verifyEventSignature(new TextEncoder().encode('{}'), signature, signer.publicKey, crypto),
    ).toBe(false);
  });

  it('rejects another key', () => {
    const other = createNoteSigner('logproof.local/org_1', new Uint8Array(32).fill(8));
    expect(verifyEventSignature(canonical, signature, other.publicKey, crypto)).toBe(false);
  });

  it.each<[string, unknown, unknown, unknown]>([
    ['an empty signature', canonical, '', signer.publicKey],
    ['a signature that is not base64', canonical, '!'.repeat(88), signer.publicKey],
    [
      'a non-canonical base64 signature',
      canonical,
      signature.replace(/.==$/, 'B=='),
      signer.publicKey,
    ],
    [
      'a 63-byte signature',
      canonical,
      bytesToBase64(base64ToBytes(signature).slice(1)),
      signer.publicKey,
    ],
    ['a 66-byte signature', canonical, signature.slice(0, -2) + 'AA', signer.publicKey],
    ['a signature with whitespace', canonical, ` ${signature}`, signer.publicKey],
    ['a 31-byte public key', canonical, signature, signer.publicKey.slice(1)],
    ['a public key that is not a curve point', canonical, signature, new Uint8Array(32).fill(0xff)],
    ['a signature that is not a string', canonical, 42, signer.publicKey],
    ['canonical bytes that are not bytes', 'text', signature, signer.publicKey],
    ['a public key that is not bytes', canonical, signature, null],
  ])('returns false, without throwing, for %s', (_, bytes, sig, publicKey) => {
    expect(
      verifyEventSignature(bytes as Uint8Array, sig as string, publicKey as Uint8Array, crypto),
    ).toBe(false);
  });
});
