import { MAX_TREE_SIZE, bytesToHex } from '@logproof/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../errors.js';
import {
  CheckpointJsonSchema,
  PublishedKeySchema,
  sendCheckpoint,
  keyView,
} from '../http/log-views.js';
import { ProblemSchema } from '../http/schemas.js';
import type { OrgKeys } from '../services/org-keys.js';
import type { VerificationService } from '../services/verification-service.js';
import type { OrgRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

export interface PublicRoutesOptions {
  readonly store: Store;
  readonly verification: VerificationService;
  readonly orgKeys: Pick<OrgKeys, 'originOf'>;
}

// API.md "Verification": the only data routes without an API key, so that
// auditors, monitors and witnesses can follow a log without an account. They
// take the org id (org_...), which is in every checkpoint's origin, never the
// vendor's external id, and show nothing about the events themselves: signed
// checkpoints, verifier keys, and the consistency proofs (interior Merkle
// hashes) a monitor needs to check that the log only grew.

const Params = Type.Object({
  // No pattern: an external id or any other unknown name is a 404 like an unknown id.
  org: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'The org id (org_...), as in the log origin',
  }),
});

function publicHeaders(reply: FastifyReply, cacheControl: string): void {
  // Monitors may run in a browser; nothing here is private.
  void reply.header('access-control-allow-origin', '*').header('cache-control', cacheControl);
}

export default async function publicRoutes(app: FastifyInstance, options: PublicRoutesOptions) {
  const { store, verification, orgKeys } = options;

  async function findOrg(orgId: string): Promise<OrgRecord> {
    const org = await store.getOrgById(orgId);
    if (!org) throw new ApiError('not_found', `no log ${JSON.stringify(orgId)}`);
    return org;
  }

  app.get(
    '/v1/public/logs/:org/checkpoint',
    {
      schema: {
        tags: ['public'],
        summary: "The latest signed checkpoint of an org's log (no API key)",
        description:
          'A C2SP signed note (text/plain) by default; with `Accept: application/json` an object holding the note and its parsed fields. Verify it with a key from GET /v1/public/logs/{org}/keys obtained out of band.',
        params: Params,
        response: { 200: CheckpointJsonSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const org = await findOrg((request.params as { org: string }).org);
      const checkpoint = await verification.latestCheckpoint(org.id);
      if (!checkpoint) throw new ApiError('not_found', 'the log has no checkpoint yet');
      publicHeaders(reply, 'no-cache');
      return sendCheckpoint(request, reply, checkpoint, orgKeys.originOf(org.id), () =>
        verification.publishedKeys(org.id),
      );
    },
  );

  app.get(
    '/v1/public/logs/:org/keys',
    {
      schema: {
        tags: ['public'],
        summary: "Every verifier key of an org's log, current and retired (no API key)",
        description:
          'Retired keys stay listed: events and checkpoints signed before a rotation verify with them.',
        params: Params,
        response: {
          200: Type.Object({ origin: Type.String(), data: Type.Array(PublishedKeySchema) }),
          400: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const org = await findOrg((request.params as { org: string }).org);
      publicHeaders(reply, 'public, max-age=60');
      return {
        origin: orgKeys.originOf(org.id),
        data: (await verification.publishedKeys(org.id)).map(keyView),
      };
    },
  );

  app.get(
    '/v1/public/logs/:org/proofs/consistency',
    {
      schema: {
        tags: ['public'],
        summary: 'RFC 6962 consistency proof between two tree sizes (no API key)',
        description:
          'The same proof as GET /v1/orgs/{org}/proofs/consistency: that the tree of `from` leaves is a prefix of the tree of `to` leaves (default: the current size). A monitor verifies it between two checkpoints it verified with a key obtained out of band.',
        params: Params,
        querystring: Type.Object(
          {
            from: Type.Integer({
              minimum: 0,
              maximum: MAX_TREE_SIZE,
              description: 'The older tree size',
            }),
            to: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: MAX_TREE_SIZE,
                description: 'The newer tree size',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            from_size: Type.Integer(),
            to_size: Type.Integer(),
            hashes: Type.Array(Type.String({ description: 'hex' })),
          }),
          400: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const org = await findOrg((request.params as { org: string }).org);
      const q = request.query as { from: number; to?: number };
      const to = q.to ?? org.treeSize;
      const hashes = await verification.consistencyProof(org, q.from, to);
      // Between two given sizes the proof never changes (the log only grows).
      publicHeaders(reply, q.to === undefined ? 'no-cache' : 'public, max-age=86400');
      return { from_size: q.from, to_size: to, hashes: hashes.map(bytesToHex) };
    },
  );
}
