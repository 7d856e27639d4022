// What differs between the two backends when a listing is written as SQL,
// as capabilities of a dialect value rather than `if (kind === 'pg')` in the
// builder (STYLE.md: kysely). Every value reaches the database as a bound
// parameter; the methods below only ever add placeholders and fixed text.

/** Adds a parameter and returns its placeholder. */
export type Bind = (value: unknown) => string;

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** The placeholder of the `n`th parameter (1-based). */
  placeholder(n: number): string;
  /**
   * A text column compared in code point order, which is UTF-8 byte order:
   * SQLite's BINARY collation, PostgreSQL's "C". The same order on both
   * backends is what makes `prefix*` ranges and cursors agree.
   */
  bytewise(column: string): string;
  /** A parameter used as a 64-bit integer. */
  integer(placeholder: string): string;
  /** The string member of the canonical entry (column `canonical`) at `path`; NULL when absent. */
  entryString(canonical: string, path: readonly string[], bind: Bind): string;
  /**
   * A metadata value of the canonical entry in its text form: a string as
   * it is, an integer in decimal, a boolean as `true` / `false`; NULL when
   * the key is absent.
   */
  metadataText(canonical: string, key: string, bind: Bind): string;
  /** True when `text` starts with the bound `prefix` (case-sensitive); NULL when `text` is. */
  startsWith(text: string, prefix: string): string;
  /**
   * Text after a table in FROM that makes the database read it through
   * `index`, or '' to leave the choice to the planner. SQLite's planner has
   * no statistics unless ANALYZE ran, and without them it prefers any index
   * that spares it a sort, even one that scans a million rows for a rare
   * actor; PostgreSQL's autovacuum keeps statistics, so it chooses well.
   */
  indexHint(index: string): string;
  /** A join whose left side the database must read first. */
  readonly orderedJoin: string;
}

/** A JSON path that names each member literally (keys may hold dots). */
function sqliteJsonPath(path: readonly string[]): string {
  // Member names here are fixed field names or metadata keys, which
  // METADATA_KEY_PATTERN limits to A-Z a-z 0-9 _ . - : never a quote.
  return `$${path.map((member) => `."${member}"`).join('')}`;
}

export const SQLITE_DIALECT: SqlDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  bytewise: (column) => column,
  integer: (placeholder) => placeholder,
  entryString: (canonical, path, bind) =>
    `json_extract(${canonical}, ${bind(sqliteJsonPath(path))})`,
  metadataText: (canonical, key, bind) => {
    const path = sqliteJsonPath(['metadata', key]);
    // json_extract gives booleans as 1 / 0, so json_type tells them apart.
    return (
      `(CASE json_type(${canonical}, ${bind(path)})` +
      ` WHEN 'text' THEN json_extract(${canonical}, ${bind(path)})` +
      ` WHEN 'integer' THEN CAST(json_extract(${canonical}, ${bind(path)}) AS TEXT)` +
      ` WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END)`
    );
  },
  // instr() is 1 exactly when the first occurrence is at the start.
  startsWith: (text, prefix) => `(instr(${text}, ${prefix}) = 1)`,
  indexHint: (index) => ` INDEXED BY ${index}`,
  // SQLite never reorders the two sides of a CROSS JOIN (its documented
  // way of fixing the join order).
  orderedJoin: 'CROSS JOIN',
};

export const POSTGRES_DIALECT: SqlDialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  bytewise: (column) => `${column} COLLATE "C"`,
  integer: (placeholder) => `${placeholder}::bigint`,
  // ::json, not ::jsonb: one member is read per call, and json skips building
  // the binary form. #>> gives strings as they are and other scalars as their
  // JSON text (5, true), which is the text form metadataText promises.
  entryString: (canonical, path, bind) => `(${canonical}::json #>> ${bind(path)}::text[])`,
  metadataText: (canonical, key, bind) =>
    `(${canonical}::json #>> ${bind(['metadata', key])}::text[])`,
  startsWith: (text, prefix) => `starts_with(${text}, ${prefix})`,
  indexHint: () => '',
  orderedJoin: 'JOIN',
};
