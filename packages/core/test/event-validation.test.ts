import { describe, expect, it } from 'vitest';
import { assertValidEventInput, isLogproofError, validateEventInput } from '../src/index.js';
import {
  NOW,
  OPTIONS,
  expectProblemAt,
  fullEvent,
  minimalEvent,
  problemsOf,
  valueOf,
  withMember,
} from './event-fixtures.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** An action of exactly `length` characters with `segments` segments. */
function actionOf(length: number, segments = 2): string {
  const parts = Array.from({ length: segments }, () => 'a');
  const padding = length - (2 * segments - 1);
  parts[0] = `a${'b'.repeat(padding)}`;
  return parts.join('.');
}

/** An e-mail address of exactly `length` characters. */
function emailOf(length: number): string {
  const domain = 'example.com';
  return `${'a'.repeat(length - domain.length - 1)}@${domain}`;
}

function metadataOfSize(keys: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, i]));
}

const withTarget = () => ({ ...minimalEvent(), target: { id: 't', type: 'doc' } });

const targetsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `t${i}`, type: 'doc' }));

// [rule, member (dotted, set on a minimal event), value at the limit, value one past it, problem path]
const limits: [string, string, unknown, unknown, string][] = [
  ['org is at most 256 characters', 'org', 'o'.repeat(256), 'o'.repeat(257), '/org'],
  ['org is at least 1 character', 'org', 'o', '', '/org'],
  ['action is at most 128 characters', 'action', actionOf(128), actionOf(129), '/action'],
  ['action has at most 8 segments', 'action', actionOf(15, 8), actionOf(17, 9), '/action'],
  ['action has at least 2 segments', 'action', 'a.b', 'ab', '/action'],
  ['actor.id is at most 256 characters', 'actor.id', 'i'.repeat(256), 'i'.repeat(257), '/actor/id'],
  ['actor.id is at least 1 character', 'actor.id', 'i', '', '/actor/id'],
  [
    'actor.name is at most 256 characters',
    'actor.name',
    'n'.repeat(256),
    'n'.repeat(257),
    '/actor/name',
  ],
  ['actor.name is at least 1 character', 'actor.name', 'n', '', '/actor/name'],
  [
    'actor.email is at most 320 characters',
    'actor.email',
    emailOf(320),
    emailOf(321),
    '/actor/email',
  ],
  [
    'actor.metadata holds at most 64 keys',
    'actor.metadata',
    metadataOfSize(64),
    metadataOfSize(65),
    '/actor/metadata',
  ],
  ['targets holds at most 32 targets', 'targets', targetsOf(32), targetsOf(33), '/targets'],
  [
    'a target id is at most 256 characters',
    'target.id',
    'i'.repeat(256),
    'i'.repeat(257),
    '/target/id',
  ],
  [
    'a target type is at most 256 characters',
    'target.type',
    't'.repeat(256),
    't'.repeat(257),
    '/target/type',
  ],
  [
    'a target name is at most 256 characters',
    'target.name',
    'n'.repeat(256),
    'n'.repeat(257),
    '/target/name',
  ],
  [
    'metadata holds at most 64 keys',
    'metadata',
    metadataOfSize(64),
    metadataOfSize(65),
    '/metadata',
  ],
  [
    'a metadata string is at most 2048 characters',
    'metadata.note',
    's'.repeat(2048),
    's'.repeat(2049),
    '/metadata/note',
  ],
  ['a metadata integer is at most 2^53 - 1', 'metadata.n', MAX_SAFE, MAX_SAFE + 1, '/metadata/n'],
  [
    'a metadata integer is at least -(2^53 - 1)',
    'metadata.n',
    -MAX_SAFE,
    -MAX_SAFE - 1,
    '/metadata/n',
  ],
  [
    'a metadata key is at most 128 characters',
    'metadata',
    { ['k'.repeat(128)]: 1 },
    { ['k'.repeat(129)]: 1 },
    `/metadata/${'k'.repeat(129)}`,
  ],
  ['a metadata key is at least 1 character', 'metadata', { k: 1 }, { '': 1 }, '/metadata/'],
  [
    'description is at most 1024 characters',
    'description',
    'd'.repeat(1024),
    'd'.repeat(1025),
    '/description',
  ],
  [
    'context.user_agent is at most 1024 characters',
    'context.user_agent',
    'u'.repeat(1024),
    'u'.repeat(1025),
    '/context/user_agent',
  ],
  [
    'context.request_id is at most 256 characters',
    'context.request_id',
    'r'.repeat(256),
    'r'.repeat(257),
    '/context/request_id',
  ],
  [
    'context.request_id is at least 1 character',
    'context.request_id',
    'r',
    '',
    '/context/request_id',
  ],
  [
    'occurred_at is at most 5 minutes ahead',
    'occurred_at',
    '2026-02-10T15:05:00.000Z',
    '2026-02-10T15:05:00.001Z',
    '/occurred_at',
  ],
  [
    'occurred_at is within the 365-day backfill window',
    'occurred_at',
    '2025-02-10T15:00:00.000Z',
    '2025-02-10T14:59:59.999Z',
    '/occurred_at',
  ],
];

