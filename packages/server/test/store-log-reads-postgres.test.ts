import { openPostgresContractStores } from './helpers/contract-stores.js';
import { describeWithPostgres } from './helpers/postgres.js';
import { describeLogReadsContract } from './store-log-reads-contract.js';

describeWithPostgres('PostgreSQL', () => {
  describeLogReadsContract('PostgresStore', openPostgresContractStores);
});
