import { MAX_TREE_SIZE, StoredEventSchema, bytesToHex } from '@logproof/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { CheckpointJsonSchema, sendCheckpoint } from '../../http/log-views.js';
import { problemResponses } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import { toStoredEvent } from '../../services/event-service.js';
import type { OrgKeys } from '../../services/org-keys.js';
import type { Tenancy } from '../../services/tenancy.js';
import type {
  EventVerification,
  VerificationService,
} from '../../services/verification-service.js';
import type { OrgRecord } from '../../store/records.js';

export interface VerificationRoutesOptions {
  readonly tenancy: Tenancy;
  readonly verification: VerificationService;
  readonly orgKeys: Pick<OrgKeys, 'originOf'>;
}

const Hex = Type.String({ description: 'SHA-256, 64 lowercase hex digits' });
const Size = (description: string) =>
  Type.Integer({ minimum: 0, maximum: MAX_TREE_SIZE, description });
const OrgParams = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 256, description: 'Org id or external id' }),
});
const READ = { scopes: ['admin', 'events:read'] as const };
const MAX_CONCURRENT_LOG_VERIFICATIONS = 2;

export const EventVerificationSchema = Type.Object({
  event_id: Type.String(),
  valid: Type.Boolean({ description: 'Every check passed' }),
  checks: Type.Object({
    canonical: Type.Boolean({
      description: 'The stored bytes are RFC 8785 canonical JSON of this event at this position',
    }),
    leaf_hash: Type.Boolean({ description: 'leaf_hash = SHA-256(0x00 || canonical bytes)' }),
    chain_link: Type.Boolean({
      description:
        'previous_hash is the hash of the event before, and hash = SHA-256(previous_hash || leaf_hash)',
    }),
    signature: Type.Boolean({
      description: 'The Ed25519 signature over the canonical bytes verifies with key_id',
    }),
    inclusion: Type.Boolean({
      description: 'inclusion_proof leads from leaf_hash to the root of the signed checkpoint',
    }),
  }),
  checkpoint: Type.String({ description: 'The latest signed checkpoint (C2SP signed note)' }),
  verifier_key: Type.Union([Type.String(), Type.Null()], {
    description:
      'Verifier key of the key that signed the event (key_id); null when key_id names no key of the org',
  }),
  checkpoint_verifier_key: Type.Union([Type.String(), Type.Null()], {
    description:
      'Verifier key of the key that signed the checkpoint; differs from verifier_key after a key rotation',
  }),
  inclusion_proof: Type.Object({
    leaf_index: Type.Integer(),
    tree_size: Type.Integer(),
    hashes: Type.Array(Hex, { description: 'RFC 6962 audit path, leaf upwards' }),
  }),
  event: Type.Optional(StoredEventSchema),
});

/** The answer of GET /v1/events/{id}/verify (and of the portal's verify). */
export function eventVerificationView(v: EventVerification) {
  let event: unknown;
  try {
    event = toStoredEvent(v.event);
  } catch {
    // Stored bytes that are not JSON any more: the checks say so.
  }
  return {
    event_id: v.event.id,
    valid: Object.values(v.checks).every(Boolean),
    checks: v.checks,
    checkpoint: v.checkpoint.note,
    // Null only for a row whose key_id was changed: the checks say so.
    verifier_key: v.eventKey?.verifierKey ?? null,
    checkpoint_verifier_key: v.checkpointKey?.verifierKey ?? null,
    inclusion_proof: {
      leaf_index: v.event.chainIndex,
      tree_size: v.checkpoint.treeSize,
      hashes: v.inclusionProof.map(bytesToHex),
    },
    ...(event === undefined ? {} : { event }),
  };
}

const ProblemItemSchema = Type.Object({
  chain_index: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The first position the problem concerns (null: none, e.g. the empty checkpoint)',
  }),
  event_id: Type.Union([Type.String(), Type.Null()], {
    description: 'The event stored there, if any',
  }),
  check: Type.Union(
    [
      'missing',
      'canonical',
      'leaf_hash',
      'chain_link',
      'signature',
      'tree_hash',
      'root',
      'checkpoint',
      'head',
    ].map((c) => Type.Literal(c)),
  ),
  detail: Type.String(),
});

const LogVerificationSchema = Type.Object({
  valid: Type.Boolean(),
  tree_size: Type.Integer({ description: 'The log size verified: the head when the run started' }),
  root_hash: Type.Union([Hex, Type.Null()], { description: 'The recomputed RFC 6962 root' }),
  checked: Type.Integer({ description: 'Events checked' }),
  problems: Type.Array(ProblemItemSchema, { description: 'In log order; at most 1000' }),
  problems_truncated: Type.Boolean({ description: 'More problems were found than listed' }),
  duration_ms: Type.Number(),
});

