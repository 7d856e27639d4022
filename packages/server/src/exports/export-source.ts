import type { EventFilter, EventOrder, EventQuery } from '../query/event-filter.js';
import type { ExportEventRow, ExportPosition, ExportStore } from '../store/export-port.js';

/**
 * Events read per listing query (about 250 KB of rows). Small on purpose:
 * rows that outlive a young-generation collection are promoted, and V8 lets
 * the old generation grow before it collects it: with 1,024 a page the peak
 * RSS of a million-row NDJSON export was 300-330 MB, with 256 160-230 MB, at
 * the same CPU time (bench/export-bench.mjs).
 */
export const EXPORT_PAGE_SIZE = 256;

/**
 * Every item `filter` selects, in the listing's total order, one page at a
 * time: the same keyset walk as GET /v1/events with `next_cursor`, so memory
 * holds at most two pages whatever the size. The next page is requested
 * before the current one is handed out, so that on PostgreSQL the database
 * works while the caller writes.
 */
async function* readPages<T extends ExportPosition>(
  read: (query: EventQuery) => Promise<T[]>,
  filter: EventFilter,
  order: EventOrder,
  pageSize: number,
): AsyncGenerator<T[]> {
  const query = (after: T | null) => {
    const pending = read({
      filter,
      order,
      limit: pageSize,
      after: after && {
        occurredAt: after.occurredAt,
        orgId: after.orgId,
        chainIndex: after.chainIndex,
      },
    });
    // Handled when awaited; this only keeps an abandoned walk from raising
    // an unhandled rejection.
    pending.catch(() => {});
    return pending;
  };
  let next: Promise<T[]> | null = query(null);
  while (next) {
    const page: T[] = await next;
    next = page.length === pageSize ? query(page[page.length - 1]!) : null;
    if (page.length > 0) yield page;
  }
}

/** Every event `filter` selects, as an export writes it, in pages (see readPages). */
export function readEventPages(
  store: Pick<ExportStore, 'listExportEvents'>,
  projectId: string,
  filter: EventFilter,
  order: EventOrder,
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<ExportEventRow[]> {
  return readPages((q) => store.listExportEvents(projectId, q), filter, order, pageSize);
}

/** The positions of the events `filter` selects, in pages of 4,096 (they are small). */
export function readPositionPages(
  store: Pick<ExportStore, 'listExportPositions'>,
  projectId: string,
  filter: EventFilter,
  order: EventOrder,
  pageSize = 4096,
): AsyncGenerator<ExportPosition[]> {
  return readPages((q) => store.listExportPositions(projectId, q), filter, order, pageSize);
}
