// The q language (API.md "Reading"): what it accepts, the tree it builds, and
// that every refusal is a QueryInputError naming the 0-based position.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QUERY_LIMITS, type QueryNode } from '../src/query/query-ast.js';
import { QueryInputError, type QueryInputErrorCode } from '../src/query/query-error.js';
import { parseQuery } from '../src/query/query-validate.js';

const match = (
  field: string,
  value: string,
  prefix = false,
  key: string | null = null,
): QueryNode => ({ kind: 'match', field, key, value, prefix }) as QueryNode;

function refusal(text: string): QueryInputError {
  try {
    parseQuery(text);
  } catch (error) {
    expect(error).toBeInstanceOf(QueryInputError);
    return error as QueryInputError;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

describe('parseQuery', () => {
  describe('accepts', () => {
    it('a single field:value term as an exact match', () => {
      expect(parseQuery('action:user.login')).toEqual(match('action', 'user.login'));
    });

    it('every allow-listed field and metadata.<key>, keys with dots included', () => {
      for (const field of [
        'action',
        'actor.id',
        'actor.type',
        'actor.name',
        'actor.email',
        'target.id',
        'target.type',
        'context.ip',
      ]) {
        expect(parseQuery(`${field}:x`)).toEqual(match(field, 'x'));
      }
      expect(parseQuery('metadata.invoice.total_cents:1200')).toEqual(
        match('metadata', '1200', false, 'invoice.total_cents'),
      );
    });

    it('a trailing * as a prefix match, and field:* as "has the field"', () => {
      expect(parseQuery('action:user.*')).toEqual(match('action', 'user.', true));
      expect(parseQuery('actor.email:*')).toEqual(match('actor.email', '', true));
    });

    it('quoted phrases with escapes, in which * is literal', () => {
      expect(parseQuery('actor.name:"Ada \\"the\\" Lovelace"')).toEqual(
        match('actor.name', 'Ada "the" Lovelace'),
      );
      expect(parseQuery('metadata.note:"50% off*"')).toEqual(
        match('metadata', '50% off*', false, 'note'),
      );
      expect(parseQuery('actor.name:""')).toEqual(match('actor.name', ''));
    });

    it('backslash escapes in bare values', () => {
      expect(parseQuery('metadata.note:a\\ b\\*\\(c\\)')).toEqual(
        match('metadata', 'a b*(c)', false, 'note'),
      );
      expect(parseQuery('actor.id:\\"x')).toEqual(match('actor.id', '"x'));
    });

    it('colons inside values: IPv6 addresses and timestamps need no quoting', () => {
      expect(parseQuery('context.ip:2001:db8::1')).toEqual(match('context.ip', '2001:db8::1'));
      const t = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
      expect(parseQuery('occurred_at:2026-01-02T03:04:05.006Z')).toEqual({
        kind: 'time',
        from: { ms: t, inclusive: true },
        to: { ms: t, inclusive: true },
      });
    });

    it('occurred_at ranges: inclusive, exclusive, mixed and open', () => {
      const a = Date.UTC(2026, 0, 1);
      const b = Date.UTC(2026, 1, 1);
      expect(parseQuery('occurred_at:[2026-01-01T00:00:00Z TO 2026-02-01T00:00:00Z]')).toEqual({
        kind: 'time',
        from: { ms: a, inclusive: true },
        to: { ms: b, inclusive: true },
      });
      expect(parseQuery('occurred_at:{2026-01-01T00:00:00Z TO 2026-02-01T00:00:00Z]')).toEqual({
        kind: 'time',
        from: { ms: a, inclusive: false },
        to: { ms: b, inclusive: true },
      });
      expect(parseQuery('occurred_at:[* TO 2026-02-01T01:00:00+01:00}')).toEqual({
        kind: 'time',
        from: null,
        to: { ms: b, inclusive: false },
      });
      expect(parseQuery('occurred_at:[ "2026-01-01T00:00:00Z"  TO  * ]')).toEqual({
        kind: 'time',
        from: { ms: a, inclusive: true },
        to: null,
      });
    });

    it('AND binds tighter than OR; clauses side by side mean AND', () => {
      expect(parseQuery('action:a OR actor.id:b AND actor.type:c')).toEqual({
        kind: 'or',
        children: [
          match('action', 'a'),
          { kind: 'and', children: [match('actor.id', 'b'), match('actor.type', 'c')] },
        ],
      });
      expect(parseQuery('action:a actor.id:b')).toEqual(parseQuery('action:a AND actor.id:b'));
    });

    it('NOT and parentheses, flattening nested ANDs and ORs', () => {
      expect(
        parseQuery('NOT (action:a OR (action:b OR action:c)) AND (actor.id:x AND actor.id:y)'),
      ).toEqual({
        kind: 'and',
        children: [
          {
            kind: 'not',
            child: {
              kind: 'or',
              children: [match('action', 'a'), match('action', 'b'), match('action', 'c')],
            },
          },
          match('actor.id', 'x'),
          match('actor.id', 'y'),
        ],
      });
    });

    it('field groups: field:(a OR b*) applies the field to each bare value', () => {
      expect(parseQuery('action:(user.login OR NOT billing.* "x y")')).toEqual({
        kind: 'or',
        children: [
          match('action', 'user.login'),
          {
            kind: 'and',
            children: [
              { kind: 'not', child: match('action', 'billing.', true) },
              match('action', 'x y'),
            ],
          },
        ],
      });
    });

    it('lower-case and, or, not as values, never as operators', () => {
      expect(parseQuery('actor.id:and')).toEqual(match('actor.id', 'and'));
      expect(parseQuery('metadata.x:AND')).toEqual(match('metadata', 'AND', false, 'x'));
    });

    it('injection-shaped values as plain values, which only ever become parameters', () => {
      expect(parseQuery(`action:"x' OR 1=1 --"`)).toEqual(match('action', "x' OR 1=1 --"));
      expect(parseQuery(`actor.id:x';--`)).toEqual(match('actor.id', "x';--"));
      expect(parseQuery(`metadata.note:"'); DROP TABLE events; --"`)).toEqual(
        match('metadata', "'); DROP TABLE events; --", false, 'note'),
      );
    });

    it(`up to ${QUERY_LIMITS.maxTerms} terms and ${QUERY_LIMITS.maxDepth} levels`, () => {
      const terms = Array.from({ length: QUERY_LIMITS.maxTerms }, (_, i) => `actor.id:u${i}`).join(
        ' OR ',
      );
      expect(parseQuery(terms)).toMatchObject({ kind: 'or' });
      const d = QUERY_LIMITS.maxDepth;
      expect(parseQuery(`${'('.repeat(d)}action:x${')'.repeat(d)}`)).toEqual(match('action', 'x'));
      expect(parseQuery(`${'NOT '.repeat(d)}action:x`)).toMatchObject({ kind: 'not' });
    });
  });

  describe('refuses, naming the position', () => {
    const d = QUERY_LIMITS.maxDepth;
    const cases: Array<[string, string, QueryInputErrorCode, number]> = [
      ['an empty query', '   ', 'syntax_error', 0],
      ['an unbalanced ")"', 'action:user.login)', 'syntax_error', 17],
      ['an unbalanced "("', 'actor.id:x AND (action:a OR action:b', 'syntax_error', 15],
      ['an unclosed field group', 'action:(a OR b', 'syntax_error', 7],
      ['empty parentheses', 'action:x AND ()', 'syntax_error', 13],
      ['a dangling AND', 'action:x AND', 'syntax_error', 12],
      ['a leading OR', 'OR action:x', 'syntax_error', 0],
      ['AND OR', 'action:x AND OR action:y', 'syntax_error', 13],
      ['a bare word', 'action:x login', 'syntax_error', 9],
      ['a bare phrase', '"user login"', 'syntax_error', 0],
      ['a missing field name', ':x', 'syntax_error', 0],
      ['a missing value', 'action: x', 'syntax_error', 7],
      ['a missing value at the end', 'action:', 'syntax_error', 7],
      ['an unterminated phrase', 'actor.name:"Ada', 'syntax_error', 11],
      ['text glued to a phrase', 'actor.name:"Ada"x', 'syntax_error', 16],
      ['a quote inside a bare value', 'actor.name:Ad"a', 'syntax_error', 13],
      ['a lone trailing backslash', 'actor.id:x\\', 'syntax_error', 10],
      ['an unknown field', 'actor.id:x AND colour:red', 'unknown_field', 15],
      ['a column name as a field', 'canonical:x', 'unknown_field', 0],
      ['an upper-case field', 'ACTION:x', 'unknown_field', 0],
      ['an empty metadata key', 'metadata.:x', 'unknown_field', 0],
      ['a metadata key of __proto__', 'metadata.__proto__:x', 'unknown_field', 0],
      ['a metadata key with a quote', `metadata.a'b:x`, 'unknown_field', 0],
      ['a leading wildcard', 'action:*.login', 'invalid_value', 7],
      ['an inner wildcard', 'action:user*login', 'invalid_value', 11],
      ['two wildcards', 'action:us**', 'invalid_value', 9],
      ['a ? wildcard', 'action:us?r', 'invalid_value', 9],
      ['a range on a text field', 'actor.id:[a TO b]', 'invalid_value', 0],
      ['a wildcard on occurred_at', 'occurred_at:2026*', 'invalid_value', 12],
      ['a malformed timestamp', 'occurred_at:yesterday', 'invalid_value', 12],
      [
        'an impossible date in a range',
        'occurred_at:[2026-02-30T00:00:00Z TO *]',
        'invalid_value',
        13,
      ],
      ['a range without TO', 'occurred_at:[2026-01-01T00:00:00Z *]', 'syntax_error', 34],
      ['a range glued to TO', 'occurred_at:[*TO *]', 'syntax_error', 17],
      ['an unterminated range', 'occurred_at:[* TO *', 'syntax_error', 12],
      ['a range missing its end', 'occurred_at:[* TO ]', 'syntax_error', 18],
      ['nesting too deep', `${'('.repeat(d + 1)}action:x${')'.repeat(d + 1)}`, 'too_deep', d],
      ['NOT nested too deep', `${'NOT '.repeat(d + 1)}action:x`, 'too_deep', 4 * d],
      [
        'field groups nested too deep',
        `action:${'('.repeat(d + 1)}x${')'.repeat(d + 1)}`,
        'too_deep',
        7 + d,
      ],
      ['a lone surrogate', 'actor.name:a\ud800b', 'invalid_value', 12],
      ['an injection after a quote', `actor.id:x' OR '1'='1`, 'syntax_error', 15],
      ['a statement after a value', `action:x; DROP TABLE events; --`, 'syntax_error', 10],
      ['a parenthesis in a field name', `metadata.x') OR 1=1 --:y`, 'syntax_error', 0],
    ];
    it.each(cases)('%s', (_, text, code, position) => {
      const error = refusal(text);
      expect({ code: error.code, position: error.position, param: error.param }).toEqual({
        code,
        position,
        param: 'q',
      });
      expect(error.message).toMatch(new RegExp(`^q: .+ at position ${position}$`));
    });

    it(`more than ${QUERY_LIMITS.maxTerms} terms, at the first one too many`, () => {
      const terms = Array.from(
        { length: QUERY_LIMITS.maxTerms + 1 },
        (_, i) => `actor.id:u${i % 10}`,
      );
      const text = terms.join(' OR ');
      const error = refusal(text);
      expect(error.code).toBe('too_many_terms');
      expect(error.position).toBe(text.lastIndexOf('u'));
    });

    it('1000 terms', () => {
      const error = refusal(Array.from({ length: 1000 }, () => 'a:1').join(' OR '));
      expect(error.code).toBe('too_long');
      const short = refusal(
        Array.from({ length: 1000 }, () => 'a:1')
          .join(' ')
          .slice(0, QUERY_LIMITS.maxLength),
      );
      expect(short.code).toBe('too_many_terms');
    });

    it(`a query longer than ${QUERY_LIMITS.maxLength} characters, before reading it`, () => {
      const error = refusal(`actor.id:${'x'.repeat(QUERY_LIMITS.maxLength)}`);
      expect(error).toMatchObject({ code: 'too_long', position: QUERY_LIMITS.maxLength });
    });

    it('thousands of open parentheses without exhausting the stack', () => {
      const error = refusal('('.repeat(QUERY_LIMITS.maxLength));
      expect(error).toMatchObject({ code: 'too_deep', position: QUERY_LIMITS.maxDepth });
    });
  });

  describe('on arbitrary input', () => {
    it('either returns a tree or throws QueryInputError with a position inside the text', () => {
      const alphabet = fc.constantFrom(
        ...'ab:*?"\\()[]{} \tANDORNOTTO.-_\'=;'.split(''),
        'action:',
        'metadata.x:',
        'occurred_at:',
        ' AND ',
        ' OR ',
        'NOT ',
        '2026-01-01T00:00:00Z',
        '\u{1F600}',
      );
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 80, unit: 'grapheme' }),
            fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')),
          ),
          (text) => {
            try {
              parseQuery(text);
            } catch (error) {
              if (!(error instanceof QueryInputError)) throw error;
              expect(error.param).toBe('q');
              expect(error.position).not.toBeNull();
              expect(error.position!).toBeGreaterThanOrEqual(0);
              expect(error.position!).toBeLessThanOrEqual(
                Math.max(text.length, QUERY_LIMITS.maxLength),
              );
            }
          },
        ),
        { numRuns: 3000 },
      );
    });
  });
});
