import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../src/store/store.js';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { describeWebhookStoreContract } from './store-webhooks-contract.js';

describeWebhookStoreContract('SqliteStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'logproof-store-webhooks-'));
  const filename = join(dir, 'logproof.db');
  const stores: Store[] = [new SqliteStore({ filename })];
  return {
    store: stores[0]!,
    async openPeer() {
      const peer = new SqliteStore({ filename });
      stores.push(peer);
      return peer;
    },
    async cleanup() {
      for (const s of stores) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
