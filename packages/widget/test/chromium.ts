// Debian's Chromium, driven by playwright-core: never a downloaded browser.
// A fresh profile per launch, removed on close; no network but the test's.
import { access } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * True when the system Chromium is installed. Without it the E2E suite is
 * skipped with a warning, except under CI (which installs Debian's chromium),
 * where a missing browser is an error rather than a silent skip.
 */
export async function hasChromium(): Promise<boolean> {
  try {
    await access(CHROMIUM_PATH);
    return true;
  } catch {
    if (process.env.CI) {
      throw new Error(
        `CI is set but there is no Chromium at ${CHROMIUM_PATH}: install Debian's chromium`,
      );
    }
    console.warn(
      `skipping the widget's browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`,
    );
    return false;
  }
}

export async function launchChromium(): Promise<Chromium> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'logproof-widget-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 1100, height: 800 },
    timeout: 20_000,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
