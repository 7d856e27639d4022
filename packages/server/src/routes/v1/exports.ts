import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { ApiError } from '../../errors.js';
import { describeCsvColumns } from '../../exports/csv.js';
import type { ExportJobs } from '../../exports/export-jobs.js';
import {
  EXPORT_CONTENT_TYPES,
  type ExportRequest,
  type ExportService,
  type ExportStream,
} from '../../exports/export-service.js';
import type { DownloadSigner } from '../../exports/presign.js';
import type { ExportStorage } from '../../exports/storage.js';
import { problemResponses } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import type { EventOrder } from '../../query/event-filter.js';
import { EXPORT_FORMATS, type ExportFormat, type ExportRecord } from '../../store/export-port.js';
import type { Store } from '../../store/store.js';
import { EVENT_FILTER_PARAMS, readEventFilter } from './events-list.js';

// Exports (API.md "Exports"): GET /v1/events/export streams one; POST
// /v1/exports runs one in the background; GET /v1/exports/{id} reports it
// with a presigned download link, served by GET /v1/exports/{id}/download
// without an API key.

export interface ExportRoutesOptions {
  readonly store: Store;
  readonly service: ExportService;
  readonly jobs: ExportJobs;
  readonly storage: ExportStorage;
  readonly signer: DownloadSigner;
  readonly clock: () => number;
  /** How long a download link is valid (LOGPROOF_EXPORT_URL_TTL_SECONDS). */
  readonly urlTtlMs: number;
  /** Base of download links (LOGPROOF_PUBLIC_URL); the request's own origin when absent. */
  readonly publicUrl: string | undefined;
}

// API.md "Tenancy and auth": exports belong to the admin scope.
const READ = { scopes: ['admin'] as const };

const FORMAT_DESCRIPTION = `\`csv\`, \`ndjson\`, \`json\`, \`bundle\` or \`pdf\`:

- **csv**: one row per event, UTF-8 with a byte order mark, RFC 4180 (CRLF, fields quoted when they hold a comma, a quote, CR or LF). Columns, in this stable order: ${describeCsvColumns()}. Spreadsheet-safe: a cell whose first character (after any leading apostrophes and spaces) is \`=\`, \`+\`, \`-\`, \`@\`, tab, CR, LF or NUL, or a full-width or small form of \`= + - @\`, is written with a leading apostrophe \`'\` and is shown as text, never evaluated; drop that one apostrophe to get the value back.
- **ndjson**: one event per line exactly as the API returns it (with \`leaf_hash\`, \`hash\`, \`previous_hash\`, \`signature\`, \`key_id\`).
- **json**: one array of those events.
- **bundle**: a PROOFS.md §7 evidence bundle of one org (\`org\` is required): the events in chain_index order, proven against the org's latest checkpoint, with one \`range_proof\` when they are one contiguous run and an \`inclusion_proof\` each otherwise; \`logproof verify bundle.json --key <verifier key>\` checks it offline. At most 1,000,000 events; no matching event is a 400.
- **pdf**: a report for auditors of one org (\`org\` is required): org, range, filters, time of generation, the checkpoint with its root hash, tree size and verifier key, how to verify, and the events table (capped at LOGPROOF_EXPORT_PDF_MAX_PAGES pages, with a note when the range is larger). The evidence bundle of the same events is attached to the PDF (\`pdfdetach -saveall\`).`;

const ExportFilter = Type.Object(
  {
    ...Object.fromEntries(Object.entries(EVENT_FILTER_PARAMS).filter(([name]) => name !== 'org')),
  },
  {
    additionalProperties: false,
    description: 'The filters of GET /v1/events except org (given beside it)',
  },
);

const orderParam = Type.String({
  enum: ['asc', 'desc'],
  default: 'asc',
  description:
    'Order of csv, ndjson and json by `occurred_at` (as GET /v1/events); bundles and PDF reports are in chain_index order.',
});
const formatParam = Type.String({ enum: [...EXPORT_FORMATS], description: FORMAT_DESCRIPTION });

export const ExportQuerystring = Type.Object(
  { ...EVENT_FILTER_PARAMS, format: formatParam, order: orderParam },
  { additionalProperties: false },
);
type ExportQuery = Static<typeof ExportQuerystring>;

const CreateExportBody = Type.Object(
  {
    format: formatParam,
    org: EVENT_FILTER_PARAMS.org,
    filter: Type.Optional(ExportFilter),
    order: Type.Optional(orderParam),
  },
  { additionalProperties: false },
);
type CreateExport = Static<typeof CreateExportBody>;

const ExportIdParams = Type.Object({
  id: Type.String({ pattern: '^exp_[0-9a-z]{26}$', description: 'Export id' }),
});

const ExportJobSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('export'),
  format: Type.String({ enum: [...EXPORT_FORMATS] }),
  org: Type.Union([Type.String(), Type.Null()], {
    description: 'Org id, or null for every org of the project',
  }),
  filter: Type.Record(Type.String(), Type.String(), {
    description: 'The filters and order as accepted',
  }),
  status: Type.String({
    enum: ['queued', 'running', 'succeeded', 'failed', 'expired'],
    description:
      '`failed` also when the server running it stopped (jobs are not resumed): start a new export',
  }),
  progress: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
    description: 'row_count / rows_total while it runs; 1 when it succeeded',
  }),
  rows_total: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Matching events, counted when it started',
  }),
  row_count: Type.Integer({ description: 'Events written (so far)' }),
  byte_count: Type.Integer(),
  sha256: Type.Union([Type.String(), Type.Null()], {
    description: 'SHA-256 (hex) of the file, once succeeded',
  }),
  download_url: Type.Union([Type.String(), Type.Null()], {
    description:
      'Presigned link to the file (no API key needed) while it succeeded and is kept; a changed or expired link is a 403',
  }),
  download_url_expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  expires_at: Type.String({ format: 'date-time', description: 'When the file is deleted' }),
  error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  started_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Turns the filter parameters and format into a validated export request (404 for an unknown org). */
export async function readExportRequest(
  store: Store,
  projectId: string,
  format: ExportFormat,
  order: EventOrder,
  params: Record<string, string>,
): Promise<ExportRequest> {
  const filter = await readEventFilter(store, projectId, params);
  if ((format === 'bundle' || format === 'pdf') && filter.orgId === null) {
    throw new ApiError('validation_failed', `a ${format} export is of one org: name it with org`, {
      errors: [{ path: '/org', message: `is required with format=${format}` }],
    });
  }
  return { projectId, format, filter, order, params };
}

/** Streams an opened export as an attachment, with back-pressure (also the portal's export). */
export function sendExportStream(reply: FastifyReply, stream: ExportStream): FastifyReply {
  void reply
    .header('content-type', stream.contentType)
    .header('content-disposition', `attachment; filename="${stream.filename}"`)
    .header('cache-control', 'no-store');
  return reply.send(Readable.from(stream.body, { objectMode: false }));
}

export function definedStrings(object: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(object)) if (typeof v === 'string') out[k] = v;
  return out;
}

