// The events screen: filters, export links, verifier keys, the table with
// keyset "load more", "Verify page" and the event drawer.
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError, type PortalApi } from '../api-client.js';
import { EMPTY_FILTERS, filtersToQuery, type EventFilters } from '../event-filters.js';
import type { Page, PortalSession, PublishedKey, StoredEvent } from '../types.js';
import { trustedKeys, verifyInBrowser, type EventVerdict } from '../verification.js';
import { EventDrawer } from './event-drawer.js';
import { EventsTable, type RowVerdict } from './events-table.js';
import { ExportMenu } from './export-menu.js';
import { FiltersForm } from './filters-form.js';
import { KeyPanel, loadPinnedKey, savePinnedKey } from './key-panel.js';

const PAGE_SIZE = 50;
/** Verifications running at once for "Verify page": each is three requests and some hashing. */
const VERIFY_CONCURRENCY = 4;

export function EventsView({ api, session }: { api: PortalApi; session: PortalSession }) {
  const canVerify = session.permissions.includes('verify');
  const canExport = session.permissions.includes('export');
  const [filters, setFilters] = useState<EventFilters>(EMPTY_FILTERS);
  const [events, setEvents] = useState<StoredEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [keys, setKeys] = useState<PublishedKey[]>([]);
  const [pinned, setPinned] = useState(() => loadPinnedKey(session.org.id));
  const [verdicts, setVerdicts] = useState<Record<string, RowVerdict>>({});
  const [pageRun, setPageRun] = useState<{ running: boolean; total: number } | null>(null);
  const [selected, setSelected] = useState<StoredEvent | null>(null);
  const request = useRef(0);

  const fetchPage = useCallback(
    async (applied: EventFilters, after: string | null) => {
      const id = ++request.current;
      setLoading(true);
      setError(null);
      try {
        const page = await api.get<Page<StoredEvent>>('/events', {
          ...filtersToQuery(applied),
          limit: PAGE_SIZE,
          cursor: after ?? undefined,
        });
        if (id !== request.current) return; // a newer search replaced this one
        setEvents((prev) => (after === null ? page.data : [...prev, ...page.data]));
        setCursor(page.next_cursor);
      } catch (e) {
        if (id === request.current) setError(describeError(e));
      } finally {
        if (id === request.current) setLoading(false);
      }
    },
    [api],
  );

  useEffect(() => {
    void fetchPage(filters, null);
  }, [fetchPage, filters]);

  useEffect(() => {
    if (!canVerify) return;
    api.get<{ data: PublishedKey[] }>('/keys').then(
      (answer) => setKeys(answer.data),
      (e: unknown) => setError(describeError(e)),
    );
  }, [api, canVerify]);

  function applyFilters(next: EventFilters) {
    setVerdicts({});
    setPageRun(null);
    setFilters(next);
  }

  function pin(key: string) {
    setPinned(key);
    savePinnedKey(session.org.id, key);
    setVerdicts({});
    setPageRun(null);
  }

  const verifyOne = useCallback(
    async (eventId: string): Promise<EventVerdict | null> => {
      setVerdicts((v) => ({ ...v, [eventId]: { kind: 'running' } }));
      try {
        const verdict = await verifyInBrowser(
          api,
          eventId,
          trustedKeys(pinned, keys),
          pinned.trim() ? 'pinned' : 'server',
        );
        setVerdicts((v) => ({ ...v, [eventId]: { kind: 'done', verdict } }));
        return verdict;
      } catch (e) {
        setVerdicts((v) => ({ ...v, [eventId]: { kind: 'error', message: describeError(e) } }));
        return null;
      }
    },
    [api, keys, pinned],
  );

  async function verifyPage() {
    const ids = events.map((e) => e.id);
    setPageRun({ running: true, total: ids.length });
    let next = 0;
    const worker = async () => {
      while (next < ids.length) await verifyOne(ids[next++]!);
    };
    await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, worker));
    setPageRun({ running: false, total: ids.length });
  }

  const haveKeys = pinned.trim() !== '' || keys.length > 0;
  const verdictList = events.map((e) => verdicts[e.id]);
  const passed = verdictList.filter((v) => v?.kind === 'done' && v.verdict.valid).length;
  const failed = verdictList.filter(
    (v) => v?.kind === 'error' || (v?.kind === 'done' && !v.verdict.valid),
  ).length;

  return (
    <>
      <FiltersForm value={filters} onApply={applyFilters} />
      <section className="toolbar" aria-label="Actions on the visible events">
        {canExport && <ExportMenu api={api} filters={filters} />}
        {canVerify && (
          <button
            type="button"
            className="button button-primary"
            onClick={() => void verifyPage()}
            disabled={events.length === 0 || pageRun?.running === true || !haveKeys}
          >
            {pageRun?.running ? 'Verifying…' : `Verify page (${events.length})`}
          </button>
        )}
      </section>
      {canVerify && <KeyPanel keys={keys} pinned={pinned} onPin={pin} />}
      {pageRun !== null && (
        <p
          className={`notice ${!pageRun.running && failed > 0 ? 'notice-error' : pageRun.running ? '' : 'notice-ok'}`}
          role="status"
          data-testid="verify-summary"
        >
          {pageRun.running
            ? `Verifying in this browser… ${passed + failed} of ${pageRun.total} checked`
            : failed === 0
              ? `All ${passed} events on this page verified in this browser.`
              : `${failed} of ${pageRun.total} events failed verification; ${passed} verified. Open a failed event to see which checks failed.`}
        </p>
      )}
      {error !== null && (
        <p role="alert" className="notice notice-error">
          {error}
        </p>
      )}
      <EventsTable
        events={events}
        verdicts={verdicts}
        loading={loading}
        onOpen={(event) => setSelected(event)}
      />
      <div className="load-more">
        {cursor !== null && (
          <button
            type="button"
            className="button"
            disabled={loading}
            onClick={() => void fetchPage(filters, cursor)}
          >
            {loading ? 'Loading…' : 'Load more'}
          </button>
        )}
        {cursor === null && events.length > 0 && !loading && (
          <span className="muted small">End of the log for these filters.</span>
        )}
      </div>
      {selected !== null && (
        <EventDrawer
          api={api}
          event={selected}
          canVerify={canVerify && haveKeys}
          verdict={verdicts[selected.id]}
          onVerify={() => void verifyOne(selected.id)}
          onClose={() => setSelected(null)}
        />
      )}
    </>
  );
}
