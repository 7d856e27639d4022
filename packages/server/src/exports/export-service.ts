import type { CryptoProvider } from '@logproof/core';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeflate } from 'node:zlib';
import { ApiError } from '../errors.js';
import type { EventFilter, EventOrder } from '../query/event-filter.js';
import type { ExportFormat } from '../store/export-port.js';
import type { ExportEventRow } from '../store/export-port.js';
import type { Store } from '../store/store.js';
import {
  bundleChunks,
  planBundle,
  readPlannedRows,
  type BundlePlan,
  type BundleTally,
} from './bundle-export.js';
import { ChunkWriter } from './chunk-writer.js';
import { csvHeader } from './csv.js';
import { CsvRowWriter } from './csv-rows.js';
import { readEventPages } from './export-source.js';
import { JSON_OPEN, jsonClose, writeJsonRows } from './json.js';
import { NDJSON_CONTENT_TYPE, writeNdjsonRows } from './ndjson.js';
import type { PdfFonts } from './pdf-fonts.js';
import { PDF_ROWS_PER_PAGE, pdfReportChunks, type PdfTally } from './pdf-report.js';

/** One export as asked: the format and the validated filter (the org already resolved). */
export interface ExportRequest {
  readonly projectId: string;
  readonly format: ExportFormat;
  readonly filter: EventFilter;
  /** Listing order of csv, ndjson and json; bundles and PDF reports follow chain_index. */
  readonly order: EventOrder;
  /** The filter parameters as given, shown in the PDF report and the job. */
  readonly params: Readonly<Record<string, string>>;
}

/** An export being written: pull `body` to write it, with back-pressure. */
export interface ExportStream {
  readonly contentType: string;
  /** A safe file name for Content-Disposition. */
  readonly filename: string;
  /** How many events it will hold, when known before writing (bundle, pdf). */
  readonly rowsTotal: number | null;
  readonly body: AsyncGenerator<Buffer>;
  /** Events written so far. */
  rows(): number;
  /** Pages written so far (PDF reports; 0 otherwise). */
  pages(): number;
}

export const EXPORT_CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: NDJSON_CONTENT_TYPE,
  json: 'application/json; charset=utf-8',
  bundle: 'application/json; charset=utf-8',
  pdf: 'application/pdf',
};

export interface ExportServiceOptions {
  readonly store: Store;
  readonly crypto: CryptoProvider;
  readonly originOf: (orgId: string) => string;
  readonly fonts: PdfFonts;
  /** Most table pages of a PDF report (LOGPROOF_EXPORT_PDF_MAX_PAGES). */
  readonly pdfMaxPages: number;
  /** Where a PDF report's evidence bundle is staged while the report is written. */
  readonly tmpDir: string;
  readonly clock: () => number;
}

/** Letters, digits, dot, dash and underscore only: safe in a header and on any file system. */
function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15) + 'Z';
}

/** Chains the first item (already read, so that its errors came before any byte) with the rest. */
async function* prepend<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/**
 * Writes exports (API.md "Exports") as byte streams: csv, ndjson and json
 * straight from the listing; bundles and PDF reports from a plan of the
 * selected events. Every format is produced incrementally and pulled by its
 * consumer (an HTTP response or a job's file), so memory stays flat.
 */
export class ExportService {
  constructor(private readonly options: ExportServiceOptions) {}

  /**
   * Starts an export: validates what only the format can (bundles and PDF
   * reports are of one org), reads what must be known before the first
   * byte, and returns the stream. Throws ApiError for a request it refuses.
   */
  async open(request: ExportRequest): Promise<ExportStream> {
    if (
      (request.format === 'bundle' || request.format === 'pdf') &&
      request.filter.orgId === null
    ) {
      throw new ApiError(
        'validation_failed',
        `a ${request.format} export is of one org: name it with org`,
        {
          errors: [{ path: '/org', message: `is required with format=${request.format}` }],
        },
      );
    }
    switch (request.format) {
      case 'bundle':
        return this.#openBundle(request);
      case 'pdf':
        return this.#openPdf(request);
      default:
        return this.#openListing(request);
    }
  }

