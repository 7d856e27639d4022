// DOM builders. Data reaches the page only through textContent and
// setAttribute (never innerHTML): an actor named `<img onerror=...>` is text.
import type { EventView } from './event-view.js';
import type { VerificationStatus } from './verify-status.js';

type Child = Node | string;

/** Creates an element with attributes (set with setAttribute) and text or element children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  // append() inserts strings as Text nodes, never as markup.
  el.append(...children);
  return el;
}

/** The columns, in order; `label` is the header and the card label on narrow widths. */
const COLUMNS = [
  { key: 'time', label: 'Time' },
  { key: 'action', label: 'Action' },
  { key: 'actor', label: 'Actor' },
  { key: 'targets', label: 'Targets' },
  { key: 'outcome', label: 'Outcome' },
  { key: 'verification', label: 'Verification' },
] as const;

export interface Shell {
  readonly root: HTMLElement;
  readonly summary: HTMLElement;
  readonly error: HTMLElement;
  readonly tbody: HTMLTableSectionElement;
  /** The table's box, hidden until a first page is shown. */
  readonly tableBox: HTMLElement;
  readonly footer: HTMLElement;
  readonly loadMore: HTMLButtonElement;
}

/**
 * The fixed frame: a header with the aria-live summary, an error region, the
 * table and the "Load more" button. Explicit table roles are kept because the
 * card layout changes `display`, which makes some browsers drop the semantics.
 */
export function createShell(): Shell {
  const summary = h('p', {
    class: 'summary',
    part: 'summary',
    role: 'status',
    'aria-live': 'polite',
  });
  const error = h('div', { class: 'error', part: 'error', role: 'alert', hidden: '' });
  const headRow = h('tr', { role: 'row' });
  for (const c of COLUMNS) {
    headRow.append(h('th', { scope: 'col', role: 'columnheader', part: 'header-cell' }, c.label));
  }
  const tbody = h('tbody', { role: 'rowgroup' });
  const table = h(
    'table',
    { part: 'table', role: 'table' },
    h('caption', {}, 'Audit log events, newest first, each verified in this browser'),
    h('thead', { role: 'rowgroup' }, headRow),
    tbody,
  );
  const loadMore = h('button', { type: 'button', part: 'load-more' }, 'Load more');
  const footer = h('div', { class: 'footer', hidden: '' }, loadMore);
  const tableBox = h('div', { class: 'scroll', hidden: '' }, table);
  const root = h(
    'section',
    { class: 'frame', part: 'frame', 'aria-label': 'Audit log' },
    h('div', { class: 'header' }, h('h2', { class: 'title', part: 'title' }, 'Audit log'), summary),
    error,
    tableBox,
    footer,
  );
  return { root, summary, error, tbody, tableBox, footer, loadMore };
}

function cell(key: string, label: string, ...children: Child[]): HTMLTableCellElement {
  // One wrapper per cell, so that the card layout's grid has a label and a value.
  return h(
    'td',
    { class: `col-${key}`, role: 'cell', 'data-label': label },
    h('div', {}, ...children),
  );
}

/** A row's verification cell: the status word, and why when it failed. */
export interface StatusCell {
  readonly status: HTMLElement;
  readonly detail: HTMLElement;
}

/** One event's row; its verification cell starts as "checking…". */
export function createRow(view: EventView): { row: HTMLTableRowElement; cell: StatusCell } {
  const time = h('time', view.occurredAt === '' ? {} : { datetime: view.occurredAt }, view.time);
  const actor: Child[] = [view.actor];
  if (view.actorDetail !== '') actor.push(h('span', { class: 'detail' }, view.actorDetail));
  const targets =
    view.targets.length === 0
      ? h('span', { class: 'none' }, '—')
      : h('ul', { class: 'targets' }, ...view.targets.map((t) => h('li', {}, t)));
  const outcomeClass = view.outcome === 'failure' ? 'outcome failure' : 'outcome';
  const statusCell = { status: h('span', {}), detail: h('span', { class: 'detail' }) };
  setStatus(statusCell, { state: 'checking' });
  const row = h(
    'tr',
    { part: 'row', role: 'row' },
    cell('time', 'Time', time),
    cell('action', 'Action', h('code', { class: 'action' }, view.action)),
    cell('actor', 'Actor', ...actor),
    cell('targets', 'Targets', targets),
    cell('outcome', 'Outcome', h('span', { class: outcomeClass, part: 'outcome' }, view.outcome)),
    cell('verification', 'Verification', statusCell.status, statusCell.detail),
  );
  return { row, cell: statusCell };
}

export function createEmptyRow(text: string): HTMLTableRowElement {
  return h(
    'tr',
    { class: 'empty', role: 'row' },
    h('td', { colspan: String(COLUMNS.length), role: 'cell' }, text),
  );
}

/** Shows a status: "verified", "failed: <first failed check>" (and why) or "checking…". */
export function setStatus({ status: el, detail }: StatusCell, status: VerificationStatus): void {
  el.className = `status ${status.state}`;
  el.setAttribute('part', `status ${status.state}`);
  el.dataset.state = status.state;
  detail.textContent = '';
  switch (status.state) {
    case 'checking':
      el.textContent = 'checking…';
      el.removeAttribute('title');
      break;
    case 'verified':
      el.textContent = 'verified';
      el.title = `Signature, hash chain and inclusion in the signed checkpoint checked in this browser (${status.engine}).`;
      break;
    case 'failed':
      el.textContent = `failed: ${status.check}`;
      el.removeAttribute('title');
      detail.textContent = status.detail;
      break;
  }
}
