// The widget end to end, in Debian's Chromium: the real server in process on
// a real port (fresh SQLite dir), the widget freshly bundled by Vite and
// served by that server at /widget.js, and host pages on ANOTHER origin that
// load it with <script src> like a vendor's customer page would. Every
// event's status is computed by the browser's own WebCrypto.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from './chromium.js';
import { Harness, rows, settled, shot, widgetText } from './widget-harness.js';

const XSS_ACTOR = '<img src=x onerror="window.__xss=1">';
const XSS_TARGET = '<script>window.__xss=2</script><b>bold</b>';

/** Events for `org`, oldest first; `n` of them, actors alternating Ada and Bob. */
function events(org: string, n: number, action: string): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    org,
    action,
    actor:
      i % 2 === 0
        ? { id: 'user_ada', name: 'Ada Lovelace', email: 'ada@example.com' }
        : { id: 'user_bob', name: 'Bob Example' },
    targets: [{ id: `inv_${i}`, type: 'invoice', name: `Invoice #${1000 + i}` }],
    outcome: i % 7 === 3 ? 'failure' : 'success',
    occurred_at: new Date(Date.UTC(2026, 1, 10, 9, 0, i)).toISOString(),
  }));
}

// Skipped, not failed, where Debian's Chromium is not installed: never downloaded.
const HAS_CHROMIUM = chromiumAvailable('the widget');
let env: Harness;

beforeAll(async () => {
  if (HAS_CHROMIUM) env = await Harness.start();
}, 60_000);

afterAll(async () => {
  await env?.close();
});

afterEach(async () => {
  await env?.closePages();
});

