import type { HttpClient, RequestOptions } from '../http.js';
import type { HashLookup } from '../types.js';

/** `client.hashes`: was a hash ever issued by this project's logs? */
export class HashesResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Looks a chain or leaf hash up (`GET /v1/hashes/{hex}`).
   *
   * @example
   * ```ts
   * const { found, event_id } = await client.hashes.lookup(receipt.hash);
   * ```
   */
  lookup(hex: string, options: RequestOptions = {}): Promise<HashLookup> {
    return this.#http.json<HashLookup>({
      method: 'GET',
      path: `/v1/hashes/${encodeURIComponent(hex)}`,
      idempotent: true,
      signal: options.signal,
    });
  }
}
