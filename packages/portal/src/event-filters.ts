// The filter form's state and its translation to the query parameters of
// GET /v1/portal/events and /v1/portal/export (API.md "Reading").
import type { Query } from './api-client.js';

export interface EventFilters {
  action: string;
  actor_id: string;
  target_id: string;
  outcome: '' | 'success' | 'failure';
  /** `datetime-local` values (the user's local time), '' when open. */
  from: string;
  to: string;
  q: string;
}

export const EMPTY_FILTERS: EventFilters = {
  action: '',
  actor_id: '',
  target_id: '',
  outcome: '',
  from: '',
  to: '',
  q: '',
};

/** A `datetime-local` value as RFC 3339 UTC; undefined when empty or not a date. */
function toRfc3339(local: string): string | undefined {
  if (!local) return undefined;
  const ms = new Date(local).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function filtersToQuery(f: EventFilters): Query {
  return {
    action: f.action.trim() || undefined,
    actor_id: f.actor_id.trim() || undefined,
    target_id: f.target_id.trim() || undefined,
    outcome: f.outcome || undefined,
    from: toRfc3339(f.from),
    to: toRfc3339(f.to),
    q: f.q.trim() || undefined,
  };
}

export function countActive(f: EventFilters): number {
  return Object.values(filtersToQuery(f)).filter((v) => v !== undefined).length;
}
