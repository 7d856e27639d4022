import type { StoredEvent } from '@logproof/core';
import type {} from 'pdfkit';
import { createRequire } from 'node:module';
import type { ExportEventRow } from '../store/export-port.js';
import type { CheckpointRecord, OrgRecord } from '../store/records.js';
import { embedFile, type PdfAttachment } from './pdf-attachment.js';
import type { PdfFontName, PdfFonts } from './pdf-fonts.js';
import { drawCell, writeFlow } from './pdf-text.js';

// The PDF report (API.md "Exports"): what an auditor reads first. Page 1:
// the org, the range, the filters, when it was made, the checkpoint with its
// root hash, tree size and verifier key, and how to verify; then the events
// table (capped); the evidence bundle rides along as an attachment, so the
// one file is both readable and verifiable offline.

// @types/pdfkit declares `export =` (CommonJS), which this project's ESM
// settings (no esModuleInterop) cannot default-import; pdfkit's CommonJS
// build exports the class as module.exports.
const PDFDocument = createRequire(import.meta.url)('pdfkit') as new (
  options?: PDFKit.PDFDocumentOptions,
) => PDFKit.PDFDocument;

/** A4 landscape, in points: wide enough for one event per line. */
const PAGE = { width: 841.89, height: 595.28, margin: 36 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const ROW_HEIGHT = 11.5;
const TABLE_TOP = PAGE.margin + 34;
const TABLE_BOTTOM = PAGE.height - PAGE.margin - 14;
/** Table rows on one page. */
export const PDF_ROWS_PER_PAGE = Math.floor((TABLE_BOTTOM - TABLE_TOP) / ROW_HEIGHT);

interface Column {
  readonly title: string;
  readonly width: number;
  readonly value: (event: StoredEvent) => string;
  /** Set smaller rather than cut when too wide: identifiers an auditor searches for. */
  readonly fit?: boolean;
}

function actorText(e: StoredEvent): string {
  const who = e.actor.name === undefined ? e.actor.id : `${e.actor.name} (${e.actor.id})`;
  const mail = e.actor.email === undefined ? '' : ` <${e.actor.email}>`;
  return `${who}${mail}${e.actor.type === 'user' ? '' : ` [${e.actor.type}]`}`;
}

const COLUMNS: readonly Column[] = [
  { title: '#', width: 44, value: (e) => String(e.chain_index) },
  { title: 'occurred at (UTC)', width: 98, value: (e) => e.occurred_at },
  { title: 'action', width: 104, value: (e) => e.action },
  { title: 'actor', width: 150, value: actorText },
  {
    title: 'targets',
    width: 128,
    value: (e) =>
      e.targets
        .map((t) => `${t.type}:${t.id}${t.name === undefined ? '' : ` ${t.name}`}`)
        .join(', '),
  },
  { title: 'outcome', width: 40, value: (e) => e.outcome },
  { title: 'event id', width: 136, value: (e) => e.id, fit: true },
  { title: 'hash', width: 70, value: (e) => e.hash },
];

/** Everything the report shows. */
export interface PdfReportInput {
  readonly fonts: PdfFonts;
  readonly org: OrgRecord;
  readonly origin: string;
  /** The filter parameters as the request gave them. */
  readonly params: Readonly<Record<string, string>>;
  readonly generatedAt: Date;
  readonly checkpoint: CheckpointRecord;
  /** The verifier keys of the keys that signed the checkpoint and the events. */
  readonly verifierKeys: readonly string[];
  readonly eventCount: number;
  readonly firstIndex: number | null;
  readonly lastIndex: number | null;
  readonly occurredFrom: number | null;
  readonly occurredTo: number | null;
  /** The events of the table, in chain_index order (the first `maxPages` pages' worth are read). */
  readonly rows: AsyncIterable<ExportEventRow[]>;
  readonly maxPages: number;
  /** The evidence bundle, with its SHA-256 (hex); null when no event matched. */
  readonly bundle: (PdfAttachment & { readonly sha256: string }) | null;
}

/** Filled in as the report is written. */
export interface PdfTally {
  pages: number;
}

const iso = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString());

function filterText(params: Readonly<Record<string, string>>): string {
  const entries = Object.entries(params).filter(([k]) => k !== 'org' && k !== 'format');
  return entries.length === 0
    ? 'none: every event of the org'
    : entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
}

