import { safeLogoUrl } from '../branding.js';
import type { PortalSession } from '../types.js';

export function Header({ session, onSignOut }: { session: PortalSession; onSignOut: () => void }) {
  const logo = safeLogoUrl(session.project);
  const expires = new Date(session.expires_at);
  return (
    <header className="header">
      <div className="brand">
        {logo !== null && <img className="brand-logo" src={logo} alt="" height={32} />}
        <div className="brand-text">
          <span className="brand-name">{session.project.name}</span>
          <span className="brand-sub">
            Audit log of <strong>{session.org.name}</strong>
          </span>
        </div>
      </div>
      <div className="header-side">
        <span className="muted small" title={expires.toISOString()}>
          Session until {expires.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
        </span>
        <button type="button" className="button button-quiet" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
