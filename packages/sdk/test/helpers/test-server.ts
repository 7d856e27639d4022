// The real server, in process, listening on a free port of 127.0.0.1: the SDK
// talks to it over real HTTP. A fresh SQLite data dir per server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogproof, readConfig, type Config, type Logproof as Server } from '@logproof/server';
import { Logproof, type ClientOptions } from '../../src/index.js';

export interface TestServer {
  readonly server: Server;
  readonly baseUrl: string;
  /** The admin key (every scope) init printed. */
  readonly apiKey: string;
  /** A client of this server; `options` override the defaults. */
  client(options?: Partial<ClientOptions>): Logproof;
  /**
   * False when the server has no route for `method url` yet (some routes of
   * API.md are still being built): the not-found handler answers for it.
   */
  hasRoute(method: 'GET' | 'POST', url: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'logproof-sdk-'));
  // No load shedding: a busy test machine must not turn into 503s the tests did not plan.
  const config = readConfig(
    {},
    { dataDir, rateLimitPerMinute: 0, maxEventLoopDelayMs: 0, logLevel: 'silent', ...overrides },
  );
  const server = await createLogproof(config, { init: true, logger: false });
  const address = await server.app.listen({ port: 0, host: '127.0.0.1' });
  const apiKey = server.initialApiKey;
  if (apiKey === null) throw new Error('init did not create an admin key');
  return {
    server,
    baseUrl: address,
    apiKey,
    client: (options = {}) =>
      new Logproof({ apiKey, baseUrl: address, retryBaseDelayMs: 5, ...options }),
    async hasRoute(method, url) {
      const res = await server.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        ...(method === 'POST' ? { payload: '{}' } : {}),
      });
      if (res.statusCode !== 404) return true;
      const detail = (res.json() as { detail?: string }).detail ?? '';
      return !detail.startsWith('no route');
    },
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
