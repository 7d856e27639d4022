/**
 * The stable `code` of the API's RFC 9457 problem documents (API.md
 * "Errors"). A newer server may send codes this SDK does not know yet, so
 * the type stays open to any string.
 */
export type ApiProblemCode =
  | 'malformed_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'idempotency_key_in_flight'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'idempotency_key_reused'
  | 'rate_limited'
  | 'unavailable'
  | 'internal_error'
  | (string & {});

/** One entry of a problem's `errors[]`: a JSON Pointer into the request and what is wrong there. */
export interface ProblemItem {
  path: string;
  message: string;
}

/** An RFC 9457 problem document as the API writes it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ApiProblemCode;
  errors: ProblemItem[];
  request_id?: string;
  [member: string]: unknown;
}

/**
 * The server answered with an error status. `code` is the problem's stable
 * `code` member (branch on it, never on the message); a body that is not a
 * problem document (a proxy's HTML page) gets `http_<status>`.
 *
 * @example
 * ```ts
 * try {
 *   await client.events.create(input);
 * } catch (error) {
 *   if (error instanceof LogproofApiError && error.code === 'validation_failed') {
 *     for (const e of error.problem.errors) console.error(e.path, e.message);
 *   }
 * }
 * ```
 */
export class LogproofApiError extends Error {
  override readonly name = 'LogproofApiError';
  /** HTTP status. */
  readonly status: number;
  /** The problem's stable code, or `http_<status>` when the body was not a problem document. */
  readonly code: ApiProblemCode;
  /** The RFC 9457 body (synthesised from the status when the server sent none). */
  readonly problem: Problem;
  /** The server's request id (`x-request-id`), to quote to support. */
  readonly requestId: string | undefined;
  /** What `Retry-After` asked for, in milliseconds, when it was sent. */
  readonly retryAfterMs: number | undefined;

  constructor(
    problem: Problem,
    options: { requestId?: string | undefined; retryAfterMs?: number | undefined } = {},
  ) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
    this.requestId = options.requestId ?? problem.request_id;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Why an exchange with the server failed without an HTTP error status. */
export type NetworkErrorCode =
  /** The request could not be sent or its answer not read (DNS, refused, reset). */
  | 'network_error'
  /** No complete answer within `timeoutMs`. */
  | 'timeout'
  /** A success status with a body that is not what the endpoint returns (not JSON, say). */
  | 'invalid_response';

/**
 * The request failed below HTTP, after every retry it was allowed. The
 * underlying error (fetch's `TypeError`, say) is kept as `cause`.
 *
 * @example
 * ```ts
 * catch (error) {
 *   if (error instanceof LogproofNetworkError && error.code === 'timeout') queueForLater(input);
 * }
 * ```
 */
export class LogproofNetworkError extends Error {
  override readonly name = 'LogproofNetworkError';
  readonly code: NetworkErrorCode;
  /** How many times the request was sent. */
  readonly attempts: number;

  constructor(
    code: NetworkErrorCode,
    message: string,
    options: { cause?: unknown; attempts?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.attempts = options.attempts ?? 1;
  }
}
