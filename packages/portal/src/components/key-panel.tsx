// The keys verification trusts. By default every key the server publishes
// for the org (the UI says so); a verifier key obtained out of band can be
// pinned instead, so a server that lies about its keys is caught too.
import { useId, useState } from 'react';
import type { PublishedKey } from '../types.js';

const storageKey = (orgId: string) => `logproof.pinned-key.${orgId}`;

export function loadPinnedKey(orgId: string): string {
  try {
    return window.localStorage.getItem(storageKey(orgId)) ?? '';
  } catch {
    return ''; // storage disabled: pinning lasts for this page only
  }
}

export function savePinnedKey(orgId: string, key: string): void {
  try {
    if (key) window.localStorage.setItem(storageKey(orgId), key);
    else window.localStorage.removeItem(storageKey(orgId));
  } catch {
    // storage disabled: see loadPinnedKey
  }
}

export function KeyPanel({
  keys,
  pinned,
  onPin,
}: {
  keys: PublishedKey[];
  pinned: string;
  onPin: (key: string) => void;
}) {
  const [draft, setDraft] = useState(pinned);
  const id = useId();
  const current = keys.find((k) => k.retired_at === null);
  return (
    <details className="key-panel">
      <summary>
        Verifier key:{' '}
        {pinned ? (
          <strong>pinned by you</strong>
        ) : (
          <>
            key from server
            {current && (
              <>
                {' '}
                (key ID <code>{current.key_id}</code>)
              </>
            )}
          </>
        )}
      </summary>
      <div className="key-panel-body">
        <p className="small">
          Verification runs in this browser. Signatures and checkpoints are checked against{' '}
          {pinned
            ? 'the key you pinned below, and nothing else.'
            : "the org's keys as published by this server. For independent assurance, pin the verifier key you received out of band."}
        </p>
        {keys.length > 0 && (
          <ul className="key-list">
            {keys.map((k) => (
              <li key={k.key_id}>
                <code>{k.key_id}</code> {k.retired_at === null ? 'current' : 'retired'}
                <code className="key-text">{k.verifier_key}</code>
              </li>
            ))}
          </ul>
        )}
        <form
          className="pin-form"
          onSubmit={(e) => {
            e.preventDefault();
            onPin(draft.trim());
          }}
        >
          <label htmlFor={`${id}-pin`}>Pinned verifier key (optional)</label>
          <div className="pin-row">
            <input
              id={`${id}-pin`}
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              placeholder="logproof.local/org_…+1a2b3c4d+AQ…"
              spellCheck={false}
              autoComplete="off"
            />
            <button type="submit" className="button">
              Pin
            </button>
            {pinned && (
              <button
                type="button"
                className="button button-quiet"
                onClick={() => {
                  setDraft('');
                  onPin('');
                }}
              >
                Unpin
              </button>
            )}
          </div>
        </form>
      </div>
    </details>
  );
}
