import { describe, expect, it } from 'vitest';
import {
  createNoteSigner,
  formatCheckpoint,
  hexToBytes,
  LogproofError,
  parseCheckpoint,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  verifyCheckpoint,
  type Checkpoint,
  type LogproofErrorCode,
} from '../src/index.js';

const ORIGIN = 'example.com/acme-prod';
const SEED = hexToBytes('5e4c23f7098b342513abd4eabb89517ba2e1479b16e754771a3dc02bbcbbba78');
const ROOT = hexToBytes('ce97f6ac22e241668b44a1af9c89f910fabc6878456332831327c3737b7f1371');
const ROOT_B64 = 'zpf2rCLiQWaLRKGvnIn5EPq8aHhFYzKDEyfDc3t/E3E=';
const signer = createNoteSigner(ORIGIN, SEED);
const key = parseVerifierKey(signer.verifierKey);
const CP: Checkpoint = { origin: ORIGIN, treeSize: 1, rootHash: ROOT, extensions: [] };

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

describe('formatCheckpoint', () => {
  it('writes origin, size and base64 root, each ending in a newline', () => {
    expect(formatCheckpoint(CP)).toBe(`${ORIGIN}\n1\n${ROOT_B64}\n`);
  });

  it('writes extension lines after the root', () => {
    expect(formatCheckpoint({ ...CP, extensions: ['ext one', 'two'] })).toBe(
      `${ORIGIN}\n1\n${ROOT_B64}\next one\ntwo\n`,
    );
  });

  it('writes the largest safe tree size in plain decimal', () => {
    expect(formatCheckpoint({ ...CP, treeSize: Number.MAX_SAFE_INTEGER })).toContain(
      '\n9007199254740991\n',
    );
  });

  it.each<[string, Partial<Checkpoint>]>([
    ['an empty origin', { origin: '' }],
    ['an origin with a newline', { origin: 'a\nb' }],
    ['an origin with a control character', { origin: 'a\u0000b' }],
    ['a negative size', { treeSize: -1 }],
    ['a fractional size', { treeSize: 1.5 }],
    ['an unsafe size', { treeSize: 2 ** 53 }],
    ['a NaN size', { treeSize: NaN }],
    ['a 31-byte root', { rootHash: ROOT.slice(1) }],
    ['an empty extension line', { extensions: [''] }],
    ['an extension line with a newline', { extensions: ['a\nb'] }],
  ])('refuses %s', (_, change) => {
    expectCode(() => formatCheckpoint({ ...CP, ...change }), 'ERR_CHECKPOINT_MALFORMED');
  });
});

