// Real `logproof` processes for the process-*.test.ts suites: spawned from
// the built CLI (packages/cli/bin/logproof.js), talked to over real HTTP, and
// always killed in the end, even when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { StoredEvent } from '@logproof/core';
import { expect } from 'vitest';

export const CLI = fileURLToPath(new URL('../../../cli/bin/logproof.js', import.meta.url));

/** A fixed master key for PostgreSQL-backed servers (64 hex digits); every process must share it. */
export const TEST_MASTER_KEY = 'a1'.repeat(32);

const running = new Set<ChildProcess>();

export interface ServerProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The admin key the server printed when it initialised an empty database, else null. */
  readonly apiKey: string | null;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote so far (stdout and stderr, the tail only). */
  output(): string;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // Only what node needs, plus the test's own settings: nothing from the
  // developer's LOGPROOF_* environment leaks into the server. Load shedding on
  // event-loop delay is off (a CI machine running several suites at once is
  // not what these tests are about); a 503 is still accepted where load is.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOGPROOF_LOG_LEVEL: 'warn',
    LOGPROOF_MAX_EVENT_LOOP_DELAY_MS: '0',
  };
  return { ...env, ...extra };
}

/** Runs a CLI command to completion; resolves with its exit code and output. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: baseEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`logproof ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    // 'close', not 'exit': only then has all of its output been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts `logproof serve --port 0` and resolves once it listens, with its URL
 * and (on an empty database) the admin key it printed.
 */
export function startServer(
  options: { dataDir: string; databaseUrl?: string; env?: Record<string, string> },
  timeoutMs = 20_000,
): Promise<ServerProcess> {
  const args = [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--data', options.dataDir];
  if (options.databaseUrl) args.push('--database-url', options.databaseUrl);
  const child = spawn(process.execPath, args, {
    env: baseEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let log = '';
  const append = (d: string) => {
    // The streams must always be read (a full pipe would block the server);
    // only the tail is kept, for failure messages.
    log = (log + d).slice(-64 * 1024);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`logproof serve did not start in ${timeoutMs} ms:\n${log}`));
    }, timeoutMs);
    child.stderr.setEncoding('utf8').on('data', append);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      append(d);
      stdout += d;
      const listening = /logproof: listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (!listening) return;
      clearTimeout(timer);
      const key = /\b(lp_sk_[0-9A-Za-z]+)\b/.exec(stdout);
      resolve({
        child,
        url: listening[1]!,
        apiKey: key ? key[1]! : null,
        exited,
        output: () => log,
      });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`logproof serve exited early (${code ?? signal}):\n${log}`));
    });
  });
}

/** SIGKILLs every process these helpers started that is still running; for afterEach. */
export async function killAllServers(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of running) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    waits.push(new Promise((resolve) => child.once('exit', resolve)));
    child.kill('SIGKILL');
  }
  await Promise.all(waits);
  running.clear();
}

/** Sends a signal (none: only waits) and waits for the exit. */
export async function stopServer(
  server: ServerProcess,
  signal: NodeJS.Signals | null,
  timeoutMs = 15_000,
) {
  if (signal) server.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`no exit ${timeoutMs} ms after ${signal ?? 'waiting'}:\n${server.output()}`),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function headers(apiKey: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
}

