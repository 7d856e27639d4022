// The portal in a real browser (Debian's Chromium) against a real server:
// a one-time link opens a session scoped to one org; that org's events are
// listed, filtered, opened, verified in the browser (and a row tampered with
// in the database fails), exported, and its webhooks managed. Screenshots of
// each screen go to packages/portal/test-results/screenshots/.
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  launchChromium,
  watchErrors,
  type LaunchedChromium,
  type PageErrors,
} from './chromium.js';
import {
  assertPortalBuilt,
  startPortalServer,
  startReceiver,
  type PortalServer,
} from './portal-server.js';

const SHOTS = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));

interface StoredEvent {
  id: string;
  action: string;
  actor: { id: string };
}

const ACME_EVENTS = [
  { action: 'user.login', actor: { id: 'user_1', name: 'Ana Lima', email: 'ana@acme.test' } },
  { action: 'user.login', actor: { id: 'user_2', name: 'Bo Chen' } },
  {
    action: 'billing.invoice.paid',
    actor: { id: 'billing-svc', type: 'service' },
    target: { id: 'inv_1', type: 'invoice' },
    metadata: { amount_cents: 4200 },
  },
  {
    action: 'document.shared',
    actor: { id: 'user_1', name: 'Ana Lima' },
    target: { id: 'doc_1', type: 'document', name: 'Q3 plan' },
    description: 'Ana shared Q3 plan with Bo',
  },
  { action: 'user.login', actor: { id: 'user_3' }, outcome: 'failure' },
  {
    action: 'settings.updated',
    actor: { id: 'user_2', name: 'Bo Chen' },
    target: { id: 'workspace', type: 'settings' },
    context: { ip: '203.0.113.7' },
  },
  {
    action: 'billing.invoice.paid',
    actor: { id: 'billing-svc', type: 'service' },
    target: { id: 'inv_2', type: 'invoice' },
  },
  { action: 'user.logout', actor: { id: 'user_2', name: 'Bo Chen' } },
];

const GLOBEX_EVENTS = [1, 2, 3].map((n) => ({
  action: 'globex.secret.read',
  actor: { id: `globex_user_${n}` },
}));

/** A screenshot of the whole page, or of the viewport only (where a modal drawer is open). */
async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage });
}

/** Console errors, minus the network line Chromium logs for an expected refusal. */
function unexpected(errors: PageErrors, allowedStatus?: number): string[] {
  return errors.errors.filter(
    (e) =>
      allowedStatus === undefined ||
      !e.includes(
        `Failed to load resource: the server responded with a status of ${allowedStatus}`,
      ),
  );
}

