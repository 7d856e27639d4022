import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes, entryFromEvent } from '@logproof/core';
import { Logproof, LogproofApiError, LogproofNetworkError } from '../src/index.js';
import { faultyFetch } from './helpers/faulty-fetch.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let t: TestServer;
let client: Logproof;

beforeAll(async () => {
  t = await startTestServer();
  client = t.client();
});
afterAll(async () => {
  await t.close();
});

describe('events.create', () => {
  it('records an event and answers with the stored event', async () => {
    const event = await client.events.create({
      action: 'user.login',
      actor: { id: 'user_1', name: 'Ada' },
      context: { ip: '203.0.113.7' },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(event.org_external_id).toBe('default');
    expect(event.actor).toEqual({ id: 'user_1', type: 'user', name: 'Ada' });
    expect(event.leaf_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sends a generated Idempotency-Key with every create', async () => {
    const net = faultyFetch();
    const c = t.client({ fetch: net.fetch });
    await c.events.create({ action: 'user.login', actor: { id: 'u1' } });
    await c.events.create({ action: 'user.login', actor: { id: 'u1' } });
    const keys = net.seen.map((r) => r.idempotencyKey);
    expect(keys[0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(keys[1]).not.toBe(keys[0]);
  });

  it('returns the original event when the same idempotency key and body are sent again', async () => {
    const input = {
      action: 'billing.invoice.paid',
      actor: { id: 'user_2' },
      metadata: { cents: 1200 },
    };
    const first = await client.events.create(input, { idempotencyKey: 'invoice-8812-paid' });
    const size = (await client.orgs.get('default')).tree_size;
    const again = await client.events.create(input, { idempotencyKey: 'invoice-8812-paid' });
    expect(again).toEqual(first);
    expect((await client.orgs.get('default')).tree_size).toBe(size);
  });

  it('throws LogproofApiError with the problem code when the key is reused with another body', async () => {
    await client.events.create(
      { action: 'user.login', actor: { id: 'a' } },
      { idempotencyKey: 'k-reuse' },
    );
    const error = await client.events
      .create({ action: 'user.login', actor: { id: 'b' } }, { idempotencyKey: 'k-reuse' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogproofApiError);
    expect((error as LogproofApiError).status).toBe(422);
    expect((error as LogproofApiError).code).toBe('idempotency_key_reused');
  });

  it('throws LogproofApiError naming every invalid member, with the request id', async () => {
    const error = (await client.events
      .create({ action: 'Not An Action', actor: { id: '' } } as never)
      .catch((e: unknown) => e)) as LogproofApiError;
    expect(error).toBeInstanceOf(LogproofApiError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.problem.type).toBe('urn:logproof:problem:validation-failed');
    expect(error.problem.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['/action', '/actor/id']),
    );
    expect(error.requestId).toMatch(/.+/);
  });

  it('throws unauthorized for a wrong API key and does not retry it', async () => {
    const net = faultyFetch();
    const c = new Logproof({ apiKey: 'lp_sk_wrong', baseUrl: t.baseUrl, fetch: net.fetch });
    const error = (await c.events
      .create({ action: 'user.login', actor: { id: 'u' } })
      .catch((e: unknown) => e)) as LogproofApiError;
    expect(error.code).toBe('unauthorized');
    expect(error.status).toBe(401);
    expect(net.seen).toHaveLength(1);
  });

  it('wraps a refused connection in LogproofNetworkError with the cause kept', async () => {
    const c = new Logproof({
      apiKey: t.apiKey,
      baseUrl: 'http://127.0.0.1:9',
      maxRetries: 1,
      retryBaseDelayMs: 1,
    });
    const error = (await c.events.get('evt_x').catch((e: unknown) => e)) as LogproofNetworkError;
    expect(error).toBeInstanceOf(LogproofNetworkError);
    expect(error.code).toBe('network_error');
    expect(error.attempts).toBe(2);
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});

describe('events.createBatch', () => {
  it('records events in request order with consecutive chain indexes', async () => {
    const events = await client.events.createBatch([
      { action: 'user.login', actor: { id: 'b1' } },
      { action: 'user.logout', actor: { id: 'b1' }, idempotency_key: 'batch-item-1' },
    ]);
    expect(events).toHaveLength(2);
    expect(events[1]!.chain_index).toBe(events[0]!.chain_index + 1);
    expect(events[1]!.action).toBe('user.logout');
  });
});

describe('events.get and events.canonical', () => {
  it('reads an event back, and its canonical bytes are the ones the SDK computes', async () => {
    const created = await client.events.create({
      action: 'user.login',
      actor: { id: 'user_3' },
      description: 'café ☕',
    });
    const read = await client.events.get(created.id);
    expect(read).toEqual(created);
    const bytes = await client.events.canonical(created.id);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes).toEqual(canonicalBytes(entryFromEvent(created)));
  });

  it('throws not_found for an unknown event', async () => {
    const error = (await client.events
      .get('evt_unknown')
      .catch((e: unknown) => e)) as LogproofApiError;
    expect(error.status).toBe(404);
    expect(error.code).toBe('not_found');
  });
});

describe('orgs', () => {
  it('creates an org once and returns the same org for the same external id', async () => {
    const org = await client.orgs.create({ external_id: 'acme-prod', name: 'Acme' });
    expect(org.id).toMatch(/^org_/);
    expect(org.origin).toBe(`logproof.local/${org.id}`);
    expect(await client.orgs.create({ external_id: 'acme-prod', name: 'Acme' })).toEqual(org);
  });

  it('gets, lists and reads the keys and checkpoint of an org', async () => {
    const org = await client.orgs.create({ external_id: 'globex', name: 'Globex' });
    await client.events.create({ org: 'globex', action: 'user.login', actor: { id: 'g1' } });
    const read = await client.orgs.get('globex');
    expect(read.tree_size).toBe(1);
    const all = [];
    for await (const o of client.orgs.list({ limit: 1 })) all.push(o.external_id);
    expect(all).toEqual(expect.arrayContaining(['default', 'acme-prod', 'globex']));
    const keys = await client.orgs.keys(org.id);
    expect(keys).toHaveLength(1);
    expect(keys[0]!.verifier_key).toBe(org.verifier_key);
    const cp = await client.orgs.checkpoint('globex');
    expect(cp.tree_size).toBe(1);
    expect(cp.root_hash).toBe(read.root_hash);
    expect(cp.checkpoint.startsWith(`${org.origin}\n1\n`)).toBe(true);
  });
});

describe('apiKeys', () => {
  it('creates, lists and revokes a key, and a revoked key stops working', async () => {
    const created = await client.apiKeys.create({ name: 'ingest', scopes: ['events:write'] });
    expect(created.secret).toMatch(/^lp_sk_/);
    const writer = new Logproof({ apiKey: created.secret, baseUrl: t.baseUrl });
    await writer.events.create({ action: 'user.login', actor: { id: 'w' } });
    expect((await client.apiKeys.list()).map((k) => k.id)).toContain(created.id);
    const forbidden = (await writer.orgs
      .list()
      .next()
      .catch((e: unknown) => e)) as LogproofApiError;
    expect(forbidden.code).toBe('forbidden');
    const revoked = await client.apiKeys.revoke(created.id);
    expect(revoked.revoked_at).not.toBeNull();
    const error = (await writer.events
      .create({ action: 'user.login', actor: { id: 'w' } })
      .catch((e: unknown) => e)) as LogproofApiError;
    expect(error.code).toBe('unauthorized');
  });
});
