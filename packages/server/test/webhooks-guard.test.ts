// The SSRF guard (API.md "Webhooks (streams)"): refused at creation and at
// delivery. DNS is a stub resolver (the network edge we do not own); the
// receivers are real, on 127.0.0.1, and must never see a refused request.
import type { LookupAddress } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SsrfGuard,
  whyNotPublic,
  type HostResolver,
  type ResolvedAddress,
} from '../src/webhooks/ssrf-guard.js';
import { WebhookSender } from '../src/webhooks/webhook-sender.js';
import { expectProblem, getJson, postJson } from './helpers/http-app.js';
import {
  createWebhook,
  createWebhookApp,
  postEmpty,
  recordBatch,
  startReceiver,
  waitFor,
  type Receiver,
} from './helpers/webhook-receiver.js';

const STRICT = { allowPrivate: false, allowHttp: false };
const PUBLIC_V4 = '93.184.215.14';

/** A stub resolver: a name table the test can change, and a count of lookups per name. */
function stubResolver(
  table: Record<string, string[]>,
): HostResolver & { calls: Map<string, number>; table: Record<string, string[]> } {
  const calls = new Map<string, number>();
  const resolver = (async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.set(hostname, (calls.get(hostname) ?? 0) + 1);
    const answer = resolver.table[hostname];
    if (!answer)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }) as unknown as HostResolver & { calls: Map<string, number>; table: Record<string, string[]> };
  resolver.calls = calls;
  resolver.table = table;
  return resolver;
}

describe('whyNotPublic', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.100.100.200', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'linkLocal'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal'],
    ['2002:7f00:1::', 'loopback'],
    ['2001::1', 'teredo'],
    ['::127.0.0.1', 'not a public address'],
    ['100::1', 'not a public address'],
    ['2001:db8::1', 'reserved'],
    ['168.63.129.16', 'metadata'],
  ])('refuses %s (%s)', (address, why) => {
    expect(whyNotPublic(address)).toContain(why);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('accepts the public address %s', (address) => {
    expect(whyNotPublic(address)).toBeNull();
  });
});

describe('SsrfGuard.checkUrl', () => {
  const guard = new SsrfGuard(STRICT, stubResolver({}));

  it.each([
    ['http://hooks.example.com/', 'scheme_not_allowed'],
    ['ftp://hooks.example.com/', 'scheme_not_allowed'],
    ['https://user:secret@hooks.example.com/', 'userinfo_not_allowed'],
    ['https://user@hooks.example.com/', 'userinfo_not_allowed'],
    ['https://localhost/', 'localhost'],
    ['https://LOCALHOST./', 'localhost'],
    ['https://api.localhost/', 'localhost'],
    ['https://127.0.0.1/', 'address_not_public'],
    ['https://127.1/', 'address_not_public'],
    ['https://2130706433/', 'address_not_public'],
    ['https://0x7f000001/', 'address_not_public'],
    ['https://0x7f.0.0.1/', 'address_not_public'],
    ['https://0177.0.0.1/', 'address_not_public'],
    ['https://0.0.0.0/', 'address_not_public'],
    ['https://[::]/', 'address_not_public'],
    ['https://[::1]/', 'address_not_public'],
    ['https://[::ffff:127.0.0.1]/', 'address_not_public'],
    ['https://[::ffff:7f00:1]/', 'address_not_public'],
    ['https://169.254.169.254/latest/meta-data/', 'address_not_public'],
    ['https://100.100.100.200/', 'address_not_public'],
    ['https://[fd00:ec2::254]/', 'address_not_public'],
    ['https://10.0.0.1/', 'address_not_public'],
    ['https://192.168.0.10:8443/', 'address_not_public'],
    ['not a url', 'invalid_url'],
  ])('refuses %s (%s)', (url, code) => {
    expect(() => guard.checkUrl(url)).toThrow(expect.objectContaining({ name: 'SsrfError', code }));
  });

  it('accepts an https URL to a name or a public address', () => {
    expect(guard.checkUrl('https://hooks.example.com/in?x=1').hostname).toBe('hooks.example.com');
    expect(guard.checkUrl(`https://${PUBLIC_V4}:8443/`).port).toBe('8443');
  });

  it('lets the settings lift the rules, for local testing only', () => {
    const open = new SsrfGuard({ allowPrivate: true, allowHttp: true }, stubResolver({}));
    expect(open.checkUrl('http://127.0.0.1:8080/').host).toBe('127.0.0.1:8080');
    expect(open.checkUrl('http://localhost/').host).toBe('localhost');
    expect(() => open.checkUrl('http://u:p@127.0.0.1/')).toThrow(
      expect.objectContaining({ code: 'userinfo_not_allowed' }),
    );
  });
});

