import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ApiError } from '../errors.js';
import { ProblemSchema } from '../http/schemas.js';

// The customer portal's built files under /portal/ (API.md "Portal and
// widget"), with a fallback to index.html for the app's own paths
// (/portal/open, /portal/events/evt_...), so that a reload or a shared link
// lands in the app.

/** The portal's only script, style and connection source is this origin; images may be https logos. */
export const PORTAL_CSP = [
  "default-src 'self'",
  "img-src 'self' https: data:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function setPortalHeaders(reply: FastifyReply): void {
  void reply
    .header('content-security-policy', PORTAL_CSP)
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff');
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export default async function portalStaticRoutes(app: FastifyInstance, options: { dir: string }) {
  const { dir } = options;
  // Only reply.sendFile: the routes below decide what is served.
  await app.register(fastifyStatic, { root: dir, serve: false });

  app.get(
    '/portal',
    {
      schema: {
        tags: ['portal'],
        summary: 'Redirects to /portal/',
        response: { 301: { description: 'To /portal/', type: 'null' } },
      },
    },
    async (_request, reply) => reply.redirect('/portal/', 301),
  );

  app.get(
    '/portal/*',
    {
      schema: {
        tags: ['portal'],
        summary: 'The customer portal (a web app; open it with a portal link)',
        description:
          'The built portal (LOGPROOF_PORTAL_DIR): its files, and its index.html for any other path without a file extension (`/portal/open`, `/portal/events/evt_...`). Served with a strict Content-Security-Policy, `Referrer-Policy: no-referrer` and `X-Content-Type-Options: nosniff`. 503 while the portal is not built.',
        response: {
          200: { description: 'A file of the portal, or its index.html', type: 'string' },
          404: ProblemSchema,
          503: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      setPortalHeaders(reply);
      if (!(await isFile(join(dir, 'index.html')))) {
        throw new ApiError('unavailable', 'the portal is not built; run npm run build', {
          headers: { 'retry-after': '60' },
        });
      }
      const wanted = (request.params as { '*': string })['*'];
      // Normalised as a URL path; a '..' that would leave the root, a NUL or a
      // dot file is never served (send refuses them too).
      const rel = posix.normalize(`/${wanted}`).slice(1);
      const segments = rel.split('/');
      if (rel.includes('\0') || segments.some((s) => s.startsWith('.'))) {
        throw new ApiError('not_found', `no portal file /portal/${wanted}`);
      }
      if (rel !== '' && (await isFile(join(dir, rel)))) {
        // Vite puts content-hashed names under assets/: cacheable for good.
        const immutable = rel.startsWith('assets/');
        return reply.sendFile(rel, {
          cacheControl: true,
          immutable,
          maxAge: immutable ? 31_536_000_000 : 0,
        });
      }
      // A missing file (a name with an extension) is a 404; any other path is the app's.
      if (/\.[A-Za-z0-9]+$/.test(segments.at(-1) ?? '')) {
        throw new ApiError('not_found', `no portal file /portal/${wanted}`);
      }
      void reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html', { cacheControl: false });
    },
  );
}
