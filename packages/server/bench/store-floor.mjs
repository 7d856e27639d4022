// The store floor: what one process can do with no HTTP and no Logproof logic:
// JSON + SHA-256 + Ed25519 + durable 1000-row SQLite transactions (WAL, FULL).
import Database from 'better-sqlite3';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function measureStoreFloor({ transactions = 30, rowsPerTransaction = 1000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'logproof-floor-'));
  try {
    const db = new Database(join(dir, 'floor.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(
      'CREATE TABLE rows (org TEXT NOT NULL, idx INTEGER NOT NULL, body TEXT NOT NULL, hash BLOB NOT NULL, sig BLOB NOT NULL, PRIMARY KEY (org, idx)) STRICT, WITHOUT ROWID',
    );
    const insert = db.prepare(
      'INSERT INTO rows (org, idx, body, hash, sig) VALUES (?, ?, ?, ?, ?)',
    );
    const { privateKey } = generateKeyPairSync('ed25519');
    const template = sampleEvent(0);
    let idx = 0;
    const write = db.transaction((rows) => {
      for (const r of rows) insert.run('org_bench', r.idx, r.body, r.hash, r.sig);
    });
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    for (let t = 0; t < transactions; t++) {
      const rows = [];
      for (let i = 0; i < rowsPerTransaction; i++) {
        const body = JSON.stringify({ ...template, chain_index: idx });
        const bytes = Buffer.from(body);
        rows.push({
          idx: idx++,
          body,
          hash: createHash('sha256').update(bytes).digest(),
          sig: sign(null, bytes, privateKey),
        });
      }
      write(rows);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    db.close();
    return {
      rowsPerSecond: idx / seconds,
      rows: idx,
      cpuMicrosPerRow: (cpu.user + cpu.system) / idx,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A typical event body, about 600 bytes canonicalised. */
export function sampleEvent(i) {
  return {
    action: 'document.shared',
    actor: { id: `user_${i % 500}`, type: 'user', name: 'Ada Lovelace', email: 'ada@example.com' },
    targets: [
      { id: `doc_${i}`, type: 'document', name: 'Q3 board deck' },
      { id: 'team_42', type: 'team' },
    ],
    metadata: { plan: 'enterprise', seats: 250, via: 'share-dialog', sso: true },
    context: {
      ip: '203.0.113.7',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
      request_id: `req_${i}`,
    },
    outcome: 'success',
  };
}
