import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  canonicalJson,
  canonicalizeEntry,
  isLogproofError,
  type EventEntry,
} from '../src/index.js';

function expectRefused(value: unknown, message?: RegExp): void {
  try {
    canonicalJson(value);
    expect.unreachable('the value was canonicalised');
  } catch (error) {
    expect(isLogproofError(error, 'ERR_CANONICAL_JSON'), String(error)).toBe(true);
    if (message) expect((error as Error).message).toMatch(message);
  }
}

describe('canonicalJson against RFC 8785', () => {
  it('reproduces the sample of RFC 8785 §3.2.2', () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it('sorts members by UTF-16 code units as in RFC 8785 §3.2.3, a non-BMP name before U+FB33', () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`;
    const expected =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it("reproduces the reference implementation's weird.json vector (cyberphone/json-canonicalization testdata)", () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign",
      "1": "One",
      "\u0080": "Control\u007f",
      "\ud83d\ude02": "Smiley",
      "\u00f6": "Latin Small Letter O With Diaeresis",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "</script>": "Browser Challenge"
    }`;
    const expected =
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it('writes numbers as RFC 8785 Appendix B lists them', () => {
    const vectors: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    const view = new DataView(new ArrayBuffer(8));
    for (const [bits, expected] of vectors) {
      view.setBigUint64(0, BigInt(`0x${bits}`));
      expect(canonicalJson(view.getFloat64(0))).toBe(expected);
    }
  });

  it('escapes exactly ", \\ and the C0 controls, with the short forms and lowercase hex', () => {
    const short: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
    for (let code = 0; code < 0x20; code++) {
      const escaped = short[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
      expect(canonicalJson(String.fromCharCode(code))).toBe(`"${escaped}"`);
    }
    expect(canonicalJson('"\\')).toBe('"\\"\\\\"');
    expect(canonicalJson('/\u007f\u0080\u2028\u2029é😀')).toBe('"/\u007f\u0080\u2028\u2029é😀"');
  });

  it('writes no white space and keeps array order', () => {
    expect(canonicalJson({ b: [3, 1, 2], a: { d: null, c: [] } })).toBe(
      '{"a":{"c":[],"d":null},"b":[3,1,2]}',
    );
  });

  it('sorts integer-like member names as strings, not as numbers', () => {
    expect(canonicalJson({ 10: 'a', 2: 'b', 1: 'c', a: 'd' })).toBe(
      '{"1":"c","10":"a","2":"b","a":"d"}',
    );
  });

  it('sorts objects larger than the insertion-sort threshold the same way', () => {
    const names = Array.from(
      { length: 200 },
      (_, i) => `k${(i * 7919) % 1000}\u{1F600}${i % 3 ? 'é' : 'ﬀ'}`,
    );
    const value = Object.fromEntries(names.map((name) => [name, 1]));
    expect(canonicalJson(value)).toBe(canonicalize(value));
  });

  it('accepts null-prototype objects', () => {
    const value = Object.assign(Object.create(null), { b: 1, a: 2 });
    expect(canonicalJson(value)).toBe('{"a":2,"b":1}');
  });
});

describe('canonicalJson refusals', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a bigint', 1n],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    [
      'a class instance',
      new (class Point {
        x = 1;
      })(),
    ],
    ['a boxed string', Object('s')],
    ['a lone high surrogate', '\uD800'],
    ['a lone low surrogate', 'a\uDC00b'],
    ['a reversed surrogate pair', '\uDE00\uD83D'],
  ])('refuses %s with ERR_CANONICAL_JSON', (_name, value) => {
    expectRefused(value);
    expectRefused({ nested: [value] });
  });

  it('names the path of what it refuses', () => {
    expectRefused({ a: [1, { 'b/c': undefined }] }, /^\/a\/1\/b~1c: undefined is not JSON data$/);
    expectRefused({ a: { '\uD800': 1 } }, /^\/a\/\uFFFD: member name contains a lone surrogate$/);
    expectRefused({ list: [0, Number.NaN] }, /^\/list\/1: NaN is not a JSON number$/);
  });

  it('refuses an object with a toJSON method instead of calling it', () => {
    expectRefused({ toJSON: () => 'x' });
  });

  it('refuses symbol-keyed members, cycles and runaway nesting', () => {
    expectRefused({ [Symbol('s')]: 1 }, /symbol keys/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectRefused(cyclic, /^\/self: cyclic reference$/);
    let deep: unknown = 1;
    for (let i = 0; i < 1000; i++) deep = [deep];
    expectRefused(deep, /nesting deeper than 256/);
  });

  it('refuses sparse array holes (they are undefined)', () => {
    // eslint-disable-next-line no-sparse-arrays
    expectRefused([1, , 3]);
  });

  it('turns a throwing getter into ERR_CANONICAL_JSON', () => {
    const value = Object.defineProperty({}, 'x', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    expectRefused(value, /could not be read/);
  });
});

describe('canonicalizeEntry', () => {
  it('refuses numbers that are not safe integers, where canonicalJson accepts them', () => {
    const entry = { v: 1, metadata: { x: 1.5 } } as unknown as EventEntry;
    expect(canonicalJson(entry)).toBe('{"metadata":{"x":1.5},"v":1}');
    expect(() => canonicalizeEntry(entry)).toThrow(/\/metadata\/x: 1.5 is not a safe integer/);
    expect(() => canonicalizeEntry({ v: 2 ** 53 } as unknown as EventEntry)).toThrow(
      expect.objectContaining({ code: 'ERR_CANONICAL_JSON' }),
    );
  });

  it('gives canonicalBytes as the UTF-8 of the canonical text', () => {
    const entry = { v: 1, description: 'é😀' } as unknown as EventEntry;
    expect(Array.from(canonicalBytes(entry))).toEqual(
      Array.from(new TextEncoder().encode('{"description":"é😀","v":1}')),
    );
  });
});

describe('canonicalJson properties', () => {
  const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });

  it("agrees with the canonicalize package (by RFC 8785's authors) on random JSON", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('is a fixed point: canonicalising the parsed canonical text gives the same text', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('does not depend on member insertion order', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 2 })),
        (value) => {
          const reversed = Object.fromEntries(Object.entries(value).reverse());
          expect(canonicalJson(reversed)).toBe(canonicalJson(value));
        },
      ),
    );
  });
});
