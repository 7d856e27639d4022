// A real Logproof server for the portal's browser tests: the built server
// (@logproof/server dist) in this process, on a real port, over a temp
// SQLite data dir, serving the built portal (LOGPROOF_PORTAL_DIR). Its clock
// can be moved forward, so that link expiry is tested without waiting.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogproof, readConfig, type Logproof } from '@logproof/server';
import Database from 'better-sqlite3';

export const PORTAL_DIST = fileURLToPath(new URL('../dist/', import.meta.url));

export interface PortalServer {
  readonly logproof: Logproof;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly apiKey: string;
  readonly dataDir: string;
  /** Moves the server's clock forward. */
  advanceClock(ms: number): void;
  /** Calls the admin API; throws unless the status is `expect`. */
  admin<T>(method: string, path: string, body?: unknown, expect?: number): Promise<T>;
  /** Runs SQL on the server's SQLite file behind its back (to tamper with the log). */
  sql(statement: string, params: unknown[]): number;
  close(): Promise<void>;
}

export function assertPortalBuilt(): void {
  if (!existsSync(join(PORTAL_DIST, 'index.html'))) {
    throw new Error(
      `the portal is not built (${PORTAL_DIST} has no index.html): run "npm run build -w @logproof/portal" first`,
    );
  }
}

export async function startPortalServer(): Promise<PortalServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'logproof-portal-e2e-'));
  let offset = 0;
  const config = readConfig(
    {
      LOGPROOF_PORTAL_DIR: PORTAL_DIST,
      // The test's webhook receiver listens on http://127.0.0.1 (README "Webhooks").
      LOGPROOF_WEBHOOK_ALLOW_PRIVATE: '1',
      LOGPROOF_WEBHOOK_ALLOW_HTTP: '1',
    },
    {
      dataDir,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      maxEventLoopDelayMs: 0,
      rateLimitPerMinute: 0,
      selfAuditIntervalMs: 0,
      exportSweepIntervalMs: 0,
    },
  );
  const logproof = await createLogproof(config, {
    init: true,
    logger: false,
    clock: () => Date.now() + offset,
  });
  if (!logproof.initialApiKey) throw new Error('init did not create an admin key');
  const apiKey = logproof.initialApiKey;
  await logproof.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = logproof.app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const db = new Database(join(dataDir, 'logproof.db'));
  db.pragma('busy_timeout = 5000');

  return {
    logproof,
    url,
    apiKey,
    dataDir,
    advanceClock(ms) {
      offset += ms;
    },
    async admin<T>(method: string, path: string, body?: unknown, expect?: number): Promise<T> {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      const wanted = expect ?? (method === 'POST' ? 201 : 200);
      if (res.status !== wanted) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : null) as T;
    },
    sql(statement, params) {
      return db.prepare(statement).run(...params).changes;
    },
    async close() {
      db.close();
      await logproof.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ReceivedHook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A local HTTP webhook receiver that answers 200 and keeps what it got. */
export async function startReceiver(): Promise<{
  url: string;
  received: ReceivedHook[];
  close(): Promise<void>;
}> {
  const received: ReceivedHook[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/logproof`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
