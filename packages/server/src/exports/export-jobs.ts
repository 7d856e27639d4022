import { createHash, randomUUID } from 'node:crypto';
import { ApiError } from '../errors.js';
import { newId } from '../ids.js';
import type { ExportRecord, ExportStore } from '../store/export-port.js';
import type { ExportRequest, ExportService } from './export-service.js';
import type { ExportStorage } from './storage.js';

// Background exports (POST /v1/exports): run in the server process that
// accepted them, at most `concurrency` at a time, progress and a heartbeat
// in the database. They are not resumed after a crash: a job whose process
// stopped is failed (by that process on its next start, or by any other
// process sharing the database) once its heartbeat is older than
// STALE_AFTER_MS, its partial file deleted, and the client starts a new one.
// Finished files are deleted by a periodic sweep when they expire.

/** How often a process refreshes the heartbeat of its queued and running jobs. */
const HEARTBEAT_MS = 10_000;
/** A job whose heartbeat is this old belongs to a process that stopped. */
export const STALE_AFTER_MS = 60_000;
/** Progress is written at most this often per job. */
const PROGRESS_EVERY_MS = 1000;

export interface ExportJobsLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ExportJobsOptions {
  readonly store: ExportStore;
  readonly service: ExportService;
  readonly storage: ExportStorage;
  readonly clock: () => number;
  /** Jobs that run at once in this process (LOGPROOF_EXPORT_CONCURRENCY). */
  readonly concurrency: number;
  /** How long a finished file is kept (LOGPROOF_EXPORT_RETENTION_SECONDS). */
  readonly retentionMs: number;
  /** Time between sweeps; 0: no timer (tests call sweep()). */
  readonly sweepIntervalMs: number;
}

const STOPPED = 'the server stopped before the export finished; start a new export';
const ABANDONED =
  'the server process running the export stopped before it finished; start a new export';

class StoppingError extends Error {}

export class ExportJobs {
  /** This process, as the owner of the jobs it runs. */
  readonly owner = `proc_${randomUUID()}`;
  readonly #queue: { record: ExportRecord; request: ExportRequest }[] = [];
  readonly #running = new Set<Promise<void>>();
  #timers: NodeJS.Timeout[] = [];
  #stopping = false;
  #log: ExportJobsLogger | undefined;
  /** Sweeps run one after another (the timer's and callers'), never overlapping. */
  #sweeps: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ExportJobsOptions) {}

  /** Accepts a job: recorded as queued (owned by this process), run when a slot frees. */
  async submit(request: ExportRequest, orgId: string | null): Promise<ExportRecord> {
    if (this.#stopping) {
      throw new ApiError('unavailable', 'the server is shutting down; retry later', {
        headers: { 'retry-after': '5' },
      });
    }
    const now = this.options.clock();
    const record: ExportRecord = {
      id: newId('exp', now),
      projectId: request.projectId,
      orgId,
      format: request.format,
      params: { ...request.params, order: request.order },
      status: 'queued',
      rowsTotal: null,
      rowCount: 0,
      byteCount: 0,
      sha256: null,
      error: null,
      owner: this.owner,
      heartbeatAt: now,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      expiresAt: now + this.options.retentionMs,
    };
    await this.options.store.insertExport(record);
    this.#queue.push({ record, request });
    this.#pump();
    return record;
  }

  /** Starts the heartbeat and sweep timers, after one sweep now (jobs of a crashed run fail here). */
  start(log?: ExportJobsLogger): void {
    this.#log = log;
    const heartbeat = setInterval(() => {
      this.options.store
        .heartbeatExports(this.owner, this.options.clock())
        .catch((error: unknown) => {
          this.#log?.error({ err: error }, 'export heartbeat failed');
        });
    }, HEARTBEAT_MS);
    heartbeat.unref();
    this.#timers.push(heartbeat);
    const sweep = () =>
      this.sweep().catch((error: unknown) =>
        this.#log?.error({ err: error }, 'export sweep failed'),
      );
    void sweep();
    if (this.options.sweepIntervalMs > 0) {
      const timer = setInterval(sweep, this.options.sweepIntervalMs);
      timer.unref();
      this.#timers.push(timer);
    }
  }

