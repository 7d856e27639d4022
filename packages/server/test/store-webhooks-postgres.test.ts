import type { Store } from '../src/store/store.js';
import { PostgresStore } from '../src/stores/postgres/postgres-store.js';
import { createTestDatabase, describeWithPostgres } from './helpers/postgres.js';
import { describeWebhookStoreContract } from './store-webhooks-contract.js';

describeWithPostgres('PostgreSQL', () => {
  describeWebhookStoreContract('PostgresStore', async () => {
    const db = await createTestDatabase();
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
