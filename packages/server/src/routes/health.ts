import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { Store } from '../store/store.js';

export default async function healthRoutes(app: FastifyInstance, options: { store: Store }) {
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'The process is up' } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'The database answers and every migration is applied',
      },
    },
    async () => {
      try {
        await options.store.checkReady();
      } catch (cause) {
        throw new ApiError('unavailable', `not ready: ${(cause as Error).message}`, {
          headers: { 'retry-after': '5' },
          cause,
        });
      }
      return { status: 'ready', database: options.store.kind };
    },
  );
}