function writeSummary(doc: PDFKit.PDFDocument, input: PdfReportInput, tableRows: number): void {
  const { fonts, org, checkpoint } = input;
  const line = (label: string, text: string, size = 10) =>
    writeFlow(doc, fonts, text, { size, width: CONTENT_WIDTH, label: `${label}: ` });
  const heading = (text: string) => {
    doc.moveDown(0.6);
    writeFlow(doc, fonts, text, { size: 12, width: CONTENT_WIDTH, base: 'bold' });
    doc.moveDown(0.2);
  };

  writeFlow(doc, fonts, 'Audit log export', { size: 18, width: CONTENT_WIDTH, base: 'bold' });
  writeFlow(doc, fonts, `${org.name} — tamper-evident log, verifiable offline`, {
    size: 11,
    width: CONTENT_WIDTH,
  });
  doc.moveDown(0.6);
  line('Org', `${org.name} (external id ${org.externalId}, id ${org.id})`);
  line('Log origin', input.origin);
  line(
    'Events',
    input.eventCount === 0
      ? 'none matched'
      : `${input.eventCount.toLocaleString('en-US')}, chain_index ${input.firstIndex} to ${input.lastIndex}`,
  );
  line('Occurred', `${iso(input.occurredFrom)} to ${iso(input.occurredTo)}`);
  line('Filters', filterText(input.params));
  line('Generated at', input.generatedAt.toISOString());
  if (input.eventCount > tableRows) {
    doc.moveDown(0.3);
    writeFlow(
      doc,
      fonts,
      `The table lists the first ${tableRows.toLocaleString('en-US')} of ${input.eventCount.toLocaleString('en-US')} events ` +
        `(at most ${input.maxPages} table pages). All ${input.eventCount.toLocaleString('en-US')} are in the attached evidence bundle; ` +
        'export format=csv or format=ndjson with the same filters for every event in a spreadsheet.',
      { size: 10, width: CONTENT_WIDTH, base: 'bold' },
    );
  }

  heading('Checkpoint (the signed tree head every event is proven against)');
  line('Tree size', String(checkpoint.treeSize));
  line('Root hash (SHA-256, hex)', Buffer.from(checkpoint.rootHash).toString('hex'));
  line('Signed by key id', checkpoint.keyId);
  doc.moveDown(0.2);
  // The signed note line by line, as a verifier reads it (PROOFS.md §5).
  for (const text of checkpoint.note.replace(/\n$/, '').split('\n')) {
    writeFlow(doc, fonts, text === '' ? ' ' : text, { size: 8.5, width: CONTENT_WIDTH });
  }

  heading(input.verifierKeys.length === 1 ? 'Verifier key' : 'Verifier keys');
  for (const key of input.verifierKeys)
    writeFlow(doc, fonts, key, { size: 9, width: CONTENT_WIDTH });

  heading('How to verify');
  const bundle = input.bundle;
  const steps = bundle
    ? [
        `1. Obtain the org's verifier key out of band (kept when the org was set up, or GET /v1/public/logs/${org.id}/keys) and check that it is the one above: never trust a key only because this report prints it.`,
        `2. Extract the attached evidence bundle "${bundle.name}" (SHA-256 ${bundle.sha256}, ${bundle.size.toLocaleString('en-US')} bytes): pdfdetach -saveall report.pdf (poppler-utils), or the attachments pane of a PDF reader.`,
        `3. Run: logproof verify ${bundle.name} --key '<verifier key>' (one --key per key). Offline, it checks the checkpoint's signature and, for every event, its canonical bytes, leaf hash, chain link, Ed25519 signature and inclusion in the checkpoint's tree (PROOFS.md §7).`,
        '4. Consistency proofs between this checkpoint and later ones (GET /v1/public/logs/{org}/proofs/consistency) show that the log was only ever appended to.',
      ]
    : ['No event matched the filters, so no evidence bundle is attached.'];
  for (const step of steps) writeFlow(doc, fonts, step, { size: 9.5, width: CONTENT_WIDTH });
}

