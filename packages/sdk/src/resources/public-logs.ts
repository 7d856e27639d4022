import { bytesToHex, isLogproofError, parseCheckpoint } from '@logproof/core';
import { LogproofNetworkError } from '../errors.js';
import type { HttpClient, HttpResponse, RequestOptions } from '../http.js';
import type { ConsistencyProofResponse, OrgKey, PublicCheckpoint } from '../types.js';

function logPath(orgId: string, rest: string): string {
  return `/v1/public/logs/${encodeURIComponent(orgId)}${rest}`;
}

function isJson(response: HttpResponse): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(response.headers.get('content-type') ?? '');
}

function invalid(what: string, cause?: unknown): LogproofNetworkError {
  return new LogproofNetworkError('invalid_response', what, cause === undefined ? {} : { cause });
}

/**
 * `client.public`: the endpoints that need no API key (API.md "Verification",
 * "Public"), for auditors, monitors and witnesses. Nothing they return is
 * trusted until verified with a key obtained out of band.
 */
export class PublicLogsResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * The latest signed checkpoint note of an org's log, as text
   * (`GET /v1/public/logs/{org id}/checkpoint`). Unverified.
   *
   * @example
   * ```ts
   * const note = await client.public.checkpointNote('org_2mZ8...');
   * const cp = verifyCheckpointNote(note, trustedKey);
   * ```
   */
  async checkpointNote(orgId: string, options: RequestOptions = {}): Promise<string> {
    const response = await this.#http.send({
      method: 'GET',
      path: logPath(orgId, '/checkpoint'),
      accept: 'text/plain',
      auth: false,
      idempotent: true,
      signal: options.signal,
    });
    if (!isJson(response)) return response.text;
    // A server may answer in the JSON form (`{ checkpoint, ... }`) anyway.
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch (cause) {
      throw invalid('the public checkpoint answer is not valid JSON', cause);
    }
    const note = (body as { checkpoint?: unknown } | null)?.checkpoint;
    if (typeof note !== 'string')
      throw invalid('the public checkpoint answer has no checkpoint note');
    return note;
  }

  /**
   * The latest checkpoint with its fields (`GET /v1/public/logs/{org id}/checkpoint`).
   * When the server sends only the note, origin, size and root are read from
   * it. Unverified: pass `checkpoint` to `verifyCheckpointNote`.
   *
   * @example
   * ```ts
   * const { checkpoint, tree_size } = await client.public.checkpoint('org_2mZ8...');
   * ```
   */
  async checkpoint(orgId: string, options: RequestOptions = {}): Promise<PublicCheckpoint> {
    const response = await this.#http.send({
      method: 'GET',
      path: logPath(orgId, '/checkpoint'),
      accept: 'application/json, text/plain;q=0.9',
      auth: false,
      idempotent: true,
      signal: options.signal,
    });
    if (isJson(response)) {
      try {
        const body = JSON.parse(response.text) as PublicCheckpoint;
        if (typeof body.checkpoint === 'string') return body;
      } catch (cause) {
        throw invalid('the public checkpoint answer is not valid JSON', cause);
      }
      throw invalid('the public checkpoint answer has no checkpoint note');
    }
    const note = response.text;
    try {
      // The note text is everything before the last blank line (C2SP signed-note).
      const cp = parseCheckpoint(note.slice(0, note.lastIndexOf('\n\n') + 1));
      return {
        origin: cp.origin,
        tree_size: cp.treeSize,
        root_hash: bytesToHex(cp.rootHash),
        checkpoint: note,
      };
    } catch (error) {
      if (!isLogproofError(error)) throw error;
      throw invalid(`the public checkpoint is not a checkpoint note: ${error.message}`, error);
    }
  }

  /**
   * Every signing key of the log (`GET /v1/public/logs/{org id}/keys`). A
   * key fetched from the server being checked proves nothing: compare it with
   * one obtained out of band before trusting it.
   *
   * @example
   * ```ts
   * const ids = (await client.public.keys('org_2mZ8...')).map((k) => k.key_id);
   * ```
   */
  async keys(orgId: string, options: RequestOptions = {}): Promise<OrgKey[]> {
    const body = await this.#http.json<{ data: OrgKey[] } | OrgKey[]>({
      method: 'GET',
      path: logPath(orgId, '/keys'),
      auth: false,
      idempotent: true,
      signal: options.signal,
    });
    return Array.isArray(body) ? body : body.data;
  }

  /**
   * An RFC 6962 consistency proof between two sizes of the log, without a key
   * (`GET /v1/public/logs/{org id}/proofs/consistency?from=M&to=N`): what a
   * monitor needs to check that the log only grew.
   *
   * @example
   * ```ts
   * const proof = await client.public.consistencyProof('org_2mZ8...', 10, 42);
   * verifyConsistencyBetween(oldNote, newNote, proof, trustedKey);
   * ```
   */
  consistencyProof(
    orgId: string,
    from: number,
    to: number,
    options: RequestOptions = {},
  ): Promise<ConsistencyProofResponse> {
    return this.#http.json<ConsistencyProofResponse>({
      method: 'GET',
      path: logPath(orgId, '/proofs/consistency'),
      query: { from, to },
      auth: false,
      idempotent: true,
      signal: options.signal,
    });
  }
}
