import Type from 'typebox';
import { TimeAnswer } from '../../shared/apiProtocol';
import type { HttpApp, HttpContext } from './HttpContext';

const Status = Type.Object({ status: Type.String() });

/** Liveness, readiness, Prometheus metrics, and the server clock for kiosks. */
export function healthRoutes(app: HttpApp, context: HttpContext): void {
  app.get(
    '/healthz',
    { schema: { summary: 'The process is alive', response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'The database is reachable (503 if not)',
        response: { 200: Status, 503: Status },
      },
    },
    async (_request, reply) => {
      let ready = false;
      try {
        ready = context.db.prepare('select 1 as ok').get() !== undefined;
      } catch {
        ready = false;
      }
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'database unavailable' });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus text: connections, documents, updates, refusals, store latency',
        produces: ['text/plain'],
      },
    },
    async (_request, reply) => {
      const text = await context.metrics.registry.metrics();
      return reply.type(context.metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/api/time',
    {
      schema: {
        summary: "The server's clock, for the kiosk's clock offset",
        response: { 200: TimeAnswer },
      },
    },
    async () => ({ now: Date.now() }),
  );
}
