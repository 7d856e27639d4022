import { LogproofApiError, LogproofNetworkError, type Problem } from './errors.js';
import { backoffDelay, parseRetryAfter, sleep, type RetryPolicy } from './retry.js';

/** Settings of a {@link Logproof} client. */
export interface ClientOptions {
  /** `lp_sk_...`; optional for a client that only reads the public endpoints. */
  apiKey?: string | undefined;
  /** Where the API lives, e.g. `https://logproof.example.com` (with or without a path prefix). */
  baseUrl: string;
  /** A fetch implementation; the global `fetch` (Node 20, browsers) by default. */
  fetch?: typeof fetch | undefined;
  /** Retries after the first attempt, for requests that are safe to repeat. Default 3. */
  maxRetries?: number | undefined;
  /** Time for one attempt, answer included. Default 30 000 ms. */
  timeoutMs?: number | undefined;
  /** Cap of the first back-off window (it doubles per retry). Default 500 ms. */
  retryBaseDelayMs?: number | undefined;
  /** Largest back-off window. Default 10 000 ms. */
  retryMaxDelayMs?: number | undefined;
  /** A longer `Retry-After` is not waited for; the error is thrown. Default 60 000 ms. */
  maxRetryAfterMs?: number | undefined;
}

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the call, retries and back-off waits included. */
  signal?: AbortSignal | undefined;
}

type QueryValue = string | number | boolean | undefined | null;

/** One call as a resource describes it. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path below the base URL, starting with `/v1/`; path parameters already encoded. */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
  accept?: string | undefined;
  /**
   * True when sending the request twice has the effect of sending it once
   * (GET, DELETE, and POSTs the API defines as idempotent).
   */
  idempotent: boolean;
  /** Sent as `Idempotency-Key`, the same on every retry; makes any POST safe to retry. */
  idempotencyKey?: string | undefined;
  /** Whether to send the API key (public endpoints do not need one). Default true. */
  auth?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

interface Answer {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
}

/** A successful answer, its body read as text. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

// API.md "Errors": 429 and 503 carry Retry-After and promise nothing was
// written. 408/502/504 come from proxies in front of the API: the request may
// or may not have been processed, which is exactly what idempotency covers.
const RETRYABLE_STATUSES = new Set([408, 429, 502, 503, 504]);

function trimBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TypeError(`baseUrl ${JSON.stringify(url)} is not an absolute URL`, { cause });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError('baseUrl must be an http: or https: URL');
  }
  return parsed.href.replace(/\/+$/, '');
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a number >= 0`);
  return value;
}

function readProblem(status: number, statusText: string, text: string): Problem {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const p = body as Record<string, unknown>;
    if (typeof p.code === 'string' || typeof p.title === 'string') {
      return {
        ...p,
        type: typeof p.type === 'string' ? p.type : 'about:blank',
        title: typeof p.title === 'string' ? p.title : statusText,
        status,
        detail: typeof p.detail === 'string' ? p.detail : '',
        code: typeof p.code === 'string' ? p.code : `http_${status}`,
        errors: Array.isArray(p.errors) ? (p.errors as Problem['errors']) : [],
      };
    }
  }
  // Not a problem document: a proxy's error page, say. Keep a bounded excerpt.
  return {
    type: 'about:blank',
    title: statusText || `HTTP ${status}`,
    status,
    detail: text.slice(0, 500),
    code: `http_${status}`,
    errors: [],
  };
}

/**
 * Sends requests with the API key, a per-attempt timeout and safe retries:
 * only requests that are idempotent or carry an Idempotency-Key are repeated,
 * on network errors, timeouts, 408, 429, 502, 503, 504 and 409
 * `idempotency_key_in_flight`, waiting `Retry-After` when the server sent
 * one and exponential back-off with full jitter otherwise.
 */
export class HttpClient {
  readonly #base: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;

