// The filters of GET /v1/portal/events. Edits stay local until "Apply", so
// typing does not fire a request per key.
import { useEffect, useId, useState } from 'react';
import { EMPTY_FILTERS, countActive, type EventFilters } from '../event-filters.js';

export function FiltersForm({
  value,
  onApply,
}: {
  value: EventFilters;
  onApply: (next: EventFilters) => void;
}) {
  const [draft, setDraft] = useState(value);
  const id = useId();
  useEffect(() => setDraft(value), [value]);

  const field = (name: keyof EventFilters) => ({
    id: `${id}-${name}`,
    name,
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });
  const active = countActive(value);
  // On a phone the form starts folded, so the events come first.
  const [open] = useState(() => !window.matchMedia('(max-width: 640px)').matches);

  return (
    <details className="filters-details" open={open}>
      <summary>Filters{active > 0 ? ` (${active} applied)` : ''}</summary>
      <form
        className="filters"
        role="search"
        aria-label="Filter events"
        onSubmit={(e) => {
          e.preventDefault();
          onApply(draft);
        }}
      >
        <div className="field field-wide">
          <label htmlFor={`${id}-q`}>Search</label>
          <input
            {...field('q')}
            type="search"
            placeholder='e.g. actor.email:"ana@example.com" AND NOT action:user.login'
            aria-describedby={`${id}-q-help`}
            spellCheck={false}
          />
          <span id={`${id}-q-help`} className="help">
            Fields: action, actor.id, actor.email, target.id, metadata.&lt;key&gt;; AND, OR, NOT,
            quotes, trailing *.
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${id}-action`}>Action</label>
          <input {...field('action')} placeholder="user.* or user.login" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-actor_id`}>Actor ID</label>
          <input {...field('actor_id')} spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-target_id`}>Target ID</label>
          <input {...field('target_id')} spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-outcome`}>Outcome</label>
          <select {...field('outcome')}>
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        <fieldset className="time-window">
          <legend>Time window (your local time)</legend>
          <div className="time-row">
            <div className="field">
              <label htmlFor={`${id}-from`}>From</label>
              <input {...field('from')} type="datetime-local" />
            </div>
            <div className="field">
              <label htmlFor={`${id}-to`}>To</label>
              <input {...field('to')} type="datetime-local" />
            </div>
          </div>
        </fieldset>
        <div className="filter-actions">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
          <button
            type="button"
            className="button button-quiet"
            disabled={active === 0 && countActive(draft) === 0}
            onClick={() => {
              setDraft(EMPTY_FILTERS);
              onApply(EMPTY_FILTERS);
            }}
          >
            Clear
          </button>
          {active > 0 && (
            <span className="muted small" aria-live="polite">
              {active} filter{active === 1 ? '' : 's'} applied
            </span>
          )}
        </div>
      </form>
    </details>
  );
}
