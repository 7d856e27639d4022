// The org's own webhook destinations (contract "Portal session API",
// API.md "Webhooks (streams)"): add one (its secret is shown once), see
// delivery health, send a test, enable or disable, delete.
import { useCallback, useEffect, useState } from 'react';
import { describeError, type PortalApi } from '../api-client.js';
import type { CreatedWebhook, Page, Webhook } from '../types.js';
import { WebhookCard } from './webhook-card.js';
import { WebhookForm } from './webhook-form.js';

export function WebhooksView({ api }: { api: PortalApi }) {
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedWebhook | null>(null);

  const reload = useCallback(async () => {
    try {
      const page = await api.get<Page<Webhook>>('/webhooks', { limit: 100 });
      setHooks(page.data);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, [api]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <>
      <section className="panel" aria-labelledby="webhooks-add">
        <h2 id="webhooks-add">Add a destination</h2>
        <p className="muted small">
          Each new event of this org is POSTed to the URL, signed with a secret (Standard Webhooks),
          in order and at least once.
        </p>
        <WebhookForm
          api={api}
          onCreated={(hook) => {
            setCreated(hook);
            void reload();
          }}
        />
        {created !== null && (
          <div className="notice notice-ok secret" role="status" data-testid="webhook-secret">
            <p>
              Destination added. Its signing secret is shown <strong>this once</strong>: store it
              where your receiver can read it.
            </p>
            <code className="wrap">{created.secret}</code>
            <div className="row">
              <button
                type="button"
                className="button"
                onClick={() => void navigator.clipboard?.writeText(created.secret).catch(() => {})}
              >
                Copy secret
              </button>
              <button
                type="button"
                className="button button-quiet"
                onClick={() => setCreated(null)}
              >
                I stored it
              </button>
            </div>
          </div>
        )}
      </section>
      <section aria-labelledby="webhooks-list">
        <h2 id="webhooks-list">Destinations</h2>
        {error !== null && (
          <p role="alert" className="notice notice-error">
            {error}
          </p>
        )}
        {hooks === null ? (
          <p className="muted">Loading…</p>
        ) : hooks.length === 0 ? (
          <p className="empty">No destinations yet.</p>
        ) : (
          <ul className="webhook-list">
            {hooks.map((h) => (
              <WebhookCard key={h.id} api={api} hook={h} onChanged={() => void reload()} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
