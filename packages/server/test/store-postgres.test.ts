import { openPostgresContractStores } from './helpers/contract-stores.js';
import { describeWithPostgres } from './helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

describeWithPostgres('PostgreSQL', () => {
  describeStoreContract('PostgresStore', openPostgresContractStores);
});
