// A two-route app: /portal/open trades a link for a session, everything else
// under /portal/ is the org's audit log. No router library: the server's SPA
// fallback serves index.html for both, and navigation between them is a full
// page load (location.replace) on purpose, so the token never lingers.
import { OpenLinkPage } from './components/open-link-page.js';
import { PortalPage } from './components/portal-page.js';

const BASE = import.meta.env.BASE_URL; // '/portal/'

export type Route = 'open' | 'home';

export function routeOf(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : '';
  return rest.replace(/\/+$/, '') === 'open' ? 'open' : 'home';
}

export function App() {
  return routeOf(window.location.pathname) === 'open' ? <OpenLinkPage /> : <PortalPage />;
}
