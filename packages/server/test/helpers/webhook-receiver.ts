// Real webhook receivers on 127.0.0.1 for the webhooks-*.test.ts suites: a
// node:http server that records every request and answers as a script says
// (status, Retry-After, a delay past the sender's timeout, a reset socket).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createLogproof, readConfig, type Config, type Logproof } from '../../src/index.js';
import type { WebhookOptions } from '../../src/webhooks/webhook-runtime.js';
import { postJson } from './http-app.js';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

/** How the receiver answers one request. */
export interface Reply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** Wait this long before answering (past the sender's timeout: a timeout). */
  readonly delayMs?: number;
  /** Destroy the socket instead of answering (a reset). */
  readonly reset?: boolean;
  /** Answer 200 and then stream a body that never ends (until the client hangs up). */
  readonly endless?: boolean;
}

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  readonly n: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** When it arrived (Date.now()). */
  readonly at: number;
  /** What it was answered (`reset` for a destroyed socket). */
  readonly answer: number | 'reset';
  /** The webhook-id header. */
  readonly id: string;
}

export interface Receiver {
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order, once answered. */
  readonly requests: ReceivedRequest[];
  /** The most requests that were being handled at once. */
  readonly maxInFlight: () => number;
  /** The most requests for one org (`data.org` of the body) that were being handled at once. */
  readonly maxInFlightPerOrg: () => number;
  /** TCP connections accepted so far. */
  readonly connections: () => number;
  /** The requests answered 2xx. */
  accepted(): ReceivedRequest[];
  /** Replaces the script. */
  setScript(script: (request: { n: number; id: string; body: string }) => Reply): void;
  close(): Promise<void>;
}

function orgOf(body: string): string {
  try {
    return String((JSON.parse(body) as { data?: { org?: unknown } }).data?.org ?? '');
  } catch {
    return '';
  }
}

/** Starts a receiver; by default it answers 204 at once. */
export async function startReceiver(
  script: (request: { n: number; id: string; body: string }) => Reply = () => ({}),
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let current = script;
  let n = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const inFlightByOrg = new Map<string, number>();
  let maxPerOrg = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const at = Date.now();
      const id = String(req.headers['webhook-id'] ?? '');
      const reply = current({ n: n++, id, body });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const org = orgOf(body);
      const forOrg = (inFlightByOrg.get(org) ?? 0) + 1;
      inFlightByOrg.set(org, forOrg);
      maxPerOrg = Math.max(maxPerOrg, forOrg);
      const finish = () => {
        inFlight--;
        inFlightByOrg.set(org, inFlightByOrg.get(org)! - 1);
        if (reply.reset) {
          requests.push({
            n: requests.length,
            headers: req.headers,
            body,
            at,
            answer: 'reset',
            id,
          });
          req.socket.destroy();
          return;
        }
        const status = reply.status ?? 204;
        requests.push({ n: requests.length, headers: req.headers, body, at, answer: status, id });
        res.writeHead(status, reply.headers ?? {});
        if (!reply.endless) {
          res.end();
          return;
        }
        const chunk = Buffer.alloc(16 * 1024, 120);
        const timer = setInterval(() => res.write(chunk), 1);
        res.on('close', () => clearInterval(timer));
      };
      if (reply.delayMs) setTimeout(finish, reply.delayMs);
      else finish();
    });
  });
  server.keepAliveTimeout = 5_000;
  let connections = 0;
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    maxInFlight: () => maxInFlight,
    maxInFlightPerOrg: () => maxPerOrg,
    connections: () => connections,
    accepted: () =>
      requests.filter((r) => typeof r.answer === 'number' && r.answer >= 200 && r.answer < 300),
    setScript(next) {
      current = next;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The events of accepted deliveries, in arrival order. */
export function deliveredEvents(
  requests: readonly ReceivedRequest[],
): Array<{ id: string; org: string; chain_index: number; action: string }> {
  return requests.map((r) => {
    const body = JSON.parse(r.body) as {
      data: { id: string; org: string; chain_index: number; action: string };
    };
    return body.data;
  });
}

/** Verifies a request with the official Standard Webhooks library; returns the parsed payload. */
export function verifyWithStandardWebhooks(secret: string, request: ReceivedRequest): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}

/** Polls `check` until it returns true; fails after `timeoutMs` (every wait is bounded). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface WebhookTestApp {
  readonly logproof: Logproof;
  readonly app: FastifyInstance;
  readonly apiKey: string;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * The real app on a fresh SQLite data dir (or `databaseUrl`), set up for
 * loopback receivers: private addresses and http allowed, a fast retry
 * schedule, fast polls. Tests of the guard itself pass other settings.
 */
export async function createWebhookApp(
  overrides: Partial<Config> = {},
  options: {
    webhooks?: WebhookOptions;
    clock?: () => number;
    dataDir?: string;
    init?: boolean;
  } = {},
): Promise<WebhookTestApp> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'logproof-webhooks-')));
  const config = readConfig(
    {},
    {
      dataDir,
      logLevel: 'silent',
      maxEventLoopDelayMs: 0,
      rateLimitPerMinute: 0,
      selfAuditIntervalMs: 0,
      webhookAllowPrivate: true,
      webhookAllowHttp: true,
      webhookRetryBaseMs: 2,
      webhookTimeoutMs: 1_000,
      ...overrides,
    },
  );
  const logproof = await createLogproof(config, {
    init: options.init ?? true,
    logger: false,
    webhooks: { ...options.webhooks, worker: { pollIntervalMs: 50, ...options.webhooks?.worker } },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await logproof.app.ready();
  return {
    logproof,
    app: logproof.app,
    apiKey: logproof.initialApiKey ?? '',
    dataDir,
    async close() {
      await logproof.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a webhook through the API; fails unless 201. */
export async function createWebhook(
  app: FastifyInstance,
  apiKey: string,
  body: Record<string, unknown>,
): Promise<{ id: string; secret: string; [key: string]: unknown }> {
  const res = await postJson(app, apiKey, '/v1/webhooks', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Records `count` events in one batch (to `org` when given); returns them in order. */
export async function recordBatch(
  app: FastifyInstance,
  apiKey: string,
  count: number,
  extra: (i: number) => Record<string, unknown> = () => ({}),
): Promise<Array<{ id: string; chain_index: number; org: string; action: string }>> {
  const events = Array.from({ length: count }, (_, i) => ({
    action: 'user.login',
    actor: { id: `user_${i}` },
    metadata: { seq: i },
    ...extra(i),
  }));
  const res = await postJson(app, apiKey, '/v1/events/batch', { events });
  expect(res.statusCode, res.body).toBe(201);
  return (
    res.json() as {
      events: Array<{ id: string; chain_index: number; org: string; action: string }>;
    }
  ).events;
}

/** POSTs with no body (rotate-secret, test). */
export function postEmpty(app: FastifyInstance, apiKey: string, url: string) {
  return app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${apiKey}` } });
}

/** PATCHes a JSON body. */
export function patchJson(app: FastifyInstance, apiKey: string, url: string, body: unknown) {
  return app.inject({
    method: 'PATCH',
    url,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}
