import { openPostgresContractStores } from './helpers/contract-stores.js';
import { describeWithPostgres } from './helpers/postgres.js';
import { describePortalStoreContract } from './store-portal-contract.js';

describeWithPostgres('PostgreSQL', () => {
  describePortalStoreContract('PostgresStore', openPostgresContractStores);
});
