// The shadow root's style sheet. Theming is through inherited custom
// properties (--logproof-*) and ::part(); nothing else leaks in or out.
// Narrow widths (a container query on the widget's own width, not the
// viewport's) turn rows into cards.
export const WIDGET_CSS = `
:host {
  --_accent: var(--logproof-accent, #4f46e5);
  --_bg: var(--logproof-bg, #ffffff);
  --_fg: var(--logproof-fg, #1f2937);
  --_border: var(--logproof-border, #e5e7eb);
  --_radius: var(--logproof-radius, 8px);
  --_muted: color-mix(in srgb, var(--_fg) 62%, var(--_bg));
  --_subtle: color-mix(in srgb, var(--_fg) 4%, var(--_bg));
  display: block;
  container: logproof / inline-size;
  font-family: var(--logproof-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
  font-size: 14px;
  line-height: 1.45;
  color: var(--_fg);
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.frame {
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-top: 3px solid var(--_accent);
  border-radius: var(--_radius);
  overflow: hidden;
}
.header {
  display: flex;
  flex-wrap: wrap;
  align-items: baseline;
  justify-content: space-between;
  gap: 4px 16px;
  padding: 12px 16px;
  border-bottom: 1px solid var(--_border);
}
.title { margin: 0; font-size: 1.05em; font-weight: 600; }
.summary { margin: 0; color: var(--_muted); font-size: 0.9em; }
.error {
  margin: 12px 16px;
  padding: 10px 12px;
  border: 1px solid #fca5a5;
  border-left: 4px solid #dc2626;
  border-radius: calc(var(--_radius) / 2);
  background: #fef2f2;
  color: #7f1d1d;
}
.error[hidden], .scroll[hidden] { display: none; }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
caption {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
th, td { padding: 9px 16px; text-align: left; vertical-align: top; }
th {
  font-size: 0.78em; font-weight: 600; letter-spacing: 0.04em; text-transform: uppercase;
  color: var(--_muted); background: var(--_subtle); border-bottom: 1px solid var(--_border);
  white-space: nowrap;
}
tbody tr + tr td { border-top: 1px solid var(--_border); }
td { overflow-wrap: anywhere; }
.col-time { white-space: nowrap; color: var(--_muted); }
.action { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; white-space: nowrap; }
.detail { display: block; color: var(--_muted); font-size: 0.85em; }
.targets { margin: 0; padding: 0; list-style: none; }
.none { color: var(--_muted); }
.outcome { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 0.85em; line-height: 1.7;
  background: #ecfdf5; color: #065f46; }
.outcome.failure { background: #fef2f2; color: #991b1b; }
.status { display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; font-weight: 500; }
.status::before { content: ''; width: 8px; height: 8px; border-radius: 50%; background: currentColor; flex: none; }
.status.verified { color: #047857; }
.status.failed { color: #b91c1c; white-space: normal; }
.status.checking { color: var(--_muted); }
.empty td { color: var(--_muted); text-align: center; padding: 24px 16px; }
.footer { display: flex; justify-content: center; padding: 12px 16px; border-top: 1px solid var(--_border); }
.footer[hidden] { display: none; }
button {
  font: inherit; cursor: pointer;
  padding: 7px 16px; border: 1px solid var(--_accent); border-radius: calc(var(--_radius) / 1.5);
  background: var(--_accent); color: #ffffff; font-weight: 500;
}
button:hover { filter: brightness(1.08); }
button:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
tr:focus-visible { outline: 2px solid var(--_accent); outline-offset: -2px; }
button[aria-disabled='true'] { cursor: progress; opacity: 0.65; }
@container logproof (max-width: 620px) {
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table, tbody, tr, td { display: block; width: 100%; }
  tbody tr { padding: 10px 16px; }
  tbody tr + tr { border-top: 1px solid var(--_border); }
  tbody tr + tr td { border-top: 0; }
  td { display: grid; grid-template-columns: 6.5em minmax(0, 1fr); gap: 8px; padding: 3px 0; overflow-wrap: anywhere; }
  .action { white-space: normal; overflow-wrap: anywhere; }
  td::before { content: attr(data-label); color: var(--_muted); font-size: 0.85em; }
  .empty td { display: block; }
  .empty td::before { content: none; }
}
@media (prefers-reduced-motion: no-preference) {
  .status.checking::before { animation: pulse 1s ease-in-out infinite alternate; }
  @keyframes pulse { from { opacity: 0.25; } to { opacity: 1; } }
}
`;
