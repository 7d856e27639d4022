import { QUERY_LIMITS } from './query-ast.js';
import { QueryInputError } from './query-error.js';

// A small hand-written recursive-descent parser rather than the `lucene`
// package, for three reasons. (1) Hostile input: the limits on length, depth
// and terms are enforced while parsing, so `((((...` or `NOT NOT NOT ...`
// can never exhaust the stack, which a generated PEG parser recursing on
// its own would. (2) Errors: every refusal names a 0-based position and says
// what was expected, in the words of this subset. (3) Scope: we accept a
// strict subset (no fuzzy `~`, boosts `^`, regexes, `?` wildcards, implicit
// OR) and would otherwise have to find and reject each extension in a
// third-party AST whose shape changes between versions.
//
// Grammar (whitespace separates tokens; keywords are upper case):
//
//   query   = or EOF
//   or      = and ("OR" and)*
//   and     = unary (["AND"] unary)*        adjacent clauses mean AND
//   unary   = "NOT" unary | "(" or ")" | clause
//   clause  = FIELD ":" (value | range | "(" or ")")   field group: bare values
//   value   = PHRASE | WORD ["*"]                     inside a field group
//   range   = ("[" | "{") bound "TO" bound ("]" | "}")
//
// A WORD runs to the next whitespace or parenthesis; `\` escapes the next
// character; `:` may appear in it (IPv6 addresses, timestamps). A PHRASE is
// double-quoted with `\"` and `\\` escapes; `*` in it is literal.

/** The parse tree, before fields are checked against the allow-list. */
export type SyntaxNode =
  | { readonly type: 'and' | 'or'; readonly children: readonly SyntaxNode[] }
  | { readonly type: 'not'; readonly child: SyntaxNode }
  | {
      readonly type: 'term';
      readonly field: string;
      readonly fieldPosition: number;
      readonly value: string;
      readonly valuePosition: number;
      /** A trailing unescaped `*` outside quotes. */
      readonly wildcard: boolean;
    }
  | {
      readonly type: 'range';
      readonly field: string;
      readonly fieldPosition: number;
      readonly lower: RangeBound | null;
      readonly upper: RangeBound | null;
    };

/** One end of a range as written; null above means `*` (open). */
export interface RangeBound {
  readonly text: string;
  readonly position: number;
  readonly inclusive: boolean;
}

interface FieldRef {
  readonly name: string;
  readonly position: number;
}

const SPACE = /\s/;
/** Characters that end a field name. */
const FIELD_END = new Set([':', '(', ')', '"', '[', ']', '{', '}', '\\']);

