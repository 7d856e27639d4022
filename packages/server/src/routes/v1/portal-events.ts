import { StoredEventSchema } from '@logproof/core';
import { Type, type TObject, type TProperties } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.js';
import {
  CheckpointJsonSchema,
  PublishedKeySchema,
  checkpointJson,
  keyView,
} from '../../http/log-views.js';
import { requestContext } from '../../http/portal-cookie.js';
import type { EventOrder } from '../../query/event-filter.js';
import { toStoredEvent } from '../../services/event-service.js';
import type { ExportFormat } from '../../store/export-port.js';
import type { EventRecord } from '../../store/records.js';
import {
  EventListQuerystring,
  readEventListRequest,
  readEventPage,
  type EventListQuery,
} from './events-list.js';
import {
  ExportQuerystring,
  definedStrings,
  readExportRequest,
  sendExportStream,
} from './exports.js';
import {
  PORTAL_TAG,
  SESSION_SECURITY,
  requireSession,
  sessionProblems,
  type PortalSessionRoutesOptions,
} from './portal-session.js';
import { EventVerificationSchema, eventVerificationView } from './verification.js';

// The portal's reads of its session's org log: the GET /v1/events listing,
// single events with their verification, the checkpoint, the keys and the
// streamed export, each the admin route's own code with the org forced.

/**
 * An admin querystring without its `org` parameter: the session's org is
 * forced, and an `org` sent anyway is a 400 (an unknown parameter).
 */
function withoutOrg(schema: TObject<TProperties>): TObject<TProperties> {
  const properties = Object.fromEntries(
    Object.entries(schema.properties).filter(([name]) => name !== 'org'),
  );
  return Type.Object(properties, { additionalProperties: false });
}

const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Event id (evt_...)' }),
});

const view = { portal: { permission: 'view' } } as const;