describe('SsrfGuard.resolve and lookup', () => {
  it('refuses a name when any one of its addresses is not public', async () => {
    const guard = new SsrfGuard(
      STRICT,
      stubResolver({ 'mixed.example': [PUBLIC_V4, '10.0.0.7'], 'ok.example': [PUBLIC_V4] }),
    );
    await expect(guard.resolve('mixed.example')).rejects.toMatchObject({
      code: 'address_not_public',
    });
    await expect(guard.resolve('ok.example')).resolves.toEqual([{ address: PUBLIC_V4, family: 4 }]);
    await expect(guard.resolve('nxdomain.example')).rejects.toMatchObject({ code: 'unresolvable' });
  });

  it('resolves once per connection and hands the socket the address it checked', async () => {
    const resolver = stubResolver({ 'hooks.example': [PUBLIC_V4, '2606:4700:4700::1111'] });
    const lookup = new SsrfGuard(STRICT, resolver).lookup();
    const one = await new Promise<[string, number]>((resolve, reject) =>
      lookup('hooks.example', { family: 0 }, (error, address, family) =>
        error ? reject(error) : resolve([address as string, family ?? 0]),
      ),
    );
    expect(one).toEqual([PUBLIC_V4, 4]);
    const all = await new Promise<LookupAddress[]>((resolve, reject) =>
      lookup('hooks.example', { all: true }, (error, addresses) =>
        error ? reject(error) : resolve(addresses as LookupAddress[]),
      ),
    );
    expect(all.map((a) => a.address)).toEqual([PUBLIC_V4, '2606:4700:4700::1111']);
    expect(resolver.calls.get('hooks.example')).toBe(2);
    resolver.table['hooks.example'] = ['192.168.1.1'];
    const refused = await new Promise<unknown>((resolve) =>
      lookup('hooks.example', { family: 0 }, (error) => resolve(error)),
    );
    expect(refused).toMatchObject({ name: 'SsrfError', code: 'address_not_public' });
  });
});

describe('at delivery', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function receiver(script?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
    const r = await startReceiver(script);
    cleanups.push(() => r.close());
    return r;
  }
  function sender(
    policy: { allowPrivate: boolean; allowHttp: boolean },
    resolver: HostResolver,
    timeoutMs = 2_000,
  ): WebhookSender {
    const s = new WebhookSender({ guard: new SsrfGuard(policy, resolver), timeoutMs });
    cleanups.push(() => s.close());
    return s;
  }

  it('refuses every loopback form before connecting: the receiver sees nothing', async () => {
    const r = await receiver();
    const resolver = stubResolver({ 'rebind.example': ['127.0.0.1'] });
    const send = sender({ allowPrivate: false, allowHttp: true }, resolver);
    const p = r.port;
    for (const url of [
      `http://127.0.0.1:${p}/`,
      `http://2130706433:${p}/`,
      `http://0x7f000001:${p}/`,
      `http://0x7f.1:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://[::1]:${p}/`,
      `http://0.0.0.0:${p}/`,
      `http://localhost:${p}/`,
      `http://rebind.example:${p}/`,
    ]) {
      const result = await send.send(url, {}, '{}');
      expect(result, url).toMatchObject({ ok: false, statusCode: null, aborted: false });
      expect(result.error, url).toMatch(/^destination refused: /);
    }
    const withUserinfo = await send.send(`http://u:p@127.0.0.1:${p}/`, {}, '{}');
    expect(withUserinfo.error).toMatch(/user name or password/);
    expect(r.requests).toHaveLength(0);
  });

  it('connects to the resolver’s answer, once per connection', async () => {
    const r = await receiver();
    const resolver = stubResolver({ 'receiver.test': ['127.0.0.1'] });
    const send = sender({ allowPrivate: true, allowHttp: true }, resolver);
    for (let i = 0; i < 3; i++) {
      expect((await send.send(`http://receiver.test:${r.port}/hook`, {}, '{}')).ok).toBe(true);
    }
    expect(r.requests).toHaveLength(3);
    // Each new connection: one resolution, checked, connected to; reused ones none.
    expect(resolver.calls.get('receiver.test')).toBe(r.connections());
    expect(r.connections()).toBeLessThan(3);
  });

  it('never follows a redirect, even to an allowed address', async () => {
    const target = await receiver();
    const redirector = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const send = sender({ allowPrivate: true, allowHttp: true }, stubResolver({}));
    const result = await send.send(redirector.url, {}, '{}');
    expect(result).toMatchObject({ ok: false, statusCode: 302 });
    expect(result.error).toMatch(/redirect to http:\/\/127\.0\.0\.1:\d+\/hook not followed/);
    expect(target.requests).toHaveLength(0);
  });

  it('stops reading an answer at the cap instead of waiting for its end', async () => {
    const r = await receiver(() => ({ status: 200, endless: true }));
    const send = sender({ allowPrivate: true, allowHttp: true }, stubResolver({}), 5_000);
    const result = await send.send(r.url, {}, '{}');
    expect(result).toMatchObject({ ok: true, statusCode: 200 });
    expect(result.durationMs).toBeLessThan(2_000);
  });
});