  async #openListing(request: ExportRequest): Promise<ExportStream> {
    const { store, clock } = this.options;
    const pages = readEventPages(store, request.projectId, request.filter, request.order);
    const first = await pages.next();
    let rows = 0;
    const format = request.format;
    const body = async function* (): AsyncGenerator<Buffer> {
      const out = new ChunkWriter();
      const csv = new CsvRowWriter();
      if (format === 'csv') out.write(csvHeader());
      if (format === 'json') out.write(JSON_OPEN);
      for await (const page of prepend<ExportEventRow[]>(first, pages)) {
        if (format === 'csv') csv.writeRows(out, page);
        else if (format === 'json') writeJsonRows(out, page, rows === 0);
        else writeNdjsonRows(out, page);
        rows += page.length;
        yield* out.takeFull();
      }
      if (format === 'json') out.write(jsonClose(rows === 0));
      yield* out.takeAll();
    };
    const org = request.params.org === undefined ? 'events' : safeName(request.params.org);
    return {
      contentType: EXPORT_CONTENT_TYPES[format],
      filename: `logproof-${org}-${stamp(clock())}.${format}`,
      rowsTotal: null,
      body: body(),
      rows: () => rows,
      pages: () => 0,
    };
  }

  async #plan(request: ExportRequest): Promise<BundlePlan> {
    return planBundle(this.options, request.projectId, request.filter);
  }

  async #openBundle(request: ExportRequest): Promise<ExportStream> {
    const plan = await this.#plan(request);
    if (plan.indexes.length === 0) {
      throw new ApiError(
        'validation_failed',
        `no event of org ${plan.org.id} up to its checkpoint of size ${plan.checkpoint.treeSize} matches these filters; an evidence bundle holds at least one event`,
        { errors: [{ path: '/', message: 'no event matches' }] },
      );
    }
    const tally: BundleTally = { rows: 0, verifierKeys: [] };
    const body = bundleChunks(this.options, plan, tally);
    return {
      contentType: EXPORT_CONTENT_TYPES.bundle,
      filename: bundleName(plan),
      rowsTotal: plan.indexes.length,
      body,
      rows: () => tally.rows,
      pages: () => 0,
    };
  }

  async #openPdf(request: ExportRequest): Promise<ExportStream> {
    const plan = await this.#plan(request);
    const tally: BundleTally = { rows: 0, verifierKeys: [] };
    const pdf: PdfTally = { pages: 0 };
    const { options } = this;
    const generatedAt = new Date(options.clock());
    const count = plan.indexes.length;
    const body = async function* (): AsyncGenerator<Buffer> {
      const dir = await mkdtemp(join(options.tmpDir, 'logproof-pdf-'));
      try {
        const bundle = count === 0 ? null : await stageBundle(options, plan, tally, dir);
        const chunks = pdfReportChunks(
          {
            fonts: options.fonts,
            org: plan.org,
            origin: plan.origin,
            params: request.params,
            generatedAt,
            checkpoint: plan.checkpoint,
            verifierKeys:
              bundle === null
                ? plan.keys
                    .filter((k) => k.keyId === plan.checkpoint.keyId)
                    .map((k) => k.verifierKey)
                : tally.verifierKeys,
            eventCount: count,
            firstIndex: count === 0 ? null : plan.indexes[0]!,
            lastIndex: count === 0 ? null : plan.indexes[count - 1]!,
            occurredFrom: plan.occurredFrom,
            occurredTo: plan.occurredTo,
            rows: readPlannedRows(options.store, plan, options.pdfMaxPages * PDF_ROWS_PER_PAGE),
            maxPages: options.pdfMaxPages,
            bundle,
          },
          pdf,
        );
        for await (const chunk of chunks)
          yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };
    return {
      contentType: EXPORT_CONTENT_TYPES.pdf,
      filename: `logproof-report-${safeName(plan.org.externalId)}-${stamp(generatedAt.getTime())}.pdf`,
      rowsTotal: count,
      body: body(),
      rows: () => tally.rows,
      pages: () => pdf.pages,
    };
  }
}

function bundleName(plan: BundlePlan): string {
  return `logproof-bundle-${safeName(plan.org.id)}-${plan.checkpoint.treeSize}.json`;
}

/**
 * Writes the bundle, deflated, to a file in `dir` (a PDF needs its length
 * before its bytes), hashing the plain bytes on the way.
 */
async function stageBundle(
  options: ExportServiceOptions,
  plan: BundlePlan,
  tally: BundleTally,
  dir: string,
) {
  const path = join(dir, 'bundle.json.deflate');
  const sha256 = createHash('sha256');
  const md5 = createHash('md5'); // the PDF's own CheckSum (ISO 32000-1 §7.11.4), not a security hash
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sha256.update(chunk);
      md5.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const text = Readable.from(bundleChunks(options, plan, tally), { objectMode: false });
  await pipeline(text, tap, createDeflate(), createWriteStream(path));
  return {
    name: bundleName(plan),
    description: `Logproof evidence bundle (PROOFS.md §7): ${plan.indexes.length} events of ${plan.origin} with their proofs; verify with logproof verify`,
    mediaType: 'application/json',
    size,
    md5: md5.digest(),
    sha256: sha256.digest('hex'),
    modifiedAt: new Date(options.clock()),
    deflatedSize: (await stat(path)).size,
    deflated: createReadStream(path, { highWaterMark: 256 * 1024 }),
  };
}
