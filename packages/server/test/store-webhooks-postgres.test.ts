import { openPostgresContractStores } from './helpers/contract-stores.js';
import { describeWithPostgres } from './helpers/postgres.js';
import { describeWebhookStoreContract } from './store-webhooks-contract.js';

describeWithPostgres('PostgreSQL', () => {
  describeWebhookStoreContract('PostgresStore', openPostgresContractStores);
});
