import { METADATA_KEY_PATTERN, isLogproofError, parseTimestamp } from '@logproof/core';
import { TEXT_FIELDS, type QueryNode, type TextField, type TimeBound } from './query-ast.js';
import { QueryInputError } from './query-error.js';
import { parseQuerySyntax, type RangeBound, type SyntaxNode } from './query-parser.js';

const FIELD_LIST = `${TEXT_FIELDS.join(', ')}, metadata.<key>, occurred_at`;

function invalid(reason: string, position: number): QueryInputError {
  return new QueryInputError('invalid_value', 'q', reason, position);
}

type ResolvedField = { kind: 'text'; field: TextField; key: string | null } | { kind: 'time' };

/** Checks a field name against the allow-list (API.md "Reading"). */
function resolveField(name: string, position: number): ResolvedField {
  if (name === 'occurred_at') return { kind: 'time' };
  if ((TEXT_FIELDS as readonly string[]).includes(name)) {
    return { kind: 'text', field: name as TextField, key: null };
  }
  if (name.startsWith('metadata.')) {
    const key = name.slice('metadata.'.length);
    // The same rule as keys on the way in: anything else cannot be stored,
    // so it is a mistake in the query, not a key that matches nothing.
    if (!METADATA_KEY_PATTERN.test(key)) {
      throw new QueryInputError(
        'unknown_field',
        'q',
        `${JSON.stringify(name)} is not a valid metadata key (1 to 128 of A-Z a-z 0-9 _ . -)`,
        position,
      );
    }
    return { kind: 'text', field: 'metadata', key };
  }
  const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  throw new QueryInputError(
    'unknown_field',
    'q',
    `unknown field ${JSON.stringify(shown)} (q searches ${FIELD_LIST})`,
    position,
  );
}

function parseInstant(text: string, position: number): number {
  try {
    return parseTimestamp(text);
  } catch (error) {
    if (isLogproofError(error, 'ERR_VALIDATION')) {
      throw invalid(`occurred_at ${error.message}`, position);
    }
    throw error;
  }
}

function toBound(bound: RangeBound | null): TimeBound | null {
  return bound && { ms: parseInstant(bound.text, bound.position), inclusive: bound.inclusive };
}

function toNode(node: SyntaxNode): QueryNode {
  switch (node.type) {
    case 'and':
    case 'or': {
      // Flattened, so that equivalent spellings (a AND (b AND c)) give the
      // same tree, and with it the same cursor binding.
      const children: QueryNode[] = [];
      for (const child of node.children.map(toNode)) {
        if (child.kind === node.type) children.push(...child.children);
        else children.push(child);
      }
      return { kind: node.type, children };
    }
    case 'not':
      return { kind: 'not', child: toNode(node.child) };
    case 'term': {
      const field = resolveField(node.field, node.fieldPosition);
      if (field.kind === 'time') {
        if (node.wildcard) {
          throw invalid(
            'occurred_at takes a timestamp or a range such as [2026-01-01T00:00:00Z TO *], not a wildcard',
            node.valuePosition,
          );
        }
        const ms = parseInstant(node.value, node.valuePosition);
        return { kind: 'time', from: { ms, inclusive: true }, to: { ms, inclusive: true } };
      }
      return {
        kind: 'match',
        field: field.field,
        key: field.key,
        value: node.value,
        prefix: node.wildcard,
      };
    }
    case 'range': {
      const field = resolveField(node.field, node.fieldPosition);
      if (field.kind !== 'time') {
        throw invalid('ranges [a TO b] are supported on occurred_at only', node.fieldPosition);
      }
      return { kind: 'time', from: toBound(node.lower), to: toBound(node.upper) };
    }
  }
}

/**
 * Parses and validates `q` (API.md "Reading"): the grammar, the limits, the
 * field allow-list and the values (timestamps in ranges). The result is the
 * only form of the query the SQL builder sees. Throws QueryInputError with
 * the 0-based position of the first problem.
 *
 * @example
 * ```ts
 * parseQuery('action:user.* AND NOT actor.type:service');
 * ```
 */
export function parseQuery(text: string): QueryNode {
  return toNode(parseQuerySyntax(text));
}
