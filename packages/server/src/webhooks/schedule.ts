/**
 * The Standard Webhooks retry schedule ("Retry schedule" in the Standard
 * Webhooks specification): after the first failure 5 s, then 5 min, 30 min,
 * 2 h, 5 h, 10 h, and 10 h again until the destination has failed for
 * 3 days, when it is disabled.
 */
export const STANDARD_STEPS_MS: readonly number[] = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000,
];

/** How long a destination may keep failing before it is disabled. */
export const GIVE_UP_AFTER_MS = 3 * 86_400_000;

/** The unscaled first step: LOGPROOF_WEBHOOK_RETRY_BASE_MS is measured against it. */
export const DEFAULT_RETRY_BASE_MS = STANDARD_STEPS_MS[0]!;

/** ±20 %: enough that destinations failing together do not retry in lockstep. */
const JITTER = 0.2;

/**
 * The retry schedule, scaled as a whole: with `baseMs` = 5000 it is the
 * standard one; with 10 every step and the 3-day horizon are 500 times
 * shorter, so that tests run through it in seconds.
 */
export class RetrySchedule {
  readonly #scale: number;

  constructor(
    baseMs: number = DEFAULT_RETRY_BASE_MS,
    private readonly random: () => number = Math.random,
  ) {
    if (!(baseMs > 0)) throw new RangeError('the retry base must be positive');
    this.#scale = baseMs / DEFAULT_RETRY_BASE_MS;
  }

  /** The unjittered delay before the next attempt after `failures` failures in a row (1 or more). */
  stepMs(failures: number): number {
    const i = Math.min(Math.max(failures, 1), STANDARD_STEPS_MS.length) - 1;
    return STANDARD_STEPS_MS[i]! * this.#scale;
  }

  /** The delay before the next attempt after `failures` failures, with jitter; at least 1 ms. */
  delayMs(failures: number): number {
    const jitter = 1 + JITTER * (2 * this.random() - 1);
    return Math.max(1, Math.round(this.stepMs(failures) * jitter));
  }

  /**
   * The delay a 429 or 503 asked for with Retry-After replaces the step: the
   * receiver said when it will be ready. Never sooner than the first step
   * (a `Retry-After: 0` must not become a busy loop) nor later than the
   * longest one.
   */
  retryAfterDelayMs(retryAfterMs: number): number {
    return Math.round(
      Math.min(Math.max(retryAfterMs, this.stepMs(1)), this.stepMs(STANDARD_STEPS_MS.length)),
    );
  }

  /** True once a destination failing since `failingSince` has failed for the whole horizon. */
  givesUp(failingSince: number, now: number): boolean {
    return now - failingSince >= GIVE_UP_AFTER_MS * this.#scale;
  }
}

/**
 * Parses a Retry-After header (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP-date. Null when absent or malformed.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/[a-z]/i.test(text)) return null;
  return Math.max(0, date - now);
}
