// Filters as the query string gives them, and cursors bound to them.
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/query/cursor.js';
import { digestListing, parseEventFilter } from '../src/query/event-filter.js';
import { QueryInputError } from '../src/query/query-error.js';

function thrown(work: () => unknown): QueryInputError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(QueryInputError);
    return error as QueryInputError;
  }
  throw new Error('did not throw');
}

describe('parseEventFilter', () => {
  it('normalises every filter parameter', () => {
    expect(
      parseEventFilter(
        {
          action: 'billing.*',
          actor_id: 'u1',
          actor_type: 'service',
          target_id: 'd1',
          target_type: 'doc',
          from: '2026-01-01T01:00:00+01:00',
          to: '2026-02-01T00:00:00Z',
          outcome: 'failure',
          q: 'actor.name:Ada',
        },
        'org_1',
      ),
    ).toEqual({
      orgId: 'org_1',
      action: { value: 'billing.', prefix: true },
      actorId: 'u1',
      actorType: 'service',
      targetId: 'd1',
      targetType: 'doc',
      from: Date.UTC(2026, 0, 1),
      to: Date.UTC(2026, 1, 1),
      outcome: 'failure',
      q: { kind: 'match', field: 'actor.name', key: null, value: 'Ada', prefix: false },
    });
  });

  it('reads an exact action, and treats an empty or blank q as no query', () => {
    expect(parseEventFilter({ action: 'user.login', q: '' }, null)).toMatchObject({
      action: { value: 'user.login', prefix: false },
      q: null,
    });
    expect(parseEventFilter({ q: '  \t' }, null).q).toBeNull();
  });

  it.each([
    ['action', { action: 'User.Login' }],
    ['action', { action: 'user.*.x' }],
    ['action', { action: '*' }],
    ['action', { action: 'user.log*' }],
    ['from', { from: 'yesterday' }],
    ['to', { to: '2026-02-30T00:00:00Z' }],
    ['to', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }],
    ['q', { q: 'action:(' }],
  ] as const)('refuses a bad %s, naming it', (param, params) => {
    const error = thrown(() => parseEventFilter(params, null));
    expect(error.param).toBe(param);
    expect(error.message.startsWith(`${param}: `)).toBe(true);
  });
});

describe('digestListing', () => {
  const base = parseEventFilter({ q: 'action:a AND (actor.id:b AND actor.id:c)' }, 'org_1');

  it('is the same for spellings of one filter', () => {
    const respelled = parseEventFilter({ q: '  action:a actor.id:b   AND actor.id:c ' }, 'org_1');
    expect(digestListing('p', respelled, 'desc')).toBe(digestListing('p', base, 'desc'));
  });

  it('differs with the project, the order, or any filter', () => {
    const d = digestListing('p', base, 'desc');
    expect(digestListing('p2', base, 'desc')).not.toBe(d);
    expect(digestListing('p', base, 'asc')).not.toBe(d);
    expect(digestListing('p', { ...base, orgId: 'org_2' }, 'desc')).not.toBe(d);
    expect(digestListing('p', { ...base, outcome: 'success' }, 'desc')).not.toBe(d);
    expect(digestListing('p', parseEventFilter({ q: 'action:a*' }, 'org_1'), 'desc')).not.toBe(d);
  });
});

describe('cursors', () => {
  const digest = digestListing('p', parseEventFilter({}, null), 'desc');
  const position = { occurredAt: 1_760_000_000_123, orgId: 'org_01abc', chainIndex: 41 };

  it('read back the position they were made from', () => {
    const cursor = encodeCursor(digest, position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, digest)).toEqual(position);
  });

  it('are refused with another filter or order (cursor_mismatch)', () => {
    const cursor = encodeCursor(digest, position);
    const other = digestListing('p', parseEventFilter({ outcome: 'failure' }, null), 'desc');
    expect(thrown(() => decodeCursor(cursor, other))).toMatchObject({
      code: 'cursor_mismatch',
      param: 'cursor',
    });
  });

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = { v: 1, f: digest, t: 1, o: 'org_1', i: 0 };
  it.each([
    ['not base64url', 'abc+/='],
    ['truncated', encodeCursor(digest, position).slice(0, 20)],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['a JSON array', b64([1, 2])],
    ['JSON null', b64(null)],
    ['another version', b64({ ...body, v: 2 })],
    ['an extra member', b64({ ...body, x: 1 })],
    ['a missing member', b64({ v: 1, f: digest, t: 1, o: 'org_1' })],
    ['a fractional time', b64({ ...body, t: 1.5 })],
    ['an unsafe integer', b64({ ...body, t: 2 ** 60 })],
    ['a negative chain index', b64({ ...body, i: -1 })],
    ['a string chain index', b64({ ...body, i: '1' })],
    ['an empty org', b64({ ...body, o: '' })],
    ['an overlong org', b64({ ...body, o: 'o'.repeat(257) })],
    ['a short digest', b64({ ...body, f: 'abc' })],
    ['an injection-shaped org', b64({ ...body, o: `x' OR 1=1 --`.repeat(30) })],
    ['2000 characters', 'A'.repeat(2000)],
  ])('are refused when %s (invalid_cursor)', (_, cursor) => {
    expect(thrown(() => decodeCursor(cursor, digest))).toMatchObject({
      code: 'invalid_cursor',
      param: 'cursor',
    });
  });
});
