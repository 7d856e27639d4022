// The real app, in process, for `app.inject()` tests: a fresh SQLite data dir,
// the composition root (createLogproof) and the admin key `init` made.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '@logproof/core';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createLogproof, readConfig, type Config, type Logproof } from '../../src/index.js';

export interface TestApp {
  readonly logproof: Logproof;
  readonly app: FastifyInstance;
  /** The admin key (every scope) `init` printed. */
  readonly apiKey: string;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** A settable clock, so that time-window rules can be tested to the millisecond. */
export interface TestClock {
  (): number;
  set(ms: number): void;
}

export function createTestClock(start = Date.now()): TestClock {
  let now = start;
  const clock = (() => now) as TestClock;
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

export async function createTestApp(
  overrides: Partial<Config> = {},
  options: { clock?: () => number } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'logproof-http-'));
  // An empty environment: nothing from the developer's shell leaks in. Load
  // shedding on event-loop delay is off: a busy test runner is not an
  // overloaded server, and a 503 here would only make the suites flaky.
  const config = readConfig(
    {},
    { dataDir, logLevel: 'silent', maxEventLoopDelayMs: 0, ...overrides },
  );
  const logproof = await createLogproof(config, {
    init: true,
    logger: false,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await logproof.app.ready();
  if (!logproof.initialApiKey) throw new Error('init did not create an admin key');
  return {
    logproof,
    app: logproof.app,
    apiKey: logproof.initialApiKey,
    dataDir,
    async close() {
      await logproof.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function bearer(apiKey: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}` };
}

/** POSTs a JSON body (a value, serialised here, or raw text sent as it is). */
export function postJson(
  app: FastifyInstance,
  apiKey: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(apiKey), 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function getJson(
  app: FastifyInstance,
  apiKey: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: { ...bearer(apiKey), ...headers } });
}

/** A minimal valid event; `extra` members are merged over it. */
export function validEvent(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { action: 'user.login', actor: { id: 'user_1' }, ...extra };
}

/** Posts one event and returns the stored event, failing unless the answer is 201. */
export async function recordEvent(
  app: FastifyInstance,
  apiKey: string,
  body: unknown = validEvent(),
): Promise<StoredEvent> {
  const res = await postJson(app, apiKey, '/v1/events', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<StoredEvent>();
}

/** The org's current tree size as GET /v1/orgs/{org} reports it. */
export async function treeSize(
  app: FastifyInstance,
  apiKey: string,
  org = 'default',
): Promise<number> {
  const res = await getJson(app, apiKey, `/v1/orgs/${encodeURIComponent(org)}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ tree_size: number }>().tree_size;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors: Array<{ path: string; message: string }>;
  request_id: string;
}

/**
 * Asserts an RFC 9457 answer: status, media type, stable code and, when
 * given, that each of `paths` is named by one of `errors[].path`.
 */
export function expectProblem(
  res:
    LightMyRequestResponse | { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
  paths: readonly string[] = [],
): Problem {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(res.body) as Problem;
  expect(problem.status).toBe(status);
  expect(problem.code).toBe(code);
  expect(problem.type).toBe(`urn:logproof:problem:${code.replaceAll('_', '-')}`);
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  expect(Array.isArray(problem.errors)).toBe(true);
  const named = problem.errors.map((e) => e.path);
  for (const path of paths) expect(named, res.body).toContain(path);
  return problem;
}
