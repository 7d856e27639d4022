import type { EventFilter } from './event-filter.js';
import { isMetadataTermSearchable, termFieldOf } from './event-terms.js';
import type { QueryNode } from './query-ast.js';

// How a listing reaches its rows (the plan), chosen by rule from the filter
// and q's tree; sql-builder.ts writes a plan as SQL. Migrations 2, 7 and 8
// made the indexes these drivers read.

/**
 * The outcome that migration 8's partial indexes hold, by their own text
 * (`WHERE outcome = 'failure'`): the rare one, which a time-ordered read
 * would otherwise walk the whole log to find (or to find missing).
 */
export const INDEXED_OUTCOME = 'failure';

/** A `q` term on a field without a column, read through event_terms. */
export interface TermDriver {
  readonly kind: 'term';
  readonly field: string;
  readonly value: string;
  readonly prefix: boolean;
  /** actor.name, actor.email, context.ip: values that name one person or host. */
  readonly identifying: boolean;
}

/**
 * How a listing reaches candidate rows: through one index range, read in the
 * listing order (but for a target, whose few events are sorted). Each
 * driver reads a superset of the rows that match; the whole filter then
 * decides.
 */
export type Driver =
  | { readonly kind: 'scan' }
  | { readonly kind: 'actor'; readonly actorId: string }
  /** Only with an org: events_by_org_action starts with org_id. */
  | { readonly kind: 'action'; readonly action: string }
  | { readonly kind: 'target'; readonly targetId: string; readonly targetType: string | null }
  /** outcome=failure: only those events, by org or project (migration 8). */
  | { readonly kind: 'failures' }
  | TermDriver;

/**
 * A plan: one driver, or several whose union holds every matching row (an
 * OR whose every branch has an index), each branch read up to `limit` rows
 * in order and the branches merged.
 */
export type Plan = readonly Driver[];

/**
 * Rules, most selective first, for want of statistics (SQLite has none
 * unless ANALYZE ran): a target id (an object's history: few events), an
 * actor id, an identifying JSON value (a name, an email, an IP), an exact
 * action within an org, a metadata value, a prefix of a JSON value that
 * probing found rare, a union, the failures; the plain time order last.
 * The failures come after every other index: they are few, but reading
 * them for a rare action or a union of one actor's and one target's events
 * walks them all (0.1 s to 0.6 s at 30,000 failures), where those
 * drivers' own ranges are short.
 */
function rank(plan: Plan): number {
  if (plan.length > 1) return 6 + plan.length / 100;
  const d = plan[0]!;
  switch (d.kind) {
    case 'target':
      return 0;
    case 'actor':
      return 1;
    case 'term':
      return d.prefix ? 5 : d.identifying ? 2 : 4;
    case 'action':
      return 3;
    case 'failures':
      return 8;
    case 'scan':
      return 9;
  }
}

function best(plans: readonly (Plan | null)[]): Plan | null {
  let chosen: Plan | null = null;
  for (const p of plans) if (p !== null && (chosen === null || rank(p) < rank(chosen))) chosen = p;
  return chosen;
}

/**
 * Most rows a prefix term may nominate and still drive: its candidates are
 * sorted, not read in order, so a common prefix (`user*`) is left to the
 * time-ordered read, which finds a page of it quickly.
 */
export const TERM_PROBE_CAP = 2000;
/** Most prefix terms probed for one listing. */
export const MAX_PROBES = 4;

export function termKey(field: string, value: string): string {
  return `${field}\u0000${value}`;
}

type MatchNode = Extract<QueryNode, { kind: 'match' }>;

function termOf(n: MatchNode): TermDriver | null {
  const field = termFieldOf(n.field, n.key);
  if (field === null) return null;
  if (n.field === 'metadata' && !isMetadataTermSearchable(n.value, n.prefix)) return null;
  return {
    kind: 'term',
    field,
    value: n.value,
    prefix: n.prefix,
    identifying: n.field !== 'metadata',
  };
}

/**
 * The drivers that can read every row `node` matches, or null when some
 * matching row has no index to reach it by (NOT, a time range, a field
 * without an index, a prefix not known to be rare). `selective` holds the
 * prefix terms that probing found rare (termKey).
 */
function planOf(node: QueryNode, f: EventFilter, selective: ReadonlySet<string>): Plan | null {
  switch (node.kind) {
    case 'and':
      return best(node.children.map((c) => planOf(c, f, selective)));
    case 'or': {
      const branches: Driver[] = [];
      for (const child of node.children) {
        const plan = planOf(child, f, selective);
        if (plan === null) return null;
        branches.push(...plan);
      }
      return branches;
    }
    case 'not':
    case 'time':
      return null;
    case 'match': {
      const term = termOf(node);
      if (term !== null) {
        return !term.prefix || selective.has(termKey(term.field, term.value)) ? [term] : null;
      }
      if (node.prefix) return null;
      if (node.field === 'actor.id') return [{ kind: 'actor', actorId: node.value }];
      if (node.field === 'target.id') {
        return [{ kind: 'target', targetId: node.value, targetType: null }];
      }
      if (node.field === 'action' && f.orgId !== null) {
        return [{ kind: 'action', action: node.value }];
      }
      return null;
    }
  }
}

/**
 * Picks the plan: the best of the filter parameters' own drivers and of
 * q's; each index ends in the listing order, so a page is a range read in
 * order that stops after `limit` rows (per branch, for a union); only a
 * target and a prefix term sort, and only their few candidates.
 */
export function choosePlan(f: EventFilter, selective: ReadonlySet<string>): Plan {
  const plans: (Plan | null)[] = [];
  if (f.targetId !== null) {
    plans.push([{ kind: 'target', targetId: f.targetId, targetType: f.targetType }]);
  }
  if (f.actorId !== null) plans.push([{ kind: 'actor', actorId: f.actorId }]);
  if (f.orgId !== null && f.action !== null && !f.action.prefix) {
    plans.push([{ kind: 'action', action: f.action.value }]);
  }
  if (f.q !== null) plans.push(planOf(f.q, f, selective));
  if (f.outcome === INDEXED_OUTCOME) plans.push([{ kind: 'failures' }]);
  return best(plans) ?? [{ kind: 'scan' }];
}

/** The prefix terms of `node` that could drive it (not under NOT). */
export function prefixTerms(node: QueryNode, out: TermDriver[]): TermDriver[] {
  if (node.kind === 'and' || node.kind === 'or') {
    for (const c of node.children) prefixTerms(c, out);
  } else if (node.kind === 'match' && node.prefix) {
    const term = termOf(node);
    if (term !== null) out.push(term);
  }
  return out;
}
