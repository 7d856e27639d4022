// The verdict of each check of one event, as repeated in this browser.
import { CHECKS } from '../verification.js';
import type { RowVerdict } from './events-table.js';

export function VerifyPanel({ verdict }: { verdict: RowVerdict | undefined }) {
  if (verdict === undefined) {
    return (
      <p className="muted small">
        Not checked yet. Verification recomputes every hash and signature in this browser; the
        server&apos;s own verdict is not used.
      </p>
    );
  }
  if (verdict.kind === 'running') {
    return (
      <p className="muted" role="status">
        Verifying…
      </p>
    );
  }
  if (verdict.kind === 'error') {
    return (
      <p role="alert" className="notice notice-error">
        Verification could not run: {verdict.message}
      </p>
    );
  }
  const v = verdict.verdict;
  const named = new Set<string>(CHECKS.map(([name]) => name));
  const other = v.problems.filter((p) => !named.has(p.check));
  return (
    <div className="verify-panel" data-testid="verify-panel">
      <p
        role="status"
        className={`notice ${v.valid ? 'notice-ok' : 'notice-error'}`}
        data-testid="verify-result"
      >
        {v.valid
          ? 'Verified: every check passed in this browser.'
          : 'Failed: this event does not match what was signed and logged.'}
      </p>
      <ul className="checks">
        {CHECKS.map(([name, label, help]) => {
          const ok = v.checks[name];
          const problems = v.problems.filter((p) => p.check === name);
          return (
            <li key={name} className={ok ? 'check check-ok' : 'check check-bad'} data-check={name}>
              <span className="check-mark" aria-hidden="true">
                {ok ? '✓' : '✗'}
              </span>
              <span className="check-body">
                <span className="check-label">
                  {label}: <strong>{ok ? 'pass' : 'fail'}</strong>
                </span>
                <span className="muted small">{help}</span>
                {problems.map((p, i) => (
                  <span key={i} className="check-problem small">
                    {p.detail}
                  </span>
                ))}
              </span>
            </li>
          );
        })}
      </ul>
      {other.length > 0 && (
        <ul className="other-problems small">
          {other.map((p, i) => (
            <li key={i}>
              {p.check}: {p.detail}
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">
        Engine: <strong data-testid="verify-engine">{v.engine}</strong>
        {v.engine === 'noble' && ' (this browser lacks Ed25519 in WebCrypto)'} · Keys:{' '}
        {v.keySource === 'pinned' ? 'pinned by you' : 'key from server'}
        {v.treeSize !== null && (
          <>
            {' '}
            · Checkpoint: tree size {v.treeSize}, root <code>{v.rootHash?.slice(0, 16)}…</code>
          </>
        )}
      </p>
    </div>
  );
}