describe('validateEventInput limits', () => {
  it.each(limits)(
    'accepts %s at the limit and refuses one past it',
    (_rule, member, atLimit, pastLimit, path) => {
      const make = member.startsWith('target.') ? withTarget : minimalEvent;
      expect(validateEventInput(withMember(make, member, atLimit), OPTIONS).ok).toBe(true);
      const problems = problemsOf(withMember(make, member, pastLimit));
      expect(problems.map((p) => p.path)).toEqual([path]);
    },
  );

  it('says how long a too-long string was', () => {
    expect(
      expectProblemAt(withMember(minimalEvent, 'description', 'd'.repeat(1025)), '/description'),
    ).toBe('must be at most 1024 characters (got 1025)');
  });

  it('counts lengths in UTF-16 code units, so an emoji counts as two', () => {
    expect(
      validateEventInput(withMember(minimalEvent, 'description', '😀'.repeat(512)), OPTIONS).ok,
    ).toBe(true);
    expectProblemAt(
      withMember(minimalEvent, 'description', `${'😀'.repeat(512)}x`),
      '/description',
    );
  });
});

describe('validateEventInput defaults', () => {
  it('fills in every default for a minimal event', () => {
    expect(valueOf(minimalEvent())).toEqual({
      action: 'user.login',
      actor: { id: 'user_1', type: 'user' },
      targets: [],
      metadata: {},
      context: {},
      entryType: 'business',
      outcome: 'success',
    });
  });

  it('leaves absent optional members out rather than undefined', () => {
    const value = valueOf(minimalEvent());
    for (const key of ['org', 'occurredAt', 'description', 'idempotencyKey'])
      expect(key in value).toBe(false);
    expect(Object.keys(value.actor)).toEqual(['id', 'type']);
  });

  it('keeps a full event as sent, with occurred_at normalised', () => {
    const value = valueOf(fullEvent());
    const input = fullEvent();
    expect(value).toEqual({
      org: input.org,
      action: input.action,
      actor: input.actor,
      targets: input.targets,
      metadata: input.metadata,
      context: input.context,
      occurredAt: '2026-02-10T14:32:18.123Z',
      entryType: 'auth',
      outcome: 'failure',
      description: input.description,
    });
  });

  it('turns a single target into a one-element targets list', () => {
    const value = valueOf({
      ...minimalEvent(),
      target: { id: 'inv_1', type: 'invoice', name: 'Invoice 1' },
    });
    expect(value.targets).toEqual([{ id: 'inv_1', type: 'invoice', name: 'Invoice 1' }]);
  });

  it('refuses target and targets together', () => {
    const message = expectProblemAt(
      { ...minimalEvent(), target: { id: 'a', type: 'b' }, targets: [] },
      '/targets',
    );
    expect(message).toMatch(/either "target".*or "targets"/);
  });

  it('copies the input, so later changes to it do not reach the result', () => {
    const input = fullEvent();
    const value = valueOf(input);
    input.metadata.plan = 'free';
    input.actor.metadata.role = 'guest';
    input.targets[0].id = 'changed';
    expect(value.metadata.plan).toBe('pro');
    expect(value.actor.metadata).toEqual({ role: 'owner' });
    expect(value.targets[0]!.id).toBe('inv_8812');
  });

  it('does not trim strings', () => {
    expect(valueOf({ ...minimalEvent(), description: '  padded  ' }).description).toBe(
      '  padded  ',
    );
  });

  it('stores -0 in metadata as 0, as JCS would write it', () => {
    expect(Object.is(valueOf(withMember(minimalEvent, 'metadata.n', -0)).metadata.n, 0)).toBe(true);
  });
});

