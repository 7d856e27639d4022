// Debian's Chromium for browser tests, driven by playwright-core. Never a
// downloaded browser: the system one at /usr/bin/chromium, headless, with
// everything that phones home turned off, and a fresh profile per launch
// that is deleted on close. The widget's browser tests use it too.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Whether the browser suite can run: without Debian's chromium it is skipped
 * with a warning, except under CI (which installs it), where that is an error.
 */
export function chromiumAvailable(suite = 'the portal'): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI) {
    throw new Error(
      `CI is set but there is no Chromium at ${CHROMIUM_PATH}: install Debian's chromium`,
    );
  }
  console.warn(
    `skipping ${suite}'s browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`,
  );
  return false;
}

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedChromium {
  readonly context: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  viewport?: { width: number; height: number };
  /** Whether pages may download files (default true); read them with page.waitForEvent("download"). */
  acceptDownloads?: boolean;
}

/** Starts Chromium with a throwaway profile; fails clearly when the system browser is absent. */
export async function launchChromium(options: LaunchOptions = {}): Promise<LaunchedChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (tests never download a browser)`,
    );
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'logproof-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: options.viewport ?? { width: 1280, height: 860 },
      acceptDownloads: options.acceptDownloads ?? true,
      timeout: 30_000,
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** What went wrong on a page: console errors and uncaught exceptions, as text. */
export interface PageErrors {
  readonly errors: string[];
}

/** Collects a page's console errors and uncaught exceptions from now on. */
export function watchErrors(page: Page): PageErrors {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location();
      errors.push(`console: ${message.text()} (${where.url}:${where.lineNumber})`);
    }
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return { errors };
}