describe('the API and the worker', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function strictApp(resolver: HostResolver, allowHttp = false) {
    const t = await createWebhookApp(
      { webhookAllowPrivate: false, webhookAllowHttp: allowHttp },
      { webhooks: { resolver } },
    );
    cleanups.push(() => t.close());
    return t;
  }

  it('refuses a destination at creation with a 400 naming the reason', async () => {
    const resolver = stubResolver({
      'internal.example': ['10.1.2.3'],
      'mixed.example': [PUBLIC_V4, '169.254.169.254'],
      'metadata.google.internal': ['169.254.169.254'],
    });
    const t = await strictApp(resolver);
    for (const [url, code] of [
      ['http://hooks.example.com/', 'scheme_not_allowed'],
      ['https://user:pw@hooks.example.com/', 'userinfo_not_allowed'],
      ['https://localhost/', 'localhost'],
      ['https://127.0.0.1/', 'address_not_public'],
      ['https://2130706433/', 'address_not_public'],
      ['https://0x7f000001/', 'address_not_public'],
      ['https://0.0.0.0/', 'address_not_public'],
      ['https://[::]/', 'address_not_public'],
      ['https://[::1]/', 'address_not_public'],
      ['https://[::ffff:127.0.0.1]/', 'address_not_public'],
      ['https://169.254.169.254/', 'address_not_public'],
      ['https://100.100.100.200/', 'address_not_public'],
      ['https://[fd00:ec2::254]/', 'address_not_public'],
      ['https://internal.example/', 'address_not_public'],
      ['https://mixed.example/', 'address_not_public'],
      ['https://metadata.google.internal/computeMetadata/v1/', 'address_not_public'],
      ['https://nxdomain.example/', 'unresolvable'],
    ]) {
      const res = await postJson(t.app, t.apiKey, '/v1/webhooks', { url });
      const problem = expectProblem(res, 400, 'validation_failed', ['/url']);
      expect(problem.errors[0]!.message, url).toMatch(new RegExp(`^${code}: `));
    }
    resolver.table['hooks.example'] = [PUBLIC_V4];
    const ok = await postJson(t.app, t.apiKey, '/v1/webhooks', { url: 'https://hooks.example/in' });
    expect(ok.statusCode, ok.body).toBe(201);
    // And a PATCH to a refused URL.
    const { id } = ok.json() as { id: string };
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${id}`,
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      payload: { url: 'https://internal.example/' },
    });
    expectProblem(patched, 400, 'validation_failed', ['/url']);
  });

  it('refuses at delivery a name whose DNS answer turned private after creation (rebinding)', async () => {
    const r = await startReceiver();
    cleanups.push(() => r.close());
    const resolver = stubResolver({ 'hooks.example': [PUBLIC_V4] });
    const t = await strictApp(resolver, true);
    const { id } = await createWebhook(t.app, t.apiKey, {
      url: `http://hooks.example:${r.port}/hook`,
    });
    resolver.table['hooks.example'] = ['127.0.0.1'];
    await recordBatch(t.app, t.apiKey, 2);
    const deliveries = async () =>
      (await getJson(t.app, t.apiKey, `/v1/webhooks/${id}/deliveries`)).json() as {
        health: { state: string; lag: number };
        data: Array<{
          error: string | null;
          status_code: number | null;
          next_retry_at: string | null;
        }>;
      };
    await waitFor(async () => (await deliveries()).data.length >= 1, 10_000, 'a refused attempt');
    const { health, data } = await deliveries();
    expect(data[0]!.error).toMatch(
      /^destination refused: hooks\.example resolves to 127\.0\.0\.1 is not a public address \(loopback\)/,
    );
    expect(data[0]!.next_retry_at).not.toBeNull();
    expect(health).toMatchObject({ state: 'failing', lag: 2 });
    const test = await postEmpty(t.app, t.apiKey, `/v1/webhooks/${id}/test`);
    expect(test.statusCode, test.body).toBe(200);
    expect(test.json()).toMatchObject({
      ok: false,
      status_code: null,
      error: expect.stringMatching(/^destination refused/),
    });
    expect(r.requests).toHaveLength(0);
  });
});