function drawTableHeader(doc: PDFKit.PDFDocument, input: PdfReportInput, page: number): void {
  const { fonts } = input;
  drawCell(
    doc,
    fonts,
    `Events of ${input.org.name}, in chain_index order`,
    PAGE.margin,
    PAGE.margin + 11,
    500,
    11,
    'bold',
  );
  drawCell(
    doc,
    fonts,
    `table page ${page}`,
    PAGE.width - PAGE.margin - 60,
    PAGE.margin + 10,
    60,
    8,
  );
  let x = PAGE.margin;
  for (const column of COLUMNS) {
    drawCell(doc, fonts, column.title, x, TABLE_TOP - 5, column.width - 4, 7.5, 'bold');
    x += column.width;
  }
  doc
    .moveTo(PAGE.margin, TABLE_TOP - 2)
    .lineTo(PAGE.width - PAGE.margin, TABLE_TOP - 2)
    .lineWidth(0.5)
    .stroke('#888888');
  const root = Buffer.from(input.checkpoint.rootHash).toString('hex');
  drawCell(
    doc,
    fonts,
    `${input.origin} · checkpoint size ${input.checkpoint.treeSize} · root ${root}`,
    PAGE.margin,
    PAGE.height - PAGE.margin,
    CONTENT_WIDTH,
    7,
  );
}

/** One table row whose top is at `top`. */
function drawRow(
  doc: PDFKit.PDFDocument,
  fonts: PdfFonts,
  event: StoredEvent,
  top: number,
  shade: boolean,
): void {
  if (shade)
    doc.rect(PAGE.margin, top, CONTENT_WIDTH, ROW_HEIGHT).fill('#f2f2f2').fillColor('#000000');
  let x = PAGE.margin;
  for (const column of COLUMNS) {
    const text = column.value(event);
    let size = 7;
    if (column.fit) {
      const width = doc.font('Helvetica').fontSize(size).widthOfString(text);
      if (width > column.width - 4) size = Math.max(4.5, (size * (column.width - 4)) / width);
    }
    drawCell(doc, fonts, text, x, top + 8.2, column.width - 4, size);
    x += column.width;
  }
}

function toEvent(row: ExportEventRow): StoredEvent {
  // Only the entry's members are shown; hash is the stored one.
  return { ...(JSON.parse(row.canonical) as StoredEvent), hash: row.hashHex };
}

/**
 * The report as PDF bytes, piece by piece: each page's bytes are handed on
 * as soon as pdfkit writes them, and the next page is drawn only when the
 * consumer asks for more (an async generator is pulled), so memory holds
 * about one page whatever the range.
 */
export async function* pdfReportChunks(
  input: PdfReportInput,
  tally: PdfTally,
): AsyncGenerator<Uint8Array> {
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: PAGE.margin,
    compress: true,
    bufferPages: false,
    displayTitle: true,
    info: {
      Title: `Audit log export — ${input.org.name}`,
      Author: 'Logproof',
      Subject: `Events of ${input.origin} with their evidence bundle`,
      CreationDate: input.generatedAt,
    },
  });
  const out: Uint8Array[] = [];
  doc.on('data', (chunk: Uint8Array) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  const flush = function* () {
    while (out.length > 0) yield out.shift()!;
  };
  for (const [name, bytes] of input.fonts.bytes())
    doc.registerFont(name satisfies PdfFontName, bytes);
  tally.pages = 1;
  doc.on('pageAdded', () => tally.pages++);
  let tablePage = 0;

  const tableRows = Math.min(input.eventCount, input.maxPages * PDF_ROWS_PER_PAGE);
  writeSummary(doc, input, tableRows);
  yield* flush();

  let drawn = 0;
  let onPage = PDF_ROWS_PER_PAGE;
  for await (const rows of input.rows) {
    for (const row of rows) {
      if (drawn >= tableRows) break;
      if (onPage === PDF_ROWS_PER_PAGE) {
        doc.addPage();
        drawTableHeader(doc, input, ++tablePage);
        onPage = 0;
      }
      drawRow(doc, input.fonts, toEvent(row), TABLE_TOP + onPage * ROW_HEIGHT, onPage % 2 === 1);
      onPage++;
      drawn++;
    }
    yield* flush();
    if (drawn >= tableRows) break;
  }

  if (input.bundle) {
    for await (const _ of embedFile(doc, input.bundle)) yield* flush();
  }
  doc.end();
  await ended;
  yield* flush();
}