describe.skipIf(!HAS_CHROMIUM)('<logproof-audit-log> in Chromium', () => {
  let acme: { id: string; keys: string[] };
  let globex: { id: string; keys: string[] };
  /** An org whose event at chain index 2 is edited in the database. */
  let tampered: { id: string };

  beforeAll(async () => {
    const org = async (externalId: string) => {
      const { id } = await env.call('POST', '/v1/orgs', {
        external_id: externalId,
        name: externalId,
      });
      return id as string;
    };
    const [acmeId, globexId, tamperId] = await Promise.all([
      org('acme'),
      org('globex'),
      org('initech'),
    ]);
    const acmeEvents = events(acmeId, 30, 'invoice.paid');
    acmeEvents.push({
      org: acmeId,
      action: 'user.renamed',
      actor: { id: 'user_eve', name: XSS_ACTOR },
      targets: [{ id: 'acct_1', type: 'account', name: XSS_TARGET }],
      occurred_at: '2026-02-10T10:00:00.000Z',
    });
    await env.call('POST', '/v1/events/batch', {
      events: [
        ...acmeEvents,
        ...events(globexId, 4, 'globex.secret.read'),
        ...events(tamperId, 5, 'report.exported'),
      ],
    });
    const keys = async (id: string) =>
      ((await env.call('GET', `/v1/orgs/${id}/keys`)).data as Array<{ verifier_key: string }>).map(
        (k) => k.verifier_key,
      );
    acme = { id: acmeId, keys: await keys(acmeId) };
    globex = { id: globexId, keys: await keys(globexId) };
    // Behind the server's back: one stored event's canonical JSON is edited.
    const db = new Database(join(env.dataDir, 'logproof.db'));
    try {
      const changed = db
        .prepare(
          `UPDATE events SET canonical = replace(canonical, '"outcome":"success"', '"outcome":"failure"')
           WHERE org_id = ? AND chain_index = 2`,
        )
        .run(tamperId);
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    tampered = { id: tamperId };
  });

  it("shows the org's events newest first, each verified in the browser, and no other org's", async () => {
    const { page, errors } = await env.openWidget('all events', {
      token: await env.embedToken(acme.id),
      'base-url': env.api,
    });
    await settled(page);
    let shown = await rows(page);
    expect(shown).toHaveLength(25);
    expect(shown.every((r) => r.status === 'verified')).toBe(true);
    expect(shown[0]!.action).toBe('user.renamed');
    expect(await widgetText(page, 'summary')).toBe('25 events · 25 verified · key from server');
    await shot(page, 'all-events');

    // "Load more" follows next_cursor: the last 6, verified against their own page's checkpoint.
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(
      () =>
        document.querySelector('logproof-audit-log')!.shadowRoot!.querySelectorAll('tr[part="row"]')
          .length === 31,
    );
    await settled(page);
    shown = await rows(page);
    expect(shown.filter((r) => r.status === 'verified')).toHaveLength(31);
    expect(shown.some((r) => r.action.startsWith('globex'))).toBe(false);
    expect(await page.getByRole('button', { name: 'Load more' }).isVisible()).toBe(false);
    // The button left with the last page; focus moved to the first row it brought.
    const focused = await page.evaluate(() => {
      const active = document.querySelector('logproof-audit-log')!.shadowRoot!.activeElement;
      return active?.querySelector('td.col-time')?.textContent ?? null;
    });
    expect(focused).toBe(shown[25]!.time);
    expect(errors).toEqual([]);
  });

  it('renders markup-shaped names as text, never as elements', async () => {
    const { page, errors } = await env.openWidget('xss', {
      token: await env.embedToken(acme.id, { actor_id: 'user_eve' }),
      'base-url': env.api,
    });
    await settled(page);
    const [row] = await rows(page);
    expect(row!.actor).toBe(`${XSS_ACTOR}user_eve`);
    expect(row!.targets).toBe(`account ${XSS_TARGET}`);
    expect(row!.status).toBe('verified');
    const injected = await page.evaluate(() => {
      const root = document.querySelector('logproof-audit-log')!.shadowRoot!;
      return {
        elements: root.querySelectorAll('img, script, b').length,
        xss: (window as unknown as { __xss?: number }).__xss ?? null,
        // A long unbroken name wraps inside its column: the table does not scroll sideways.
        fits:
          root.querySelector('.scroll')!.scrollWidth <= root.querySelector('.scroll')!.clientWidth,
      };
    });
    expect(injected).toEqual({ elements: 0, xss: null, fits: true });
    await shot(page, 'xss-as-text');
    expect(errors).toEqual([]);
  });

  it("with an actor-scoped token shows only that actor's events", async () => {
    const { page, errors } = await env.openWidget('one actor', {
      token: await env.embedToken(acme.id, { actor_id: 'user_bob' }),
      'base-url': env.api,
    });
    await settled(page);
    const shown = await rows(page);
    expect(shown).toHaveLength(15);
    expect(shown.every((r) => r.actor === 'Bob Exampleuser_bob' && r.status === 'verified')).toBe(
      true,
    );
    expect(errors).toEqual([]);
  });

  it('marks an event edited in the database behind the server as failed', async () => {
    const { page, errors } = await env.openWidget('tampered', {
      token: await env.embedToken(tampered.id),
      'base-url': env.api,
    });
    await settled(page);
    const shown = await rows(page);
    expect(shown).toHaveLength(5);
    // Newest first: chain index 2 is the third row.
    expect(shown.map((r) => r.status)).toEqual([
      'verified',
      'verified',
      'failed: leaf_hash',
      'verified',
      'verified',
    ]);
    expect(shown[2]!.outcome).toBe('failure');
    expect(shown[2]!.why).toMatch(/canonical bytes/);
    expect(await widgetText(page, 'summary')).toBe(
      '5 events · 4 verified · 1 failed · key from server',
    );
    await shot(page, 'tampered');
    expect(errors).toEqual([]);
  });

  it('trusts only a pinned verifier key, and re-checks when it changes', async () => {
    const { page, errors } = await env.openWidget('pinned key', {
      token: await env.embedToken(globex.id),
      'base-url': env.api,
      'verifier-key': globex.keys[0]!,
    });
    await settled(page);
    expect((await rows(page)).map((r) => r.status)).toEqual(Array(4).fill('verified'));
    expect(await widgetText(page, 'summary')).toBe('4 events · 4 verified · pinned key');

    // Another org's key: every event (and the checkpoint) was signed by a key not trusted.
    await page.evaluate(
      (key) => document.querySelector('logproof-audit-log')!.setAttribute('verifier-key', key),
      acme.keys[0]!,
    );
    await settled(page);
    const statuses = (await rows(page)).map((r) => r.status);
    expect(statuses).toHaveLength(4);
    expect(statuses.every((s) => s.startsWith('failed: '))).toBe(true);
    await shot(page, 'pinned-wrong-key');

    // Not a verifier key at all: said so on every row, nothing verified.
    await page.evaluate(() =>
      document.querySelector('logproof-audit-log')!.setAttribute('verifier-key', 'not-a-key'),
    );
    await settled(page);
    expect((await rows(page)).map((r) => r.status)).toEqual(Array(4).fill('failed: verifier-key'));
    expect(errors).toEqual([]);
  });

  it('reloads when the token changes', async () => {
    const { page, errors } = await env.openWidget('token swap', {
      token: await env.embedToken(globex.id),
      'base-url': env.api,
    });
    await settled(page);
    expect((await rows(page)).every((r) => r.action === 'globex.secret.read')).toBe(true);
    await page.evaluate(
      (token) => document.querySelector('logproof-audit-log')!.setAttribute('token', token),
      await env.embedToken(tampered.id, { actor_id: 'user_ada' }),
    );
    await page.waitForFunction(
      () =>
        document.querySelector('logproof-audit-log')!.shadowRoot!.querySelector('td.col-action')
          ?.textContent === 'report.exported',
    );
    await settled(page);
    expect((await rows(page)).map((r) => r.action)).toEqual(Array(3).fill('report.exported'));
    expect(errors).toEqual([]);
  });

  it('shows the problem detail when the token has expired', async () => {
    const token = await env.embedToken(acme.id, { expires_in: 60 });
    env.clock.now += 120_000;
    try {
      const { page, errors } = await env.openWidget('expired', { token, 'base-url': env.api });
      await settled(page);
      expect(await widgetText(page, 'error')).toBe(
        'The embed token was refused: invalid or expired embed token',
      );
      expect(await page.getByRole('alert').isVisible()).toBe(true);
      expect(await rows(page)).toEqual([]);
      await shot(page, 'expired-token');
      // The browser itself logs the failed request; nothing else may be an error.
      expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    } finally {
      env.clock.now -= 120_000;
    }
  });

  it('takes its accent, font and radius from CSS custom properties', async () => {
    const accentOf = async (page: Page) => {
      await settled(page);
      return page.evaluate(() => {
        const root = document.querySelector('logproof-audit-log')!.shadowRoot!;
        const button = getComputedStyle(root.querySelector('[part="load-more"]')!);
        const frame = getComputedStyle(root.querySelector('[part="frame"]')!);
        return {
          button: button.backgroundColor,
          frameTop: frame.borderTopColor,
          radius: frame.borderTopLeftRadius,
          font: frame.fontFamily,
        };
      });
    };
    const token = await env.embedToken(acme.id);
    const plain = await env.openWidget('default theme', { token, 'base-url': env.api, limit: '5' });
    expect(await accentOf(plain.page)).toMatchObject({
      button: 'rgb(79, 70, 229)',
      frameTop: 'rgb(79, 70, 229)',
      radius: '8px',
    });
    const themed = await env.openWidget(
      'themed',
      { token, 'base-url': env.api, limit: '5' },
      {
        css: `logproof-audit-log { --logproof-accent: #e11d48; --logproof-radius: 2px;
          --logproof-font: Georgia, serif; --logproof-bg: #fffbeb; --logproof-border: #fcd34d; }`,
      },
    );
    expect(await accentOf(themed.page)).toEqual({
      button: 'rgb(225, 29, 72)',
      frameTop: 'rgb(225, 29, 72)',
      radius: '2px',
      font: 'Georgia, serif',
    });
    await shot(themed.page, 'themed');
    expect([...plain.errors, ...themed.errors]).toEqual([]);
  });

  it("works under a host page's strict Content-Security-Policy", async () => {
    // No 'unsafe-eval', no inline style: the widget's sheet is a constructed one.
    const csp = `default-src 'none'; img-src data:; script-src ${env.api}; connect-src ${env.api}; style-src 'none'`;
    const { page, errors } = await env.openWidget(
      'strict CSP',
      { token: await env.embedToken(globex.id), 'base-url': env.api },
      { csp },
    );
    await settled(page);
    expect((await rows(page)).map((r) => r.status)).toEqual(Array(4).fill('verified'));
    const accent = await page.evaluate(() => {
      const root = document.querySelector('logproof-audit-log')!.shadowRoot!;
      return getComputedStyle(root.querySelector('[part="frame"]')!).borderTopColor;
    });
    expect(accent).toBe('rgb(79, 70, 229)');
    await shot(page, 'strict-csp');
    expect(errors).toEqual([]);
  });

  it('lays rows out as labelled cards on a narrow screen', async () => {
    const { page, errors } = await env.openWidget(
      'narrow',
      { token: await env.embedToken(acme.id), 'base-url': env.api, limit: '4' },
      { width: 390 },
    );
    await settled(page);
    const layout = await page.evaluate(() => {
      const root = document.querySelector('logproof-audit-log')!.shadowRoot!;
      const row = root.querySelector('tr[part="row"]')!;
      return {
        row: getComputedStyle(row).display,
        label: getComputedStyle(row.querySelector('td.col-action')!, '::before').content,
        // Nothing sticks out of its card, not even an unbroken XSS-shaped name.
        fits:
          root.querySelector('.scroll')!.scrollWidth <= root.querySelector('.scroll')!.clientWidth,
      };
    });
    expect(layout).toEqual({ row: 'block', label: '"Action"', fits: true });
    await shot(page, 'narrow-cards');
    expect(errors).toEqual([]);
  });
});

// The bundle is one self-contained script: nothing imported at run time.
describe.skipIf(!HAS_CHROMIUM)('the widget bundle', () => {
  it('is served by the server with CORS and CORP headers', async () => {
    const res = await fetch(`${env.api}/widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const code = await res.text();
    expect(code).not.toMatch(/\bimport\s*\(|\brequire\(|from"|process\.env/);
    expect((await stat(env.widgetFile)).size).toBe(Buffer.byteLength(code));
  });
});
