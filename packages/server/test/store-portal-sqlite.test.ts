import { openSqliteContractStores } from './helpers/contract-stores.js';
import { describePortalStoreContract } from './store-portal-contract.js';

describePortalStoreContract('SqliteStore', openSqliteContractStores);
