import { bytesToHex, formatVerifierKey, type CryptoProvider } from '@logproof/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { PublishedKeySchema, keyView, sendCheckpoint } from '../../http/log-views.js';
import { PageQuery, pageOf, problemResponses, toPage } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import type { OrgKeys } from '../../services/org-keys.js';
import type { SelfAudit } from '../../services/self-audit.js';
import type { Tenancy } from '../../services/tenancy.js';
import type { VerificationService } from '../../services/verification-service.js';
import type { OrgRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';

export interface OrgRoutesOptions {
  readonly tenancy: Tenancy;
  readonly orgKeys: OrgKeys;
  readonly store: Store;
  readonly crypto: CryptoProvider;
  readonly selfAudit: SelfAudit;
  readonly verification: VerificationService;
}

const ExternalId = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: '^[\\x21-\\x7e]+$',
  description:
    "The vendor's own id for this end customer: printable ASCII, no spaces; never changes",
});

const OrgInput = Type.Object(
  {
    external_id: ExternalId,
    name: Type.String({ minLength: 1, maxLength: 256 }),
    metadata: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' }),
        Type.String({ maxLength: 2048 }),
        {
          maxProperties: 64,
          description: 'Flat string map, at most 64 keys',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const OrgSchema = Type.Object({
  id: Type.String({ description: 'org_...' }),
  external_id: Type.String(),
  name: Type.String(),
  metadata: Type.Record(Type.String(), Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  origin: Type.String({ description: 'The log origin and signing key name (PROOFS.md §1)' }),
  tree_size: Type.Integer({ description: 'Number of events in the log' }),
  root_hash: Type.String({ description: 'Current RFC 6962 root, hex' }),
  key_id: Type.String({ description: 'Current signing key ID, 8 hex digits' }),
  verifier_key: Type.String({ description: 'C2SP verifier key of the current signing key' }),
  self_audit: Type.Union(
    [
      Type.Object({
        checked_at: Type.String({ format: 'date-time' }),
        valid: Type.Boolean(),
        tree_size: Type.Integer({ description: 'The log size that run verified' }),
        first_bad_index: Type.Union([Type.Integer(), Type.Null()], {
          description: 'The first chain_index found changed; null when valid',
        }),
      }),
      Type.Null(),
    ],
    {
      description:
        "This server process's last background re-verification of the log; null before the first",
    },
  ),
});

const OrgParams = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 256, description: 'Org id or external id' }),
});

