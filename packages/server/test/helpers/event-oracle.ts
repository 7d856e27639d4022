// A brute-force model of GET /v1/events (API.md "Reading"), written from the
// spec and independent of src/query: random filters and q trees are rendered
// to a query string, and the server's answer is compared with this filter
// over the same events in memory.
import type { StoredEvent } from '@logproof/core';
import fc from 'fast-check';

/** One end of an occurred_at range in a q tree. */
export interface Bound {
  readonly ms: number;
  readonly inclusive: boolean;
}

export type QSpec =
  | { readonly op: 'and' | 'or'; readonly children: readonly QSpec[] }
  | { readonly op: 'not'; readonly child: QSpec }
  | {
      readonly op: 'term';
      readonly field: string;
      readonly value: string;
      readonly prefix: boolean;
      readonly quoted: boolean;
    }
  | {
      readonly op: 'group';
      readonly field: string;
      readonly join: 'AND' | 'OR';
      readonly values: ReadonlyArray<{ value: string; prefix: boolean }>;
    }
  | { readonly op: 'time'; readonly from: Bound | null; readonly to: Bound | null };

/** The filter parameters, as a client would send them (org by reference). */
export interface FilterSpec {
  readonly org?: string;
  readonly action?: string;
  readonly actor_id?: string;
  readonly actor_type?: string;
  readonly target_id?: string;
  readonly target_type?: string;
  readonly from?: number;
  readonly to?: number;
  readonly outcome?: string;
  readonly q?: QSpec;
}

/** The text values of `field` on an event (a metadata value in its text form); [] when absent. */
export function fieldValues(e: StoredEvent, field: string): string[] {
  const present = (v: unknown): string[] => (v === undefined ? [] : [String(v)]);
  switch (field) {
    case 'action':
      return [e.action];
    case 'actor.id':
      return [e.actor.id];
    case 'actor.type':
      return [e.actor.type];
    case 'actor.name':
      return present(e.actor.name);
    case 'actor.email':
      return present(e.actor.email);
    case 'target.id':
      return e.targets.map((t) => t.id);
    case 'target.type':
      return e.targets.map((t) => t.type);
    case 'context.ip':
      return present(e.context.ip);
    default: {
      if (!field.startsWith('metadata.')) throw new Error(`no such field ${field}`);
      const key = field.slice('metadata.'.length);
      return Object.hasOwn(e.metadata, key) ? present(e.metadata[key]) : [];
    }
  }
}

function matchesValue(values: readonly string[], value: string, prefix: boolean): boolean {
  return values.some((v) => (prefix ? v.startsWith(value) : v === value));
}

function inRange(ms: number, from: Bound | null, to: Bound | null): boolean {
  if (from && (from.inclusive ? ms < from.ms : ms <= from.ms)) return false;
  if (to && (to.inclusive ? ms > to.ms : ms >= to.ms)) return false;
  return true;
}

export function evaluate(q: QSpec, e: StoredEvent): boolean {
  switch (q.op) {
    case 'and':
      return q.children.every((c) => evaluate(c, e));
    case 'or':
      return q.children.some((c) => evaluate(c, e));
    case 'not':
      return !evaluate(q.child, e);
    case 'term':
      return matchesValue(fieldValues(e, q.field), q.value, q.prefix);
    case 'group': {
      const values = fieldValues(e, q.field);
      const results = q.values.map((v) => matchesValue(values, v.value, v.prefix));
      return q.join === 'AND' ? results.every(Boolean) : results.some(Boolean);
    }
    case 'time':
      return inRange(Date.parse(e.occurred_at), q.from, q.to);
  }
}

/** Every filter parameter holds (org resolved to its id by `orgIdOf`). */
export function matches(f: FilterSpec, e: StoredEvent, orgIdOf: (ref: string) => string): boolean {
  const ms = Date.parse(e.occurred_at);
  if (f.org !== undefined && e.org !== orgIdOf(f.org)) return false;
  if (f.action !== undefined) {
    const ok = f.action.endsWith('.*')
      ? e.action.startsWith(f.action.slice(0, -1))
      : e.action === f.action;
    if (!ok) return false;
  }
  if (f.actor_id !== undefined && e.actor.id !== f.actor_id) return false;
  if (f.actor_type !== undefined && e.actor.type !== f.actor_type) return false;
  if (f.outcome !== undefined && e.outcome !== f.outcome) return false;
  if (f.from !== undefined && ms < f.from) return false;
  if (f.to !== undefined && ms >= f.to) return false;
  if (
    (f.target_id !== undefined || f.target_type !== undefined) &&
    !e.targets.some(
      (t) =>
        (f.target_id === undefined || t.id === f.target_id) &&
        (f.target_type === undefined || t.type === f.target_type),
    )
  ) {
    return false;
  }
  return f.q === undefined || evaluate(f.q, e);
}

