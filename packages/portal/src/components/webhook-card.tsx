// One webhook destination: health, recent deliveries and its actions.
import { useCallback, useEffect, useState } from 'react';
import { describeError, type PortalApi } from '../api-client.js';
import type { Deliveries, TestResult, Webhook } from '../types.js';
import { formatTime } from './events-table.js';

const STATE_LABEL = { healthy: 'Healthy', failing: 'Failing', disabled: 'Disabled' } as const;

export function WebhookCard({
  api,
  hook,
  onChanged,
}: {
  api: PortalApi;
  hook: Webhook;
  onChanged: () => void;
}) {
  const path = `/webhooks/${encodeURIComponent(hook.id)}`;
  const [deliveries, setDeliveries] = useState<Deliveries | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const loadDeliveries = useCallback(async () => {
    try {
      setDeliveries(await api.get<Deliveries>(`${path}/deliveries`, { limit: 10 }));
    } catch (e) {
      setMessage({ ok: false, text: describeError(e) });
    }
  }, [api, path]);

  useEffect(() => {
    void loadDeliveries();
  }, [loadDeliveries, hook.updated_at]);

  async function run(action: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ ok: true, text: await action() });
    } catch (e) {
      setMessage({ ok: false, text: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  const sendTest = () =>
    run(async () => {
      const r = await api.post<TestResult>(`${path}/test`);
      await loadDeliveries();
      if (!r.ok) {
        throw new Error(
          `Test failed: ${r.status_code !== null ? `HTTP ${r.status_code}` : (r.error ?? 'no answer')}`,
        );
      }
      return `Test delivered: HTTP ${r.status_code} in ${Math.round(r.duration_ms)} ms`;
    });

  const toggle = () =>
    run(async () => {
      await api.patch<Webhook>(path, { enabled: !hook.enabled });
      onChanged();
      return hook.enabled ? 'Disabled.' : 'Enabled: deliveries resume.';
    });

  const remove = () =>
    run(async () => {
      await api.delete(path);
      onChanged();
      return 'Deleted.';
    });

  const health = deliveries?.health;
  const state = health?.state ?? hook.state;
  return (
    <li className="webhook" data-webhook-id={hook.id}>
      <div className="webhook-head">
        <div>
          <div className="mono wrap webhook-url">{hook.url}</div>
          {hook.description && <div className="muted small">{hook.description}</div>}
          <div className="muted small">
            Actions: {hook.actions === null ? 'all' : hook.actions.join(', ')}
          </div>
        </div>
        <span className={`badge badge-${state}`} data-testid="webhook-state">
          {STATE_LABEL[state]}
          {hook.disabled_reason !== null && hook.disabled_reason !== 'manual'
            ? ` (${hook.disabled_reason})`
            : ''}
        </span>
      </div>
      {health && (
        <dl className="health small">
          <div>
            <dt>Last success</dt>
            <dd>{health.last_success_at ? formatTime(health.last_success_at) : 'never'}</dd>
          </div>
          <div>
            <dt>Consecutive failures</dt>
            <dd>{health.consecutive_failures}</dd>
          </div>
          <div>
            <dt>Waiting to deliver</dt>
            <dd>{health.lag}</dd>
          </div>
        </dl>
      )}
      <div className="row">
        <button type="button" className="button" disabled={busy} onClick={() => void sendTest()}>
          Send test
        </button>
        <button type="button" className="button" disabled={busy} onClick={() => void toggle()}>
          {hook.enabled ? 'Disable' : 'Enable'}
        </button>
        {confirmDelete ? (
          <>
            <button
              type="button"
              className="button button-danger"
              disabled={busy}
              onClick={() => void remove()}
            >
              Confirm delete
            </button>
            <button
              type="button"
              className="button button-quiet"
              onClick={() => setConfirmDelete(false)}
            >
              Keep it
            </button>
          </>
        ) : (
          <button
            type="button"
            className="button button-quiet"
            disabled={busy}
            onClick={() => setConfirmDelete(true)}
          >
            Delete
          </button>
        )}
      </div>
      {message !== null && (
        <p
          role={message.ok ? 'status' : 'alert'}
          className={`notice ${message.ok ? 'notice-ok' : 'notice-error'}`}
        >
          {message.text}
        </p>
      )}
      {deliveries !== null && deliveries.data.length > 0 && (
        <details className="deliveries">
          <summary>Recent deliveries ({deliveries.data.length})</summary>
          <table className="mini">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Message</th>
                <th scope="col">Result</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.map((a) => (
                <tr key={`${a.message_id}-${a.attempt}-${a.attempted_at}`}>
                  <td>{formatTime(a.attempted_at)}</td>
                  <td className="mono small">{a.event_id ?? 'test'}</td>
                  <td>
                    {a.status_code !== null ? `HTTP ${a.status_code}` : (a.error ?? 'no answer')}
                  </td>
                  <td>{Math.round(a.duration_ms)} ms</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </li>
  );
}
