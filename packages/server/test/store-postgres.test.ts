import type { Store } from '../src/store/store.js';
import { PostgresStore } from '../src/stores/postgres/postgres-store.js';
import { createTestDatabase, describeWithPostgres } from './helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

describeWithPostgres('PostgreSQL', () => {
  describeStoreContract('PostgresStore', async () => {
    const db = await createTestDatabase();
    // A small pool, so that a connection leaked by a failed transaction shows up quickly.
    const open = () => new PostgresStore({ connectionString: db.url, max: 4 });
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
        await db.drop();
      },
    };
  });
});