describe('validateEventInput occurred_at', () => {
  it('normalises an offset and six fractional digits to UTC milliseconds', () => {
    const value = valueOf({ ...minimalEvent(), occurred_at: '2026-02-10T16:32:18.123456+02:00' });
    expect(value.occurredAt).toBe('2026-02-10T14:32:18.123Z');
  });

  it('normalises lowercase t and z, missing fractions and -00:00', () => {
    expect(valueOf({ ...minimalEvent(), occurred_at: '2026-02-10t14:32:18z' }).occurredAt).toBe(
      '2026-02-10T14:32:18.000Z',
    );
    expect(
      valueOf({ ...minimalEvent(), occurred_at: '2026-02-10T14:32:18.5-00:00' }).occurredAt,
    ).toBe('2026-02-10T14:32:18.500Z');
  });

  it('refuses an impossible date with the reason', () => {
    expect(
      expectProblemAt({ ...minimalEvent(), occurred_at: '2026-02-30T00:00:00Z' }, '/occurred_at'),
    ).toBe('day 30 does not exist in 2026-02');
  });

  it('refuses a date-time that is not RFC 3339', () => {
    for (const text of [
      '2026-02-10 14:32:18Z',
      '2026-02-10T14:32:18',
      '1770734400000',
      '2026-02-10',
    ]) {
      expect(expectProblemAt({ ...minimalEvent(), occurred_at: text }, '/occurred_at')).toMatch(
        /RFC 3339/,
      );
    }
  });

  it('says how far ahead the future limit is and what the server time was', () => {
    const message = expectProblemAt(
      { ...minimalEvent(), occurred_at: '2026-02-10T16:00:00Z' },
      '/occurred_at',
    );
    expect(message).toBe(
      "is more than 5 minutes in the future (server time 2026-02-10T15:00:00.000Z); check the sender's clock",
    );
  });

  it('honours a custom backfill window and future skew', () => {
    const options = { now: NOW, backfillWindowMs: 60_000, futureSkewMs: 0 };
    expect(
      validateEventInput({ ...minimalEvent(), occurred_at: '2026-02-10T14:59:00Z' }, options).ok,
    ).toBe(true);
    expectProblemAt(
      { ...minimalEvent(), occurred_at: '2026-02-10T14:58:59.999Z' },
      '/occurred_at',
      options,
    );
    expectProblemAt(
      { ...minimalEvent(), occurred_at: '2026-02-10T15:00:00.001Z' },
      '/occurred_at',
      options,
    );
  });

  it('throws a RangeError for options that make no sense', () => {
    expect(() =>
      validateEventInput(minimalEvent(), { now: Number.NaN, backfillWindowMs: 0 }),
    ).toThrow(RangeError);
    expect(() => validateEventInput(minimalEvent(), { now: NOW, backfillWindowMs: -1 })).toThrow(
      RangeError,
    );
  });
});

