// The real app for the GET /v1/events suites, on SQLite and (when
// LOGPROOF_TEST_DATABASE_URL is set) on PostgreSQL, with the few calls those
// suites make: list, page, follow cursors, record in batches, create orgs.
import type { StoredEvent } from '@logproof/core';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Config } from '../../src/index.js';
import { createTestApp, getJson, postJson, type TestApp } from './http-app.js';
import { createTestDatabase, describeWithPostgres } from './postgres.js';
import { TEST_MASTER_KEY } from './server-process.js';

export interface Page {
  data: StoredEvent[];
  next_cursor: string | null;
}

export type Params = Record<string, string | number | undefined>;

/** A query string with every value percent-encoded (spaces as %20, never +). */
export function queryString(params: Params): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** The app of one suite and what its tests call. `t` is set in beforeAll. */
export class ListingApp {
  t!: TestApp;

  list(apiKey: string, params: Params = {}): Promise<LightMyRequestResponse> {
    return getJson(this.t.app, apiKey, `/v1/events${queryString(params)}`);
  }

  async page(apiKey: string, params: Params): Promise<Page> {
    const res = await this.list(apiKey, params);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Page>();
  }

  /** Follows next_cursor to the end; checks every page's size on the way. */
  async listAll(apiKey: string, params: Params, limit: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let cursor: string | undefined;
    for (let pages = 0; ; pages++) {
      if (pages > 10_000) throw new Error('too many pages');
      const p = await this.page(apiKey, { ...params, limit, cursor });
      expect(p.data.length).toBeLessThanOrEqual(limit);
      out.push(...p.data);
      if (p.next_cursor === null) return out;
      expect(p.data.length).toBe(limit);
      cursor = p.next_cursor;
    }
  }

  /** Records events through the batch API, 1000 per request. */
  async insert(apiKey: string, events: readonly unknown[]): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for (let i = 0; i < events.length; i += 1000) {
      const res = await postJson(this.t.app, apiKey, '/v1/events/batch', {
        events: events.slice(i, i + 1000),
      });
      expect(res.statusCode, res.body).toBe(201);
      out.push(...res.json<{ events: StoredEvent[] }>().events);
    }
    return out;
  }

  async createOrg(apiKey: string, externalId: string): Promise<string> {
    const res = await postJson(this.t.app, apiKey, '/v1/orgs', {
      external_id: externalId,
      name: externalId,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  }

  async createKey(scopes: string[]): Promise<string> {
    const res = await postJson(this.t.app, this.t.apiKey, '/v1/api-keys', {
      name: scopes.join(' '),
      scopes,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ secret: string }>().secret;
  }

  /** A new project in the same app, isolated from every other suite's data. */
  async newProject(name: string): Promise<string> {
    return (await this.t.logproof.tenancy.initProject(name)).apiKey;
  }
}

function describeOn(
  name: string,
  open: () => Promise<{ config: Partial<Config>; drop(): Promise<void> }>,
  body: (app: ListingApp) => void,
): void {
  describe(`GET /v1/events on ${name}`, () => {
    const app = new ListingApp();
    let drop: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      const o = await open();
      drop = o.drop;
      // No load shedding: inject() runs request after request in microtasks,
      // which the event-loop delay monitor would take for an overload.
      app.t = await createTestApp({ rateLimitPerMinute: 0, maxEventLoopDelayMs: 0, ...o.config });
    }, 60_000);
    afterAll(async () => {
      await app.t?.close();
      await drop?.();
    });
    body(app);
  });
}

/** Runs `body` against the real app on SQLite, and on PostgreSQL (STYLE.md habit 3). */
export function describeOnBothBackends(body: (app: ListingApp) => void): void {
  describeOn('SQLite', async () => ({ config: {}, drop: async () => {} }), body);
  describeWithPostgres('PostgreSQL', () => {
    describeOn(
      'PostgreSQL',
      async () => {
        const db = await createTestDatabase();
        return {
          config: { databaseUrl: db.url, masterKey: TEST_MASTER_KEY },
          drop: () => db.drop(),
        };
      },
      body,
    );
  });
}
