import { describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  concatBytes,
  createNoteSigner,
  hexToBytes,
  LogproofError,
  openNote,
  parseVerifierKey,
  signNote,
  type LogproofErrorCode,
  type NoteSigner,
  type VerifierKey,
} from '../src/index.js';

const SEED_A = hexToBytes('5e4c23f7098b342513abd4eabb89517ba2e1479b16e754771a3dc02bbcbbba78');
const SEED_B = new Uint8Array(32).fill(7);
const alice = createNoteSigner('example.com/alice', SEED_A);
const bob = createNoteSigner('example.com/bob', SEED_B);
const aliceKey = parseVerifierKey(alice.verifierKey);
const bobKey = parseVerifierKey(bob.verifierKey);
const TEXT = 'hello\nworld\n';
const NOTE = signNote(TEXT, [alice]);

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

/** A signature line by `signer`'s name and key ID over arbitrary bytes. */
function signatureLine(signer: NoteSigner, signature: Uint8Array): string {
  return `\u2014 ${signer.name} ${bytesToBase64(concatBytes(signer.keyId, signature))}\n`;
}

function signatureBlock(note: string): string {
  return note.slice(note.lastIndexOf('\n\n') + 2);
}

describe('signNote', () => {
  it('writes the text, a blank line and one em-dash line per signer', () => {
    const note = signNote(TEXT, [alice, bob]);
    const lines = note.split('\n');
    expect(note.startsWith(TEXT + '\n')).toBe(true);
    expect(lines[3]).toMatch(/^\u2014 example\.com\/alice [A-Za-z0-9+/]{91}=$/);
    expect(lines[4]).toMatch(/^\u2014 example\.com\/bob [A-Za-z0-9+/]{91}=$/);
    expect(note.endsWith('\n')).toBe(true);
  });

  it('signs text that itself contains blank lines', () => {
    const text = 'a\n\nb\n\n';
    expect(openNote(signNote(text, [alice]), [aliceKey]).text).toBe(text);
  });

  it.each([
    ['text without a final newline', 'hello'],
    ['empty text', ''],
    ['a carriage return', 'hello\r\n'],
    ['a tab', 'a\tb\n'],
    ['a lone surrogate', 'a\ud800\n'],
  ])('refuses %s', (_, text) => {
    expectCode(() => signNote(text, [alice]), 'ERR_NOTE_MALFORMED');
  });

  it('refuses to sign with no signer', () => {
    expectCode(() => signNote(TEXT, []), 'ERR_NOTE_MALFORMED');
  });

  it('refuses to produce a note over 1 MiB', () => {
    expectCode(() => signNote('x'.repeat(1024 * 1024) + '\n', [alice]), 'ERR_NOTE_MALFORMED');
  });
});

