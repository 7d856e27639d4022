export { buildApp, loggerOptions, type AppDeps } from './app.js';
export { readConfig, ConfigError, type Config } from './config.js';
export {
  createLogproof,
  initProject,
  openStore,
  loadMasterKey,
  startWebhookWorker,
  type Logproof,
} from './logproof.js';
export { ApiError, type ApiErrorCode } from './errors.js';
export type { Store } from './store/store.js';
export { SqliteStore } from './stores/sqlite/sqlite-store.js';
export { PostgresStore } from './stores/postgres/postgres-store.js';
export { Tenancy } from './services/tenancy.js';