describe('validateEventInput members', () => {
  it('refuses unknown members anywhere, naming the allowed ones', () => {
    const input = {
      ...minimalEvent(),
      extra: 1,
      actor: { id: 'u', role: 'x' },
      context: { city: 'Paris' },
    };
    const problems = problemsOf(input);
    expect(problems.map((p) => p.path).sort()).toEqual(['/actor/role', '/context/city', '/extra']);
    expect(problems.find((p) => p.path === '/context/city')!.message).toBe(
      'unknown member; allowed members here: ip, user_agent, request_id',
    );
  });

  it('points a single event with idempotency_key to the header', () => {
    expect(
      expectProblemAt({ ...minimalEvent(), idempotency_key: 'k' }, '/idempotency_key'),
    ).toMatch(/Idempotency-Key header/);
  });

  it('requires action and actor.id', () => {
    expect(problemsOf({ actor: {} })).toEqual([
      { path: '/action', message: 'is required' },
      { path: '/actor/id', message: 'is required' },
    ]);
  });

  it('accepts the actor types and refuses others', () => {
    for (const type of ['user', 'service', 'system'])
      expect(valueOf(withMember(minimalEvent, 'actor.type', type)).actor.type).toBe(type);
    expect(expectProblemAt(withMember(minimalEvent, 'actor.type', 'robot'), '/actor/type')).toBe(
      'must be one of "user", "service", "system"',
    );
  });

  it('accepts every entry_type and outcome and refuses others', () => {
    for (const entryType of ['business', 'auth', 'system', 'database']) {
      expect(valueOf({ ...minimalEvent(), entry_type: entryType }).entryType).toBe(entryType);
    }
    expectProblemAt({ ...minimalEvent(), entry_type: 'audit' }, '/entry_type');
    expect(valueOf({ ...minimalEvent(), outcome: 'failure' }).outcome).toBe('failure');
    expectProblemAt({ ...minimalEvent(), outcome: 'error' }, '/outcome');
  });

  it('refuses malformed actions', () => {
    for (const action of [
      'User.login',
      'user..login',
      '.user.login',
      'user.login.',
      'user.1login',
      'user login',
      'user.lo/gin',
    ]) {
      expectProblemAt({ ...minimalEvent(), action }, '/action');
    }
    for (const action of ['user.login', 'billing.invoice.paid', 'a1.b_c-d.e'])
      expect(valueOf({ ...minimalEvent(), action }).action).toBe(action);
  });

  it('accepts plausible e-mail addresses and refuses implausible ones', () => {
    for (const email of ['ada@example.com', 'a.b+tag@sub.example.co.uk', 'jörg@bücher.de']) {
      expect(valueOf(withMember(minimalEvent, 'actor.email', email)).actor.email).toBe(email);
    }
    for (const email of [
      'ada',
      'ada@',
      '@example.com',
      'ada@example',
      'a b@example.com',
      'a@b@example.com',
      'ada@example..com',
    ]) {
      expectProblemAt(withMember(minimalEvent, 'actor.email', email), '/actor/email');
    }
  });

  it('explains each kind of bad metadata value', () => {
    const input = {
      ...minimalEvent(),
      metadata: { f: 1.5, n: null, o: { a: 1 }, a: [1], big: 2 ** 53 },
    };
    const problems = Object.fromEntries(problemsOf(input).map((p) => [p.path, p.message]));
    expect(problems['/metadata/f']).toMatch(/floats are not allowed/);
    expect(problems['/metadata/n']).toMatch(/null is not allowed/);
    expect(problems['/metadata/o']).toMatch(/metadata is flat/);
    expect(problems['/metadata/a']).toMatch(/metadata is flat/);
    expect(problems['/metadata/big']).toMatch(/safe/);
  });

  it('refuses every bad metadata key, not just the first', () => {
    const input = {
      ...minimalEvent(),
      metadata: { 'a b': 1, '.dot': 2, '-dash': 3, 'ok.key-1_x': 4, 'a/b': 5 },
    };
    expect(problemsOf(input).map((p) => p.path)).toEqual([
      '/metadata/a b',
      '/metadata/.dot',
      '/metadata/-dash',
      '/metadata/a~1b',
    ]);
  });

  it('validates metadata on actors and targets like top-level metadata', () => {
    const input = {
      ...minimalEvent(),
      actor: { id: 'u', metadata: { x: 1.5 } },
      targets: [{ id: 't', type: 'doc', metadata: { 'bad key': 1 } }],
    };
    expect(problemsOf(input).map((p) => p.path)).toEqual([
      '/actor/metadata/x',
      '/targets/0/metadata/bad key',
    ]);
  });

  it('collects every problem of an input at once', () => {
    const input = {
      action: 'X',
      actor: { id: '', type: 'robot' },
      metadata: { f: 1.5 },
      context: { ip: '127.1' },
      occurred_at: '2026-13-01T00:00:00Z',
      outcome: 'meh',
    };
    expect(
      problemsOf(input)
        .map((p) => p.path)
        .sort(),
    ).toEqual(
      [
        '/action',
        '/actor/id',
        '/actor/type',
        '/context/ip',
        '/metadata/f',
        '/occurred_at',
        '/outcome',
      ].sort(),
    );
  });

  it('prefixes every path with basePath', () => {
    const result = validateEventInput({ action: 'x', actor: { id: 'u' } }, OPTIONS, '/events/17');
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual(['/events/17/action']);
  });

  it('throws ERR_VALIDATION with every problem from assertValidEventInput', () => {
    try {
      assertValidEventInput({ action: 'x', actor: {} }, OPTIONS);
      expect.unreachable();
    } catch (error) {
      expect(isLogproofError(error, 'ERR_VALIDATION')).toBe(true);
      const problems = (error as { problems: { path: string }[] }).problems;
      expect(problems.map((p) => p.path)).toEqual(['/action', '/actor/id']);
      expect((error as Error).message).toMatch(/^event is invalid: \/action .* \(and 1 more\)$/);
    }
    expect(assertValidEventInput(minimalEvent(), OPTIONS).action).toBe('user.login');
  });
});

