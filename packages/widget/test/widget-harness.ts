// The E2E harness: the real server in process on a real port (fresh SQLite
// dir, a settable clock), the widget freshly bundled by Vite and served by
// that server at /widget.js, host pages on another origin, and Chromium.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogproof, readConfig, type Logproof } from '@logproof/server';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { expect } from 'vitest';
import { launchChromium, type Chromium } from './chromium.js';
import { startHostPages, type HostPages } from './host-page.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = join(PACKAGE_DIR, 'test-results', 'screenshots');

export interface WidgetPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions of the page so far. */
  readonly errors: string[];
}

export class Harness {
  readonly #pages: WidgetPage[] = [];

  private constructor(
    readonly server: Logproof,
    /** `http://127.0.0.1:<port>` of the API (and of /widget.js). */
    readonly api: string,
    readonly apiKey: string,
    readonly dataDir: string,
    /** The server's clock: move `now` to expire tokens. */
    readonly clock: { now: number },
    readonly widgetFile: string,
    readonly host: HostPages,
    readonly browser: Chromium,
  ) {}

  static async start(): Promise<Harness> {
    // Bundle the widget as `npm run build -w @logproof/widget` does, into a temp dir.
    const widgetDir = await mkdtemp(join(tmpdir(), 'logproof-widget-dist-'));
    await build({
      root: PACKAGE_DIR,
      configFile: join(PACKAGE_DIR, 'vite.config.ts'),
      logLevel: 'silent',
      build: { outDir: widgetDir },
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'logproof-widget-e2e-'));
    const clock = { now: Date.now() };
    const widgetFile = join(widgetDir, 'widget.js');
    const config = readConfig(
      { LOGPROOF_WIDGET_FILE: widgetFile },
      { dataDir, logLevel: 'silent', rateLimitPerMinute: 0, maxEventLoopDelayMs: 0 },
    );
    const server = await createLogproof(config, {
      init: true,
      logger: false,
      clock: () => clock.now,
    });
    const api = await server.app.listen({ port: 0, host: '127.0.0.1' });
    if (server.initialApiKey === null) throw new Error('init did not create an admin key');
    const [host, browser] = await Promise.all([
      startHostPages(),
      launchChromium({ viewport: { width: 1100, height: 800 } }),
    ]);
    await mkdir(SCREENSHOTS, { recursive: true });
    return new Harness(
      server,
      api,
      server.initialApiKey,
      dataDir,
      clock,
      widgetFile,
      host,
      browser,
    );
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.host.close();
    await this.server.close();
    await rm(this.dataDir, { recursive: true, force: true });
    await rm(join(this.widgetFile, '..'), { recursive: true, force: true });
  }

  /** Calls the API with the admin key; fails the test unless it answers 2xx. */
  async call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return JSON.parse(text);
  }

  async embedToken(org: string, extra: Record<string, unknown> = {}): Promise<string> {
    return (await this.call('POST', '/v1/embed-tokens', { org, ...extra })).token as string;
  }

  /**
   * Opens a host page (another origin) that loads /widget.js and holds the
   * element with `attrs`, collecting console errors and uncaught exceptions.
   */
  async openWidget(
    name: string,
    attrs: Record<string, string>,
    options: { css?: string; width?: number; csp?: string } = {},
  ): Promise<WidgetPage> {
    const attributes = Object.entries(attrs)
      .map(([k, v]) => ` ${k}="${v.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}"`)
      .join('');
    const url = this.host.page(
      name,
      `<script src="${this.api}/widget.js"></script>${options.css ? `<style>${options.css}</style>` : ''}`,
      `<h1>Acme settings — ${name}</h1><logproof-audit-log${attributes}></logproof-audit-log>`,
      options.csp,
    );
    const page = await this.browser.context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    if (options.width !== undefined) {
      await page.setViewportSize({ width: options.width, height: 900 });
    }
    await page.goto(url);
    const entry = { page, errors };
    this.#pages.push(entry);
    return entry;
  }

  /** Closes the pages opened so far. */
  async closePages(): Promise<void> {
    for (const { page } of this.#pages.splice(0)) await page.close();
  }
}

/** Waits until the widget has rendered and no row is still "checking…". */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const root = document.querySelector('logproof-audit-log')?.shadowRoot;
    const summary = root?.querySelector('[part="summary"]')?.textContent ?? '';
    const error = root?.querySelector('[part="error"]');
    if (error instanceof HTMLElement && !error.hidden) return true;
    if (summary === '' || summary.startsWith('Loading')) return false;
    return [...root!.querySelectorAll<HTMLElement>('.status')].every(
      (s) => s.dataset.state !== 'checking',
    );
  });
}

export interface Row {
  time: string;
  action: string;
  actor: string;
  targets: string;
  outcome: string;
  status: string;
  /** Why it failed ('' unless it did). */
  why: string;
}

export function rows(page: Page): Promise<Row[]> {
  return page.evaluate(() => {
    const root = document.querySelector('logproof-audit-log')!.shadowRoot!;
    const text = (tr: Element, cls: string) => tr.querySelector(`td.col-${cls}`)?.textContent ?? '';
    return [...root.querySelectorAll('tr[part="row"]')].map((tr) => ({
      time: text(tr, 'time'),
      action: text(tr, 'action'),
      actor: text(tr, 'actor'),
      targets: text(tr, 'targets'),
      outcome: text(tr, 'outcome'),
      status: tr.querySelector('.status')?.textContent ?? '',
      why: tr.querySelector('.status + .detail')?.textContent ?? '',
    }));
  });
}

export function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export const widgetText = (page: Page, part: string) =>
  page.evaluate(
    (p) =>
      document.querySelector('logproof-audit-log')!.shadowRoot!.querySelector(`[part~="${p}"]`)
        ?.textContent ?? '',
    part,
  );
