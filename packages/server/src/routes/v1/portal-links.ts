import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { problemResponses } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import { PORTAL_LINK_DEFAULTS, type PortalService } from '../../services/portal-service.js';
import { PORTAL_PERMISSIONS, type PortalPermission } from '../../store/portal-port.js';

// POST /v1/portal/links (API.md "Portal and widget"): the admin mints a
// single-use link that opens the portal for one org.

const DESCRIPTION = `Mints a link that opens the customer portal for one org: \`<base>/portal/open#token=lp_pt_...\`, where the base is LOGPROOF_PUBLIC_URL or this request's origin. Hand it to a user of that org (in your own app, behind your own login).

- **Single use.** Opening it trades the token for a session cookie; a second open, or one after \`expires_at\`, is refused. Of concurrent opens exactly one succeeds.
- **The token** is in the URL fragment, so it never reaches a server log or a Referer; only its SHA-256 is stored.
- **The session** lasts \`session_ttl\` seconds, sees that org's events only, and may do what \`permissions\` grants: \`view\` (always granted: list, search, read events, the checkpoint and keys), \`verify\` (verification answers for in-browser checks), \`export\` (CSV, NDJSON, JSON, PDF, evidence bundles), \`webhooks\` (manage the org's own webhook streams).
- Opening records \`logproof.portal.opened\` in the org's log; exports and webhook changes record \`logproof.portal.exported\` and \`logproof.portal.webhook_*\`.`;

const PortalLinkSchema = Type.Object({
  id: Type.String({ description: 'plink_...' }),
  url: Type.String({ description: 'The link to hand out; shown in this response only' }),
  expires_at: Type.String({ format: 'date-time', description: 'Unused after this, it is refused' }),
  org_id: Type.String(),
  permissions: Type.Array(Type.String({ enum: [...PORTAL_PERMISSIONS] })),
  session_ttl: Type.Integer({ description: 'Seconds the session it opens lasts' }),
});

export default async function portalLinkRoutes(
  app: FastifyInstance,
  options: { portal: PortalService; publicUrl: string | undefined },
) {
  const { portal } = options;
  app.post(
    '/v1/portal/links',
    {
      config: { scopes: ['admin'] },
      schema: {
        tags: ['portal'],
        summary: 'Mint a single-use portal link for one org',
        description: DESCRIPTION,
        body: Type.Object(
          {
            org: Type.String({
              minLength: 1,
              maxLength: 256,
              description: 'The org (id or external id)',
            }),
            expires_in: Type.Integer({
              minimum: 60,
              maximum: 86_400,
              default: PORTAL_LINK_DEFAULTS.expiresIn,
              description: 'Seconds the link may be opened in, 60 to 86400',
            }),
            session_ttl: Type.Integer({
              minimum: 300,
              maximum: 86_400,
              default: PORTAL_LINK_DEFAULTS.sessionTtl,
              description: 'Seconds the session lasts once opened, 300 to 86400',
            }),
            permissions: Type.Array(Type.String({ enum: [...PORTAL_PERMISSIONS] }), {
              uniqueItems: true,
              maxItems: PORTAL_PERMISSIONS.length,
              default: [...PORTAL_LINK_DEFAULTS.permissions],
              description: '`view` is always granted, listed or not',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 201: PortalLinkSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const body = request.body as {
        org: string;
        expires_in: number;
        session_ttl: number;
        permissions: PortalPermission[];
      };
      const { link, token } = await portal.mintLink(requireKey(request).projectId, {
        org: body.org,
        expiresIn: body.expires_in,
        sessionTtl: body.session_ttl,
        permissions: body.permissions,
      });
      const base = options.publicUrl ?? `${request.protocol}://${request.host}`;
      // The answer holds a bearer secret: never cached.
      void reply.code(201).header('cache-control', 'no-store');
      return {
        id: link.id,
        url: `${base}/portal/open#token=${token}`,
        expires_at: new Date(link.expiresAt).toISOString(),
        org_id: link.orgId,
        permissions: [...link.permissions],
        session_ttl: link.sessionTtl,
      };
    },
  );
}
