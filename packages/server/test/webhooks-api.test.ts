// The webhook endpoints (API.md "Webhooks (streams)"): create, list, get,
// update, delete, rotate-secret, test and deliveries, on the real app.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MasterKey } from '../src/master-key.js';
import { bearer, expectProblem, getJson, postJson } from './helpers/http-app.js';
import {
  createWebhook,
  createWebhookApp,
  patchJson,
  postEmpty,
  startReceiver,
  verifyWithStandardWebhooks,
  type Receiver,
  type WebhookTestApp,
} from './helpers/webhook-receiver.js';

describe('webhook endpoints', () => {
  let t: WebhookTestApp;
  let r: Receiver;
  beforeEach(async () => {
    t = await createWebhookApp({ webhookWorker: false });
    r = await startReceiver();
  });
  afterEach(async () => {
    await t.close();
    await r.close();
  });

  it('creates a webhook and shows its secret this once', async () => {
    const created = await createWebhook(t.app, t.apiKey, {
      url: r.url,
      description: 'SIEM',
      org: 'default',
      actions: ['user.*', 'billing.invoice.paid'],
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^wh_[0-9a-z]{26}$/),
      url: r.url,
      description: 'SIEM',
      org: expect.stringMatching(/^org_/),
      actions: ['user.*', 'billing.invoice.paid'],
      enabled: true,
      state: 'healthy',
      disabled_reason: null,
      previous_secret_expires_at: null,
    });
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    const got = await getJson(t.app, t.apiKey, `/v1/webhooks/${created.id}`);
    expect(got.statusCode).toBe(200);
    const { secret: _secret, ...withoutSecret } = created;
    expect(got.json()).toEqual(withoutSecret);
    const list = await getJson(t.app, t.apiKey, '/v1/webhooks');
    expect(list.json()).toEqual({ data: [withoutSecret], next_cursor: null });
    expect(list.body).not.toContain('whsec_');
  });

  it('stores the secret sealed under the master key, never in plain text', async () => {
    const { id, secret } = await createWebhook(t.app, t.apiKey, { url: r.url });
    const raw = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const db = new Database(join(t.dataDir, 'logproof.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT sealed_secret FROM webhooks WHERE id = ?').get(id) as {
        sealed_secret: Buffer;
      };
      expect(row.sealed_secret.includes(raw)).toBe(false);
      expect(JSON.stringify(db.prepare('SELECT * FROM webhooks').all())).not.toContain(
        secret.slice(6, 20),
      );
      const key = MasterKey.loadOrCreate(t.dataDir).key;
      expect(Buffer.from(key.open(row.sealed_secret, `logproof webhook secret ${id}`))).toEqual(
        raw,
      );
      // Bound to its webhook: the same bytes do not open as another's.
      expect(() => key.open(row.sealed_secret, 'logproof webhook secret wh_other')).toThrow();
    } finally {
      db.close();
    }
  });

  it('pages through the list', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createWebhook(t.app, t.apiKey, { url: r.url })).id);
    const first = (await getJson(t.app, t.apiKey, '/v1/webhooks?limit=2')).json() as {
      data: Array<{ id: string }>;
      next_cursor: string;
    };
    const second = (
      await getJson(t.app, t.apiKey, `/v1/webhooks?limit=2&cursor=${first.next_cursor}`)
    ).json() as {
      data: Array<{ id: string }>;
      next_cursor: string;
    };
    const third = (
      await getJson(t.app, t.apiKey, `/v1/webhooks?limit=2&cursor=${second.next_cursor}`)
    ).json() as {
      data: Array<{ id: string }>;
      next_cursor: string | null;
    };
    expect([...first.data, ...second.data, ...third.data].map((w) => w.id)).toEqual(
      [...ids].sort(),
    );
    expect(third.next_cursor).toBeNull();
  });

  it('updates, disables and deletes', async () => {
    const { id } = await createWebhook(t.app, t.apiKey, { url: r.url, actions: ['user.*'] });
    const patched = await patchJson(t.app, t.apiKey, `/v1/webhooks/${id}`, {
      description: 'renamed',
      actions: null,
      enabled: false,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      description: 'renamed',
      actions: null,
      enabled: false,
      state: 'disabled',
      disabled_reason: 'manual',
    });
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/v1/webhooks/${id}`,
      headers: bearer(t.apiKey),
    });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expectProblem(await getJson(t.app, t.apiKey, `/v1/webhooks/${id}`), 404, 'not_found');
    expectProblem(
      await t.app.inject({
        method: 'DELETE',
        url: `/v1/webhooks/${id}`,
        headers: bearer(t.apiKey),
      }),
      404,
      'not_found',
    );
  });

  it('rejects what the schema does not allow, naming the member', async () => {
    expectProblem(
      await postJson(t.app, t.apiKey, '/v1/webhooks', { url: r.url, secret: 'x' }),
      400,
      'validation_failed',
      ['/secret'],
    );
    expectProblem(
      await postJson(t.app, t.apiKey, '/v1/webhooks', { url: r.url, actions: ['User.*'] }),
      400,
      'validation_failed',
      ['/actions/0'],
    );
    expectProblem(
      await postJson(t.app, t.apiKey, '/v1/webhooks', { url: r.url, actions: [] }),
      400,
      'validation_failed',
      ['/actions'],
    );
    expectProblem(await postJson(t.app, t.apiKey, '/v1/webhooks', {}), 400, 'validation_failed');
    expectProblem(
      await postJson(t.app, t.apiKey, '/v1/webhooks', { url: r.url, org: 'nope' }),
      404,
      'not_found',
      ['/org'],
    );
    const { id } = await createWebhook(t.app, t.apiKey, { url: r.url });
    expectProblem(
      await patchJson(t.app, t.apiKey, `/v1/webhooks/${id}`, {}),
      400,
      'validation_failed',
    );
    expectProblem(
      await patchJson(t.app, t.apiKey, `/v1/webhooks/${id}`, { org: 'default' }),
      400,
      'validation_failed',
      ['/org'],
    );
  });

  it('needs the admin scope, and never shows another project’s webhooks', async () => {
    const { id } = await createWebhook(t.app, t.apiKey, { url: r.url });
    const key = await postJson(t.app, t.apiKey, '/v1/api-keys', {
      name: 'writer',
      scopes: ['events:write', 'events:read'],
    });
    const writer = (key.json() as { secret: string }).secret;
    expectProblem(await getJson(t.app, writer, '/v1/webhooks'), 403, 'forbidden');
    expectProblem(await postJson(t.app, writer, '/v1/webhooks', { url: r.url }), 403, 'forbidden');
    const other = await t.logproof.tenancy.initProject('Other');
    expectProblem(await getJson(t.app, other.apiKey, `/v1/webhooks/${id}`), 404, 'not_found');
    expectProblem(
      await postEmpty(t.app, other.apiKey, `/v1/webhooks/${id}/test`),
      404,
      'not_found',
    );
    expect((await getJson(t.app, other.apiKey, '/v1/webhooks')).json()).toEqual({
      data: [],
      next_cursor: null,
    });
  });

  it('sends a signed test message and records it with the health', async () => {
    const { id, secret } = await createWebhook(t.app, t.apiKey, { url: r.url });
    const res = await postEmpty(t.app, t.apiKey, `/v1/webhooks/${id}/test`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      ok: true,
      status_code: 204,
      error: null,
      duration_ms: expect.any(Number),
    });
    expect(r.requests).toHaveLength(1);
    const payload = verifyWithStandardWebhooks(secret, r.requests[0]!) as {
      type: string;
      data: { webhook_id: string };
    };
    expect(payload).toMatchObject({ type: 'webhook.test', data: { webhook_id: id } });
    expect(r.requests[0]!.headers['webhook-id']).toMatch(/^msg_test_[0-9a-f]{24}$/);
    const deliveries = await getJson(t.app, t.apiKey, `/v1/webhooks/${id}/deliveries`);
    expect(deliveries.json()).toEqual({
      health: {
        state: 'healthy',
        disabled_reason: null,
        consecutive_failures: 0,
        last_success_at: null,
        last_failure_at: null,
        failing_since: null,
        lag: 0,
      },
      data: [
        {
          event_id: null,
          org: null,
          chain_index: null,
          message_id: r.requests[0]!.headers['webhook-id'],
          attempt: 1,
          status_code: 204,
          error: null,
          duration_ms: expect.any(Number),
          attempted_at: expect.any(String),
          next_retry_at: null,
        },
      ],
    });
    r.setScript(() => ({ status: 500 }));
    const failed = await postEmpty(t.app, t.apiKey, `/v1/webhooks/${id}/test`);
    expect(failed.json()).toMatchObject({ ok: false, status_code: 500, error: 'HTTP 500' });
  });

  it('documents every webhook operation in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { summary?: string; tags?: string[]; security?: unknown }>
      >;
    };
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/webhooks'))
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(
      [
        'DELETE /v1/webhooks/{id}',
        'GET /v1/webhooks',
        'GET /v1/webhooks/{id}',
        'GET /v1/webhooks/{id}/deliveries',
        'PATCH /v1/webhooks/{id}',
        'POST /v1/webhooks',
        'POST /v1/webhooks/{id}/rotate-secret',
        'POST /v1/webhooks/{id}/test',
      ].sort(),
    );
    for (const { op } of operations) {
      expect(op.summary).toBeTruthy();
      expect(op.tags).toEqual(['webhooks']);
      expect(op.security).toEqual([{ bearerAuth: [] }]);
    }
  });
});
