// The org's audit log: loads the session (org, permissions, branding, CSRF
// token), then shows the events and, with the webhooks permission, the
// org's webhook destinations.
import { useEffect, useMemo, useState } from 'react';
import { PortalApi, PortalApiError, describeError } from '../api-client.js';
import { applyAccent } from '../branding.js';
import type { PortalSession } from '../types.js';
import { EventsView } from './events-view.js';
import { Header } from './header.js';
import { WebhooksView } from './webhooks-view.js';

type Tab = 'events' | 'webhooks';

type Load =
  | { kind: 'loading' }
  | { kind: 'ready'; session: PortalSession }
  | { kind: 'signed-out'; message: string }
  | { kind: 'failed'; message: string };

export function PortalPage() {
  const api = useMemo(() => new PortalApi(), []);
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [tab, setTab] = useState<Tab>('events');

  useEffect(() => {
    let live = true;
    api.get<PortalSession>('/session').then(
      (session) => {
        if (!live) return;
        api.setCsrfToken(session.csrf_token);
        applyAccent(session.project.accent_color);
        document.title = `${session.org.name} · ${session.project.name} audit log`;
        setLoad({ kind: 'ready', session });
      },
      (error: unknown) => {
        if (!live) return;
        if (error instanceof PortalApiError && error.status === 401) {
          setLoad({
            kind: 'signed-out',
            message:
              'There is no open session in this browser, or it has ended. Ask for a new portal link.',
          });
        } else {
          setLoad({ kind: 'failed', message: describeError(error) });
        }
      },
    );
    return () => {
      live = false;
    };
  }, [api]);

  async function signOut() {
    try {
      await api.delete('/session');
    } finally {
      setLoad({ kind: 'signed-out', message: 'You are signed out of the audit log.' });
    }
  }

  if (load.kind !== 'ready') {
    return (
      <main className="open-page">
        <div className="open-card">
          <h1>Audit log</h1>
          {load.kind === 'loading' ? (
            <p aria-live="polite">Loading…</p>
          ) : (
            <p role="alert" className={load.kind === 'failed' ? 'notice notice-error' : 'notice'}>
              {load.message}
            </p>
          )}
        </div>
      </main>
    );
  }

  const { session } = load;
  const canWebhooks = session.permissions.includes('webhooks');
  const tabs: { id: Tab; label: string }[] = [{ id: 'events', label: 'Events' }];
  if (canWebhooks) tabs.push({ id: 'webhooks', label: 'Webhooks' });

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header session={session} onSignOut={() => void signOut()} />
      {tabs.length > 1 && (
        <nav className="tabs" aria-label="Sections">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              className="tab"
              aria-current={tab === t.id ? 'page' : undefined}
              onClick={() => setTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </nav>
      )}
      <main id="main" tabIndex={-1} className="content">
        {/* Both stay mounted, so filters and verdicts survive a visit to the webhooks. */}
        <div hidden={tab !== 'events'}>
          <EventsView api={api} session={session} />
        </div>
        {canWebhooks && tab === 'webhooks' && <WebhooksView api={api} />}
      </main>
    </>
  );
}