describe('validateEventInput context.ip', () => {
  const accepted = [
    '203.0.113.7',
    '0.0.0.0',
    '255.255.255.255',
    '::',
    '::1',
    '2001:db8::1',
    '2001:0DB8:0000:0000:0000:0000:0000:0001',
    '::ffff:192.0.2.1',
    '64:ff9b::192.0.2.33',
    'fe80::1%eth0',
    '1:2:3:4:5:6:7::',
  ];
  const refused = [
    '127.1',
    '0x7f.0.0.1',
    '0x7f000001',
    '2130706433',
    '010.0.0.1',
    '127.0.0.01',
    '1.2.3.256',
    '1.2.3',
    '1.2.3.4.5',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '00000::1',
    '::ffff:0x7f.0.0.1',
    '::ffff:127.1',
    '::ffff:010.0.0.1',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    ':::',
    'fe80::1%',
    'localhost',
    '',
  ];

  it.each(accepted)('accepts %j as sent', (ip) => {
    expect(valueOf(withMember(minimalEvent, 'context.ip', ip)).context.ip).toBe(ip);
  });

  it.each(refused)('refuses %j', (ip) => {
    expectProblemAt(withMember(minimalEvent, 'context.ip', ip), '/context/ip');
  });
});

describe('validateEventInput Unicode', () => {
  it('refuses a lone surrogate in any string value, at its path', () => {
    const cases: [string, string][] = [
      ['org', '/org'],
      ['actor.name', '/actor/name'],
      ['actor.id', '/actor/id'],
      ['target.name', '/target/name'],
      ['metadata.note', '/metadata/note'],
      ['actor.metadata.note', '/actor/metadata/note'],
      ['context.user_agent', '/context/user_agent'],
      ['description', '/description'],
    ];
    for (const [member, path] of cases) {
      const event = withMember(withTarget, member, 'ok\uD800');
      expect(expectProblemAt(event, path)).toMatch(/lone surrogate/);
    }
  });

  it('refuses a lone surrogate in a metadata key, naming it with U+FFFD so the response stays well-formed', () => {
    const problems = problemsOf({ ...minimalEvent(), metadata: { 'a\uDC00': 1 } });
    expect(problems).toEqual([
      { path: '/metadata/a\uFFFD', message: expect.stringMatching(/lone surrogate/) },
    ]);
  });

  it('refuses an unknown member whose name has a lone surrogate', () => {
    expect(problemsOf({ ...minimalEvent(), '\uD83D': 1 }).map((p) => p.path)).toEqual(['/\uFFFD']);
  });

  it('accepts well-formed astral characters', () => {
    expect(valueOf({ ...minimalEvent(), description: 'ok 😀 𝄞' }).description).toBe('ok 😀 𝄞');
  });
});

describe('validateEventInput prototype safety', () => {
  it('refuses __proto__ as a metadata key without touching any prototype', () => {
    const input = JSON.parse(
      '{"action":"a.b","actor":{"id":"u"},"metadata":{"__proto__":{"polluted":true}}}',
    );
    expect(problemsOf(input).map((p) => p.path)).toEqual(['/metadata/__proto__']);
    const input2 = JSON.parse('{"action":"a.b","actor":{"id":"u"},"metadata":{"__proto__":"x"}}');
    expect(expectProblemAt(input2, '/metadata/__proto__')).toMatch(/not allowed as a metadata key/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses __proto__ at the top level as an unknown member', () => {
    const input = JSON.parse('{"action":"a.b","actor":{"id":"u"},"__proto__":{"action":"x"}}');
    expect(problemsOf(input).map((p) => p.path)).toEqual(['/__proto__']);
  });

  it('stores constructor, toString and hasOwnProperty as plain metadata data', () => {
    const input = JSON.parse(
      '{"action":"a.b","actor":{"id":"u"},"metadata":{"constructor":"c","toString":"t","hasOwnProperty":1,"prototype":true}}',
    );
    const { metadata } = valueOf(input);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.keys(metadata)).toEqual([
      'constructor',
      'toString',
      'hasOwnProperty',
      'prototype',
    ]);
    expect(metadata.constructor).toBe('c');
    expect(Object.prototype.hasOwnProperty.call(metadata, 'toString')).toBe(true);
  });

  it('ignores members inherited from a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.description = 'injected';
    try {
      expect(Object.hasOwn(valueOf(minimalEvent()), 'description')).toBe(false);
    } finally {
      delete proto.description;
    }
  });
});
