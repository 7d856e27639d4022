import { openSqliteContractStores } from './helpers/contract-stores.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('SqliteStore', () => openSqliteContractStores());
// The same contract with appends committed on the request thread: what a
// store does for ':memory:' and after its writer thread stopped.
describeStoreContract('SqliteStore (appends on the request thread)', () =>
  openSqliteContractStores({ appendThread: false }),
);
