// Export links over the applied filters (GET /v1/portal/export). Plain
// same-origin links with `download`: the session cookie goes along, and the
// browser streams the file to disk.
import type { PortalApi } from '../api-client.js';
import { filtersToQuery, type EventFilters } from '../event-filters.js';

const FORMATS = [
  ['csv', 'CSV', 'Spreadsheet-safe CSV'],
  ['json', 'JSON', 'Every event, as JSON'],
  ['pdf', 'PDF', 'A report for an auditor'],
  ['bundle', 'Bundle', 'Evidence bundle: verify offline with logproof verify'],
] as const;

export function ExportMenu({ api, filters }: { api: PortalApi; filters: EventFilters }) {
  const query = filtersToQuery(filters);
  return (
    <div className="export-menu" role="group" aria-label="Export the filtered events">
      <span className="export-label">Export</span>
      {FORMATS.map(([format, label, title]) => (
        <a
          key={format}
          className="button"
          href={api.url('/export', { format, ...query })}
          download
          title={title}
        >
          {label}
        </a>
      ))}
    </div>
  );
}
