import { useId, useState } from 'react';
import { describeError, type PortalApi } from '../api-client.js';
import type { CreatedWebhook } from '../types.js';

export function WebhookForm({
  api,
  onCreated,
}: {
  api: PortalApi;
  onCreated: (hook: CreatedWebhook) => void;
}) {
  const id = useId();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [actions, setActions] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit() {
    setBusy(true);
    setError(null);
    const list = actions
      .split(/[\s,]+/)
      .map((a) => a.trim())
      .filter(Boolean);
    try {
      const hook = await api.post<CreatedWebhook>('/webhooks', {
        url: url.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(list.length > 0 ? { actions: list } : {}),
      });
      setUrl('');
      setDescription('');
      setActions('');
      onCreated(hook);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="webhook-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="field field-wide">
        <label htmlFor={`${id}-url`}>URL</label>
        <input
          id={`${id}-url`}
          type="url"
          required
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="https://hooks.example.com/logproof"
          spellCheck={false}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-description`}>Description (optional)</label>
        <input
          id={`${id}-description`}
          value={description}
          maxLength={512}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-actions`}>Actions (optional)</label>
        <input
          id={`${id}-actions`}
          value={actions}
          onChange={(e) => setActions(e.target.value)}
          placeholder="user.*, billing.invoice.paid"
          aria-describedby={`${id}-actions-help`}
          spellCheck={false}
        />
        <span id={`${id}-actions-help`} className="help">
          Every action when empty.
        </span>
      </div>
      <div className="filter-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add destination'}
        </button>
      </div>
      {error !== null && (
        <p role="alert" className="notice notice-error">
          {error}
        </p>
      )}
    </form>
  );
}
