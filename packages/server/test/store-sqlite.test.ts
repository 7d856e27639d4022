import { openSqliteContractStores } from './helpers/contract-stores.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('SqliteStore', openSqliteContractStores);
