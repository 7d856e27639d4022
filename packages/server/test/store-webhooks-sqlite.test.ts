import { openSqliteContractStores } from './helpers/contract-stores.js';
import { describeWebhookStoreContract } from './store-webhooks-contract.js';

describeWebhookStoreContract('SqliteStore', openSqliteContractStores);