export async function getJson<T>(
  base: string,
  apiKey: string,
  path: string,
  accept = 'application/json',
): Promise<T> {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${apiKey}`, accept } });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** What one POST under load came to. */
export type Outcome =
  | { kind: 'created'; event: StoredEvent; seq: number }
  | {
      kind: 'refused';
      status: number;
      body: string;
      retryAfter: string | null;
      contentType: string | null;
    }
  | { kind: 'failed'; error: string };

/**
 * `clients` concurrent clients, each posting events one after another to the
 * URL its index picks, until `stop()` is true or `maxPerClient` is reached.
 * Every event carries a unique `metadata.seq`, so that exactly-once can be
 * checked by content as well as by id. A client stops at its first network
 * failure (the server is gone).
 */
export async function ingest(options: {
  urls: readonly string[];
  apiKey: string;
  clients: number;
  stop: () => boolean;
  maxPerClient?: number;
}): Promise<Outcome[]> {
  const { urls, apiKey, clients, stop, maxPerClient = 100_000 } = options;
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const url = urls[c % urls.length]!;
      for (let i = 0; i < maxPerClient && !stop(); i++) {
        const seq = c * 1_000_000 + i;
        try {
          const res = await fetch(`${url}/v1/events`, {
            method: 'POST',
            headers: headers(apiKey),
            body: JSON.stringify({
              action: 'load.write',
              actor: { id: `client_${c}` },
              metadata: { seq },
            }),
          });
          const text = await res.text();
          if (res.status === 201) {
            outcomes.push({ kind: 'created', event: JSON.parse(text) as StoredEvent, seq });
          } else {
            outcomes.push({
              kind: 'refused',
              status: res.status,
              body: text,
              retryAfter: res.headers.get('retry-after'),
              contentType: res.headers.get('content-type'),
            });
            if (res.status === 503) await new Promise((r) => setTimeout(r, 20));
          }
        } catch (error) {
          outcomes.push({ kind: 'failed', error: String((error as Error).cause ?? error) });
          return;
        }
      }
    }),
  );
  return outcomes;
}

export function created(outcomes: readonly Outcome[]): Array<{ event: StoredEvent; seq: number }> {
  return outcomes.flatMap((o) => (o.kind === 'created' ? [{ event: o.event, seq: o.seq }] : []));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** GETs every event by id, a few at a time; fails on anything but 200. */
export async function fetchEvents(
  base: string,
  apiKey: string,
  ids: readonly string[],
  concurrency = 16,
): Promise<StoredEvent[]> {
  const out: StoredEvent[] = new Array(ids.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const i = next++;
        out[i] = await getJson<StoredEvent>(base, apiKey, `/v1/events/${ids[i]!}`);
      }
    }),
  );
  return out;
}

/**
 * A raw HTTP/1.1 connection, for requests sent in pieces: it lets a test hold
 * a request in flight (or half-sent) across a signal to the server.
 */
export function openConnection(base: string) {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  socket.setEncoding('utf8');
  let data = '';
  socket.on('data', (d: string) => (data += d));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    write(text: string): void {
      socket.write(text);
    },
    /** The answer, once the server has closed the connection. */
    async response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
      await closed;
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) throw new Error(`no HTTP answer: ${JSON.stringify(data)}`);
      const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      return { status: Number(statusLine!.split(' ')[1]), headers, body: data.slice(end + 4) };
    },
    destroy(): void {
      socket.destroy();
    },
  };
}

/** The head of a POST /v1/events with a JSON body of `length` bytes. */
export function postHead(base: string, apiKey: string, length: number): string {
  return (
    `POST /v1/events HTTP/1.1\r\nHost: ${new URL(base).host}\r\nAuthorization: Bearer ${apiKey}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`
  );
}

/**
 * The only refusal a healthy server may give a valid event under load: 503
 * (overloaded), as an RFC 9457 problem with Retry-After (API.md "Errors").
 */
export function expectOnlyLoadShedding(outcomes: readonly Outcome[]): void {
  for (const o of outcomes) {
    if (o.kind !== 'refused') continue;
    expect(o.status, o.body).toBe(503);
    expect(o.contentType).toMatch(/^application\/problem\+json/);
    expect(Number(o.retryAfter)).toBeGreaterThanOrEqual(1);
  }
}

/** Polls the org until its log holds at least `min` events (bounded: fails after `timeoutMs`). */
export async function waitForTreeSize(
  base: string,
  apiKey: string,
  min: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const org = await getJson<{ tree_size: number }>(base, apiKey, '/v1/orgs/default');
    if (org.tree_size >= min) return;
    if (Date.now() > deadline) throw new Error(`tree size still ${org.tree_size} < ${min}`);
    await sleep(50);
  }
}