  /**
   * Fails jobs whose process stopped (deleting their partial files) and
   * deletes expired files. Safe in several processes at once.
   */
  sweep(): Promise<{ failed: number; expired: number }> {
    const run = this.#sweeps.then(() => this.#sweepOnce());
    this.#sweeps = run.catch(() => {});
    return run;
  }

  async #sweepOnce(): Promise<{ failed: number; expired: number }> {
    const { store, storage, clock, retentionMs } = this.options;
    const now = clock();
    const stale = await store.failStaleExports(
      now - STALE_AFTER_MS,
      ABANDONED,
      now,
      now + retentionMs,
    );
    for (const id of stale) await storage.delete(id);
    let expired = 0;
    for (;;) {
      const ids = await store.listExpiredExports(now, 100);
      for (const id of ids) {
        await storage.delete(id);
        await store.markExportExpired(id);
      }
      expired += ids.length;
      if (ids.length < 100) break;
    }
    return { failed: stale.length, expired };
  }

  /** Resolves when this process has no queued or running job (tests). */
  async idle(): Promise<void> {
    while (this.#queue.length > 0 || this.#running.size > 0) await Promise.race(this.#running);
  }

  /** Stops: running jobs end as failed, queued ones too; resolves when they have. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    const queued = this.#queue.splice(0);
    const now = this.options.clock();
    for (const { record } of queued) {
      await this.options.store
        .finishExport(
          record.id,
          this.owner,
          { status: 'failed', error: STOPPED },
          now,
          now + this.options.retentionMs,
        )
        .catch(() => {});
    }
    await Promise.allSettled(this.#running);
  }

  #pump(): void {
    while (
      !this.#stopping &&
      this.#running.size < this.options.concurrency &&
      this.#queue.length > 0
    ) {
      const job = this.#queue.shift()!;
      const run: Promise<void> = this.#run(job.record, job.request).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  async #run(record: ExportRecord, request: ExportRequest): Promise<void> {
    const { store, storage, service, clock, retentionMs } = this.options;
    const { id } = record;
    if (!(await store.startExport(id, this.owner, clock()))) return;
    let writer: Awaited<ReturnType<ExportStorage['createWriter']>> | undefined;
    try {
      writer = await storage.createWriter(id);
      const stream = await service.open(request);
      const rowsTotal =
        stream.rowsTotal ?? (await store.countEvents(request.projectId, request.filter));
      const sha256 = createHash('sha256');
      let bytes = 0;
      let reported = clock();
      await store.updateExportProgress(
        id,
        this.owner,
        { rowsTotal, rowCount: 0, byteCount: 0 },
        reported,
      );
      for await (const chunk of stream.body) {
        if (this.#stopping) throw new StoppingError(STOPPED);
        sha256.update(chunk);
        bytes += chunk.length;
        await writer.write(chunk);
        if (clock() - reported >= PROGRESS_EVERY_MS) {
          reported = clock();
          const rowCount = stream.rows();
          if (
            !(await store.updateExportProgress(
              id,
              this.owner,
              { rowCount, byteCount: bytes },
              reported,
            ))
          ) {
            throw new StoppingError('the job was failed by another process (no heartbeat)');
          }
        }
      }
      await writer.close();
      const now = clock();
      const done = await store.finishExport(
        id,
        this.owner,
        {
          status: 'succeeded',
          rowCount: stream.rows(),
          byteCount: bytes,
          sha256: sha256.digest('hex'),
        },
        now,
        now + retentionMs,
      );
      // Failed meanwhile by a sweep elsewhere: its file must not outlive it.
      if (!done) await storage.delete(id);
      this.#log?.info(
        { exportId: id, format: record.format, rows: stream.rows(), bytes },
        'export finished',
      );
    } catch (error) {
      await writer?.abort().catch(() => {});
      const reason =
        error instanceof ApiError || error instanceof StoppingError
          ? error.message
          : 'the export failed unexpectedly; the error has been logged';
      if (!(error instanceof ApiError || error instanceof StoppingError)) {
        this.#log?.error({ err: error, exportId: id }, 'export failed');
      }
      const now = clock();
      await store
        .finishExport(id, this.owner, { status: 'failed', error: reason }, now, now + retentionMs)
        .catch((e: unknown) =>
          this.#log?.error({ err: e, exportId: id }, 'cannot record the failed export'),
        );
    }
  }
}
