/** Stable machine-readable codes of the API's problem documents. */
export type ApiErrorCode =
  | 'malformed_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'portal_session_required'
  | 'forbidden'
  | 'portal_link_invalid'
  | 'csrf_failed'
  | 'not_found'
  | 'method_not_allowed'
  | 'idempotency_key_in_flight'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'idempotency_key_reused'
  | 'rate_limited'
  | 'unavailable'
  | 'internal_error';

const STATUS: Record<ApiErrorCode, number> = {
  malformed_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  portal_session_required: 401,
  forbidden: 403,
  portal_link_invalid: 403,
  csrf_failed: 403,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_key_in_flight: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  unavailable: 503,
  internal_error: 500,
};

const TITLE: Record<ApiErrorCode, string> = {
  malformed_request: 'Malformed request',
  validation_failed: 'Validation failed',
  unauthorized: 'Unauthorized',
  portal_session_required: 'Portal session required',
  forbidden: 'Forbidden',
  portal_link_invalid: 'Portal link invalid',
  csrf_failed: 'Cross-site request refused',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  idempotency_key_in_flight: 'Idempotency key in flight',
  conflict: 'Conflict',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  idempotency_key_reused: 'Idempotency key reused',
  rate_limited: 'Too many requests',
  unavailable: 'Service unavailable',
  internal_error: 'Internal server error',
};

export interface ProblemItem {
  readonly path: string;
  readonly message: string;
}

/**
 * The only error the HTTP layer raises on purpose. The status comes from the
 * code, in this one table; the error handler writes it as RFC 9457
 * problem+json.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly title: string;
  readonly errors: readonly ProblemItem[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: ApiErrorCode,
    detail: string,
    options: {
      errors?: readonly ProblemItem[];
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = STATUS[code];
    this.title = TITLE[code];
    this.errors = options.errors ?? [];
    this.headers = options.headers ?? {};
  }
}

/** The RFC 9457 body of an error. `type` is a URN, stable per code. */
export function problemBody(error: ApiError, requestId: string): Record<string, unknown> {
  return {
    type: `urn:logproof:problem:${error.code.replaceAll('_', '-')}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    errors: error.errors,
    request_id: requestId,
  };
}
