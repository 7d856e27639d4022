// The HTTP floor: a Fastify app whose POST handler does nothing. Prints its URL.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/noop', async () => ({ ok: true }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on ${address}\n`);
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
