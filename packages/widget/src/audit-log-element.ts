// <logproof-audit-log token base-url [verifier-key] [limit]>: lists an org's
// (or one actor's) events with a verification status computed in this
// browser (contract "Widget API"). Token, base-url or limit changing reloads;
// verifier-key changing re-verifies what is shown.
import { describeEvent } from './event-view.js';
import {
  createEmptyRow,
  createRow,
  createShell,
  setStatus,
  type Shell,
  type StatusCell,
} from './render.js';
import { WIDGET_CSS } from './styles.js';
import { fetchWidgetPage, type WidgetPage } from './widget-api.js';
import { readWidgetConfig, type WidgetConfig } from './widget-config.js';
import { WidgetError } from './widget-error.js';
import { verifyItem } from './verify-status.js';

interface ShownPage {
  readonly page: WidgetPage;
  readonly cells: readonly StatusCell[];
}

type Counts = { verified: number; failed: number; checking: number };

function adoptStyles(root: ShadowRoot): void {
  // A constructed sheet is not inline style: it works under a host page's
  // strict style-src CSP. Older engines get a <style> element.
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(WIDGET_CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement('style');
    style.textContent = WIDGET_CSS;
    root.append(style);
  }
}

export class LogproofAuditLogElement extends HTMLElement {
  static readonly observedAttributes = ['token', 'base-url', 'limit', 'verifier-key'];

  readonly #shell: Shell;
  #config: WidgetConfig | null = null;
  #pages: ShownPage[] = [];
  #controller: AbortController | null = null;
  /** Bumped on every reload: late answers of an older load are dropped. */
  #loadRound = 0;
  /** Bumped on every reload and re-verification: late results of older trust material are dropped. */
  #verifyRound = 0;
  #needsReload = true;
  #scheduled = false;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    adoptStyles(root);
    this.#shell = createShell();
    root.append(this.#shell.root);
    this.#shell.loadMore.addEventListener('click', () => void this.#loadMore());
  }