export default async function portalEventRoutes(
  app: FastifyInstance,
  options: PortalSessionRoutesOptions,
) {
  const { store, portal, verification, orgKeys, exports } = options;

  /** The session org's event, or the very 404 an unknown id gets: another org's events do not exist here. */
  async function findEvent(request: FastifyRequest): Promise<EventRecord> {
    const session = requireSession(request);
    const { id } = request.params as { id: string };
    const event = await store.getEvent(session.projectId, id);
    if (!event || event.orgId !== session.orgId) {
      throw new ApiError('not_found', `no event ${JSON.stringify(id)} in this project`);
    }
    return event;
  }

  app.get(
    '/v1/portal/events',
    {
      config: view,
      schema: {
        tags: [PORTAL_TAG],
        summary: "List and search the session org's events",
        description:
          'Exactly GET /v1/events (filters, `q`, order, keyset pages), restricted to the session’s org. There is no `org` parameter (sending one is a 400).',
        security: SESSION_SECURITY,
        querystring: withoutOrg(EventListQuerystring),
        response: {
          200: Type.Object({
            data: Type.Array(StoredEventSchema),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...sessionProblems(),
        },
      },
    },
    async (request) => {
      const session = requireSession(request);
      const params = { ...(request.query as EventListQuery), org: session.orgId };
      const list = await readEventListRequest(store, session.projectId, params);
      const page = await readEventPage(store, session.projectId, list);
      return { data: page.rows.map(toStoredEvent), next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/portal/events/:id',
    {
      config: view,
      schema: {
        tags: [PORTAL_TAG],
        summary: 'Get one event of the session org',
        description: 'Another org’s event is a 404, exactly as an unknown id.',
        security: SESSION_SECURITY,
        params: IdParams,
        response: { 200: StoredEventSchema, ...sessionProblems(404) },
      },
    },
    async (request) => toStoredEvent(await findEvent(request)),
  );

  app.get(
    '/v1/portal/events/:id/canonical',
    {
      config: view,
      schema: {
        tags: [PORTAL_TAG],
        summary: 'The exact canonical bytes of an event (PROOFS.md §2)',
        description:
          'As GET /v1/events/{id}/canonical: the bytes that were leaf-hashed and signed.',
        security: SESSION_SECURITY,
        params: IdParams,
        response: { 200: { description: 'JCS bytes', type: 'string' }, ...sessionProblems(404) },
      },
    },
    async (request, reply) => {
      const event = await findEvent(request);
      void reply.type('application/json');
      return Buffer.from(event.canonical, 'utf8');
    },
  );

  app.get(
    '/v1/portal/events/:id/verify',
    {
      config: { portal: { permission: 'verify' } },
      schema: {
        tags: [PORTAL_TAG],
        summary: 'Verify one event (permission verify)',
        description:
          'Exactly GET /v1/events/{id}/verify, with the event. The portal repeats every check in the browser from the event, the checkpoint, the inclusion proof and the published keys; it never trusts `valid`.',
        security: SESSION_SECURITY,
        params: IdParams,
        response: { 200: EventVerificationSchema, ...sessionProblems(404) },
      },
    },
    async (request) => {
      const event = await findEvent(request);
      return eventVerificationView(await verification.verifyEvent(event.projectId, event.id));
    },
  );

  app.get(
    '/v1/portal/checkpoint',
    {
      config: view,
      schema: {
        tags: [PORTAL_TAG],
        summary: "The latest signed checkpoint of the session org's log (JSON)",
        description: 'As GET /v1/orgs/{org}/checkpoint with `Accept: application/json`.',
        security: SESSION_SECURITY,
        response: { 200: CheckpointJsonSchema, ...sessionProblems() },
      },
    },
    async (request) => {
      const { orgId } = requireSession(request);
      const [checkpoint, keys] = await Promise.all([
        store.latestCheckpoint(orgId),
        verification.publishedKeys(orgId),
      ]);
      if (!checkpoint) throw new Error(`org ${orgId} has no checkpoint`);
      return checkpointJson(
        checkpoint,
        orgKeys.originOf(orgId),
        keys.find((k) => k.record.keyId === checkpoint.keyId) ?? null,
      );
    },
  );

  app.get(
    '/v1/portal/keys',
    {
      config: view,
      schema: {
        tags: [PORTAL_TAG],
        summary: "Every signing key of the session org's log, current and retired",
        security: SESSION_SECURITY,
        response: {
          200: Type.Object({ data: Type.Array(PublishedKeySchema) }),
          ...sessionProblems(),
        },
      },
    },
    async (request) => ({
      data: (await verification.publishedKeys(requireSession(request).orgId)).map(keyView),
    }),
  );

  app.get(
    '/v1/portal/export',
    {
      config: { portal: { permission: 'export' } },
      schema: {
        tags: [PORTAL_TAG],
        summary: "Export the session org's events (permission export)",
        description:
          'Exactly GET /v1/events/export (same formats and filters, streamed as an attachment), of the session’s org; no `org` parameter. A GET, so that a plain download link works: it is guarded by SameSite=Strict and the Sec-Fetch-Site / Origin check. Records `logproof.portal.exported` with the format and filters.',
        security: SESSION_SECURITY,
        querystring: withoutOrg(ExportQuerystring),
        response: {
          200: { description: 'The export file, as an attachment' },
          ...sessionProblems(404),
        },
      },
    },
    async (request, reply) => {
      const session = requireSession(request);
      const { format, order, ...filters } = request.query as Record<string, string>;
      const exportRequest = await readExportRequest(
        store,
        session.projectId,
        format as ExportFormat,
        order as EventOrder,
        definedStrings({ ...filters, org: session.orgId, format }),
      );
      const stream = await exports.open(exportRequest);
      await portal.record(session, 'exported', requestContext(request), {
        metadata: {
          format: format!,
          filters: new URLSearchParams({ ...definedStrings(filters), order: order! }).toString(),
        },
      });
      return sendExportStream(reply, stream);
    },
  );
}