/** The listing order, ascending: occurred_at, then org id, then chain_index. */
export function compareEvents(a: StoredEvent, b: StoredEvent): number {
  const ta = Date.parse(a.occurred_at);
  const tb = Date.parse(b.occurred_at);
  if (ta !== tb) return ta - tb;
  if (a.org !== b.org) return a.org < b.org ? -1 : 1;
  return a.chain_index - b.chain_index;
}

/** A value as a bare q word: everything but [A-Za-z0-9_.@-] escaped; `first` escapes the first character too. */
function escapeWord(value: string, first = false): string {
  let out = '';
  for (const ch of value) {
    out += (first && out === '') || !/^[A-Za-z0-9_.@-]$/.test(ch) ? `\\${ch}` : ch;
  }
  return out;
}

function quoted(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function renderValue(value: string, prefix: boolean, asQuoted: boolean, inGroup: boolean): string {
  if (prefix) return `${escapeWord(value, inGroup)}*`;
  // In a field group a bare AND / OR / NOT would be an operator.
  if (asQuoted || value === '' || inGroup) return quoted(value);
  return escapeWord(value);
}

function renderBound(b: Bound | null): string {
  return b === null ? '*' : new Date(b.ms).toISOString();
}

/** q text for a tree: fully parenthesised, so that precedence never decides. */
export function renderQ(q: QSpec): string {
  switch (q.op) {
    case 'and':
    case 'or':
      return `(${q.children.map(renderQ).join(q.op === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `NOT ${renderQ(q.child)}`;
    case 'term':
      return `${q.field}:${renderValue(q.value, q.prefix, q.quoted, false)}`;
    case 'group':
      return `${q.field}:(${q.values.map((v) => renderValue(v.value, v.prefix, true, true)).join(` ${q.join} `)})`;
    case 'time':
      if (q.from && q.to && q.from.ms === q.to.ms && q.from.inclusive && q.to.inclusive) {
        return `occurred_at:${new Date(q.from.ms).toISOString()}`;
      }
      return `occurred_at:${q.from?.inclusive === false ? '{' : '['}${renderBound(q.from)} TO ${renderBound(q.to)}${q.to?.inclusive === false ? '}' : ']'}`;
  }
}

// --- generators over a fixed vocabulary, so that filters hit real events

export const ACTIONS = [
  'user.login',
  'user.logout',
  'user.mfa.enabled',
  'billing.invoice.paid',
  'billing.refund',
  'doc.view',
  'doc.share',
];
export const ACTION_PATTERNS = ['user.*', 'billing.*', 'billing.invoice.*', 'doc.*', 'nope.*'];
export const ACTORS = ['u1', 'u2', 'u3', 'svc_a', 'sys'];
export const NAMES = ['Ada', 'Ada Lovelace', 'Zoë', '日本語', "O'Brien", 'a"b\\c', 'AND'];
export const EMAILS = ['ada@example.com', 'zoe@example.org', 'x+tag@example.com'];
export const TARGET_IDS = ['d1', 'd2', 'd10', 'inv_1', 'inv_12'];
export const TARGET_TYPES = ['doc', 'invoice', 'folder'];
export const IPS = ['203.0.113.7', '203.0.113.70', '198.51.100.1', '2001:db8::1', '2001:db8::1:2'];
export const NOTES = [
  "x' OR 1=1 --",
  'hello world',
  '50% *off*',
  'ünïcödé 🎉',
  '',
  '(a) [b] {c}',
  'NOT this',
  // Longer than event_terms keeps (TERM_VALUE_MAX_CHARS, 128 code points),
  // alike in their first 130: a term row only nominates them.
  `${'L'.repeat(130)}1`,
  `${'L'.repeat(130)}2`,
  `${'é🎉'.repeat(65)}`,
];

const FIELD_VALUES: Record<string, readonly string[]> = {
  action: ACTIONS,
  'actor.id': ACTORS,
  'actor.type': ['user', 'service', 'system'],
  'actor.name': NAMES,
  'actor.email': EMAILS,
  'target.id': TARGET_IDS,
  'target.type': TARGET_TYPES,
  'context.ip': IPS,
  'metadata.plan': ['free', 'pro', 'enterprise'],
  'metadata.seats': ['0', '1', '5', '12', '-3'],
  'metadata.beta': ['true', 'false'],
  'metadata.note': NOTES,
  'metadata.a.b': ['1', '2'],
  'metadata.absent': ['x'],
};

/** The events' random occurred_at values: `slots` whole hours after `base`, so that ties happen. */
export function timeSlots(base: number, slots: number): number[] {
  return Array.from({ length: slots }, (_, i) => base + i * 3_600_000);
}

/** A random event body in the vocabulary above. */
export function eventBody(
  orgs: readonly string[],
  times: readonly number[],
): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      org: fc.constantFrom(...orgs),
      action: fc.constantFrom(...ACTIONS),
      actor: fc.record(
        {
          id: fc.constantFrom(...ACTORS),
          type: fc.constantFrom('user', 'service', 'system'),
          name: fc.constantFrom(...NAMES),
          email: fc.constantFrom(...EMAILS),
        },
        { requiredKeys: ['id', 'type'] },
      ),
      targets: fc.array(
        fc.record({ id: fc.constantFrom(...TARGET_IDS), type: fc.constantFrom(...TARGET_TYPES) }),
        { maxLength: 3 },
      ),
      metadata: fc.record(
        {
          plan: fc.constantFrom('free', 'pro', 'enterprise'),
          seats: fc.integer({ min: -3, max: 25 }),
          beta: fc.boolean(),
          note: fc.constantFrom(...NOTES),
          'a.b': fc.constantFrom('1', '2'),
        },
        { requiredKeys: [] },
      ),
      context: fc.record({ ip: fc.constantFrom(...IPS) }, { requiredKeys: [] }),
      occurred_at: fc.constantFrom(...times).map((ms) => new Date(ms).toISOString()),
      outcome: fc.constantFrom('success', 'failure'),
    },
    { requiredKeys: ['org', 'action', 'actor', 'targets', 'metadata', 'context', 'outcome'] },
  );
}

/** Mostly absent: with eight filters, each present one time in four. */
function sometimes<T>(arb: fc.Arbitrary<T>, weight = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight }, { arbitrary: arb, weight: 1 });
}

/** A value of `field`, or a prefix of one, or (rarely) any short string. */
function valueFor(field: string): fc.Arbitrary<{ value: string; prefix: boolean }> {
  const pool = FIELD_VALUES[field]!;
  return fc.oneof(
    { arbitrary: fc.constantFrom(...pool).map((value) => ({ value, prefix: false })), weight: 4 },
    {
      arbitrary: fc
        .tuple(fc.constantFrom(...pool), fc.nat({ max: 6 }))
        .map(([v, n]) => ({ value: [...v].slice(0, n).join(''), prefix: true })),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        value: fc.string({ unit: 'grapheme', maxLength: 5 }).map((v) => v.replaceAll('\u0000', '')),
        prefix: fc.boolean(),
      }),
      weight: 1,
    },
  );
}

function bound(times: readonly number[]): fc.Arbitrary<Bound | null> {
  return fc.option(
    fc.record({
      ms: fc.oneof(
        fc.constantFrom(...times),
        fc.constantFrom(...times).map((t) => t + 1_800_000),
      ),
      inclusive: fc.boolean(),
    }),
    { freq: 4 },
  );
}

/** Nesting as renderQ writes it: each parenthesis, field group and NOT is a level. */
export function qDepth(q: QSpec): number {
  switch (q.op) {
    case 'and':
    case 'or':
      return 1 + Math.max(...q.children.map(qDepth));
    case 'not':
      return 1 + qDepth(q.child);
    case 'group':
      return 1;
    default:
      return 0;
  }
}

export function qTerms(q: QSpec): number {
  switch (q.op) {
    case 'and':
    case 'or':
      return q.children.reduce((n, c) => n + qTerms(c), 0);
    case 'not':
      return qTerms(q.child);
    case 'group':
      return q.values.length;
    default:
      return 1;
  }
}

/** Random q trees within the server's limits (QUERY_LIMITS: depth 8, 32 terms). */
export function qSpec(times: readonly number[]): fc.Arbitrary<QSpec> {
  const fields = Object.keys(FIELD_VALUES);
  const leaf: fc.Arbitrary<QSpec> = fc.oneof(
    {
      arbitrary: fc.constantFrom(...fields).chain((field) =>
        fc.tuple(valueFor(field), fc.boolean()).map(([v, q]): QSpec => ({
          op: 'term',
          field,
          value: v.value,
          prefix: v.prefix,
          quoted: q,
        })),
      ),
      weight: 6,
    },
    {
      arbitrary: fc
        .constantFrom(...fields)
        .chain((field) =>
          fc
            .tuple(
              fc.array(valueFor(field), { minLength: 1, maxLength: 3 }),
              fc.constantFrom('AND' as const, 'OR' as const),
            )
            .map(([values, join]): QSpec => ({ op: 'group', field, join, values })),
        ),
      weight: 1,
    },
    {
      arbitrary: fc.oneof(
        fc
          .record({ from: bound(times), to: bound(times) })
          .map((r): QSpec => ({ op: 'time', ...r })),
        fc.constantFrom(...times).map((ms): QSpec => ({
          op: 'time',
          from: { ms, inclusive: true },
          to: { ms, inclusive: true },
        })),
      ),
      weight: 1,
    },
  );
  return fc
    .letrec<{ q: QSpec }>((tie) => ({
      q: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.record({ op: fc.constant('not' as const), child: tie('q') }),
        fc.record({
          op: fc.constantFrom('and' as const, 'or' as const),
          children: fc.array(tie('q'), { minLength: 2, maxLength: 3 }),
        }),
      ),
    }))
    .q.filter((q) => qDepth(q) <= 8 && qTerms(q) <= 32 && renderQ(q).length <= 2048);
}

/** Fields with an index of their own (a column, event_targets or event_terms). */
const INDEXED_FIELDS = [
  'action',
  'actor.id',
  'target.id',
  'actor.name',
  'actor.email',
  'context.ip',
  'metadata.plan',
  'metadata.seats',
  'metadata.beta',
  'metadata.note',
  'metadata.a.b',
];

/**
 * q trees that a store can read through indexes alone: ORs across fields
 * (a UNION of index reads), JSON-only terms, prefixes (among them one longer
 * than a stored term), each optionally narrowed by AND NOT.
 */
export function indexedQSpec(): fc.Arbitrary<QSpec> {
  const atom: fc.Arbitrary<QSpec> = fc.oneof(
    {
      arbitrary: fc.constantFrom(...INDEXED_FIELDS).chain((field) =>
        fc.tuple(valueFor(field), fc.boolean()).map(([v, quoted]): QSpec => ({
          op: 'term',
          field,
          ...v,
          quoted,
        })),
      ),
      weight: 8,
    },
    {
      arbitrary: fc.constant<QSpec>({
        op: 'term',
        field: 'metadata.note',
        value: 'L'.repeat(129),
        prefix: true,
        quoted: false,
      }),
      weight: 1,
    },
  );
  const narrowed = fc
    .tuple(atom, fc.option(atom, { freq: 2 }))
    .map(([a, not]): QSpec =>
      not === null ? a : { op: 'and', children: [a, { op: 'not', child: not }] },
    );
  return fc
    .array(narrowed, { minLength: 1, maxLength: 4 })
    .map((children): QSpec => (children.length === 1 ? children[0]! : { op: 'or', children }))
    .filter((q) => renderQ(q).length <= 2048);
}

export function filterSpec(
  orgRefs: readonly string[],
  times: readonly number[],
): fc.Arbitrary<FilterSpec> {
  const instant = fc.oneof(
    fc.constantFrom(...times),
    fc.constantFrom(...times).map((t) => t + 1),
  );
  return fc
    .record({
      org: sometimes(fc.constantFrom(...orgRefs)),
      action: sometimes(fc.constantFrom(...ACTIONS, ...ACTION_PATTERNS)),
      actor_id: sometimes(fc.constantFrom(...ACTORS, 'nobody')),
      actor_type: sometimes(fc.constantFrom('user', 'service', 'system')),
      target_id: sometimes(fc.constantFrom(...TARGET_IDS)),
      target_type: sometimes(fc.constantFrom(...TARGET_TYPES)),
      from: sometimes(instant),
      to: sometimes(instant),
      outcome: sometimes(fc.constantFrom('success', 'failure')),
      q: sometimes(qSpec(times), 1),
    })
    .map((f) => {
      // from after to is a 400, tested elsewhere; here the window is swapped.
      const swap = f.from !== undefined && f.to !== undefined && f.from > f.to;
      const out: Record<string, unknown> = { ...f, ...(swap ? { from: f.to, to: f.from } : {}) };
      for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
      return out as FilterSpec;
    });
}

/** The query-string parameters of a filter. */
export function filterParams(f: FilterSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    if (k === 'from' || k === 'to') out[k] = new Date(v as number).toISOString();
    else if (k === 'q') out[k] = renderQ(v as QSpec);
    else out[k] = String(v);
  }
  return out;
}
