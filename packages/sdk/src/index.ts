// @logproof/sdk: the typed API client, the batching sender and offline
// verification. No Node-only API anywhere: it runs in Node 20 and browsers.
export { Logproof } from './client.js';
export type { ClientOptions, RequestOptions } from './http.js';
export {
  LogproofApiError,
  LogproofNetworkError,
  type ApiProblemCode,
  type NetworkErrorCode,
  type Problem,
  type ProblemItem,
} from './errors.js';
export { generateIdempotencyKey } from './idempotency-key.js';
export {
  BatchSender,
  type BatchSenderOptions,
  type BatchSenderStats,
  type SendBatch,
} from './batch-sender.js';
export type { CreateOptions, EventsResource } from './resources/events.js';
export type { OrgsResource } from './resources/orgs.js';
export type { ApiKeysResource } from './resources/api-keys.js';
export type { HashesResource } from './resources/hashes.js';
export type { PublicLogsResource } from './resources/public-logs.js';
export * from './types.js';
export * from './verify.js';
