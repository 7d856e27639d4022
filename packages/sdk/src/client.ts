import { HttpClient, type ClientOptions } from './http.js';
import { ApiKeysResource } from './resources/api-keys.js';
import { EventsResource } from './resources/events.js';
import { HashesResource } from './resources/hashes.js';
import { OrgsResource } from './resources/orgs.js';
import { PublicLogsResource } from './resources/public-logs.js';

/**
 * A typed client for the Logproof HTTP API (API.md). Uses the global `fetch`
 * (Node 20, browsers); every request times out after `timeoutMs`, and
 * requests that are safe to repeat are retried on network errors, 429 and
 * 503 with back-off, honouring `Retry-After`. Event writes always carry an
 * Idempotency-Key, so their retries never record an event twice.
 *
 * @example
 * ```ts
 * import { Logproof, verifyEvent } from '@logproof/sdk';
 *
 * const client = new Logproof({ apiKey: process.env.LOGPROOF_KEY, baseUrl: 'https://logproof.example.com' });
 * const event = await client.events.create({ org: 'acme-prod', action: 'user.login', actor: { id: 'user_1' } });
 * const { verifier_key } = await client.orgs.get('acme-prod');
 * verifyEvent(event, { verifierKeys: verifier_key }).valid; // true
 * ```
 */
export class Logproof {
  /** Record, read, list and verify events. */
  readonly events: EventsResource;
  /** Orgs, their keys, checkpoints and proofs. */
  readonly orgs: OrgsResource;
  /** The project's API keys (admin). */
  readonly apiKeys: ApiKeysResource;
  /** Hash lookups. */
  readonly hashes: HashesResource;
  /** Endpoints that need no API key: checkpoints, keys and consistency proofs of a log. */
  readonly public: PublicLogsResource;

  constructor(options: ClientOptions) {
    const http = new HttpClient(options);
    this.events = new EventsResource(http);
    this.orgs = new OrgsResource(http);
    this.apiKeys = new ApiKeysResource(http);
    this.hashes = new HashesResource(http);
    this.public = new PublicLogsResource(http);
  }
}
