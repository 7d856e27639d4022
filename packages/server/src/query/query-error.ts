/** Stable codes of what can be wrong with a listing's query string. */
export type QueryInputErrorCode =
  /** `q` does not follow the grammar (unbalanced, stray operator, unterminated phrase). */
  | 'syntax_error'
  /** `q` names a field outside the allow-list. */
  | 'unknown_field'
  /** A value is not acceptable for its field or parameter (timestamp, wildcard, range). */
  | 'invalid_value'
  /** `q` is longer than QUERY_LIMITS.maxLength. */
  | 'too_long'
  /** `q` nests parentheses or NOT deeper than QUERY_LIMITS.maxDepth. */
  | 'too_deep'
  /** `q` has more than QUERY_LIMITS.maxTerms terms. */
  | 'too_many_terms'
  /** The cursor is not one this server issued (garbled, truncated, edited). */
  | 'invalid_cursor'
  /** The cursor was issued for another filter or order. */
  | 'cursor_mismatch';

/** The query-string parameter an error is about. */
export type QueryParam =
  | 'org'
  | 'action'
  | 'actor_id'
  | 'actor_type'
  | 'target_id'
  | 'target_type'
  | 'from'
  | 'to'
  | 'outcome'
  | 'q'
  | 'limit'
  | 'order'
  | 'cursor';

/**
 * What the pure query code throws; the route turns it into a 400 problem
 * naming the parameter (and, for `q`, the 0-based character position).
 */
export class QueryInputError extends Error {
  override readonly name = 'QueryInputError';

  constructor(
    readonly code: QueryInputErrorCode,
    readonly param: QueryParam,
    /** What is wrong, without the parameter name or position. */
    readonly reason: string,
    /** 0-based UTF-16 offset into `q` where the problem is; null for other parameters. */
    readonly position: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(
      position === null ? `${param}: ${reason}` : `${param}: ${reason} at position ${position}`,
      options,
    );
  }
}
