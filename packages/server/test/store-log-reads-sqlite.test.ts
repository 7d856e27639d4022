import { openSqliteContractStores } from './helpers/contract-stores.js';
import { describeLogReadsContract } from './store-log-reads-contract.js';

describeLogReadsContract('SqliteStore', openSqliteContractStores);
