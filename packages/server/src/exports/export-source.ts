import type { EventFilter, EventOrder } from '../query/event-filter.js';
import type { ExportEventRow, ExportStore } from '../store/export-port.js';

/**
 * Events read per listing query (about 250 KB of rows). Small on purpose:
 * with 2,000 a page the peak RSS of a million-row export was 390 MB, with
 * 256 about 160 MB (NDJSON), at the same speed (bench/export-bench.mjs): V8
 * promotes what outlives a page to the old generation and lets it grow.
 */
export const EXPORT_PAGE_SIZE = 256;

/**
 * Every event `filter` selects, in the listing's total order, one page at a
 * time: the same keyset walk as GET /v1/events with `next_cursor`, so memory
 * holds at most two pages whatever the size. The next page is requested
 * before the current one is handed out, so that on PostgreSQL the database
 * works while the caller writes.
 */
export async function* readEventPages(
  store: Pick<ExportStore, 'listExportEvents'>,
  projectId: string,
  filter: EventFilter,
  order: EventOrder,
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<ExportEventRow[]> {
  const query = (after: ExportEventRow | null) => {
    const pending = store.listExportEvents(projectId, {
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
  let next: Promise<ExportEventRow[]> | null = query(null);
  while (next) {
    const page: ExportEventRow[] = await next;
    next = page.length === pageSize ? query(page[page.length - 1]!) : null;
    if (page.length > 0) yield page;
  }
}
