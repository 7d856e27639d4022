import { Agent, request } from 'undici';
import { parseRetryAfter } from './schedule.js';
import { SsrfError, type SsrfGuard } from './ssrf-guard.js';

/** The outcome of one POST to a destination. */
export interface SendResult {
  /** A 2xx answer. */
  readonly ok: boolean;
  readonly statusCode: number | null;
  /** Why it failed, for the attempt history; null when ok. */
  readonly error: string | null;
  readonly durationMs: number;
  /** From Retry-After on a 429 or 503, in ms; else null. */
  readonly retryAfterMs: number | null;
  /** The attempt was cut short by the caller's signal (shutdown): not a verdict on the destination. */
  readonly aborted: boolean;
}

export interface WebhookSenderOptions {
  readonly guard: SsrfGuard;
  /** Whole attempt: connect, send, answer. */
  readonly timeoutMs: number;
  /** TCP (and TLS) connect. */
  readonly connectTimeoutMs?: number;
  /** Response bytes read at most; the rest is dropped with the connection. */
  readonly maxResponseBytes?: number;
  readonly clock?: () => number;
}

const MAX_ERROR_LENGTH = 500;

/** The error of a failed attempt as one line: its code or name, its message, and its cause's. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 3; depth++) {
    const code = (e as { code?: unknown }).code;
    parts.push(`${typeof code === 'string' ? code : e.name}: ${e.message}`);
    e = e.cause;
  }
  return (parts.join(' <- ') || String(error)).slice(0, MAX_ERROR_LENGTH);
}

/**
 * Whether undici gave up waiting (connect, headers or body timeout): the
 * agent's timeouts are the attempt's own, so which of its timers and the
 * attempt's fires first is a race, and either is a timeout to the user.
 */
export function isUndiciTimeout(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return true;
    }
    e = e.cause;
  }
  return false;
}

function ssrfCause(error: unknown): SsrfError | null {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e instanceof SsrfError) return e;
    e = e.cause;
  }
  return null;
}

/**
 * POSTs webhook messages through one undici Agent whose connections are made
 * by the SSRF guard's lookup: every new connection resolves once, is refused
 * when any answer is not public, and connects to the checked address.
 * Redirects are never followed (undici's `request` does not, without the
 * redirect interceptor); a 3xx is a failed attempt.
 */
export class WebhookSender {
  readonly #agent: Agent;
  readonly #o: Required<Omit<WebhookSenderOptions, 'clock'>>;
  readonly #clock: () => number;

  constructor(options: WebhookSenderOptions) {
    this.#o = {
      guard: options.guard,
      timeoutMs: options.timeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? Math.min(options.timeoutMs, 5_000),
      maxResponseBytes: options.maxResponseBytes ?? 64 * 1024,
    };
    this.#clock = options.clock ?? Date.now;
    this.#agent = new Agent({
      connect: { lookup: options.guard.lookup(), timeout: this.#o.connectTimeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
      connections: 16,
    });
  }

  get timeoutMs(): number {
    return this.#o.timeoutMs;
  }

  /** One attempt. Never throws: every failure is a result. */
  async send(
    url: string,
    headers: Record<string, string>,
    body: string,
    signal?: AbortSignal,
  ): Promise<SendResult> {
    const started = performance.now();
    const took = () => Math.round((performance.now() - started) * 10) / 10;
    // One controller and one timer per attempt: AbortSignal.timeout and
    // AbortSignal.any cost more than the rest of the attempt's CPU (profiled).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#o.timeoutMs);
    const onStop = () => controller.abort();
    signal?.addEventListener('abort', onStop, { once: true });
    if (signal?.aborted) controller.abort();
    try {
      // URL rules and literal addresses, before any connection (a literal
      // address skips the lookup hook).
      const target = this.#o.guard.checkUrl(url);
      const res = await request(target, {
        method: 'POST',
        dispatcher: this.#agent,
        headers,
        body,
        signal: controller.signal,
      });
      await this.#drain(res.body);
      const status = res.statusCode;
      const ok = status >= 200 && status < 300;
      const retryAfter =
        status === 429 || status === 503
          ? parseRetryAfter(firstHeader(res.headers['retry-after']), this.#clock())
          : null;
      let error: string | null = null;
      if (!ok) {
        const location =
          status >= 300 && status < 400 ? firstHeader(res.headers.location) : undefined;
        error =
          location !== undefined
            ? `HTTP ${status}: redirect to ${location.slice(0, 200)} not followed`
            : `HTTP ${status}`;
      }
      return {
        ok,
        statusCode: status,
        error,
        durationMs: took(),
        retryAfterMs: retryAfter,
        aborted: false,
      };
    } catch (caught) {
      const refused = ssrfCause(caught);
      const aborted = signal?.aborted === true && !timedOut;
      let error: string;
      if (refused) error = `destination refused: ${refused.message}`;
      else if (timedOut) error = `timed out after ${this.#o.timeoutMs} ms`;
      else if (isUndiciTimeout(caught)) error = `timed out (${describeError(caught)})`;
      else error = describeError(caught);
      return {
        ok: false,
        statusCode: null,
        error,
        durationMs: took(),
        retryAfterMs: null,
        aborted,
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onStop);
    }
  }

  /** Reads the answer up to the cap; past it, drops the connection rather than read on. */
  async #drain(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<void> {
    let read = 0;
    for await (const chunk of body) {
      read += chunk.length;
      if (read > this.#o.maxResponseBytes) {
        body.destroy();
        return;
      }
    }
  }

  async close(): Promise<void> {
    await this.#agent.destroy();
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