export default async function orgRoutes(app: FastifyInstance, options: OrgRoutesOptions) {
  const { tenancy, orgKeys, store, selfAudit, verification } = options;

  async function view(org: OrgRecord) {
    const signer = await orgKeys.currentSigner(org.id);
    const audit = selfAudit.resultFor(org.id);
    return {
      id: org.id,
      external_id: org.externalId,
      name: org.name,
      metadata: org.metadata,
      created_at: new Date(org.createdAt).toISOString(),
      origin: orgKeys.originOf(org.id),
      tree_size: org.treeSize,
      root_hash: bytesToHex(org.rootHash),
      key_id: signer.keyIdHex,
      verifier_key: signer.verifierKey,
      self_audit: audit && {
        checked_at: new Date(audit.checkedAt).toISOString(),
        valid: audit.valid,
        tree_size: audit.treeSize,
        first_bad_index: audit.firstBadIndex,
      },
    };
  }

  async function findOrg(projectId: string, ref: string): Promise<OrgRecord> {
    const org = await tenancy.findOrg(projectId, ref);
    if (!org) throw new ApiError('not_found', `no org ${JSON.stringify(ref)} in this project`);
    return org;
  }

  for (const url of ['/v1/orgs', '/v1/audit/orgs']) {
    app.post(
      url,
      {
        config: { scopes: ['admin'] },
        schema: {
          tags: ['orgs'],
          summary:
            url === '/v1/orgs'
              ? 'Create an org (idempotent on external_id)'
              : 'Create an org (alias of POST /v1/orgs)',
          description:
            'Creates the org, its log and its Ed25519 signing key, and signs the empty checkpoint. Repeating an existing external_id returns that org with 200.',
          body: OrgInput,
          response: { 201: OrgSchema, 200: OrgSchema, ...problemResponses() },
        },
      },
      async (request, reply) => {
        const body = request.body as {
          external_id: string;
          name: string;
          metadata?: Record<string, string>;
        };
        const { org, created } = await tenancy.createOrg(requireKey(request).projectId, {
          externalId: body.external_id,
          name: body.name,
          ...(body.metadata ? { metadata: body.metadata } : {}),
        });
        void reply.code(created ? 201 : 200);
        return view(org);
      },
    );
  }

  app.get(
    '/v1/orgs',
    {
      config: { scopes: ['admin', 'events:read'] },
      schema: {
        tags: ['orgs'],
        summary: 'List orgs',
        querystring: PageQuery,
        response: { 200: pageOf(OrgSchema), ...problemResponses() },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query as { limit: number; cursor?: string };
      const orgs = await store.listOrgs(requireKey(request).projectId, {
        limit: limit + 1,
        ...(cursor ? { afterId: cursor } : {}),
      });
      const page = toPage(orgs, limit);
      return { data: await Promise.all(page.rows.map(view)), next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/orgs/:org',
    {
      config: { scopes: ['admin', 'events:read'] },
      schema: {
        tags: ['orgs'],
        summary: 'Get an org by id or external id',
        params: OrgParams,
        response: { 200: OrgSchema, ...problemResponses(404) },
      },
    },
    async (request) =>
      view(await findOrg(requireKey(request).projectId, (request.params as { org: string }).org)),
  );

  app.get(
    '/v1/orgs/:org/keys',
    {
      config: { scopes: ['admin', 'events:read'] },
      schema: {
        tags: ['orgs'],
        summary: "Every signing key of the org's log, current and retired",
        params: OrgParams,
        response: {
          200: Type.Object({ data: Type.Array(PublishedKeySchema) }),
          ...problemResponses(404),
        },
      },
    },
    async (request) => {
      const org = await findOrg(
        requireKey(request).projectId,
        (request.params as { org: string }).org,
      );
      return { data: (await verification.publishedKeys(org.id)).map(keyView) };
    },
  );

  app.post(
    '/v1/orgs/:org/keys/rotate',
    {
      config: { scopes: ['admin'] },
      schema: {
        tags: ['orgs'],
        summary: "Rotate the org's signing key",
        description:
          'Creates a new Ed25519 key (sealed under the master key) and retires the current one: new events and checkpoints are signed with the new key, in every server process, from the next commit on. The retired key stays listed (here and at GET /v1/public/logs/{org}/keys), so everything it signed still verifies. No body.',
        params: OrgParams,
        response: { 201: PublishedKeySchema, ...problemResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const org = await findOrg(
        requireKey(request).projectId,
        (request.params as { org: string }).org,
      );
      const key = await orgKeys.rotate(org.id);
      void reply.code(201);
      return keyView({
        record: key,
        verifierKey: formatVerifierKey(orgKeys.originOf(org.id), key.publicKey, options.crypto),
      });
    },
  );

  app.get(
    '/v1/orgs/:org/checkpoint',
    {
      config: { scopes: ['admin', 'events:read'] },
      schema: {
        tags: ['orgs'],
        summary: 'The latest signed checkpoint of the org log',
        description:
          'A C2SP signed note (text/plain) by default; with `Accept: application/json` an object holding the note and its parsed fields.',
        params: OrgParams,
        response: {
          200: Type.Object({
            origin: Type.String(),
            tree_size: Type.Integer(),
            root_hash: Type.String(),
            checkpoint: Type.String({ description: 'The signed note' }),
            key_id: Type.String(),
            verifier_key: Type.String(),
            created_at: Type.String({ format: 'date-time' }),
          }),
          ...problemResponses(404),
        },
      },
    },
    async (request, reply) => {
      const org = await findOrg(
        requireKey(request).projectId,
        (request.params as { org: string }).org,
      );
      const checkpoint = await store.latestCheckpoint(org.id);
      if (!checkpoint) throw new ApiError('not_found', 'the org has no checkpoint yet');
      return sendCheckpoint(request, reply, checkpoint, orgKeys.originOf(org.id), () =>
        verification.publishedKeys(org.id),
      );
    },
  );
}