export default async function verificationRoutes(
  app: FastifyInstance,
  options: VerificationRoutesOptions,
) {
  const { tenancy, verification, orgKeys } = options;
  let running = 0;

  async function findOrg(projectId: string, ref: string): Promise<OrgRecord> {
    const org = await tenancy.findOrg(projectId, ref);
    if (!org) throw new ApiError('not_found', `no org ${JSON.stringify(ref)} in this project`);
    return org;
  }

  app.get(
    '/v1/events/:id/verify',
    {
      config: { scopes: ['events:read'] },
      schema: {
        tags: ['verification'],
        summary: 'Verify one event from its stored bytes',
        description:
          'Recomputes, from the stored canonical bytes: canonical form, leaf hash, chain link to the event before, Ed25519 signature, and inclusion in the latest signed checkpoint. The answer carries the checkpoint, the verifier keys and the inclusion proof, so that a client can repeat every check offline (PROOFS.md).',
        params: Type.Object({
          id: Type.String({ minLength: 1, maxLength: 64, description: 'Event id (evt_...)' }),
        }),
        response: { 200: EventVerificationSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      return eventVerificationView(
        await verification.verifyEvent(requireKey(request).projectId, id),
      );
    },
  );

  app.get(
    '/v1/orgs/:org/checkpoints',
    {
      config: READ,
      schema: {
        tags: ['verification'],
        summary: 'The checkpoint signed at exactly one tree size',
        description:
          'A C2SP signed note (text/plain) by default; with `Accept: application/json` an object holding the note and its parsed fields. 404 when no checkpoint was signed at that size (one is signed per committed batch, not per size).',
        params: OrgParams,
        querystring: Type.Object(
          { tree_size: Size('The tree size') },
          { additionalProperties: false },
        ),
        response: { 200: CheckpointJsonSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const org = await findOrg(
        requireKey(request).projectId,
        (request.params as { org: string }).org,
      );
      const { tree_size: size } = request.query as { tree_size: number };
      const checkpoint = await verification.checkpointAt(org.id, size);
      if (!checkpoint)
        throw new ApiError('not_found', `no checkpoint was signed at tree size ${size}`);
      return sendCheckpoint(request, reply, checkpoint, orgKeys.originOf(org.id), () =>
        verification.publishedKeys(org.id),
      );
    },
  );

  app.get(
    '/v1/orgs/:org/proofs/inclusion',
    {
      config: READ,
      schema: {
        tags: ['verification'],
        summary: 'RFC 6962 inclusion proof of one event',
        description:
          'The audit path of leaf `leaf_index` (or of the event `event_id`) in the tree of `tree_size` leaves (default: the current size). Verify it against the root of the checkpoint signed at that size (GET /v1/orgs/{org}/checkpoints?tree_size=N).',
        params: OrgParams,
        querystring: Type.Object(
          {
            leaf_index: Type.Optional(Size('The event position (chain_index); or give event_id')),
            event_id: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 64,
                description: 'The event; or give leaf_index',
              }),
            ),
            tree_size: Type.Optional(Size('The tree size; default the current size')),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            leaf_index: Type.Integer(),
            tree_size: Type.Integer(),
            leaf_hash: Hex,
            hashes: Type.Array(Hex, { description: 'Sibling hashes from the leaf upwards' }),
          }),
          ...problemResponses(404),
        },
      },
    },
    async (request) => {
      const projectId = requireKey(request).projectId;
      const org = await findOrg(projectId, (request.params as { org: string }).org);
      const q = request.query as { leaf_index?: number; event_id?: string; tree_size?: number };
      if ((q.leaf_index === undefined) === (q.event_id === undefined)) {
        throw new ApiError('validation_failed', 'give exactly one of leaf_index and event_id', {
          errors: [{ path: '/leaf_index', message: 'give exactly one of leaf_index and event_id' }],
        });
      }
      let leafIndex = q.leaf_index;
      if (q.event_id !== undefined) {
        const event = await verification.findEvent(projectId, q.event_id);
        if (!event || event.orgId !== org.id) {
          throw new ApiError('not_found', `no event ${JSON.stringify(q.event_id)} in this org`);
        }
        leafIndex = event.chainIndex;
      }
      const treeSize = q.tree_size ?? org.treeSize;
      const proof = await verification.inclusionProof(org, leafIndex!, treeSize);
      return {
        leaf_index: leafIndex!,
        tree_size: treeSize,
        leaf_hash: bytesToHex(proof.leafHash),
        hashes: proof.hashes.map(bytesToHex),
      };
    },
  );

  app.get(
    '/v1/orgs/:org/proofs/consistency',
    {
      config: READ,
      schema: {
        tags: ['verification'],
        summary: 'RFC 6962 consistency proof between two tree sizes',
        description:
          'Proves that the tree of `from` leaves is a prefix of the tree of `to` leaves (default: the current size), i.e. that the log was only appended to. Empty from 0 or between equal sizes. `from` > `to` or `to` past the log is a 400.',
        params: OrgParams,
        querystring: Type.Object(
          {
            from: Size('The older tree size'),
            to: Type.Optional(Size('The newer tree size; default the current size')),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            from_size: Type.Integer(),
            to_size: Type.Integer(),
            hashes: Type.Array(Hex),
          }),
          ...problemResponses(404),
        },
      },
    },
    async (request) => {
      const org = await findOrg(
        requireKey(request).projectId,
        (request.params as { org: string }).org,
      );
      const q = request.query as { from: number; to?: number };
      const to = q.to ?? org.treeSize;
      const hashes = await verification.consistencyProof(org, q.from, to);
      return { from_size: q.from, to_size: to, hashes: hashes.map(bytesToHex) };
    },
  );

  app.post(
    '/v1/orgs/:org/verify',
    {
      config: READ,
      // The body is optional: no body means {}.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['verification'],
        summary: "Re-verify the org's whole log from the stored bytes",
        description:
          'Streams the log in chain_index order (bounded memory) and recomputes everything from the stored canonical bytes: leaf hashes, the hash chain, the stored Merkle tree hashes, the RFC 6962 root at every signed checkpoint, and every checkpoint signature; with `{"signatures": true}` every event signature too. A row changed in the database behind the server (content edited, deleted, moved, a hash edited) is reported in `problems`, named by chain_index. Verifies up to the size the log had when the request started.',
        params: OrgParams,
        body: Type.Object(
          {
            signatures: Type.Optional(
              Type.Boolean({ description: 'Also verify every event signature (slower)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: LogVerificationSchema, ...problemResponses(404, 415, 503) },
      },
    },
    async (request) => {
      const org = await findOrg(
        requireKey(request).projectId,
        (request.params as { org: string }).org,
      );
      const { signatures = false } = request.body as { signatures?: boolean };
      // A whole-log run is CPU-bound for seconds on a large log: a few at a
      // time per process, so that they cannot starve the append path.
      if (running >= MAX_CONCURRENT_LOG_VERIFICATIONS) {
        throw new ApiError('unavailable', 'too many log verifications are running; retry shortly', {
          headers: { 'retry-after': '5' },
        });
      }
      running++;
      let result;
      try {
        result = await verification.verifyLog(org, { signatures });
      } finally {
        running--;
      }
      return {
        valid: result.valid,
        tree_size: result.treeSize,
        root_hash: result.rootHash === null ? null : bytesToHex(result.rootHash),
        checked: result.checked,
        problems: result.problems.map((p) => ({
          chain_index: p.chainIndex,
          event_id: p.eventId,
          check: p.check,
          detail: p.detail,
        })),
        problems_truncated: result.truncated,
        duration_ms: Math.round(result.durationMs * 10) / 10,
      };
    },
  );

  app.get(
    '/v1/hashes/:hex',
    {
      config: { scopes: ['events:read'] },
      schema: {
        tags: ['verification'],
        summary: 'Was this hash issued? Looks up an event hash or leaf hash',
        description:
          "Finds the project's event whose `hash` (kind `chain`) or `leaf_hash` (kind `leaf`) is the given SHA-256. Never finds another project's events. `found: false` (200) when none.",
        params: Type.Object({
          hex: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: '64 hex digits' }),
        }),
        response: {
          200: Type.Object({
            found: Type.Boolean(),
            kind: Type.Union([Type.Literal('chain'), Type.Literal('leaf'), Type.Null()]),
            event_id: Type.Union([Type.String(), Type.Null()]),
            chain_index: Type.Union([Type.Integer(), Type.Null()]),
            org: Type.Union([Type.String(), Type.Null()], {
              description: 'The org id of the event',
            }),
          }),
          ...problemResponses(),
        },
      },
    },
    async (request) => {
      const { hex } = request.params as { hex: string };
      const match = await verification.findHash(requireKey(request).projectId, hex.toLowerCase());
      if (!match) return { found: false, kind: null, event_id: null, chain_index: null, org: null };
      return {
        found: true,
        kind: match.kind,
        event_id: match.eventId,
        chain_index: match.chainIndex,
        org: match.orgId,
      };
    },
  );
}
