import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { ProblemSchema } from '../http/schemas.js';

// GET /widget.js (API.md "Portal and widget"): the <logproof-audit-log> web
// component, loaded by <script src> from vendors' pages on any origin. The
// file is built by packages/widget (npm run build); it is read on demand, so
// a server started before the build serves it once it exists.

export interface WidgetScriptOptions {
  /** Absolute path of the bundle (config LOGPROOF_WIDGET_FILE). */
  readonly file: string;
}

interface Cached {
  readonly mtimeMs: number;
  readonly size: number;
  readonly body: Buffer;
  readonly etag: string;
}

/** A file that is not there (or not a file): the widget was not built. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

export default async function widgetScriptRoutes(
  app: FastifyInstance,
  options: WidgetScriptOptions,
) {
  let cached: Cached | null = null;

  /** The bundle, re-read only when its size or mtime changed (a rebuild). */
  async function load(): Promise<Cached> {
    const info = await stat(options.file);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(options.file);
    const digest = createHash('sha256').update(body).digest('base64url').slice(0, 27);
    cached = { mtimeMs: info.mtimeMs, size: info.size, body, etag: `"${digest}"` };
    return cached;
  }

  app.get(
    '/widget.js',
    {
      schema: {
        tags: ['Widget'],
        summary: 'The <logproof-audit-log> web component (JavaScript)',
        description:
          'Load it with `<script src="https://<server>/widget.js"></script>` from any origin, then place `<logproof-audit-log token="lp_et_..." base-url="https://<server>">`. Cached for 5 minutes, with an ETag. 503 when the widget has not been built.',
        response: {
          200: {
            description: 'The script',
            content: { 'application/javascript': { schema: { type: 'string' } } },
          },
          304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' },
          503: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      let script: Cached;
      try {
        script = await load();
      } catch (error) {
        if (isMissing(error)) {
          throw new ApiError('unavailable', 'the widget is not built; run npm run build', {
            cause: error,
          });
        }
        throw error;
      }
      void reply
        .header('access-control-allow-origin', '*')
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'public, max-age=300')
        .header('etag', script.etag);
      const match = request.headers['if-none-match'];
      if (
        typeof match === 'string' &&
        match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === script.etag)
      ) {
        return reply.code(304).send();
      }
      return reply.type('application/javascript; charset=utf-8').send(script.body);
    },
  );
}
