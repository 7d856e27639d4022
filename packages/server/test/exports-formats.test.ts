// NDJSON and JSON exports through the real server on SQLite and PostgreSQL:
// exactly the events GET /v1/events lists for the same filters, in the same
// order, as the API returns them (hashes and signatures included), never
// another project's, and streamed (the response is a stream, not a buffer).
import {
  bytesToHex,
  canonicalBytes,
  entryFromEvent,
  leafHash,
  parseVerifierKey,
  verifyEventSignature,
  type StoredEvent,
} from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exportEvents,
  openExportApp,
  query,
  seedOrg,
  type ExportApp,
} from './helpers/export-app.js';
import { getJson, postJson } from './helpers/http-app.js';
import { describeWithPostgres } from './helpers/postgres.js';
import type { Backend } from './helpers/verify-app.js';

/** Every page of GET /v1/events with these filters. */
async function listAll(t: ExportApp, params: Record<string, string>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let cursor: string | undefined;
  do {
    const res = await getJson(
      t.app,
      t.apiKey,
      `/v1/events?${query({ ...params, limit: 1000, cursor })}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<{ data: StoredEvent[]; next_cursor: string | null }>();
    out.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

function describeFormats(backend: Backend) {
  let t: ExportApp;
  let acme: Awaited<ReturnType<typeof seedOrg>>;
  const HOUR = 3_600_000;

  beforeAll(async () => {
    t = await openExportApp(backend);
    const base = Date.now() - 48 * HOUR;
    acme = await seedOrg(
      t,
      'acme',
      Array.from({ length: 1200 }, (_, i) => ({
        action: ['user.login', 'user.logout', 'billing.invoice.paid'][i % 3],
        actor: { id: `user_${i % 17}`, type: i % 5 === 0 ? 'service' : 'user', name: `Nom ${i}` },
        targets: i % 4 === 0 ? [{ id: `doc_${i % 9}`, type: 'document' }] : [],
        metadata: { plan: i % 2 ? 'pro' : 'free', seats: i },
        // Out of chain order now and then, with ties.
        occurred_at: new Date(
          base + Math.floor(i / 3) * 60_000 - (i % 11 === 0 ? HOUR : 0),
        ).toISOString(),
        outcome: i % 13 === 0 ? 'failure' : 'success',
      })),
      400,
    );
    await seedOrg(t, 'globex', [{ action: 'user.login', actor: { id: 'g' } }]);
    const { apiKey } = await t.logproof.tenancy.initProject('someone else');
    const res = await postJson(t.app, apiKey, '/v1/events', {
      action: 'user.login',
      actor: { id: 'intruder' },
    });
    expect(res.statusCode).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const cases: Array<Record<string, string>> = [
    {},
    { org: 'acme' },
    { org: 'acme', order: 'desc' },
    { action: 'user.*' },
    { org: 'acme', actor_id: 'user_3', outcome: 'success' },
    { target_id: 'doc_4', target_type: 'document' },
    { org: 'acme', q: 'metadata.plan:pro AND NOT actor.type:service' },
  ];

  for (const params of cases) {
    it(`NDJSON and JSON hold exactly what GET /v1/events lists for ${JSON.stringify(params)}`, async () => {
      const listed = await listAll(t, { order: 'asc', ...params });
      const nd = await exportEvents(t, { format: 'ndjson', ...params });
      expect(nd.statusCode, nd.body).toBe(200);
      const lines = nd.body.split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.map((l) => JSON.parse(l) as StoredEvent)).toEqual(listed);
      const json = await exportEvents(t, { format: 'json', ...params });
      expect(json.statusCode).toBe(200);
      expect(json.json<StoredEvent[]>()).toEqual(listed);
    });
  }

  it('writes events that verify on their own (canonical bytes, hashes, signature)', async () => {
    const nd = await exportEvents(t, { format: 'ndjson', org: 'acme', action: 'billing.*' });
    const crypto = createNodeCrypto();
    const events = nd.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as StoredEvent);
    expect(events).toHaveLength(400);
    const key = parseVerifierKey(acme.verifierKey, crypto);
    for (const e of events) {
      const canonical = canonicalBytes(entryFromEvent(e));
      expect(bytesToHex(leafHash(canonical, crypto))).toBe(e.leaf_hash);
      expect(verifyEventSignature(canonical, e.signature, key.publicKey, crypto)).toBe(true);
    }
  });

  it('never includes another project', async () => {
    const all = await exportEvents(t, { format: 'ndjson' });
    expect(all.body).not.toContain('intruder');
    expect(all.body.trim().split('\n')).toHaveLength(1201);
  });

  it('writes an empty selection as an empty file or an empty array', async () => {
    expect((await exportEvents(t, { format: 'ndjson', action: 'never.seen' })).body).toBe('');
    expect((await exportEvents(t, { format: 'json', action: 'never.seen' })).json()).toEqual([]);
  });

  it('answers as a stream, with the file name and no caching', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/events/export?format=ndjson&org=acme',
      headers: { authorization: `Bearer ${t.apiKey}` },
      payloadAsStream: true,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(String(res.headers['content-disposition'])).toMatch(
      /^attachment; filename="logproof-acme-\d{8}T\d{6}Z\.ndjson"$/,
    );
    let bytes = 0;
    for await (const chunk of res.stream()) bytes += (chunk as Buffer).length;
    expect(bytes).toBeGreaterThan(100_000);
  });
}

describe('NDJSON and JSON exports (sqlite)', () => describeFormats('sqlite'));
describeWithPostgres('NDJSON and JSON exports (postgres)', () => describeFormats('postgres'));
