import type { EventFilter, EventQuery, TextMatch } from './event-filter.js';
import { cutTermValue } from './event-terms.js';
import {
  INDEXED_OUTCOME,
  MAX_PROBES,
  TERM_PROBE_CAP,
  choosePlan,
  prefixTerms,
  termKey,
  type Driver,
  type TermDriver,
} from './query-plan.js';
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
/** event_terms, when a term drives the listing. */
const TERM_ALIAS = 'k';

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

  /**
   * outcome = INDEXED_OUTCOME is written as migration 8's partial indexes
   * state it, as fixed text (it is our constant, not the caller's value),
   * so that the database can prove that those indexes hold every matching
   * row: SQLite refuses INDEXED BY a partial index for a bound parameter,
   * PostgreSQL's generic plans cannot use one. Any other outcome is bound.
   */
  outcomeMatch(outcome: string): string {
    const col = `${ALIAS}.outcome`;
    return outcome === INDEXED_OUTCOME
      ? `${col} = '${INDEXED_OUTCOME}'`
      : `${col} = ${this.bind(outcome)}`;
  }

  /** The WHERE conditions of a filter, but for target_id (+ target_type), which drives the query (from). */
  filter(projectId: string, f: EventFilter): string[] {
    const where = [`${ALIAS}.project_id = ${this.bind(projectId)}`];
    if (f.orgId !== null) where.push(`${ALIAS}.org_id = ${this.bind(f.orgId)}`);
    if (f.action !== null) where.push(this.columnMatch(`${ALIAS}.action`, f.action));
    if (f.actorId !== null) where.push(this.columnMatch(`${ALIAS}.actor_id`, exact(f.actorId)));
    if (f.actorType !== null) where.push(`${ALIAS}.actor_type = ${this.bind(f.actorType)}`);
    if (f.outcome !== null) where.push(this.outcomeMatch(f.outcome));
    if (f.from !== null) where.push(`${ALIAS}.occurred_at >= ${this.int(f.from)}`);
    if (f.to !== null) where.push(`${ALIAS}.occurred_at < ${this.int(f.to)}`);
    if (f.targetId === null && f.targetType !== null) {
      where.push(this.anyTarget(this.columnMatch('t.target_type', exact(f.targetType))));
    }
    if (f.q !== null) where.push(this.node(f.q));
    return where;
  }

  /**
   * FROM for one driver: the events through the index it names; or a
   * target's events first (a few, from event_targets_by_target), each then
   * read by primary key and the page sorted; or the term's rows of
   * event_terms (in listing order for an exact value), each event then read
   * by primary key.
   */
  from(driver: Driver, f: EventFilter): string {
    const hint = this.dialect.indexHint;
    const join = this.dialect.orderedJoin;
    switch (driver.kind) {
      case 'scan':
        return `events ${ALIAS}${hint(f.orgId === null ? 'events_by_project_time' : 'events_by_org_time')}`;
      case 'failures':
        return `events ${ALIAS}${hint(f.orgId === null ? 'failed_events_by_project_time' : 'failed_events_by_org_time')}`;
      case 'actor':
        return `events ${ALIAS}${hint('events_by_project_actor')}`;
      case 'action':
        return `events ${ALIAS}${hint('events_by_org_action')}`;
      case 'term':
        return `event_terms ${TERM_ALIAS} ${join} events ${ALIAS} ON ${ALIAS}.org_id = ${TERM_ALIAS}.org_id AND ${ALIAS}.chain_index = ${TERM_ALIAS}.chain_index`;
      case 'target': {
        // With target_type too, one and the same target has both.
        const conditions = [this.columnMatch('t.target_id', exact(driver.targetId))];
        if (driver.targetType !== null) {
          conditions.push(this.columnMatch('t.target_type', exact(driver.targetType)));
        }
        return (
          `(SELECT DISTINCT t.org_id, t.chain_index FROM event_targets t${hint('event_targets_by_target')}` +
          ` WHERE ${conditions.join(' AND ')}) m ${join} events ${ALIAS}` +
          ` ON ${ALIAS}.org_id = m.org_id AND ${ALIAS}.chain_index = m.chain_index`
        );
      }
    }
  }

  /**
   * The conditions that confine a driver's index to its range. The filter
   * repeats them when the driver came from a top-level term; a branch of a
   * UNION needs them, since the filter only holds the whole OR there.
   */
  driverConditions(projectId: string, driver: Driver, f: EventFilter): string[] {
    switch (driver.kind) {
      // For failures, the filter holds outcome = INDEXED_OUTCOME (outcomeMatch),
      // the partial indexes' own condition; they never drive a union's branch.
      case 'scan':
      case 'target':
      case 'failures':
        return [];
      case 'actor':
        return [this.columnMatch(`${ALIAS}.actor_id`, exact(driver.actorId))];
      case 'action':
        return [this.columnMatch(`${ALIAS}.action`, exact(driver.action))];
      case 'term':
        return this.termRange(projectId, driver, f);
    }
  }

  /** The term's index range: project, field, value (or prefix), and the org and times, which the key holds too. */
  termRange(projectId: string, term: TermDriver, f: EventFilter): string[] {
    const t = TERM_ALIAS;
    const where = [
      `${t}.project_id = ${this.bind(projectId)}`,
      `${this.dialect.bytewise(`${t}.field`)} = ${this.bind(term.field)}`,
      this.columnMatch(`${t}.value`, { value: cutTermValue(term.value), prefix: term.prefix }),
    ];
    if (f.orgId !== null) where.push(`${t}.org_id = ${this.bind(f.orgId)}`);
    if (f.from !== null) where.push(`${t}.occurred_at >= ${this.int(f.from)}`);
    if (f.to !== null) where.push(`${t}.occurred_at < ${this.int(f.to)}`);
    return where;
  }

  /**
   * One listing read through one driver: the filter, the keyset position and
   * the order: whole rows, or (for a branch of a union) the keys. The order and the keyset are on the driver's
   * own columns (event_terms' for a term, which copies occurred_at, org_id
   * and chain_index), so that the database sees that its index is already in
   * that order and stops after `limit` rows.
   */
  read(projectId: string, query: EventQuery, driver: Driver, select: 'rows' | 'keys'): string {
    const f = query.filter;
    const k = driver.kind === 'term' ? TERM_ALIAS : ALIAS;
    const columns =
      select === 'rows' ? `${ALIAS}.*` : ORDER_COLUMNS.map((c) => `${k}.${c} AS ${c}`).join(', ');
    // Bound in text order: FROM's parameters come before WHERE's.
    const from = this.from(driver, f);
    const where = [...this.driverConditions(projectId, driver, f), ...this.filter(projectId, f)];
    const asc = query.order === 'asc';
    const order = ORDER_COLUMNS.map((c) => `${k}.${c}`);
    if (query.after !== null) {
      const a = query.after;
      where.push(`${k}.occurred_at ${asc ? '>=' : '<='} ${this.int(a.occurredAt)}`);
      where.push(
        `(${order.join(', ')}) ${asc ? '>' : '<'} (${this.int(a.occurredAt)}, ${this.bind(a.orgId)}, ${this.int(a.chainIndex)})`,
      );
    }
    const direction = asc ? 'ASC' : 'DESC';
    return (
      `SELECT ${columns} FROM ${from} WHERE ${where.join(' AND ')}` +
      ` ORDER BY ${order.map((c) => `${c} ${direction}`).join(', ')}` +
      ` LIMIT ${this.int(query.limit)}`
    );
  }
}