describe('openNote', () => {
  it('returns the text, its signatures and the keys that verified it', () => {
    const opened = openNote(NOTE, [aliceKey]);
    expect(opened.text).toBe(TEXT);
    expect(opened.verifiedBy).toEqual([aliceKey]);
    expect(opened.signatures).toHaveLength(1);
    expect(opened.signatures[0]).toMatchObject({
      name: 'example.com/alice',
      keyIdHex: alice.keyIdHex,
    });
    expect(opened.signatures[0]!.signature).toEqual(alice.sign(new TextEncoder().encode(TEXT)));
  });

  it('ignores a signature by an unknown key when a known key verifies', () => {
    const opened = openNote(signNote(TEXT, [bob, alice]), [aliceKey]);
    expect(opened.verifiedBy).toEqual([aliceKey]);
    expect(opened.signatures.map((s) => s.name)).toEqual(['example.com/bob', 'example.com/alice']);
  });

  it('ignores a bad signature by an unknown key', () => {
    const note = NOTE + signatureLine(bob, new Uint8Array(64));
    expect(openNote(note, [aliceKey]).verifiedBy).toEqual([aliceKey]);
  });

  it('ignores a signature sharing only the name of a known key', () => {
    const impostor = createNoteSigner('example.com/alice', SEED_B);
    expect(openNote(signNote(TEXT, [impostor, alice]), [aliceKey]).verifiedBy).toEqual([aliceKey]);
  });

  it('rejects a note signed only by unknown keys as unverified', () => {
    expectCode(() => openNote(signNote(TEXT, [bob]), [aliceKey]), 'ERR_NOTE_UNVERIFIED');
  });

  it('rejects a note when no verifier is given', () => {
    expectCode(() => openNote(NOTE, []), 'ERR_NOTE_UNVERIFIED');
  });

  it('rejects a note whose known key signature is bad, even beside a good one', () => {
    const forged = TEXT + '\n' + signatureLine(bob, new Uint8Array(64));
    expectCode(() => openNote(forged, [bobKey]), 'ERR_SIGNATURE_INVALID');
    expectCode(
      () => openNote(signNote(TEXT, [alice]) + signatureBlock(forged), [aliceKey, bobKey]),
      'ERR_SIGNATURE_INVALID',
    );
  });

  it('rejects a second, different signature by the same known key', () => {
    const other = signatureLine(alice, alice.sign(new TextEncoder().encode('other\n')));
    expectCode(() => openNote(NOTE + other, [aliceKey]), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects a signature by a known key over different text', () => {
    expectCode(
      () => openNote('hello\nWorld\n\n' + signatureBlock(NOTE), [aliceKey]),
      'ERR_SIGNATURE_INVALID',
    );
  });

  it('rejects a known key signature that is 4 bytes short', () => {
    const signature = alice.sign(new TextEncoder().encode(TEXT)).slice(0, 60);
    expectCode(
      () => openNote(TEXT + '\n' + signatureLine(alice, signature), [aliceKey]),
      'ERR_SIGNATURE_INVALID',
    );
  });

  it('drops repeated identical signature lines', () => {
    const opened = openNote(NOTE + signatureBlock(NOTE), [aliceKey]);
    expect(opened.signatures).toHaveLength(1);
  });

  it('reads a second blank line in the signature block as the end of the text, so the signature no longer verifies', () => {
    const note = signNote(TEXT, [alice, bob]);
    const [first, second] = signatureBlock(note).split('\n');
    const tampered = TEXT + '\n' + first + '\n\n' + second + '\n';
    expectCode(() => openNote(tampered, [aliceKey, bobKey]), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects two different verifier keys that share a name and key ID', () => {
    const clash: VerifierKey = {
      ...bobKey,
      name: aliceKey.name,
      keyId: aliceKey.keyId,
      keyIdHex: aliceKey.keyIdHex,
    };
    expectCode(() => openNote(NOTE, [aliceKey, clash]), 'ERR_VERIFIER_KEY');
  });

  it('rejects a verifier that is not a parsed key', () => {
    expectCode(() => openNote(NOTE, [{} as VerifierKey]), 'ERR_VERIFIER_KEY');
  });

  const malformed: [string, () => string | Uint8Array][] = [
    ['a carriage return', () => NOTE.replace('hello\n', 'hello\r\n')],
    ['a tab', () => NOTE.replace('hello', 'hel\tlo')],
    ['a NUL byte', () => NOTE.replace('hello', 'hel\u0000lo')],
    ['an escape character', () => NOTE.replace('hello', '\u001b[31mhello')],
    ['a control character in the signature line', () => NOTE.replace('\u2014 ', '\u2014\u000b')],
    ['no final newline', () => NOTE.slice(0, -1)],
    ['no blank line', () => NOTE.replace('\n\n', '\n')],
    ['an empty signature block', () => TEXT + '\n'],
    ['a trailing blank line after the signatures', () => NOTE + '\n'],
    ['a signature line without the em dash', () => NOTE.replace('\u2014 ', '- ')],
    ['an en dash instead of the em dash', () => NOTE.replace('\u2014', '\u2013')],
    ['no space after the em dash', () => NOTE.replace('\u2014 ', '\u2014')],
    ['no signature after the name', () => TEXT + '\n\u2014 example.com/alice\n'],
    ['an empty signature after the name', () => TEXT + '\n\u2014 example.com/alice \n'],
    ['two spaces after the name', () => NOTE.replace('alice ', 'alice  ')],
    ['a name with a plus sign', () => NOTE.replace('example.com/alice', 'example.com+alice')],
    ['invalid base64', () => NOTE.replace(/(alice )[A-Za-z0-9+/]{4}/, '$1!!!!')],
    ['non-canonical base64', () => TEXT + '\n\u2014 example.com/alice vJKCOx==\n'],
    ['base64 without padding', () => NOTE.replace(/=\n$/, '\n')],
    [
      'a signature holding only a key ID',
      () => TEXT + '\n' + signatureLine(alice, new Uint8Array(0)),
    ],
    ['a lone surrogate', () => NOTE.replace('hello', 'hel\ud800lo')],
    [
      'invalid UTF-8 bytes',
      () => concatBytes(Uint8Array.of(0xff, 0x0a), new TextEncoder().encode(NOTE)),
    ],
    [
      'an overlong UTF-8 encoding',
      () => concatBytes(Uint8Array.of(0xc0, 0x8a), new TextEncoder().encode(NOTE)),
    ],
    [
      '101 signatures',
      () =>
        NOTE +
        signatureBlock(
          signNote(
            TEXT,
            Array.from({ length: 100 }, () => bob),
          ),
        ),
    ],
    ['more than 1 MiB', () => 'x'.repeat(1024 * 1024) + '\n' + NOTE],
    ['more than 1 MiB of bytes', () => new Uint8Array(1024 * 1024 + 1).fill(0x61)],
    ['more than 1 MiB once encoded', () => '\u00e9'.repeat(512 * 1024) + '\n' + NOTE],
  ];
  it.each(malformed)('rejects a note with %s as malformed', (_, make) => {
    expectCode(() => openNote(make(), [aliceKey]), 'ERR_NOTE_MALFORMED');
  });

  it('accepts 100 signatures', () => {
    const note = signNote(TEXT, [alice, ...Array.from({ length: 99 }, () => bob)]);
    expect(openNote(note, [aliceKey]).verifiedBy).toEqual([aliceKey]);
  });

  it('rejects a value that is neither a string nor bytes with a typed error', () => {
    expectCode(() => openNote(null as unknown as string, [aliceKey]), 'ERR_NOTE_MALFORMED');
    expectCode(
      () => openNote({ length: 3 } as unknown as string, [aliceKey]),
      'ERR_NOTE_MALFORMED',
    );
  });
});
