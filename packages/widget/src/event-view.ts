// What one row shows, read defensively from an event nobody has checked yet:
// every member may be missing or of the wrong type. Only strings come out;
// the renderer puts them in the page with textContent.

export interface EventView {
  /** The timestamp as sent (RFC 3339), for <time datetime>; '' when absent. */
  readonly occurredAt: string;
  /** The time for people, in the browser's locale and time zone. */
  readonly time: string;
  readonly action: string;
  /** The actor's name, else its id. */
  readonly actor: string;
  /** The actor's id (and type when not a user) when `actor` shows the name; else ''. */
  readonly actorDetail: string;
  /** `type name` (or `type id`) of each target. */
  readonly targets: readonly string[];
  readonly outcome: string;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'medium',
});

/** Formats an RFC 3339 timestamp for the reader; an unparsable one is shown as it is. */
export function formatTime(occurredAt: string): string {
  const ms = Date.parse(occurredAt);
  return Number.isNaN(ms) ? occurredAt : timeFormat.format(ms);
}

export function describeEvent(event: unknown): EventView {
  const e = record(event);
  const actor = record(e.actor);
  const actorId = text(actor.id);
  const actorName = text(actor.name);
  const actorType = text(actor.type);
  const typeNote = actorType !== '' && actorType !== 'user' ? `${actorType} · ` : '';
  const targets = Array.isArray(e.targets) ? e.targets : [];
  const occurredAt = text(e.occurred_at);
  return {
    occurredAt,
    time: formatTime(occurredAt),
    action: text(e.action),
    actor: actorName !== '' ? actorName : actorId,
    actorDetail: actorName !== '' ? `${typeNote}${actorId}` : typeNote.replace(/ · $/, ''),
    targets: targets.map((t: unknown) => {
      const target = record(t);
      const label = text(target.name) || text(target.id);
      return [text(target.type), label].filter((s) => s !== '').join(' ');
    }),
    outcome: text(e.outcome),
  };
}