  constructor(options: ClientOptions) {
    this.#base = trimBase(options.baseUrl);
    this.#apiKey = options.apiKey;
    // Bound: some browsers throw "Illegal invocation" for a detached window.fetch.
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#timeoutMs = nonNegative(options.timeoutMs, 30_000, 'timeoutMs');
    this.#policy = Object.freeze({
      maxRetries: Math.floor(nonNegative(options.maxRetries, 3, 'maxRetries')),
      baseDelayMs: nonNegative(options.retryBaseDelayMs, 500, 'retryBaseDelayMs'),
      maxDelayMs: nonNegative(options.retryMaxDelayMs, 10_000, 'retryMaxDelayMs'),
      maxRetryAfterMs: nonNegative(options.maxRetryAfterMs, 60_000, 'maxRetryAfterMs'),
    });
  }

  /** Sends `request` and parses a JSON answer. */
  async json<T>(request: HttpRequest): Promise<T> {
    const response = await this.send({ accept: 'application/json', ...request });
    try {
      return JSON.parse(response.text) as T;
    } catch (cause) {
      throw new LogproofNetworkError(
        'invalid_response',
        `${request.method} ${request.path} answered ${response.status} with a body that is not JSON`,
        { cause },
      );
    }
  }

  /** Sends `request` and returns the answer's raw bytes. */
  async bytes(request: HttpRequest): Promise<Uint8Array> {
    return (await this.#sendWithRetries(request)).bytes;
  }

  /** Sends `request`; resolves with a 2xx answer, throws {@link LogproofApiError} otherwise. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const { status, headers, bytes } = await this.#sendWithRetries(request);
    return { status, headers, text: new TextDecoder().decode(bytes) };
  }

  #url(request: HttpRequest): string {
    let url = this.#base + request.path;
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined && value !== null) params.append(name, String(value));
    }
    const query = params.toString();
    if (query !== '') url += `?${query}`;
    return url;
  }

  #headers(request: HttpRequest): Record<string, string> {
    const headers: Record<string, string> = {};
    if (request.accept !== undefined) headers.accept = request.accept;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
    if ((request.auth ?? true) && this.#apiKey !== undefined) {
      headers.authorization = `Bearer ${this.#apiKey}`;
    }
    return headers;
  }

  async #sendWithRetries(request: HttpRequest): Promise<Answer> {
    const url = this.#url(request);
    const init: RequestInit = {
      method: request.method,
      headers: this.#headers(request),
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    };
    const mayRetry = request.idempotent || request.idempotencyKey !== undefined;
    const what = `${request.method} ${request.path}`;
    for (let attempt = 0; ; attempt++) {
      const canRetry = mayRetry && attempt < this.#policy.maxRetries;
      let outcome: { response: Response; bytes: Uint8Array };
      try {
        outcome = await this.#attempt(url, init, request.signal);
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        const timedOut = error instanceof AttemptTimeout;
        if (canRetry) {
          await sleep(backoffDelay(attempt, this.#policy), request.signal);
          continue;
        }
        throw new LogproofNetworkError(
          timedOut ? 'timeout' : 'network_error',
          timedOut
            ? `${what}: no answer within ${this.#timeoutMs} ms (${attempt + 1} attempts)`
            : `${what} failed: ${(error as Error).message} (${attempt + 1} attempts)`,
          { cause: timedOut ? undefined : error, attempts: attempt + 1 },
        );
      }
      const { response, bytes } = outcome;
      if (response.ok) return { status: response.status, headers: response.headers, bytes };

      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const problem = readProblem(
        response.status,
        response.statusText,
        new TextDecoder().decode(bytes),
      );
      const error = new LogproofApiError(problem, {
        requestId: response.headers.get('x-request-id') ?? undefined,
        retryAfterMs,
      });
      const retryable =
        RETRYABLE_STATUSES.has(response.status) ||
        // The same key is still being committed by an earlier attempt (one
        // that timed out on our side, say): its answer is worth waiting for.
        (response.status === 409 &&
          problem.code === 'idempotency_key_in_flight' &&
          request.idempotencyKey !== undefined);
      if (!canRetry || !retryable) throw error;
      if (retryAfterMs !== undefined && retryAfterMs > this.#policy.maxRetryAfterMs) throw error;
      await sleep(retryAfterMs ?? backoffDelay(attempt, this.#policy), request.signal);
    }
  }

  /** One attempt: the answer and its whole body, within the timeout. */
  async #attempt(
    url: string,
    init: RequestInit,
    signal: AbortSignal | undefined,
  ): Promise<{ response: Response; bytes: Uint8Array }> {
    // Not AbortSignal.any/timeout: older Safari lacks them, and the timeout
    // must cover reading the body too.
    const controller = new AbortController();
    const timeout = new AttemptTimeout();
    const timer = setTimeout(() => controller.abort(timeout), this.#timeoutMs);
    const onAbort = () => controller.abort(signal!.reason);
    if (signal?.aborted) controller.abort(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.#fetch(url, { ...init, signal: controller.signal });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { response, bytes };
    } catch (error) {
      if (controller.signal.reason === timeout) throw timeout;
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** Marks an attempt aborted by our own timer, as opposed to the caller's signal. */
class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}
