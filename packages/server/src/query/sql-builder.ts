import type { EventFilter, EventQuery, TextMatch } from './event-filter.js';
import type { QueryNode, TextField } from './query-ast.js';
import type { SqlDialect } from './sql-dialect.js';

/** A statement and its parameters, ready for the driver. */
export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * The smallest string greater than every string that starts with `prefix`,
 * in code point order, or null when there is none (a prefix of U+10FFFF
 * only). Lets `prefix*` be an index range: prefix <= x < upper bound.
 */
export function prefixUpperBound(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Surrogate code points are not characters; the next one is U+E000.
      points.push(String.fromCodePoint(last + 1 === 0xd800 ? 0xe000 : last + 1));
      return points.join('');
    }
  }
  return null;
}

const ALIAS = 'e';

/** Columns copied out of the entry at append time (records.ts), so that filters use indexes. */
const COLUMN_OF: Partial<Record<TextField, string>> = {
  action: `${ALIAS}.action`,
  'actor.id': `${ALIAS}.actor_id`,
  'actor.type': `${ALIAS}.actor_type`,
};
const TARGET_COLUMN_OF: Partial<Record<TextField, string>> = {
  'target.id': 't.target_id',
  'target.type': 't.target_type',
};
const ENTRY_PATH_OF: Partial<Record<TextField, readonly string[]>> = {
  'actor.name': ['actor', 'name'],
  'actor.email': ['actor', 'email'],
  'context.ip': ['context', 'ip'],
};

class Builder {
  readonly params: unknown[] = [];

  constructor(readonly dialect: SqlDialect) {}

  readonly bind = (value: unknown): string => {
    this.params.push(value);
    return this.dialect.placeholder(this.params.length);
  };

  int(value: number): string {
    return this.dialect.integer(this.bind(value));
  }

  /** A match on a NOT NULL text column: equality, or a range for `prefix*` (index-friendly). */
  columnMatch(column: string, match: TextMatch): string {
    const col = this.dialect.bytewise(column);
    if (!match.prefix) return `${col} = ${this.bind(match.value)}`;
    const upper = prefixUpperBound(match.value);
    const lower = `${col} >= ${this.bind(match.value)}`;
    return upper === null ? lower : `(${lower} AND ${col} < ${this.bind(upper)})`;
  }

  /**
   * A match on a value read out of the canonical JSON, which may be absent.
   * COALESCE keeps the result two-valued, so that NOT of a term holds for an
   * event without that member (as in Lucene: NOT field:x includes events
   * without the field).
   */
  expressionMatch(expression: string, match: TextMatch): string {
    const test = match.prefix
      ? this.dialect.startsWith(expression, this.bind(match.value))
      : `${expression} = ${this.bind(match.value)}`;
    return `COALESCE(${test}, FALSE)`;
  }

  /** Some target of the event satisfies `condition` (over alias t). */
  anyTarget(condition: string): string {
    return (
      `EXISTS (SELECT 1 FROM event_targets t` +
      ` WHERE t.org_id = ${ALIAS}.org_id AND t.chain_index = ${ALIAS}.chain_index AND ${condition})`
    );
  }

  fieldMatch(field: TextField, key: string | null, match: TextMatch): string {
    const column = COLUMN_OF[field];
    if (column !== undefined) return this.columnMatch(column, match);
    const targetColumn = TARGET_COLUMN_OF[field];
    if (targetColumn !== undefined) return this.anyTarget(this.columnMatch(targetColumn, match));
    const canonical = `${ALIAS}.canonical`;
    if (field === 'metadata') {
      if (key === null) throw new Error('a metadata match without a key');
      return this.expressionMatch(this.dialect.metadataText(canonical, key, this.bind), match);
    }
    const path = ENTRY_PATH_OF[field];
    if (path === undefined) throw new Error(`no SQL for field ${field}`);
    return this.expressionMatch(this.dialect.entryString(canonical, path, this.bind), match);
  }