  connectedCallback(): void {
    if (this.#needsReload) this.#schedule();
  }

  disconnectedCallback(): void {
    this.#controller?.abort();
    this.#controller = null;
    this.#needsReload = true;
  }

  attributeChangedCallback(name: string, oldValue: string | null, newValue: string | null): void {
    if (oldValue === newValue) return;
    if (name === 'verifier-key' && !this.#needsReload) {
      void this.#reverify();
      return;
    }
    this.#needsReload = true;
    this.#schedule();
  }

  /** Fetches the first page again and re-verifies everything. */
  reload(): void {
    this.#needsReload = true;
    this.#schedule();
  }

  /** Several attributes set in one task cause one load. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.isConnected && this.#needsReload) void this.#reload();
    });
  }

  #readConfig(): WidgetConfig {
    return readWidgetConfig({
      token: this.getAttribute('token'),
      baseUrl: this.getAttribute('base-url'),
      limit: this.getAttribute('limit'),
      verifierKey: this.getAttribute('verifier-key'),
    });
  }

  async #reload(): Promise<void> {
    this.#needsReload = false;
    this.#controller?.abort();
    this.#controller = new AbortController();
    const round = ++this.#loadRound;
    this.#verifyRound++;
    this.#pages = [];
    this.#config = null;
    this.#shell.tbody.replaceChildren();
    this.#shell.tableBox.hidden = true;
    this.#shell.footer.hidden = true;
    this.#showError(null);
    try {
      this.#config = this.#readConfig();
    } catch (error) {
      this.#showError(error);
      this.#shell.summary.textContent = '';
      return;
    }
    this.#shell.summary.textContent = 'Loading events…';
    await this.#fetchAndShow(null, round, this.#controller.signal);
  }

  async #loadMore(): Promise<void> {
    const last = this.#pages.at(-1);
    if (this.#shell.loadMore.getAttribute('aria-disabled') === 'true') return;
    if (last?.page.nextCursor == null || this.#controller === null) return;
    await this.#fetchAndShow(last.page.nextCursor, this.#loadRound, this.#controller.signal);
  }

  async #fetchAndShow(cursor: string | null, round: number, signal: AbortSignal): Promise<void> {
    const config = this.#config;
    if (config === null) return;
    const { loadMore, footer, tbody, tableBox } = this.#shell;
    // aria-disabled, not disabled: a disabled button drops keyboard focus.
    loadMore.setAttribute('aria-disabled', 'true');
    loadMore.textContent = 'Loading…';
    let page: WidgetPage;
    try {
      page = await fetchWidgetPage(config, cursor, signal);
    } catch (error) {
      // Superseded by a reload, or the element left the page: nothing to say.
      if (round !== this.#loadRound || signal.aborted) return;
      this.#showError(error);
      this.#updateSummary();
      return;
    } finally {
      if (round === this.#loadRound) {
        loadMore.removeAttribute('aria-disabled');
        loadMore.textContent = 'Load more';
      }
    }
    if (round !== this.#loadRound) return;
    this.#showError(null);
    tableBox.hidden = false;
    if (this.#pages.length === 0 && page.items.length === 0) {
      tbody.append(createEmptyRow('No events yet.'));
    }
    const rows = page.items.map((item) => createRow(describeEvent(item.event)));
    tbody.append(...rows.map((r) => r.row));
    const shown: ShownPage = { page, cells: rows.map((r) => r.cell) };
    this.#pages.push(shown);
    const hadFocus = this.shadowRoot?.activeElement === loadMore;
    footer.hidden = page.nextCursor === null;
    const first = rows[0]?.row;
    if (hadFocus && footer.hidden && first !== undefined) {
      // The button is gone with the last page: keep keyboard focus in the list.
      first.tabIndex = -1;
      first.focus();
    }
    this.#updateSummary();
    await this.#verifyPage(shown, this.#config?.pinnedKey ?? null, this.#verifyRound);
  }

  async #verifyPage(shown: ShownPage, pinnedKey: string | null, round: number): Promise<void> {
    await Promise.all(
      shown.page.items.map(async (item, i) => {
        const status = await verifyItem(item, shown.page, pinnedKey);
        const cell = shown.cells[i];
        if (round === this.#verifyRound && cell !== undefined) setStatus(cell, status);
      }),
    );
    if (round === this.#verifyRound) this.#updateSummary();
  }

  /** The pinned key changed: same events, checked again against the new trust material. */
  async #reverify(): Promise<void> {
    if (this.#config === null) return;
    const round = ++this.#verifyRound;
    const pinnedKey = this.getAttribute('verifier-key')?.trim() || null;
    this.#config = { ...this.#config, pinnedKey };
    for (const { cells } of this.#pages) {
      for (const cell of cells) setStatus(cell, { state: 'checking' });
    }
    this.#updateSummary();
    await Promise.all(this.#pages.map((shown) => this.#verifyPage(shown, pinnedKey, round)));
  }

  #counts(): Counts {
    const counts: Counts = { verified: 0, failed: 0, checking: 0 };
    for (const { cells } of this.#pages) {
      for (const { status } of cells) {
        const state = status.dataset.state;
        if (state === 'verified' || state === 'failed' || state === 'checking') counts[state]++;
      }
    }
    return counts;
  }

  #updateSummary(): void {
    const config = this.#config;
    if (config === null) return;
    if (this.#pages.length === 0) {
      // Nothing shown (the first page failed): the error says it all.
      this.#shell.summary.textContent = '';
      return;
    }
    const { verified, failed, checking } = this.#counts();
    const total = verified + failed + checking;
    const keys = config.pinnedKey !== null ? 'pinned key' : 'key from server';
    const parts = [`${total} ${total === 1 ? 'event' : 'events'}`];
    if (checking > 0) parts.push(`checking ${checking}…`);
    if (verified > 0) parts.push(`${verified} verified`);
    if (failed > 0) parts.push(`${failed} failed`);
    parts.push(keys);
    this.#shell.summary.textContent = parts.join(' · ');
  }

  #showError(error: unknown): void {
    const box = this.#shell.error;
    if (error === null) {
      box.hidden = true;
      box.textContent = '';
      return;
    }
    box.hidden = false;
    box.textContent =
      error instanceof WidgetError
        ? error.message
        : `The audit log could not be shown: ${error instanceof Error ? error.message : String(error)}`;
    if (error instanceof WidgetError) {
      box.dataset.code = error.problemCode ?? error.code;
    } else {
      delete box.dataset.code;
    }
  }
}