export default async function exportRoutes(app: FastifyInstance, options: ExportRoutesOptions) {
  const { store, service, jobs, storage, signer, clock } = options;

  function jobView(request: FastifyRequest, job: ExportRecord) {
    const now = clock();
    const downloadable = job.status === 'succeeded' && job.expiresAt > now;
    const urlExpiresAt = downloadable ? Math.min(job.expiresAt, now + options.urlTtlMs) : null;
    let url: string | null = null;
    if (urlExpiresAt !== null) {
      const { expires, signature } = signer.sign(job.id, urlExpiresAt);
      const base = options.publicUrl ?? `${request.protocol}://${request.host}`;
      url = `${base}/v1/exports/${job.id}/download?expires=${expires}&signature=${signature}`;
    }
    const { order = 'asc', ...filter } = job.params;
    return {
      id: job.id,
      object: 'export' as const,
      format: job.format,
      org: job.orgId,
      filter: { ...filter, order },
      status: job.status,
      progress:
        job.status === 'succeeded'
          ? 1
          : job.rowsTotal === null || job.rowsTotal === 0
            ? null
            : Math.min(1, job.rowCount / job.rowsTotal),
      rows_total: job.rowsTotal,
      row_count: job.rowCount,
      byte_count: job.byteCount,
      sha256: job.sha256,
      download_url: url,
      download_url_expires_at:
        urlExpiresAt === null ? null : iso(Math.floor(urlExpiresAt / 1000) * 1000),
      expires_at: iso(job.expiresAt),
      error: job.error,
      created_at: iso(job.createdAt),
      started_at: iso(job.startedAt),
      finished_at: iso(job.finishedAt),
    };
  }

  app.get(
    '/v1/events/export',
    {
      config: READ,
      schema: {
        tags: ['exports'],
        summary: 'Export events (streamed)',
        description:
          'Streams every event the filters of GET /v1/events select (no pages), with back-pressure: memory stays flat whatever the size. ' +
          'Errors found before the first byte (a bad filter, an unknown org, a bundle with no event) are RFC 9457 problems; a failure after it ends the response early, so a complete file always ends as its format says (the closing `]`, `}` or `%%EOF`). For large ranges prefer POST /v1/exports.',
        querystring: ExportQuerystring,
        response: {
          200: {
            description: 'The export file, as an attachment',
            content: Object.fromEntries(
              Object.values(EXPORT_CONTENT_TYPES).map((t) => [t, { schema: Type.String() }]),
            ),
          },
          ...problemResponses(404),
        },
      },
    },
    async (request, reply) => {
      const projectId = requireKey(request).projectId;
      const { format, order, ...filters } = request.query as ExportQuery;
      const exportRequest = await readExportRequest(
        store,
        projectId,
        format as ExportFormat,
        order as EventOrder,
        definedStrings({ ...filters, format }),
      );
      return sendExportStream(reply, await service.open(exportRequest));
    },
  );

  app.post(
    '/v1/exports',
    {
      config: READ,
      schema: {
        tags: ['exports'],
        summary: 'Start a background export',
        description:
          'Runs the export in the background, in the server process that accepted it (at most LOGPROOF_EXPORT_CONCURRENCY at once), for ranges too large to wait for. ' +
          'Poll GET /v1/exports/{id} for progress; once `succeeded` it gives a presigned `download_url`. The file is kept until `expires_at` (LOGPROOF_EXPORT_RETENTION_SECONDS), then deleted. ' +
          'A job is not resumed when its server stops: it ends `failed` and is to be started again.\n\n' +
          FORMAT_DESCRIPTION,
        body: CreateExportBody,
        response: {
          202: ExportJobSchema,
          ...problemResponses(404, 503),
        },
      },
    },
    async (request, reply) => {
      const projectId = requireKey(request).projectId;
      const body = request.body as CreateExport;
      const order = (body.order ?? 'asc') as EventOrder;
      const params = definedStrings({
        ...(body.filter ?? {}),
        ...(body.org === undefined ? {} : { org: body.org }),
      });
      const exportRequest = await readExportRequest(
        store,
        projectId,
        body.format as ExportFormat,
        order,
        params,
      );
      const job = await jobs.submit(exportRequest, exportRequest.filter.orgId);
      void reply.code(202).header('location', `/v1/exports/${job.id}`);
      return jobView(request, job);
    },
  );

  app.get(
    '/v1/exports/:id',
    {
      config: READ,
      schema: {
        tags: ['exports'],
        summary: 'Get a background export',
        description:
          "The job's status and progress; once `succeeded`, its `row_count`, `sha256` and a fresh presigned `download_url` (valid for LOGPROOF_EXPORT_URL_TTL_SECONDS, never past `expires_at`). Only the project's keys see its exports (404 otherwise).",
        params: ExportIdParams,
        response: { 200: ExportJobSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const projectId = requireKey(request).projectId;
      const { id } = request.params as Static<typeof ExportIdParams>;
      const job = await store.getExport(projectId, id);
      if (!job) throw new ApiError('not_found', `no export ${id} in this project`);
      return jobView(request, job);
    },
  );

  app.get(
    '/v1/exports/:id/download',
    {
      schema: {
        tags: ['exports'],
        summary: 'Download an export (presigned, no API key)',
        description:
          'The link GET /v1/exports/{id} gives as `download_url`: `expires` (Unix seconds) and `signature` (HMAC-SHA256 over the id and `expires`, base64url, under a key derived from the master key). ' +
          'No API key is needed. A link that was changed in any part (id, expires, signature) or has expired is a 403; an export that is not (or no longer) available is a 404. ' +
          'The answer carries `Repr-Digest: sha-256=:<base64>:` (RFC 9530), the `sha256` of the job.',
        // Loose on purpose: any changed link, even one no longer well-formed, is the same 403.
        params: Type.Object({ id: Type.String({ maxLength: 64, description: 'Export id' }) }),
        querystring: Type.Object(
          {
            expires: Type.Optional(Type.String({ maxLength: 20, description: 'Unix seconds' })),
            signature: Type.Optional(
              Type.String({ maxLength: 100, description: 'base64url HMAC-SHA256' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: { description: 'The export file' }, ...problemResponses(404) },
      },
    },
    async (request, reply: FastifyReply) => {
      const { id } = request.params as { id: string };
      const { expires, signature } = request.query as { expires?: string; signature?: string };
      const check = signer.check(id, expires, signature, clock());
      if (check !== 'ok') {
        throw new ApiError(
          'forbidden',
          check === 'expired'
            ? 'this download link has expired; GET /v1/exports/{id} gives a fresh one'
            : 'this download link is not valid (it was changed or not issued by this server)',
        );
      }
      const job = await store.getExportById(id);
      if (!job || job.status !== 'succeeded' || job.expiresAt <= clock()) {
        throw new ApiError(
          'not_found',
          `export ${id} is not available (it expired or never finished)`,
        );
      }
      const ext = job.format === 'bundle' ? 'bundle.json' : job.format;
      void reply
        .header('content-type', EXPORT_CONTENT_TYPES[job.format])
        .header('content-length', String(job.byteCount))
        .header('content-disposition', `attachment; filename="logproof-${job.id}.${ext}"`)
        .header('cache-control', 'private, no-store')
        .header(
          'repr-digest',
          `sha-256=:${Buffer.from(job.sha256 ?? '', 'hex').toString('base64')}:`,
        );
      return reply.send(Readable.from(storage.read(id), { objectMode: false }));
    },
  );
}
