import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.js';
import { requestContext } from '../../http/portal-cookie.js';
import { PageQuery, pageOf } from '../../http/schemas.js';
import type { WebhookRecord } from '../../store/webhook-port.js';
import {
  PORTAL_TAG,
  SESSION_SECURITY,
  requireSession,
  sessionProblems,
  type PortalSessionRoutesOptions,
} from './portal-session.js';
import {
  Actions,
  DELIVERY_DESCRIPTION,
  DeliveriesQuery,
  DeliveriesSchema,
  Description,
  IdParams,
  TestResultSchema,
  Url,
  WebhookSchema,
  WithSecret,
  deliveriesView,
  testResultView,
  view as webhookView,
  WebhookPatchBody,
} from './webhooks.js';

// The session org's own webhook streams (permission webhooks): the admin
// routes' service and answers, limited to webhooks whose org is the
// session's. A webhook of every org, or of another org, is a 404 here.

const perm = { portal: { permission: 'webhooks' } } as const;

/** How many of the project's webhooks one list request scans for the org's, at most per page read. */
const SCAN_PAGE = 200;

export default async function portalWebhookRoutes(
  app: FastifyInstance,
  options: PortalSessionRoutesOptions,
) {
  const { webhooks, portal } = options;

  /** The session org's webhook, or the 404 an unknown id gets. */
  async function findWebhook(request: FastifyRequest): Promise<WebhookRecord> {
    const session = requireSession(request);
    const { id } = request.params as { id: string };
    const webhook = await webhooks.get(session.projectId, id).catch((error: unknown) => {
      if (error instanceof ApiError && error.code === 'not_found') return null;
      throw error;
    });
    if (!webhook || webhook.orgId !== session.orgId) {
      throw new ApiError('not_found', `no webhook ${JSON.stringify(id)} in this project`);
    }
    return webhook;
  }

  app.get(
    '/v1/portal/webhooks',
    {
      config: perm,
      schema: {
        tags: [PORTAL_TAG],
        summary: "List the session org's webhooks (never their secrets)",
        security: SESSION_SECURITY,
        querystring: PageQuery,
        response: { 200: pageOf(WebhookSchema), ...sessionProblems() },
      },
    },
    async (request) => {
      const session = requireSession(request);
      const { limit, cursor } = request.query as { limit: number; cursor?: string };
      // The port lists a project's webhooks by id; the org's are picked from
      // them (a project has few webhooks), a page at a time.
      const found: WebhookRecord[] = [];
      let afterId = cursor;
      for (;;) {
        const rows = await webhooks.list(session.projectId, {
          limit: SCAN_PAGE,
          ...(afterId ? { afterId } : {}),
        });
        for (const w of rows) if (w.orgId === session.orgId) found.push(w);
        if (found.length > limit || rows.length < SCAN_PAGE) break;
        afterId = rows.at(-1)!.id;
      }
      const page = found.slice(0, limit);
      return {
        data: page.map(webhookView),
        next_cursor: found.length > limit ? page.at(-1)!.id : null,
      };
    },
  );

  app.post(
    '/v1/portal/webhooks',
    {
      config: perm,
      schema: {
        tags: [PORTAL_TAG],
        summary: 'Create a webhook stream of the session org; its secret is shown this once',
        description: `As POST /v1/webhooks with \`org\` forced to the session's org. Records \`logproof.portal.webhook_created\`.\n\n${DELIVERY_DESCRIPTION}`,
        security: SESSION_SECURITY,
        body: Type.Object(
          {
            url: Url,
            description: Type.Optional(Description),
            actions: Type.Optional(Actions),
            enabled: Type.Optional(Type.Boolean({ default: true })),
          },
          { additionalProperties: false },
        ),
        response: { 201: WithSecret, ...sessionProblems() },
      },
    },
    async (request, reply) => {
      const session = requireSession(request);
      const body = request.body as {
        url: string;
        description?: string;
        actions?: string[];
        enabled?: boolean;
      };
      const { webhook, secret } = await webhooks.create(session.projectId, {
        ...body,
        org: session.orgId,
      });
      await portal.record(session, 'webhook_created', requestContext(request), {
        targets: [{ type: 'webhook', id: webhook.id }],
        metadata: { webhook_id: webhook.id, url: webhook.url },
      });
      void reply.code(201);
      return { ...webhookView(webhook), secret };
    },
  );

  app.patch(
    '/v1/portal/webhooks/:id',
    {
      config: perm,
      schema: {
        tags: [PORTAL_TAG],
        summary: 'Change a webhook of the session org',
        description:
          'As PATCH /v1/webhooks/{id}. Records `logproof.portal.webhook_updated` naming the members changed.',
        security: SESSION_SECURITY,
        params: IdParams,
        body: WebhookPatchBody,
        response: { 200: WebhookSchema, ...sessionProblems(404) },
      },
    },
    async (request) => {
      const session = requireSession(request);
      const { id } = await findWebhook(request);
      const body = request.body as Static<typeof WebhookPatchBody>;
      const updated = await webhooks.update(session.projectId, id, body);
      await portal.record(session, 'webhook_updated', requestContext(request), {
        targets: [{ type: 'webhook', id }],
        metadata: {
          webhook_id: id,
          changed: Object.keys(body).sort().join(','),
          enabled: updated.enabled,
        },
      });
      return webhookView(updated);
    },
  );

  app.delete(
    '/v1/portal/webhooks/:id',
    {
      config: perm,
      schema: {
        tags: [PORTAL_TAG],
        summary: 'Delete a webhook of the session org',
        description: 'Records `logproof.portal.webhook_deleted`.',
        security: SESSION_SECURITY,
        params: IdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...sessionProblems(404) },
      },
    },
    async (request, reply) => {
      const session = requireSession(request);
      const { id, url } = await findWebhook(request);
      await webhooks.delete(session.projectId, id);
      await portal.record(session, 'webhook_deleted', requestContext(request), {
        targets: [{ type: 'webhook', id }],
        metadata: { webhook_id: id, url },
      });
      void reply.code(204);
    },
  );

  app.post(
    '/v1/portal/webhooks/:id/test',
    {
      config: perm,
      schema: {
        tags: [PORTAL_TAG],
        summary: 'Send one signed test message now',
        description:
          'As POST /v1/webhooks/{id}/test. Records `logproof.portal.webhook_tested` with the outcome. No body.',
        security: SESSION_SECURITY,
        params: IdParams,
        response: { 200: TestResultSchema, ...sessionProblems(404) },
      },
    },
    async (request) => {
      const session = requireSession(request);
      const { id } = await findWebhook(request);
      const result = await webhooks.test(session.projectId, id);
      await portal.record(session, 'webhook_tested', requestContext(request), {
        targets: [{ type: 'webhook', id }],
        metadata: {
          webhook_id: id,
          ok: result.ok,
          ...(result.statusCode === null ? {} : { status_code: result.statusCode }),
        },
      });
      return testResultView(result);
    },
  );

  app.get(
    '/v1/portal/webhooks/:id/deliveries',
    {
      config: perm,
      schema: {
        tags: [PORTAL_TAG],
        summary: 'Delivery health and the most recent attempts of a webhook of the session org',
        description: 'As GET /v1/webhooks/{id}/deliveries.',
        security: SESSION_SECURITY,
        params: IdParams,
        querystring: DeliveriesQuery,
        response: { 200: DeliveriesSchema, ...sessionProblems(404) },
      },
    },
    async (request) => {
      const session = requireSession(request);
      const { id } = await findWebhook(request);
      const { limit } = request.query as { limit: number };
      return deliveriesView(await webhooks.deliveries(session.projectId, id, limit));
    },
  );
}
