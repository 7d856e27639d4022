/** Bytes per chunk an export yields: large enough that per-chunk costs (a write, a pull) vanish. */
export const EXPORT_CHUNK_BYTES = 64 * 1024;

/**
 * Collects an export's text as UTF-8 in fixed-size buffers, line by line.
 *
 * Why not one string per page, converted at the end (as before)? A page of
 * lines concatenated is a deep rope that V8 must flatten and then encode in
 * one go: in a profile of the CSV writer that was about a quarter of its CPU
 * time (bench/export-bench.mjs). Encoding each line into the current buffer
 * keeps every string short-lived and small.
 */
export class ChunkWriter {
  #chunk: Buffer = Buffer.allocUnsafe(EXPORT_CHUNK_BYTES);
  #used = 0;
  #full: Buffer[] = [];

  /** Appends `text` as UTF-8. */
  write(text: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8: the usual test needs no byteLength.
    if (text.length * 3 > EXPORT_CHUNK_BYTES - this.#used) {
      if (Buffer.byteLength(text, 'utf8') > EXPORT_CHUNK_BYTES - this.#used) {
        this.#seal();
        if (text.length * 3 > EXPORT_CHUNK_BYTES) {
          this.#full.push(Buffer.from(text, 'utf8'));
          return;
        }
      }
    }
    this.#used += this.#chunk.write(text, this.#used, 'utf8');
  }

  /**
   * Makes room for `bytes` in the current buffer (sealing it first when they
   * do not fit), for a caller that writes bytes itself at {@link used} in
   * {@link buffer} and then calls {@link commit}. False when `bytes` is more
   * than a buffer holds: the caller must then use write().
   */
  reserve(bytes: number): boolean {
    if (bytes > EXPORT_CHUNK_BYTES) return false;
    if (bytes > EXPORT_CHUNK_BYTES - this.#used) this.#seal();
    return true;
  }

  /** The current buffer, to write into at {@link used} after {@link reserve}. */
  get buffer(): Buffer {
    return this.#chunk;
  }

  /** Bytes of the current buffer in use. */
  get used(): number {
    return this.#used;
  }

  /** Ends a write made in place: the current buffer is in use up to `used`. */
  commit(used: number): void {
    this.#used = used;
  }

  /** The buffers filled since the last call (each written once; the writer never touches them again). */
  takeFull(): Buffer[] {
    const full = this.#full;
    this.#full = [];
    return full;
  }

  /** Every byte written and not yet taken, the current buffer included. */
  takeAll(): Buffer[] {
    this.#seal();
    return this.takeFull();
  }

  #seal(): void {
    if (this.#used === 0) return;
    this.#full.push(this.#chunk.subarray(0, this.#used));
    this.#chunk = Buffer.allocUnsafe(EXPORT_CHUNK_BYTES);
    this.#used = 0;
  }
}
