import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportStore } from '../store/export-port.js';

// Where finished export files live until they expire: somewhere every
// server process that may get the download request can read them. With the
// embedded SQLite store there is one process and a data directory; with
// PostgreSQL there may be many processes on many hosts, and the database is
// the one place they all share.

/** Writes one export file; nothing is visible to readers until `close()`. */
export interface ExportFileWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Completes the file. */
  close(): Promise<void>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

export interface ExportStorage {
  readonly kind: 'directory' | 'database';
  createWriter(id: string): Promise<ExportFileWriter>;
  /** The file's bytes in order; throws when it is gone. */
  read(id: string): AsyncIterable<Uint8Array>;
  /** Deletes the file (and any partial one); no error when there is none. */
  delete(id: string): Promise<void>;
}

/** Export ids are `exp_` and Crockford base32: checked again here, as they become file names. */
const ID = /^exp_[0-9a-z]{26}$/;

function checkId(id: string): string {
  if (!ID.test(id)) throw new Error(`not an export id: ${JSON.stringify(id)}`);
  return id;
}

/** Bytes gathered before a write: pieces of a PDF are small, and one write per piece is slow. */
const FILE_BUFFER = 256 * 1024;

/** Files in `<data dir>/exports`, written as `<id>.partial` and renamed when complete. */
export class DirectoryExportStorage implements ExportStorage {
  readonly kind = 'directory' as const;

  constructor(private readonly dir: string) {}

  #path(id: string, partial = false): string {
    return join(this.dir, `${checkId(id)}${partial ? '.partial' : ''}`);
  }

  async createWriter(id: string): Promise<ExportFileWriter> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const partial = this.#path(id, true);
    const final = this.#path(id);
    const file: FileHandle = await open(partial, 'w', 0o600);
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await file.write(data);
    };
    return {
      async write(chunk) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= FILE_BUFFER) await flush();
      },
      async close() {
        await flush();
        await file.close();
        await rename(partial, final);
      },
      async abort() {
        await file.close().catch(() => {});
        await rm(partial, { force: true });
      },
    };
  }

  async *read(id: string): AsyncIterable<Uint8Array> {
    const stream = createReadStream(this.#path(id), { highWaterMark: FILE_BUFFER });
    // Opening errors (ENOENT) surface here, before the first byte.
    await once(stream, 'open');
    yield* stream as AsyncIterable<Buffer>;
  }

  async delete(id: string): Promise<void> {
    await rm(this.#path(id), { force: true });
    await rm(this.#path(id, true), { force: true });
  }
}

/** Database rows of this size: large enough to be few, small enough to stream. */
export const DB_CHUNK_BYTES = 1024 * 1024;
/** Chunks read per query when a file is served. */
const CHUNKS_PER_READ = 4;

/** Files as 1 MiB rows of export_chunks, readable by every process on the database. */
export class DatabaseExportStorage implements ExportStorage {
  readonly kind = 'database' as const;

  constructor(
    private readonly store: Pick<
      ExportStore,
      'writeExportChunk' | 'readExportChunks' | 'deleteExportChunks'
    >,
  ) {}

  async createWriter(id: string): Promise<ExportFileWriter> {
    const { store } = this;
    checkId(id);
    // A failed earlier attempt with this id leaves nothing behind.
    await store.deleteExportChunks(id);
    let seq = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (all: boolean) => {
      while (pendingBytes >= DB_CHUNK_BYTES || (all && pendingBytes > 0)) {
        const data = Buffer.concat(pending, pendingBytes);
        const chunk = data.subarray(0, Math.min(DB_CHUNK_BYTES, data.length));
        const rest = data.subarray(chunk.length);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
        await store.writeExportChunk(id, seq++, chunk);
      }
    };
    return {
      async write(chunk) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        await flush(false);
      },
      close: () => flush(true),
      async abort() {
        pending = [];
        pendingBytes = 0;
        await store.deleteExportChunks(id);
      },
    };
  }

  async *read(id: string): AsyncIterable<Uint8Array> {
    for (let seq = 0; ;) {
      const chunks = await this.store.readExportChunks(checkId(id), seq, CHUNKS_PER_READ);
      for (const chunk of chunks) {
        if (chunk.seq !== seq) throw new Error(`export ${id}: chunk ${seq} is missing`);
        seq++;
        yield chunk.data;
      }
      if (chunks.length < CHUNKS_PER_READ) return;
    }
  }

  delete(id: string): Promise<void> {
    return this.store.deleteExportChunks(checkId(id));
  }
}
