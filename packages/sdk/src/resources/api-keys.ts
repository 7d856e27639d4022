import type { HttpClient, RequestOptions } from '../http.js';
import type { ApiKey, CreatedApiKey, Scope } from '../types.js';

/** `client.apiKeys`: the project's API keys (admin scope). */
export class ApiKeysResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Creates an API key (`POST /v1/api-keys`); its `secret` is in this answer
   * only. Not retried: a repeat would create a second key.
   *
   * @example
   * ```ts
   * const { secret } = await client.apiKeys.create({ name: 'ingest', scopes: ['events:write'] });
   * ```
   */
  create(
    input: { name: string; scopes: Scope[] },
    options: RequestOptions = {},
  ): Promise<CreatedApiKey> {
    return this.#http.json<CreatedApiKey>({
      method: 'POST',
      path: '/v1/api-keys',
      body: input,
      idempotent: false,
      signal: options.signal,
    });
  }

  /**
   * Every API key of the project, never their secrets (`GET /v1/api-keys`).
   *
   * @example
   * ```ts
   * const active = (await client.apiKeys.list()).filter((k) => k.revoked_at === null);
   * ```
   */
  async list(options: RequestOptions = {}): Promise<ApiKey[]> {
    const body = await this.#http.json<{ data: ApiKey[] }>({
      method: 'GET',
      path: '/v1/api-keys',
      idempotent: true,
      signal: options.signal,
    });
    return body.data;
  }

  /**
   * Revokes an API key (`DELETE /v1/api-keys/{id}`).
   *
   * @example
   * ```ts
   * await client.apiKeys.revoke(key.id);
   * ```
   */
  revoke(id: string, options: RequestOptions = {}): Promise<ApiKey> {
    return this.#http.json<ApiKey>({
      method: 'DELETE',
      path: `/v1/api-keys/${encodeURIComponent(id)}`,
      idempotent: true,
      signal: options.signal,
    });
  }
}
