// /portal/open#token=lp_pt_... (contract "Opening a link"). The token lives
// in the fragment, so it never reaches a server log or a Referer; it is
// removed from the address bar at once and kept in memory only. Nothing is
// sent until a person presses Continue: a link scanner that runs scripts
// must not burn a single-use link.
import { useEffect, useRef, useState } from 'react';
import { describeError, openSession } from '../api-client.js';
import type { OpenedSession } from '../types.js';

const TOKEN = /^lp_pt_[A-Za-z0-9_-]{43}$/;

function readToken(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token !== null && TOKEN.test(token) ? token : null;
}

export function OpenLinkPage() {
  const [token] = useState(() => readToken(window.location.hash));
  const [state, setState] = useState<'idle' | 'opening' | 'failed'>('idle');
  const [error, setError] = useState<string | null>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (window.location.hash) {
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    }
    document.title = 'Open the audit log';
    button.current?.focus();
  }, []);

  async function open() {
    if (!token) return;
    setState('opening');
    setError(null);
    try {
      await openSession<OpenedSession>(token);
      window.location.replace(import.meta.env.BASE_URL);
    } catch (e) {
      setState('failed');
      setError(describeError(e));
    }
  }

  return (
    <main className="open-page">
      <div className="open-card">
        <h1>Open the audit log</h1>
        {token === null ? (
          <p role="alert" className="notice notice-error">
            This link is incomplete: it carries no access token. Open the full link you were sent,
            or ask for a new one.
          </p>
        ) : (
          <>
            <p>
              You were sent a one-time link to an audit log. Continue to open it in this browser;
              the link then stops working.
            </p>
            {state !== 'failed' && (
              <button
                ref={button}
                type="button"
                className="button button-primary"
                onClick={() => void open()}
                disabled={state !== 'idle'}
                autoFocus
              >
                {state === 'opening' ? 'Opening…' : 'Continue'}
              </button>
            )}
            {error !== null && (
              <p role="alert" className="notice notice-error">
                {error}
              </p>
            )}
          </>
        )}
      </div>
    </main>
  );
}
