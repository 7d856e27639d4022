// PDF reports through the real server, read back with poppler (pdftotext,
// pdfdetach, pdffonts) as an auditor's tools would: the events, the root
// hash and the verifier key are there as text, names in any script survive,
// and the attached evidence bundle extracts and verifies offline.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyBundle, type EvidenceBundle } from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDF_ROWS_PER_PAGE } from '../src/exports/pdf-report.js';
import {
  exportEvents,
  hasCommand,
  openExportApp,
  seedOrg,
  type ExportApp,
} from './helpers/export-app.js';
import { getJson } from './helpers/http-app.js';

const poppler = hasCommand('pdftotext') && hasCommand('pdfdetach') && hasCommand('pdffonts');
if (!poppler && process.env.CI)
  throw new Error('poppler-utils (pdftotext, pdfdetach) are needed in CI');

const NAMES = [
  'Ada Lovelace',
  'Σωκράτης Παπαδόπουλος', // Greek
  'Пётр Ильич Чайковский', // Cyrillic
  '李小龍', // Chinese
  '田中さくら', // Japanese: kanji and kana
  '김민준', // Korean
  'Zoë 😀🎉 👩🏽‍💻', // emoji, a skin tone and a ZWJ sequence
  'e\u0301 combining', // a combining mark
  "=cmd|' /C calc'!A0", // a formula is only text in a PDF
  'Right\u202eto-left override', // bidi control: shown, not obeyed
];

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe.skipIf(!poppler)('GET /v1/events/export?format=pdf', () => {
  let t: ExportApp;
  let dir: string;
  let org: Awaited<ReturnType<typeof seedOrg>>;
  let text: string;
  let pdf: Buffer;

  beforeAll(async () => {
    t = await openExportApp('sqlite', { exportPdfMaxPages: 2 });
    dir = await mkdtemp(join(tmpdir(), 'logproof-pdf-test-'));
    org = await seedOrg(
      t,
      'acme',
      NAMES.map((name, i) => ({
        action: 'document.shared',
        actor: { id: `user_${i}`, name, email: `user${i}@example.com` },
        targets: [{ id: `doc_${i}`, type: 'document', name: `Deck ${name}` }],
      })),
    );
    const res = await exportEvents(t, { format: 'pdf', org: 'acme', action: 'document.*' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(String(res.headers['content-disposition'])).toMatch(
      /filename="logproof-report-acme-\d{8}T\d{6}Z\.pdf"/,
    );
    pdf = res.rawPayload;
    await writeFile(join(dir, 'report.pdf'), pdf);
    text = run('pdftotext', ['-layout', '-enc', 'UTF-8', join(dir, 'report.pdf'), '-']);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is a complete PDF', () => {
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.subarray(-6).toString()).toMatch(/%%EOF\s*$/);
  });

  it('shows the org, the range, the filters, the checkpoint with root hash and tree size, the verifier key and how to verify', async () => {
    const cp = await getJson(t.app, t.apiKey, '/v1/orgs/acme/checkpoint', {
      accept: 'application/json',
    });
    expect(cp.statusCode, cp.body).toBe(200);
    const checkpoint = cp.json<{ root_hash: string; tree_size: number }>();
    expect(text).toContain(`Org acme (external id acme, id ${org.orgId})`);
    expect(text).toContain(`Events: ${NAMES.length}, chain_index 0 to ${NAMES.length - 1}`);
    expect(text).toContain('Filters: action="document.*"');
    expect(text).toMatch(/Generated at: \d{4}-\d\d-\d\dT/);
    expect(text).toContain(`Tree size: ${checkpoint.tree_size}`);
    expect(text).toContain(checkpoint.root_hash);
    expect(text).toContain(org.verifierKey);
    expect(text).toContain('logproof verify');
  });

  it('lists every event, with names in Greek, Cyrillic, CJK and emoji', () => {
    for (const e of org.events) expect(text).toContain(e.id);
    for (const name of [
      'Ada Lovelace',
      'Σωκράτης',
      'Чайковский',
      '李小龍',
      '田中さくら',
      '김민준',
      'Zoë',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('😀');
    // A bidi override is neutralised, not obeyed.
    expect(text).toContain('Right\ufffdto-left');
  });

  it('embeds the fonts it uses, subset', () => {
    const fonts = run('pdffonts', [join(dir, 'report.pdf')]);
    for (const name of [
      'NotoSans-Regular',
      'NotoSansHans-Regular',
      'NotoSansKR-Regular',
      'NotoEmoji-Regular',
    ]) {
      expect(fonts).toMatch(new RegExp(`\\+${name}\\s.*\\byes\\s+yes\\s+yes\\b`));
    }
  });

  it('carries the evidence bundle, which extracts and verifies offline', async () => {
    const list = run('pdfdetach', ['-list', join(dir, 'report.pdf')]);
    const name = `logproof-bundle-${org.orgId}-${NAMES.length}.json`;
    expect(list).toContain(name);
    run('pdfdetach', ['-saveall', '-o', dir, join(dir, 'report.pdf')]);
    expect(await readdir(dir)).toContain(name);
    const bytes = await readFile(join(dir, name));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(text.replace(/\s+/g, ' ')).toContain(sha256);
    const bundle = JSON.parse(bytes.toString('utf8')) as EvidenceBundle;
    expect(verifyBundle(bundle, org.verifierKey, createNodeCrypto())).toMatchObject({
      valid: true,
      events: NAMES.length,
    });
    const cli = spawnSync(
      process.execPath,
      [
        join(dirname(fileURLToPath(import.meta.url)), '../../cli/bin/logproof.js'),
        'verify',
        join(dir, name),
        '--key',
        org.verifierKey,
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
  });

  it('caps the table and says so when the range is larger, while the bundle holds every event', async () => {
    const many = PDF_ROWS_PER_PAGE * 2 + 5;
    const big = await seedOrg(
      t,
      'big',
      Array.from({ length: many }, (_, i) => ({
        action: 'user.login',
        actor: { id: `user_${i}` },
      })),
    );
    const res = await exportEvents(t, { format: 'pdf', org: 'big' });
    expect(res.statusCode).toBe(200);
    const file = join(dir, 'big.pdf');
    await writeFile(file, res.rawPayload);
    const bigText = run('pdftotext', ['-layout', file, '-']).replace(/\s+/g, ' ');
    const shown = PDF_ROWS_PER_PAGE * 2;
    expect(bigText).toContain(
      `The table lists the first ${shown} of ${many} events (at most 2 table pages)`,
    );
    expect(bigText).toContain(big.events[shown - 1]!.id);
    expect(bigText).not.toContain(big.events[shown]!.id);
    const pages = Number(/Pages:\s+(\d+)/.exec(run('pdfinfo', [file]))![1]);
    expect(pages).toBe(3);
    await mkdir(join(dir, 'big'));
    run('pdfdetach', ['-saveall', '-o', join(dir, 'big'), file]);
    const bundle = JSON.parse(
      await readFile(join(dir, 'big', `logproof-bundle-${big.orgId}-${many}.json`), 'utf8'),
    ) as EvidenceBundle;
    expect(verifyBundle(bundle, big.verifierKey, createNodeCrypto()).events).toBe(many);
  }, 60_000);

  it('reports an empty selection without a bundle', async () => {
    const res = await exportEvents(t, { format: 'pdf', org: 'acme', action: 'never.happened' });
    expect(res.statusCode).toBe(200);
    const file = join(dir, 'empty.pdf');
    await writeFile(file, res.rawPayload);
    expect(run('pdftotext', [file, '-'])).toContain(
      'No event matched the filters, so no evidence bundle is attached.',
    );
    expect(run('pdfdetach', ['-list', file])).toContain('0 embedded files');
  });
});
