// Shared inputs for the event-*.test.ts files.
import { expect } from 'vitest';
import {
  EVENT_LIMITS,
  validateBatchInput,
  validateEventInput,
  type NormalizedEvent,
  type Problem,
  type ValidationOptions,
} from '../src/index.js';

/** The server's clock in these tests: 2026-02-10T15:00:00.000Z. */
export const NOW = Date.UTC(2026, 1, 10, 15, 0, 0, 0);

export const OPTIONS: ValidationOptions = {
  now: NOW,
  backfillWindowMs: EVENT_LIMITS.defaultBackfillWindowMs,
};

export function minimalEvent(): Record<string, any> {
  return { action: 'user.login', actor: { id: 'user_1' } };
}

export function fullEvent(): Record<string, any> {
  return {
    org: 'acme-prod',
    action: 'billing.invoice.paid',
    actor: {
      id: 'user_2mZ8k1',
      type: 'user',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      metadata: { role: 'owner' },
    },
    targets: [
      { id: 'inv_8812', type: 'invoice', name: 'Invoice #8812', metadata: { total_cents: 12900 } },
      { id: 'cus_77', type: 'customer' },
    ],
    metadata: { plan: 'pro', seats: 12, sso: true },
    context: { ip: '203.0.113.7', user_agent: 'Mozilla/5.0', request_id: 'req_7Hq2' },
    occurred_at: '2026-02-10T16:32:18.123456+02:00',
    entry_type: 'auth',
    outcome: 'failure',
    description: 'Ada paid invoice #8812',
  };
}

/** The problems of an input that must be refused. */
export function problemsOf(input: unknown, options: ValidationOptions = OPTIONS): Problem[] {
  const result = validateEventInput(input, options);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.value)}`);
  return result.problems;
}

/** The normalised value of an input that must be accepted. */
export function valueOf(input: unknown, options: ValidationOptions = OPTIONS): NormalizedEvent {
  const result = validateEventInput(input, options);
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.problems)}`);
  return result.value;
}

export function batchProblemsOf(input: unknown, options: ValidationOptions = OPTIONS): Problem[] {
  const result = validateBatchInput(input, options);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

/** Asserts that the input is refused with a problem at exactly `path` (and returns its message). */
export function expectProblemAt(
  input: unknown,
  path: string,
  options: ValidationOptions = OPTIONS,
): string {
  const problems = problemsOf(input, options);
  const found = problems.find((problem) => problem.path === path);
  expect(found, `problems were ${JSON.stringify(problems)}`).toBeDefined();
  return found!.message;
}

/** Sets `value` at a dotted path in a fresh event built by `make`. */
export function withMember(
  make: () => Record<string, any>,
  path: string,
  value: unknown,
): Record<string, any> {
  const event = make();
  const parts = path.split('.');
  let node = event;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part];
  }
  node[parts.at(-1)!] = value;
  return event;
}
