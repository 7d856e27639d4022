import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { problemResponses } from '../../http/schemas.js';
import { requireKey } from '../../plugins/auth.js';
import type { ProjectBranding } from '../../store/portal-port.js';
import type { Store } from '../../store/store.js';

// The project and its branding (API.md "Portal and widget": the portal is
// branded with the project's name, logo and accent colour).

const LogoUrl = Type.String({
  minLength: 1,
  maxLength: 2048,
  pattern: '^https://',
  description:
    'An https URL of the logo image, shown by the portal (its CSP allows https images); no user name or password',
  examples: ['https://cdn.example.com/logo.svg'],
});

const AccentColor = Type.String({
  pattern: '^#[0-9A-Fa-f]{6}$',
  description: 'A colour `#rrggbb`; kept in lower case',
  examples: ['#4f46e5'],
});

const ProjectSchema = Type.Object({
  id: Type.String({ description: 'proj_...' }),
  name: Type.String(),
  logo_url: Type.Union([Type.String(), Type.Null()]),
  accent_color: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
});

function projectView(p: ProjectBranding) {
  return {
    id: p.id,
    name: p.name,
    logo_url: p.logoUrl,
    accent_color: p.accentColor,
    created_at: new Date(p.createdAt).toISOString(),
  };
}

/**
 * A logo URL the portal may show: a well-formed absolute https URL with a
 * host and no credentials. The pattern only checked the scheme's spelling.
 */
function checkLogoUrl(text: string): void {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // Reported below.
  }
  if (!url || url.protocol !== 'https:' || url.hostname === '' || url.username || url.password) {
    throw new ApiError('validation_failed', 'logo_url must be an https URL without credentials', {
      errors: [
        { path: '/logo_url', message: 'must be an https URL without user name or password' },
      ],
    });
  }
}

export default async function projectRoutes(app: FastifyInstance, options: { store: Store }) {
  const { store } = options;

  async function read(projectId: string): Promise<ProjectBranding> {
    const project = await store.getProjectBranding(projectId);
    if (!project) throw new Error(`the key's project ${projectId} is missing`);
    return project;
  }

  app.get(
    '/v1/project',
    {
      config: { scopes: ['admin', 'events:read'] },
      schema: {
        tags: ['project'],
        summary: "The API key's project, with its branding",
        response: { 200: ProjectSchema, ...problemResponses() },
      },
    },
    async (request) => projectView(await read(requireKey(request).projectId)),
  );

  app.patch(
    '/v1/project',
    {
      config: { scopes: ['admin'] },
      schema: {
        tags: ['project'],
        summary: "Change the project's name and the portal's branding",
        description:
          'Absent members are left alone; `null` removes the logo or the accent colour. The portal shows the name, the logo and the accent colour to every org’s users. An invalid member is a 400 and nothing is changed.',
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            logo_url: Type.Optional(Type.Union([LogoUrl, Type.Null()])),
            accent_color: Type.Optional(Type.Union([AccentColor, Type.Null()])),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ProjectSchema, ...problemResponses() },
      },
    },
    async (request) => {
      const projectId = requireKey(request).projectId;
      const body = request.body as {
        name?: string;
        logo_url?: string | null;
        accent_color?: string | null;
      };
      if (typeof body.logo_url === 'string') checkLogoUrl(body.logo_url);
      const updated = await store.updateProjectBranding(projectId, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.logo_url === undefined ? {} : { logoUrl: body.logo_url }),
        ...(body.accent_color === undefined
          ? {}
          : { accentColor: body.accent_color === null ? null : body.accent_color.toLowerCase() }),
      });
      return projectView(updated ?? (await read(projectId)));
    },
  );
}
