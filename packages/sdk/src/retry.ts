/** How the client spaces its retries. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Cap of the first back-off window; it doubles on every retry. */
  readonly baseDelayMs: number;
  /** Largest back-off window. */
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown instead. */
  readonly maxRetryAfterMs: number;
}

/**
 * Exponential back-off with full jitter (AWS Architecture Blog, "Exponential
 * Backoff and Jitter"): a uniform random delay in [0, min(max, base * 2^n)),
 * so that clients failing together do not retry together.
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * window);
}

/**
 * The delay a `Retry-After` header asks for (RFC 9110 §10.2.3): either
 * delta-seconds or an HTTP-date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  // Only a date that names a weekday and GMT, as RFC 9110 §5.6.7 spells it;
  // Date.parse alone would also take "5" or "2026".
  if (!/^[A-Z][a-z]{2}, .+ GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
