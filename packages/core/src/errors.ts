/**
 * One error family for the whole core (and, through the server's single error
 * handler, for the HTTP API). Callers branch on `code`, never on `message`.
 */
export type LogproofErrorCode =
  /** A value cannot be canonicalised under RFC 8785 as Logproof uses it. */
  | 'ERR_CANONICAL_JSON'
  /** Hex, base64 or UTF-8 input is malformed or not in canonical form. */
  | 'ERR_ENCODING'
  /** A hash is not 32 bytes / 64 lowercase hex digits. */
  | 'ERR_HASH_FORMAT'
  /** A leaf index, tree size or range is out of bounds or not a safe integer. */
  | 'ERR_TREE_RANGE'
  /** A proof has the wrong shape (length, element format) for its sizes. */
  | 'ERR_PROOF_MALFORMED'
  /** A well-formed proof does not lead to the expected root. */
  | 'ERR_PROOF_MISMATCH'
  /** A hash the tree needs is not in its store. */
  | 'ERR_HASH_MISSING'
  /** A signed note is not well formed (C2SP signed-note). */
  | 'ERR_NOTE_MALFORMED'
  /** A note carries no signature from any key the verifier knows. */
  | 'ERR_NOTE_UNVERIFIED'
  /** A signature by a known key does not verify. */
  | 'ERR_SIGNATURE_INVALID'
  /** A checkpoint body is not well formed (C2SP tlog-checkpoint). */
  | 'ERR_CHECKPOINT_MALFORMED'
  /** A verifier key string is malformed or its key ID does not match. */
  | 'ERR_VERIFIER_KEY'
  /** A private key or seed is malformed. */
  | 'ERR_SIGNER_KEY'
  /** Event input breaks the API schema; `problems` lists every violation. */
  | 'ERR_VALIDATION'
  /** An evidence bundle is malformed or one of its checks fails. */
  | 'ERR_BUNDLE';

/** One violation in a structured input, addressed by a JSON Pointer (RFC 6901). */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/**
 * The only error class the core throws on bad input.
 *
 * @example
 * ```ts
 * try { parseVerifierKey(text); }
 * catch (e) { if (isLogproofError(e, 'ERR_VERIFIER_KEY')) { ... } }
 * ```
 */
export class LogproofError extends Error {
  override readonly name = 'LogproofError';
  readonly code: LogproofErrorCode;
  readonly problems: readonly Problem[];

  constructor(
    code: LogproofErrorCode,
    message: string,
    options: { cause?: unknown; problems?: readonly Problem[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options.problems ?? [];
  }
}

/** True when `error` is a {@link LogproofError}, optionally with the given code. */
export function isLogproofError(error: unknown, code?: LogproofErrorCode): error is LogproofError {
  return error instanceof LogproofError && (code === undefined || error.code === code);
}