describe.skipIf(!chromiumAvailable())('the portal in Chromium', () => {
  let server: PortalServer;
  let browser: LaunchedChromium;
  let page: Page;
  let pageErrors: PageErrors;
  let linkUrl: string;
  let acme: StoredEvent[];

  beforeAll(async () => {
    assertPortalBuilt();
    mkdirSync(SHOTS, { recursive: true });
    server = await startPortalServer();
    await server.admin(
      'PATCH',
      '/v1/project',
      { name: 'Acme Cloud', accent_color: '#0b7285' },
      200,
    );
    await server.admin('POST', '/v1/orgs', { external_id: 'acme', name: 'Acme Corp' });
    await server.admin('POST', '/v1/orgs', { external_id: 'globex', name: 'Globex' });
    acme = (
      await server.admin<{ events: StoredEvent[] }>('POST', '/v1/events/batch', {
        events: ACME_EVENTS.map((e) => ({ org: 'acme', ...e })),
      })
    ).events;
    await server.admin('POST', '/v1/events/batch', {
      events: GLOBEX_EVENTS.map((e) => ({ org: 'globex', ...e })),
    });
    const link = await server.admin<{ url: string }>('POST', '/v1/portal/links', {
      org: 'acme',
      permissions: ['view', 'verify', 'export', 'webhooks'],
    });
    linkUrl = link.url;
    browser = await launchChromium();
    page = await browser.context.newPage();
    pageErrors = watchErrors(page);
  }, 60_000);

  afterEach(() => {
    // No console error or uncaught exception on the main page, ever.
    expect(pageErrors?.errors ?? []).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('opens a link only on Continue, and shows only that org’s events', async () => {
    expect(linkUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/portal\/open#token=lp_pt_/);
    await page.goto(linkUrl);
    const proceed = page.getByRole('button', { name: 'Continue' });
    await proceed.waitFor();
    // The token left the address bar at once, and the button has the focus.
    expect(page.url()).not.toContain('token');
    expect(await proceed.evaluate((b) => b === document.activeElement)).toBe(true);
    await shot(page, '01-open-link');

    await proceed.click();
    await page.waitForURL(/\/portal\/$/);
    await page.locator('table.events tbody tr').first().waitFor();
    await expect.poll(() => page.locator('table.events tbody tr').count()).toBe(9);
    const body = await page.locator('body').innerText();
    expect(body).toContain('Acme Cloud');
    expect(body).toContain('Acme Corp');
    expect(body).toContain('billing.invoice.paid');
    expect(body).toContain('logproof.portal.opened');
    expect(body).not.toContain('globex');
    const accent = await page.evaluate(() =>
      document.documentElement.style.getPropertyValue('--accent'),
    );
    expect(accent).toBe('#0b7285');
    await shot(page, '02-events');
  });

  it('filters by actor and by a query', async () => {
    await page.getByLabel('Actor ID').fill('user_2');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('table.events tbody tr').count()).toBe(3);
    const actions = await page.locator('td.cell-action').allInnerTexts();
    expect(actions.sort()).toEqual(['settings.updated', 'user.login', 'user.logout']);

    await page.getByLabel('Actor ID').fill('');
    await page.getByLabel('Search').fill('action:billing.* AND target.id:inv_2');
    await page.getByLabel('Search').press('Enter');
    await expect
      .poll(() => page.locator('td.cell-action').allInnerTexts())
      .toEqual(['billing.invoice.paid']);
    await page.getByLabel('Search').fill('action:billing.*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('table.events tbody tr').count()).toBe(2);
    await shot(page, '03-filtered');
  });

  it('exports the filtered events as CSV', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines).toHaveLength(3); // header and the two billing events
    expect(lines[0]).toContain('action');
    expect(lines.slice(1).every((l) => l.includes('billing.invoice.paid'))).toBe(true);
    expect(csv).toContain('inv_1');
    expect(csv).not.toContain('user.login');
    expect(csv).not.toContain('globex');
  });

  it('opens an event with the keyboard, verifies it in the browser, and closes on Escape', async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    // The 8 recorded, plus the portal's own logproof.portal.opened and .exported.
    await expect.poll(() => page.locator('table.events tbody tr').count()).toBe(10);
    const opener = page.getByRole('button', { name: 'Open event document.shared by Ana Lima' });
    await opener.focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByRole('dialog');
    await drawer.waitFor();
    await expect
      .poll(() => drawer.getByTestId('canonical').innerText())
      .toContain('"action":"document.shared"');
    await drawer.getByRole('button', { name: 'Verify in browser' }).click();
    const result = drawer.getByTestId('verify-result');
    await result.waitFor();
    expect(await result.innerText()).toContain('Verified');
    for (const check of [
      'canonical',
      'leaf_hash',
      'chain_link',
      'signature',
      'checkpoint',
      'inclusion',
    ]) {
      expect(await drawer.locator(`[data-check="${check}"]`).innerText()).toContain('pass');
    }
    expect(await drawer.getByTestId('verify-engine').innerText()).toBe('webcrypto');
    await shot(page, '04-event-verified', false);

    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    expect(await opener.evaluate((b) => b === document.activeElement)).toBe(true);
  });

  it('shows the failed checks of an event edited in the database behind the server’s back', async () => {
    const doc = acme.find((e) => e.action === 'document.shared')!;
    const changed = server.sql(
      `UPDATE events SET canonical = replace(canonical, '"doc_1"', '"doc_9"') WHERE id = ?`,
      [doc.id],
    );
    expect(changed).toBe(1);

    await page.getByRole('button', { name: /^Verify page/ }).click();
    const summary = page.getByTestId('verify-summary');
    await expect.poll(() => summary.innerText()).toContain('1 of 10 events failed verification');
    const row = page.locator(`tr[data-event-id="${doc.id}"]`);
    expect(await row.innerText()).toContain('Failed');
    expect(await page.locator('.badge-ok').count()).toBe(9);
    await shot(page, '05-page-verified-one-tampered');

    await row.getByRole('button').click();
    const drawer = page.getByRole('dialog');
    await drawer.getByTestId('verify-result').waitFor();
    expect(await drawer.getByTestId('verify-result').innerText()).toContain('Failed');
    await expect.poll(() => drawer.getByTestId('canonical').innerText()).toContain('doc_9');
    for (const check of ['leaf_hash', 'signature', 'inclusion']) {
      expect(await drawer.locator(`[data-check="${check}"]`).innerText()).toContain('fail');
    }
    await drawer.getByTestId('verify-panel').scrollIntoViewIfNeeded();
    await shot(page, '06-event-tampered', false);
    await drawer.getByRole('button', { name: /^Close/ }).click();
    await drawer.waitFor({ state: 'detached' });
  });

  it('adds a webhook, shows its secret once, sends a signed test, disables and deletes it', async () => {
    const receiver = await startReceiver();
    try {
      await page.getByRole('button', { name: 'Webhooks' }).click();
      await page.getByLabel('URL').fill(receiver.url);
      await page.getByLabel('Description (optional)').fill('SIEM ingest');
      await page.getByRole('button', { name: 'Add destination' }).click();
      const secretBox = page.getByTestId('webhook-secret');
      await secretBox.waitFor();
      const secret = (await secretBox.locator('code').innerText()).trim();
      expect(secret).toMatch(/^whsec_/);
      const card = page.locator('li.webhook');
      await card.waitFor();
      expect(await card.innerText()).toContain(receiver.url);

      await card.getByRole('button', { name: 'Send test' }).click();
      await expect
        .poll(() => card.locator('.notice').innerText())
        .toContain('Test delivered: HTTP 200');
      const test = receiver.received.find((r) => r.body.includes('"webhook.test"'));
      expect(test).toBeDefined();
      // Standard Webhooks: v1,base64(HMAC-SHA256(secret, id.timestamp.body)).
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const signed = `${String(test!.headers['webhook-id'])}.${String(test!.headers['webhook-timestamp'])}.${test!.body}`;
      const expected = createHmac('sha256', key).update(signed).digest('base64');
      expect(String(test!.headers['webhook-signature']).split(' ')).toContain(`v1,${expected}`);
      expect(await card.getByTestId('webhook-state').innerText()).toBe('Healthy');
      await shot(page, '07-webhooks');

      await card.getByRole('button', { name: 'Disable' }).click();
      await expect.poll(() => card.getByTestId('webhook-state').innerText()).toBe('Disabled');
      await card.getByRole('button', { name: 'Delete' }).click();
      await card.getByRole('button', { name: 'Confirm delete' }).click();
      await page.getByText('No destinations yet.').waitFor();
    } finally {
      await receiver.close();
    }
  });

  it('reads as cards on a phone, in a new tab of the same session', async () => {
    const phone = await browser.context.newPage();
    const phoneErrors = watchErrors(phone);
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${server.url}/portal/`);
    await phone.locator('table.events tbody tr').first().waitFor();
    expect(await phone.locator('table.events thead').isVisible()).toBe(false);
    // The filters start folded on a phone, and open on demand.
    expect(await phone.getByLabel('Actor ID').isVisible()).toBe(false);
    const overflow = await phone.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(phone, '08-events-phone', false);
    await phone.getByText('Filters', { exact: true }).click();
    await phone.getByLabel('Actor ID').waitFor();
    await shot(phone, '09-filters-phone', false);

    await phone.locator('td.cell-action button').first().click();
    const drawer = phone.getByRole('dialog');
    await drawer.getByTestId('canonical').waitFor();
    await shot(phone, '10-event-phone', false);
    await phone.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    expect(phoneErrors.errors).toEqual([]);
    await phone.close();
  });

  it('refuses a second use of the link and an expired link', async () => {
    const again = await browser.context.newPage();
    const againErrors = watchErrors(again);
    await again.goto(linkUrl);
    await again.getByRole('button', { name: 'Continue' }).click();
    const alert = again.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('already been used or has expired');
    await shot(again, '11-link-reused');
    expect(unexpected(againErrors, 403)).toEqual([]);
    await again.close();

    const short = await server.admin<{ url: string }>('POST', '/v1/portal/links', {
      org: 'acme',
      expires_in: 60,
    });
    server.advanceClock(61_000);
    const late = await browser.context.newPage();
    const lateErrors = watchErrors(late);
    await late.goto(short.url);
    await late.getByRole('button', { name: 'Continue' }).click();
    await late.getByRole('alert').waitFor();
    expect(await late.getByRole('alert').innerText()).toContain('already been used or has expired');
    expect(unexpected(lateErrors, 403)).toEqual([]);
    await late.close();
  });
});
