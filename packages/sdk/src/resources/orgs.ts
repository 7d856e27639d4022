import type { HttpClient, RequestOptions } from '../http.js';
import type {
  CheckpointInfo,
  ConsistencyProofResponse,
  InclusionProofQuery,
  InclusionProofResponse,
  LogVerifyResponse,
  Org,
  OrgInput,
  OrgKey,
  Page,
} from '../types.js';

function orgPath(org: string, rest = ''): string {
  return `/v1/orgs/${encodeURIComponent(org)}${rest}`;
}

/** `client.orgs`: end customers, their logs, keys, checkpoints and proofs (API.md "Orgs and keys", "Verification"). */
export class OrgsResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Creates an org, or returns the existing one with that `external_id`
   * (`POST /v1/orgs`). Idempotent by definition, so it is retried safely.
   *
   * @example
   * ```ts
   * const org = await client.orgs.create({ external_id: 'acme-prod', name: 'Acme' });
   * org.verifier_key; // publish it to the customer
   * ```
   */
  create(input: OrgInput, options: RequestOptions = {}): Promise<Org> {
    return this.#http.json<Org>({
      method: 'POST',
      path: '/v1/orgs',
      body: input,
      // API.md: repeating an external_id returns the existing org.
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * One page of `GET /v1/orgs`.
   *
   * @example
   * ```ts
   * const { data, next_cursor } = await client.orgs.listPage({ limit: 10 });
   * ```
   */
  listPage(
    params: { limit?: number; cursor?: string } = {},
    options: RequestOptions = {},
  ): Promise<Page<Org>> {
    return this.#http.json<Page<Org>>({
      method: 'GET',
      path: '/v1/orgs',
      query: params,
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * Every org of the project, following `next_cursor`.
   *
   * @example
   * ```ts
   * for await (const org of client.orgs.list()) console.log(org.external_id, org.tree_size);
   * ```
   */
  async *list(params: { limit?: number } = {}, options: RequestOptions = {}): AsyncGenerator<Org> {
    let cursor: string | undefined;
    do {
      const page = await this.listPage({ ...params, ...(cursor ? { cursor } : {}) }, options);
      yield* page.data;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * One org, by id or external id (`GET /v1/orgs/{org}`).
   *
   * @example
   * ```ts
   * const { tree_size, verifier_key } = await client.orgs.get('acme-prod');
   * ```
   */
  get(org: string, options: RequestOptions = {}): Promise<Org> {
    return this.#http.json<Org>({
      method: 'GET',
      path: orgPath(org),
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * Every signing key of the org's log, current and retired (`GET /v1/orgs/{org}/keys`).
   *
   * @example
   * ```ts
   * const keys = (await client.orgs.keys('acme-prod')).map((k) => k.verifier_key);
   * ```
   */
  async keys(org: string, options: RequestOptions = {}): Promise<OrgKey[]> {
    const body = await this.#http.json<{ data: OrgKey[] }>({
      method: 'GET',
      path: orgPath(org, '/keys'),
      idempotent: true,
      signal: options.signal,
    });
    return body.data;
  }

  /**
   * Rotates the org's signing key (`POST /v1/orgs/{org}/keys/rotate`, admin).
   * Not retried: a repeat would rotate twice.
   *
   * @example
   * ```ts
   * const key = await client.orgs.rotateKey('acme-prod');
   * ```
   */
  rotateKey(org: string, options: RequestOptions = {}): Promise<OrgKey> {
    return this.#http.json<OrgKey>({
      method: 'POST',
      path: orgPath(org, '/keys/rotate'),
      idempotent: false,
      signal: options.signal,
    });
  }

  /**
   * The latest signed checkpoint (`GET /v1/orgs/{org}/checkpoint`, JSON form).
   *
   * @example
   * ```ts
   * const { checkpoint } = await client.orgs.checkpoint('acme-prod');
   * verifyCheckpointNote(checkpoint, trustedKey);
   * ```
   */
  checkpoint(org: string, options: RequestOptions = {}): Promise<CheckpointInfo> {
    return this.#http.json<CheckpointInfo>({
      method: 'GET',
      path: orgPath(org, '/checkpoint'),
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * The checkpoint signed at exactly `treeSize`, if one was
   * (`GET /v1/orgs/{org}/checkpoints?tree_size=N`).
   *
   * @example
   * ```ts
   * const then = await client.orgs.checkpointAt('acme-prod', 1200);
   * ```
   */
  checkpointAt(
    org: string,
    treeSize: number,
    options: RequestOptions = {},
  ): Promise<CheckpointInfo> {
    return this.#http.json<CheckpointInfo>({
      method: 'GET',
      path: orgPath(org, '/checkpoints'),
      query: { tree_size: treeSize },
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * An RFC 6962 inclusion proof (`GET /v1/orgs/{org}/proofs/inclusion`), by
   * leaf index and tree size or by event id.
   *
   * @example
   * ```ts
   * const proof = await client.orgs.inclusionProof('acme-prod', { event_id: event.id });
   * ```
   */
  inclusionProof(
    org: string,
    query: InclusionProofQuery,
    options: RequestOptions = {},
  ): Promise<InclusionProofResponse> {
    return this.#http.json<InclusionProofResponse>({
      method: 'GET',
      path: orgPath(org, '/proofs/inclusion'),
      query,
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * An RFC 6962 consistency proof from tree size `from` to `to`
   * (`GET /v1/orgs/{org}/proofs/consistency`).
   *
   * @example
   * ```ts
   * const proof = await client.orgs.consistencyProof('acme-prod', saved.tree_size, latest.tree_size);
   * verifyConsistencyBetween(saved.checkpoint, latest.checkpoint, proof, trustedKey);
   * ```
   */
  consistencyProof(
    org: string,
    from: number,
    to: number,
    options: RequestOptions = {},
  ): Promise<ConsistencyProofResponse> {
    return this.#http.json<ConsistencyProofResponse>({
      method: 'GET',
      path: orgPath(org, '/proofs/consistency'),
      query: { from, to },
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * Has the server recompute the whole log from its stored canonical bytes
   * (`POST /v1/orgs/{org}/verify`); with `signatures: true` every event
   * signature too. Read-only, so retried safely.
   *
   * @example
   * ```ts
   * const report = await client.orgs.verify('acme-prod', { signatures: true });
   * if (!report.valid) console.table(report.problems);
   * ```
   */
  verify(
    org: string,
    body: { signatures?: boolean } = {},
    options: RequestOptions = {},
  ): Promise<LogVerifyResponse> {
    return this.#http.json<LogVerifyResponse>({
      method: 'POST',
      path: orgPath(org, '/verify'),
      body,
      // It only reads and recomputes: running it twice changes nothing.
      idempotent: true,
      signal: options.signal,
    });
  }
}
