import type { EventQuery } from '../query/event-filter.js';
import type { EventRecord } from './records.js';

export type { EventFilter, EventOrder, EventQuery, KeysetPosition } from '../query/event-filter.js';

/**
 * Listing and search of events (GET /v1/events, exports). Implemented in
 * stores/<kind>/event-query.ts; the adapters delegate to it.
 */
export interface EventQueryStore {
  /**
   * The events of `projectId` that satisfy `query.filter`, in the total order
   * (occurred_at, org_id, chain_index), ascending or descending in every
   * column as `query.order` says, strictly after `query.after`, at most
   * `query.limit` of them. Every value reaches the database as a bound
   * parameter. MUST NOT return another project's events, whatever the filter
   * or position. Two calls that continue from the last row of the previous
   * one MUST together return each matching event at most once, and every
   * event that matched during both exactly once (keyset pagination).
   */
  listEvents(projectId: string, query: EventQuery): Promise<EventRecord[]>;
}
