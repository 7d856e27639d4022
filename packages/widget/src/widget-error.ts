/** Why the widget could not show the log (stable codes; tests assert them). */
export type WidgetErrorCode =
  /** A missing or malformed attribute (token, base-url). */
  | 'config_invalid'
  /** The request did not complete: offline, DNS, CORS refused, aborted by a timeout. */
  | 'network_failed'
  /** The server answered with an error, usually an RFC 9457 problem. */
  | 'server_problem'
  /** The server answered 200 with something that is not a widget page. */
  | 'response_invalid';

/** The one error family of the widget; `message` is written for the person looking at the page. */
export class WidgetError extends Error {
  override readonly name = 'WidgetError';
  readonly code: WidgetErrorCode;
  /** HTTP status, when the server answered. */
  readonly status: number | null;
  /** The problem's own `code` (e.g. `embed_token_expired`), when it sent one. */
  readonly problemCode: string | null;

  constructor(
    code: WidgetErrorCode,
    message: string,
    options: { status?: number; problemCode?: string | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? null;
    this.problemCode = options.problemCode ?? null;
  }
}
