import type { LogWrite } from '../../store/records.js';

// The event_terms rows (migration 7) of appended events, as the column arrays
// of the new_terms insert in postgres-store.ts's WRITE_APPEND: written in the
// same statement as the events, so committed with them or not at all.

/** project_id, field, value, occurred_at, org_id, chain_index: one array each. */
export function eventTermColumns(writes: readonly LogWrite[]): unknown[][] {
  const columns: [string[], string[], string[], number[], string[], number[]] = [
    [],
    [],
    [],
    [],
    [],
    [],
  ];
  for (const w of writes) {
    w.events.forEach((e, i) => {
      for (const t of w.terms[i]!) {
        columns[0].push(e.projectId);
        columns[1].push(t.field);
        columns[2].push(t.value);
        columns[3].push(e.occurredAt);
        columns[4].push(e.orgId);
        columns[5].push(e.chainIndex);
      }
    });
  }
  return columns;
}
