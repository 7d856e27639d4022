// The events as a table; below 640px each row becomes a card (styles.css),
// every cell labelled by its column's name through data-label.
import type { StoredEvent } from '../types.js';
import type { EventVerdict } from '../verification.js';

export type RowVerdict =
  | { kind: 'running' }
  | { kind: 'done'; verdict: EventVerdict }
  | { kind: 'error'; message: string };

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' });
}

/** An action with line-break opportunities after its dots, never inside a segment. */
export function BreakableAction({ action }: { action: string }) {
  const parts = action.split('.');
  return (
    <>
      {parts.map((part, i) => (
        <span key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              .<wbr />
            </>
          )}
        </span>
      ))}
    </>
  );
}

export function actorLabel(e: StoredEvent): string {
  return e.actor.name ?? e.actor.email ?? e.actor.id;
}

export function VerdictBadge({ verdict }: { verdict: RowVerdict | undefined }) {
  if (verdict === undefined) return <span className="muted small">Not checked</span>;
  if (verdict.kind === 'running') return <span className="badge">Checking…</span>;
  if (verdict.kind === 'error') {
    return (
      <span className="badge badge-bad" title={verdict.message}>
        ✗ Error
      </span>
    );
  }
  return verdict.verdict.valid ? (
    <span className="badge badge-ok">✓ Verified</span>
  ) : (
    <span className="badge badge-bad">✗ Failed</span>
  );
}

export function EventsTable({
  events,
  verdicts,
  loading,
  onOpen,
}: {
  events: StoredEvent[];
  verdicts: Record<string, RowVerdict>;
  loading: boolean;
  onOpen: (event: StoredEvent) => void;
}) {
  if (events.length === 0) {
    return (
      <p className="empty" aria-live="polite">
        {loading ? 'Loading events…' : 'No events match these filters.'}
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="events" aria-busy={loading}>
        <caption className="visually-hidden">Audit events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
            <th scope="col">Outcome</th>
            <th scope="col">#</th>
            <th scope="col">Verification</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => {
            const target = e.targets[0];
            return (
              <tr key={e.id} data-event-id={e.id}>
                <td data-label="Time">
                  <div className="cell">
                    <time dateTime={e.occurred_at}>{formatTime(e.occurred_at)}</time>
                  </div>
                </td>
                <td data-label="Action" className="cell-action">
                  <div className="cell">
                    <button
                      type="button"
                      className="link-button mono"
                      onClick={() => onOpen(e)}
                      aria-label={`Open event ${e.action} by ${actorLabel(e)}`}
                    >
                      <BreakableAction action={e.action} />
                    </button>
                  </div>
                </td>
                <td data-label="Actor">
                  <div className="cell">
                    <span className="actor">{actorLabel(e)}</span>
                    {actorLabel(e) !== e.actor.id && (
                      <span className="muted small mono"> {e.actor.id}</span>
                    )}
                  </div>
                </td>
                <td data-label="Target">
                  <div className="cell">
                    {target ? (
                      <>
                        <span className="muted small">{target.type}</span>{' '}
                        <span className="mono">{target.name ?? target.id}</span>
                        {e.targets.length > 1 && (
                          <span className="muted small"> +{e.targets.length - 1}</span>
                        )}
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </div>
                </td>
                <td data-label="Outcome">
                  <div className="cell">
                    <span
                      className={e.outcome === 'failure' ? 'outcome-failure' : 'outcome-success'}
                    >
                      {e.outcome}
                    </span>
                  </div>
                </td>
                <td data-label="Chain index" className="mono small">
                  <div className="cell">{e.chain_index}</div>
                </td>
                <td data-label="Verification">
                  <div className="cell">
                    <VerdictBadge verdict={verdicts[e.id]} />
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