function exact(value: string): TextMatch {
  return { value, prefix: false };
}

/** A statement that tells whether a prefix term is rare enough to drive (TERM_PROBE_CAP). */
export interface TermProbe {
  readonly key: string;
  /** Gives one row whose `selective` is 1 or 0. */
  readonly statement: SqlStatement;
}

/**
 * The probes a listing wants run before it is built: for each prefix term of
 * q on a JSON field, whether it nominates at most TERM_PROBE_CAP rows (an
 * index-only count that stops there). The caller passes the keys of the
 * selective ones to buildListEventsSql.
 */
export function buildTermProbes(
  dialect: SqlDialect,
  projectId: string,
  filter: EventFilter,
): TermProbe[] {
  if (filter.q === null) return [];
  return prefixTerms(filter.q, [])
    .slice(0, MAX_PROBES)
    .map((term) => {
      const b = new Builder(dialect);
      const selective = `CASE WHEN count(*) <= ${b.int(TERM_PROBE_CAP)} THEN 1 ELSE 0 END`;
      const range = b.termRange(projectId, term, filter);
      const sql =
        `SELECT ${selective} AS selective FROM (SELECT 1 AS x FROM event_terms ${TERM_ALIAS}` +
        ` WHERE ${range.join(' AND ')} LIMIT ${b.int(TERM_PROBE_CAP + 1)}) p`;
      return { key: termKey(term.field, term.value), statement: { sql, params: b.params } };
    });
}

const ORDER_COLUMNS = ['occurred_at', 'org_id', 'chain_index'] as const;

/**
 * The SELECT of one page of GET /v1/events: the filter, the keyset position
 * and the total order (occurred_at, org_id, chain_index), ascending or
 * descending in every column. The keyset also bounds occurred_at alone,
 * which every index can seek on, so that a deep page costs what the first
 * one does; the row comparison then only settles ties on that instant.
 *
 * When the plan is a union (`a OR b`, each with an index), each branch
 * reads the keys of its first `limit` rows after the position, the UNION
 * drops rows that two branches found, and the first `limit` keys of the
 * merge are the page: every row of the page is among its branch's first
 * `limit`. `selectivePrefixes` are the keys of the probes (buildTermProbes)
 * that answered 1.
 */
export function buildListEventsSql(
  dialect: SqlDialect,
  projectId: string,
  query: EventQuery,
  selectivePrefixes: ReadonlySet<string> = new Set(),
): SqlStatement {
  const b = new Builder(dialect);
  const plan = choosePlan(query.filter, selectivePrefixes);
  if (plan.length === 1) {
    return { sql: b.read(projectId, query, plan[0]!, 'rows'), params: b.params };
  }
  const branches = plan.map(
    (d, i) => `SELECT * FROM (${b.read(projectId, query, d, 'keys')}) b${i}`,
  );
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  const order = (alias: string) => ORDER_COLUMNS.map((c) => `${alias}${c} ${direction}`).join(', ');
  const sql =
    `SELECT ${ALIAS}.* FROM (${branches.join(' UNION ')} ORDER BY ${order('')} LIMIT ${b.int(query.limit)}) u` +
    ` ${dialect.orderedJoin} events ${ALIAS} ON ${ALIAS}.org_id = u.org_id AND ${ALIAS}.chain_index = u.chain_index` +
    ` ORDER BY ${order('u.')}`;
  return { sql, params: b.params };
}