function syntax(reason: string, position: number): QueryInputError {
  return new QueryInputError('syntax_error', 'q', reason, position);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

class Parser {
  #pos = 0;
  #terms = 0;

  constructor(private readonly text: string) {}

  parse(): SyntaxNode {
    this.#skipSpace();
    if (this.#eof()) throw syntax('the query is empty', 0);
    const node = this.#parseOr(null, 0);
    this.#skipSpace();
    // #parseOr stops only at the end or at a ")" it cannot close.
    if (!this.#eof()) throw syntax('unbalanced ")": nothing to close', this.#pos);
    return node;
  }

  #eof(): boolean {
    return this.#pos >= this.text.length;
  }

  #peek(): string {
    return this.text[this.#pos] ?? '';
  }

  #skipSpace(): void {
    while (!this.#eof() && SPACE.test(this.#peek())) this.#pos++;
  }

  /** True when `word` starts here as a whole word (followed by space, "(" or the end). */
  #atKeyword(word: 'AND' | 'OR' | 'NOT' | 'TO'): boolean {
    if (!this.text.startsWith(word, this.#pos)) return false;
    const next = this.text[this.#pos + word.length];
    return next === undefined || SPACE.test(next) || next === '(' || next === '"';
  }

  #enter(depth: number, position: number): number {
    if (depth + 1 > QUERY_LIMITS.maxDepth) {
      throw new QueryInputError(
        'too_deep',
        'q',
        `nests parentheses and NOT deeper than ${QUERY_LIMITS.maxDepth} levels`,
        position,
      );
    }
    return depth + 1;
  }

  #countTerm(position: number): void {
    if (++this.#terms > QUERY_LIMITS.maxTerms) {
      throw new QueryInputError(
        'too_many_terms',
        'q',
        `has more than ${QUERY_LIMITS.maxTerms} terms`,
        position,
      );
    }
  }

  #parseOr(field: FieldRef | null, depth: number): SyntaxNode {
    const children = [this.#parseAnd(field, depth)];
    for (;;) {
      this.#skipSpace();
      if (!this.#atKeyword('OR')) break;
      this.#pos += 2;
      children.push(this.#parseAnd(field, depth));
    }
    return children.length === 1 ? children[0]! : { type: 'or', children };
  }

  #parseAnd(field: FieldRef | null, depth: number): SyntaxNode {
    const children = [this.#parseUnary(field, depth)];
    for (;;) {
      this.#skipSpace();
      if (this.#eof() || this.#peek() === ')' || this.#atKeyword('OR')) break;
      if (this.#atKeyword('AND')) this.#pos += 3;
      children.push(this.#parseUnary(field, depth));
    }
    return children.length === 1 ? children[0]! : { type: 'and', children };
  }

  #parseUnary(field: FieldRef | null, depth: number): SyntaxNode {
    this.#skipSpace();
    const start = this.#pos;
    if (this.#eof()) throw syntax('expected a term, found the end of the query', start);
    if (this.#atKeyword('NOT')) {
      const inner = this.#enter(depth, start);
      this.#pos += 3;
      return { type: 'not', child: this.#parseUnary(field, inner) };
    }
    if (this.#atKeyword('AND') || this.#atKeyword('OR')) {
      throw syntax(`expected a term before ${this.#atKeyword('OR') ? 'OR' : 'AND'}`, start);
    }
    const ch = this.#peek();
    if (ch === '(') return this.#parseGroup(field, depth);
    if (ch === ')') throw syntax('expected a term, found ")"', start);
    if (field !== null) return this.#parseValue(field);
    return this.#parseClause(depth);
  }

  /** `( or )`, at the "(". */
  #parseGroup(field: FieldRef | null, depth: number): SyntaxNode {
    const open = this.#pos;
    const inner = this.#enter(depth, open);
    this.#pos++;
    this.#skipSpace();
    if (this.#peek() === ')') throw syntax('empty parentheses', open);
    const node = this.#parseOr(field, inner);
    this.#skipSpace();
    if (this.#peek() !== ')') throw syntax('unbalanced "(": no ")" closes it', open);
    this.#pos++;
    return node;
  }

  /** `field:value`, `field:[a TO b]` or `field:(...)`. */
  #parseClause(depth: number): SyntaxNode {
    const start = this.#pos;
    while (!this.#eof() && !SPACE.test(this.#peek()) && !FIELD_END.has(this.#peek())) this.#pos++;
    const name = this.text.slice(start, this.#pos);
    if (this.#peek() !== ':') {
      if (name === '') throw syntax(`unexpected ${quote(this.#peek())}`, start);
      throw syntax(
        `${quote(name)} has no field: write field:value, as in action:user.login`,
        start,
      );
    }
    if (name === '') throw syntax('expected a field name before ":"', start);
    this.#pos++;
    const field = { name, position: start };
    if (this.#eof() || SPACE.test(this.#peek())) {
      throw syntax(`expected a value after ${quote(`${name}:`)}`, this.#pos);
    }
    if (this.#peek() === '(') return this.#parseGroup(field, depth);
    return this.#parseValue(field);
  }

  #parseValue(field: FieldRef): SyntaxNode {
    const ch = this.#peek();
    if (ch === '[' || ch === '{') return this.#parseRange(field);
    const valuePosition = this.#pos;
    this.#countTerm(valuePosition);
    if (ch === '"') {
      const value = this.#readPhrase();
      return {
        type: 'term',
        field: field.name,
        fieldPosition: field.position,
        value,
        valuePosition,
        wildcard: false,
      };
    }
    const { value, wildcard } = this.#readWord();
    return {
      type: 'term',
      field: field.name,
      fieldPosition: field.position,
      value,
      valuePosition,
      wildcard,
    };
  }

  /** A double-quoted phrase; `*` inside is literal. */
  #readPhrase(): string {
    const open = this.#pos;
    this.#pos++;
    let out = '';
    for (;;) {
      if (this.#eof()) throw syntax("unterminated phrase: no closing '\"'", open);
      const ch = this.#peek();
      if (ch === '"') break;
      if (ch === '\\') {
        out += this.#readEscaped();
        continue;
      }
      out += ch;
      this.#pos++;
    }
    this.#pos++;
    const next = this.#peek();
    if (next !== '' && next !== ')' && !SPACE.test(next)) {
      throw syntax('expected a space, ")" or the end after a quoted phrase', this.#pos);
    }
    return out;
  }

  /** The character after a backslash, taken literally (a whole code point). */
  #readEscaped(): string {
    const at = this.#pos;
    if (at + 1 >= this.text.length) throw syntax('"\\" at the end escapes nothing', at);
    const cp = this.text.codePointAt(at + 1)!;
    const ch = String.fromCodePoint(cp);
    this.#pos += 1 + ch.length;
    return ch;
  }

  #readWord(): { value: string; wildcard: boolean } {
    const start = this.#pos;
    let out = '';
    let star = -1;
    while (!this.#eof()) {
      const ch = this.#peek();
      if (SPACE.test(ch) || ch === '(' || ch === ')') break;
      if (star !== -1) {
        throw new QueryInputError(
          'invalid_value',
          'q',
          'only a trailing * wildcard is supported (escape a literal * as \\*)',
          star,
        );
      }
      if (ch === '\\') {
        out += this.#readEscaped();
        continue;
      }
      if (ch === '*') star = this.#pos;
      else if (ch === '?') {
        throw new QueryInputError(
          'invalid_value',
          'q',
          'the ? wildcard is not supported (escape a literal ? as \\?)',
          this.#pos,
        );
      } else if (ch === '"') {
        throw syntax('a quote inside a value: quote the whole value instead', this.#pos);
      } else out += ch;
      this.#pos++;
    }
    if (out === '' && star === -1) throw syntax('expected a value', start);
    return { value: out, wildcard: star !== -1 };
  }

  /** `[a TO b]`, `{a TO b}` or mixed; `*` is an open end. */
  #parseRange(field: FieldRef): SyntaxNode {
    const open = this.#pos;
    this.#countTerm(open);
    const includeLower = this.#peek() === '[';
    this.#pos++;
    this.#skipSpace();
    const lower = this.#readBound();
    const afterLower = this.#pos;
    this.#skipSpace();
    if (this.#pos === afterLower || !this.#atKeyword('TO')) {
      throw syntax('expected " TO " between the two ends of the range', this.#pos);
    }
    this.#pos += 2;
    this.#skipSpace();
    const upper = this.#readBound();
    this.#skipSpace();
    const close = this.#peek();
    if (close !== ']' && close !== '}') {
      throw syntax('unterminated range: expected "]" or "}"', this.#eof() ? open : this.#pos);
    }
    this.#pos++;
    return {
      type: 'range',
      field: field.name,
      fieldPosition: field.position,
      lower: lower && { ...lower, inclusive: includeLower },
      upper: upper && { ...upper, inclusive: close === ']' },
    };
  }

  #readBound(): { text: string; position: number } | null {
    const position = this.#pos;
    if (this.#peek() === '"') return { text: this.#readPhrase(), position };
    while (!this.#eof() && !SPACE.test(this.#peek()) && !']}'.includes(this.#peek())) this.#pos++;
    const text = this.text.slice(position, this.#pos);
    if (text === '') throw syntax('expected an end of the range (a timestamp or *)', position);
    return text === '*' ? null : { text, position };
  }
}

/** Offset of the first lone surrogate or NUL, or -1. */
function badCharacterAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return i;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

/**
 * Parses `q` into a syntax tree. Throws QueryInputError (`syntax_error`,
 * `too_long`, `too_deep`, `too_many_terms`, `invalid_value`) with the
 * position of the problem. Fields are not checked here: see validateQuery.
 */
export function parseQuerySyntax(text: string): SyntaxNode {
  if (text.length > QUERY_LIMITS.maxLength) {
    throw new QueryInputError(
      'too_long',
      'q',
      `is longer than ${QUERY_LIMITS.maxLength} characters`,
      QUERY_LIMITS.maxLength,
    );
  }
  // Neither can be in a stored value, and PostgreSQL refuses NUL in a text
  // parameter outright: refused here, it never becomes a database error.
  const bad = badCharacterAt(text);
  if (bad !== -1) {
    throw new QueryInputError(
      'invalid_value',
      'q',
      text.charCodeAt(bad) === 0 ? 'contains U+0000 (NUL)' : 'contains a lone UTF-16 surrogate',
      bad,
    );
  }
  return new Parser(text).parse();
}