  node(node: QueryNode): string {
    switch (node.kind) {
      case 'and':
      case 'or':
        return `(${node.children.map((c) => this.node(c)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `(NOT ${this.node(node.child)})`;
      case 'match':
        return this.fieldMatch(node.field, node.key, node);
      case 'time': {
        const parts: string[] = [];
        const col = `${ALIAS}.occurred_at`;
        if (node.from)
          parts.push(`${col} ${node.from.inclusive ? '>=' : '>'} ${this.int(node.from.ms)}`);
        if (node.to) parts.push(`${col} ${node.to.inclusive ? '<=' : '<'} ${this.int(node.to.ms)}`);
        return parts.length === 0 ? '(1 = 1)' : `(${parts.join(' AND ')})`;
      }
    }
  }

  /** The WHERE conditions of a filter, but for target_id (+ target_type), which drives the query (from). */
  filter(projectId: string, f: EventFilter): string[] {
    const where = [`${ALIAS}.project_id = ${this.bind(projectId)}`];
    if (f.orgId !== null) where.push(`${ALIAS}.org_id = ${this.bind(f.orgId)}`);
    if (f.action !== null) where.push(this.columnMatch(`${ALIAS}.action`, f.action));
    if (f.actorId !== null) where.push(this.columnMatch(`${ALIAS}.actor_id`, exact(f.actorId)));
    if (f.actorType !== null) where.push(`${ALIAS}.actor_type = ${this.bind(f.actorType)}`);
    if (f.outcome !== null) where.push(`${ALIAS}.outcome = ${this.bind(f.outcome)}`);
    if (f.from !== null) where.push(`${ALIAS}.occurred_at >= ${this.int(f.from)}`);
    if (f.to !== null) where.push(`${ALIAS}.occurred_at < ${this.int(f.to)}`);
    if (f.targetId === null && f.targetType !== null) {
      where.push(this.anyTarget(this.columnMatch('t.target_type', exact(f.targetType))));
    }
    if (f.q !== null) where.push(this.node(f.q));
    return where;
  }

  /**
   * FROM: the events through the index that `path` names or, for a target,
   * the target's events first (a few, from event_targets_by_target), each
   * then read by primary key and the page sorted.
   */
  from(path: AccessPath): string {
    const hint = this.dialect.indexHint;
    if (path.kind === 'index') return `events ${ALIAS}${hint(path.index)}`;
    // With target_type too, one and the same target has both.
    const conditions = [this.columnMatch('t.target_id', exact(path.targetId))];
    if (path.targetType !== null) {
      conditions.push(this.columnMatch('t.target_type', exact(path.targetType)));
    }
    return (
      `(SELECT DISTINCT t.org_id, t.chain_index FROM event_targets t${hint('event_targets_by_target')}` +
      ` WHERE ${conditions.join(' AND ')}) m ${this.dialect.orderedJoin} events ${ALIAS}` +
      ` ON ${ALIAS}.org_id = m.org_id AND ${ALIAS}.chain_index = m.chain_index`
    );
  }
}

function exact(value: string): TextMatch {
  return { value, prefix: false };
}

/** How a listing reaches its rows (migration 2 made these indexes). */
type AccessPath =
  | {
      readonly kind: 'index';
      readonly index:
        | 'events_by_project_time'
        | 'events_by_org_time'
        | 'events_by_org_action'
        | 'events_by_project_actor';
    }
  | { readonly kind: 'target'; readonly targetId: string; readonly targetType: string | null };

/** The conjuncts every row must satisfy: the q tree's top-level AND terms. */
function topLevelTerms(q: QueryNode | null): QueryNode[] {
  if (q === null) return [];
  return q.kind === 'and' ? [...q.children] : [q];
}

/**
 * Picks the access path by rule, most selective first: a target id (an
 * object's history: few events), an actor id, an exact action within an org,
 * then the plain time order. Each index ends in the listing order, so a page
 * is a range read in order that stops after `limit` rows; only the target
 * path sorts, and only that target's events. The rules look at the filter
 * parameters and at q's top-level AND terms (any other q term is a filter).
 */
function chooseAccessPath(f: EventFilter): AccessPath {
  const terms = topLevelTerms(f.q).filter(
    (n): n is Extract<QueryNode, { kind: 'match' }> => n.kind === 'match' && !n.prefix,
  );
  if (f.targetId !== null)
    return { kind: 'target', targetId: f.targetId, targetType: f.targetType };
  const target = terms.find((n) => n.field === 'target.id');
  if (target) return { kind: 'target', targetId: target.value, targetType: null };
  if (f.actorId !== null || terms.some((n) => n.field === 'actor.id')) {
    return { kind: 'index', index: 'events_by_project_actor' };
  }
  if (f.orgId !== null) {
    const exactAction =
      (f.action !== null && !f.action.prefix) || terms.some((n) => n.field === 'action');
    return { kind: 'index', index: exactAction ? 'events_by_org_action' : 'events_by_org_time' };
  }
  return { kind: 'index', index: 'events_by_project_time' };
}

const ORDER_COLUMNS = [`${ALIAS}.occurred_at`, `${ALIAS}.org_id`, `${ALIAS}.chain_index`];

/**
 * The SELECT of one page of GET /v1/events: the filter, the keyset position
 * and the total order (occurred_at, org_id, chain_index), ascending or
 * descending in every column. The keyset also bounds occurred_at alone,
 * which every index can seek on, so that a deep page costs what the first
 * one does; the row comparison then only settles ties on that instant.
 */
export function buildListEventsSql(
  dialect: SqlDialect,
  projectId: string,
  query: EventQuery,
): SqlStatement {
  const b = new Builder(dialect);
  const path = chooseAccessPath(query.filter);
  // Bound in text order: FROM's parameters come before WHERE's.
  const from = b.from(path);
  const where = b.filter(projectId, query.filter);
  const asc = query.order === 'asc';
  if (query.after !== null) {
    const a = query.after;
    where.push(`${ALIAS}.occurred_at ${asc ? '>=' : '<='} ${b.int(a.occurredAt)}`);
    where.push(
      `(${ORDER_COLUMNS.join(', ')}) ${asc ? '>' : '<'} (${b.int(a.occurredAt)}, ${b.bind(a.orgId)}, ${b.int(a.chainIndex)})`,
    );
  }
  const direction = asc ? 'ASC' : 'DESC';
  const sql =
    `SELECT ${ALIAS}.* FROM ${from} WHERE ${where.join(' AND ')}` +
    ` ORDER BY ${ORDER_COLUMNS.map((c) => `${c} ${direction}`).join(', ')}` +
    ` LIMIT ${b.int(query.limit)}`;
  return { sql, params: b.params };
}
