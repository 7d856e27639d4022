// The validated form of a `q` query (API.md "Reading"). Only this tree, never
// the text the client sent, reaches the SQL builder.

/** Bounds on `q`, checked while parsing so that hostile input costs little. */
export const QUERY_LIMITS = Object.freeze({
  /** Longest `q`, in UTF-16 code units. */
  maxLength: 2048,
  /** Deepest nesting of parentheses, field groups and NOT. */
  maxDepth: 8,
  /** Most terms (`field:value` or `occurred_at:[a TO b]`). */
  maxTerms: 32,
});

/**
 * Fields matched as text. `metadata` comes with a key (`metadata.plan`);
 * `target.*` matches when any of the event's targets does.
 */
export const TEXT_FIELDS = [
  'action',
  'actor.id',
  'actor.type',
  'actor.name',
  'actor.email',
  'target.id',
  'target.type',
  'context.ip',
] as const;

export type TextField = (typeof TEXT_FIELDS)[number] | 'metadata';

/** One end of a time range, in milliseconds since the epoch. */
export interface TimeBound {
  readonly ms: number;
  readonly inclusive: boolean;
}

/**
 * A node of a validated query. Matches are exact and case-sensitive on the
 * stored value; `prefix` is a trailing `*`. A metadata value is matched in
 * its text form: strings as they are, integers in decimal, booleans as
 * `true` / `false`.
 */
export type QueryNode =
  | { readonly kind: 'and' | 'or'; readonly children: readonly QueryNode[] }
  | { readonly kind: 'not'; readonly child: QueryNode }
  | {
      readonly kind: 'match';
      readonly field: TextField;
      /** The metadata key for `metadata`, else null. */
      readonly key: string | null;
      readonly value: string;
      readonly prefix: boolean;
    }
  | { readonly kind: 'time'; readonly from: TimeBound | null; readonly to: TimeBound | null };
