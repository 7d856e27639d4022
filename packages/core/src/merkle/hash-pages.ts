import { HASH_SIZE } from '../hashes.js';

/** Slots per page: 4096 x 32 bytes = 128 KiB. */
const PAGE_SLOTS = 4096;

/**
 * Append-only storage of 32-byte hashes by slot number, in fixed-size pages
 * of one Uint8Array each. A million-leaf tree has two million hashes: as
 * separate Uint8Arrays that would be two million heap objects (~100 bytes of
 * overhead each); here it is 64 MiB of flat bytes in 512 pages, and growth
 * never copies what is already stored (unlike doubling one big buffer).
 */
export class HashPages {
  readonly #pages: Uint8Array[] = [];
  #count = 0;

  /** Number of slots written. */
  get count(): number {
    return this.#count;
  }

  /** Appends a copy of `hash` and returns its slot. */
  push(hash: Uint8Array): number {
    const slot = this.#count;
    const offset = (slot % PAGE_SLOTS) * HASH_SIZE;
    if (offset === 0) this.#pages.push(new Uint8Array(PAGE_SLOTS * HASH_SIZE));
    this.#pages[this.#pages.length - 1]!.set(hash, offset);
    this.#count = slot + 1;
    return slot;
  }

  /** A view of slot `slot` (< count): no copy, so callers must not let it escape. */
  view(slot: number): Uint8Array {
    const page = this.#pages[Math.floor(slot / PAGE_SLOTS)]!;
    const offset = (slot % PAGE_SLOTS) * HASH_SIZE;
    return page.subarray(offset, offset + HASH_SIZE);
  }
}
