// One event in a side drawer: a modal <dialog> (focus kept inside, Escape
// closes it), and focus goes back to the control that opened it.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { describeError, type PortalApi } from '../api-client.js';
import type { StoredEvent } from '../types.js';
import { BreakableAction, actorLabel, formatTime, type RowVerdict } from './events-table.js';
import { VerifyPanel } from './verify-panel.js';

export function EventDrawer({
  api,
  event: listed,
  canVerify,
  verdict,
  onVerify,
  onClose,
}: {
  api: PortalApi;
  event: StoredEvent;
  canVerify: boolean;
  verdict: RowVerdict | undefined;
  onVerify: () => void;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [canonical, setCanonical] = useState<string | null>(null);
  const [canonicalError, setCanonicalError] = useState<string | null>(null);

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => {
      if (d?.open) d.close();
      opener?.focus();
    };
  }, []);

  // The listed copy is shown at once, then replaced by the stored event as it is now.
  const [event, setEvent] = useState(listed);
  useEffect(() => {
    let live = true;
    const path = `/events/${encodeURIComponent(listed.id)}`;
    setCanonical(null);
    setCanonicalError(null);
    api.getBytes(`${path}/canonical`).then(
      (bytes) => live && setCanonical(new TextDecoder().decode(bytes)),
      (e: unknown) => live && setCanonicalError(describeError(e)),
    );
    api.get<StoredEvent>(path).then(
      (fresh) => live && setEvent(fresh),
      () => {}, // the listed copy stays; the canonical request reports the failure
    );
    return () => {
      live = false;
    };
  }, [api, listed.id]);

  const rows: [string, ReactNode][] = [
    ['Event ID', <code key="id">{event.id}</code>],
    ['Occurred', formatTime(event.occurred_at)],
    ['Recorded', formatTime(event.created_at)],
    ['Actor', `${actorLabel(event)} (${event.actor.type}, ${event.actor.id})`],
    [
      'Targets',
      event.targets.length === 0
        ? '—'
        : event.targets.map((t) => `${t.type} ${t.name ?? t.id}`).join(', '),
    ],
    ['Outcome', event.outcome],
    ['Chain index', String(event.chain_index)],
  ];
  if (event.description) rows.splice(1, 0, ['Description', event.description]);
  if (event.context.ip) rows.push(['IP address', event.context.ip]);

  return (
    <dialog
      ref={dialog}
      className="drawer"
      aria-labelledby={titleId}
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault(); // Escape: let React unmount us, which closes and restores focus
        onClose();
      }}
      onClick={(e) => {
        if (e.target === dialog.current) onClose(); // a click on the backdrop
      }}
    >
      <div className="drawer-inner">
        <header className="drawer-header">
          <h2 id={titleId} className="mono">
            <BreakableAction action={event.action} />
          </h2>
          <button type="button" className="button button-quiet" onClick={onClose} autoFocus>
            Close<span className="visually-hidden"> event details</span>
          </button>
        </header>

        <dl className="facts">
          {rows.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>

        <section aria-labelledby={`${titleId}-verify`}>
          <div className="section-head">
            <h3 id={`${titleId}-verify`}>Verification</h3>
            {canVerify && (
              <button
                type="button"
                className="button button-primary"
                onClick={onVerify}
                disabled={verdict?.kind === 'running'}
              >
                {verdict?.kind === 'running'
                  ? 'Verifying…'
                  : verdict === undefined
                    ? 'Verify in browser'
                    : 'Verify again'}
              </button>
            )}
          </div>
          {!canVerify && <p className="muted small">This link does not allow verification.</p>}
          <VerifyPanel verdict={verdict} />
        </section>

        <section>
          <h3>Integrity</h3>
          <dl className="facts hashes">
            <div>
              <dt>Leaf hash</dt>
              <dd className="mono wrap">{event.leaf_hash}</dd>
            </div>
            <div>
              <dt>Hash</dt>
              <dd className="mono wrap">{event.hash}</dd>
            </div>
            <div>
              <dt>Previous hash</dt>
              <dd className="mono wrap">{event.previous_hash}</dd>
            </div>
            <div>
              <dt>Signature</dt>
              <dd className="mono wrap">{event.signature}</dd>
            </div>
            <div>
              <dt>Key ID</dt>
              <dd className="mono">{event.key_id}</dd>
            </div>
          </dl>
        </section>

        <section>
          <h3>Canonical JSON</h3>
          <p className="muted small">The exact bytes that were hashed and signed (RFC 8785).</p>
          {canonicalError !== null ? (
            <p role="alert" className="notice notice-error">
              {canonicalError}
            </p>
          ) : (
            <pre className="code" tabIndex={0} aria-label="Canonical JSON" data-testid="canonical">
              {canonical ?? 'Loading…'}
            </pre>
          )}
        </section>

        <section>
          <h3>Full event</h3>
          <pre className="code" tabIndex={0} aria-label="Full event JSON">
            {JSON.stringify(event, null, 2)}
          </pre>
        </section>
      </div>
    </dialog>
  );
}
