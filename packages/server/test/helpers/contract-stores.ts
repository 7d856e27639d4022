import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/store/store.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { createTestDatabase } from './postgres.js';

/** What a port contract suite opens per test: a store, peers on the same database, cleanup. */
export interface ContractStores {
  readonly store: Store;
  /** Another store on the same database, standing in for a second server process. */
  openPeer(): Promise<Store>;
  cleanup(): Promise<void>;
}

function track(open: () => Store, dispose: () => Promise<void>): ContractStores {
  const stores: Store[] = [open()];
  return {
    store: stores[0]!,
    async openPeer() {
      const peer = open();
      stores.push(peer);
      return peer;
    },
    async cleanup() {
      for (const s of stores) await s.close();
      await dispose();
    },
  };
}

/**
 * A fresh SQLite file in a temporary folder, removed on cleanup. Appends are
 * committed on the store's writer thread unless `appendThread` is false.
 */
export async function openSqliteContractStores(
  options: { appendThread?: boolean } = {},
): Promise<ContractStores> {
  const dir = await mkdtemp(join(tmpdir(), 'logproof-contract-'));
  const filename = join(dir, 'logproof.db');
  return track(
    () => new SqliteStore({ filename, ...options }),
    () => rm(dir, { recursive: true, force: true }),
  );
}

/** A fresh PostgreSQL database, dropped on cleanup. */
export async function openPostgresContractStores(): Promise<ContractStores> {
  const db = await createTestDatabase();
  // A small pool, so that a connection leaked by a failed transaction shows up quickly.
  return track(
    () => new PostgresStore({ connectionString: db.url, max: 4 }),
    () => db.drop(),
  );
}