describe('parseCheckpoint', () => {
  it('reads what formatCheckpoint writes', () => {
    const cp = { ...CP, treeSize: 20852163, extensions: ['x'] };
    expect(parseCheckpoint(formatCheckpoint(cp))).toEqual(cp);
  });

  it('reads the C2SP tlog-checkpoint example body', () => {
    const cp = parseCheckpoint(
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.treeSize).toBe(20852163);
    expect(cp.rootHash).toHaveLength(32);
  });

  it('reads size 0 and size 2^53-1', () => {
    expect(parseCheckpoint(`${ORIGIN}\n0\n${ROOT_B64}\n`).treeSize).toBe(0);
    expect(parseCheckpoint(`${ORIGIN}\n9007199254740991\n${ROOT_B64}\n`).treeSize).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it.each([
    ['a leading zero in the size', `${ORIGIN}\n01\n${ROOT_B64}\n`],
    ['a size of 00', `${ORIGIN}\n00\n${ROOT_B64}\n`],
    ['a size of 2^53', `${ORIGIN}\n9007199254740992\n${ROOT_B64}\n`],
    ['a 20-digit size', `${ORIGIN}\n18446744073709551616\n${ROOT_B64}\n`],
    ['a size of -1', `${ORIGIN}\n-1\n${ROOT_B64}\n`],
    ['a size of +1', `${ORIGIN}\n+1\n${ROOT_B64}\n`],
    ['a size of 1.0', `${ORIGIN}\n1.0\n${ROOT_B64}\n`],
    ['a size of 1e3', `${ORIGIN}\n1e3\n${ROOT_B64}\n`],
    ['a hex size', `${ORIGIN}\n0x1\n${ROOT_B64}\n`],
    ['a size with a space', `${ORIGIN}\n 1\n${ROOT_B64}\n`],
    ['an empty size', `${ORIGIN}\n\n${ROOT_B64}\n`],
    ['an empty origin', `\n1\n${ROOT_B64}\n`],
    ['a 31-byte root', `${ORIGIN}\n1\nzpf2rCLiQWaLRKGvnIn5EPq8aHhFYzKDEyfDc3t/Ew==\n`],
    ['a 33-byte root', `${ORIGIN}\n1\nzpf2rCLiQWaLRKGvnIn5EPq8aHhFYzKDEyfDc3t/E3EA\n`],
    ['a non-canonical base64 root', `${ORIGIN}\n1\nzpf2rCLiQWaLRKGvnIn5EPq8aHhFYzKDEyfDc3t/E3F=\n`],
    ['an unpadded base64 root', `${ORIGIN}\n1\nzpf2rCLiQWaLRKGvnIn5EPq8aHhFYzKDEyfDc3t/E3E\n`],
    ['a base64url root', `${ORIGIN}\n1\nzpf2rCLiQWaLRKGvnIn5EPq8aHhFYzKDEyfDc3t_E3E=\n`],
    [
      'a hex root',
      `${ORIGIN}\n1\nce97f6ac22e241668b44a1af9c89f910fabc6878456332831327c3737b7f1371\n`,
    ],
    ['an empty root line', `${ORIGIN}\n1\n\n`],
    ['a missing root line', `${ORIGIN}\n1\n`],
    ['only an origin', `${ORIGIN}\n`],
    ['an empty body', ''],
    ['no final newline', `${ORIGIN}\n1\n${ROOT_B64}`],
    ['an empty extension line', `${ORIGIN}\n1\n${ROOT_B64}\n\n`],
    ['a carriage return', `${ORIGIN}\r\n1\n${ROOT_B64}\n`],
  ])('rejects a body with %s', (_, body) => {
    expectCode(() => parseCheckpoint(body), 'ERR_CHECKPOINT_MALFORMED');
  });
});

describe('signCheckpoint', () => {
  it('refuses a signer whose key name is not the origin', () => {
    expectCode(
      () => signCheckpoint({ ...CP, origin: 'example.com/other' }, signer),
      'ERR_SIGNER_KEY',
    );
  });
});

describe('verifyCheckpoint', () => {
  const note = signCheckpoint(CP, signer);

  it('returns the checkpoint and the opened note', () => {
    const verified = verifyCheckpoint(note, key);
    expect(verified).toMatchObject({ origin: ORIGIN, treeSize: 1, rootHash: ROOT, extensions: [] });
    expect(verified.note.verifiedBy).toEqual([key]);
    expect(verified.note.text).toBe(formatCheckpoint(CP));
  });

  it('takes a list of keys, such as the current and a retired one', () => {
    const retired = parseVerifierKey(
      createNoteSigner(ORIGIN, new Uint8Array(32).fill(1)).verifierKey,
    );
    expect(verifyCheckpoint(note, [retired, key]).treeSize).toBe(1);
  });

  it('rejects a checkpoint whose origin differs from the key name', () => {
    const other = createNoteSigner('example.com/other', SEED);
    const body = formatCheckpoint(CP); // origin example.com/acme-prod, signed by example.com/other
    expectCode(
      () => verifyCheckpoint(signNote(body, [other]), parseVerifierKey(other.verifierKey)),
      'ERR_NOTE_UNVERIFIED',
    );
  });

  it('rejects a checkpoint verified by a witness key but not by the log key', () => {
    const witness = createNoteSigner('witness.example/w1', new Uint8Array(32).fill(2));
    const both = signNote(formatCheckpoint(CP), [signer, witness]);
    const witnessKey = parseVerifierKey(witness.verifierKey);
    expectCode(() => verifyCheckpoint(both, witnessKey), 'ERR_NOTE_UNVERIFIED');
    expect(verifyCheckpoint(both, [witnessKey, key]).note.verifiedBy).toEqual([key, witnessKey]);
  });

  it('rejects a signed note whose body is not a checkpoint', () => {
    expectCode(
      () => verifyCheckpoint(signNote(`${ORIGIN}\n01\n${ROOT_B64}\n`, [signer]), key),
      'ERR_CHECKPOINT_MALFORMED',
    );
    expectCode(
      () => verifyCheckpoint(signNote(`${ORIGIN}\n1\n`, [signer]), key),
      'ERR_CHECKPOINT_MALFORMED',
    );
  });

  it('rejects a checkpoint signed by another key of the same name', () => {
    const impostor = createNoteSigner(ORIGIN, new Uint8Array(32).fill(3));
    expectCode(() => verifyCheckpoint(signCheckpoint(CP, impostor), key), 'ERR_NOTE_UNVERIFIED');
  });

  it('rejects a checkpoint whose size was changed', () => {
    expectCode(
      () => verifyCheckpoint(note.replace(`${ORIGIN}\n1\n`, `${ORIGIN}\n2\n`), key),
      'ERR_SIGNATURE_INVALID',
    );
  });

  it('rejects a malformed note before looking at the body', () => {
    expectCode(() => verifyCheckpoint(note.slice(0, -1), key), 'ERR_NOTE_MALFORMED');
  });
});
