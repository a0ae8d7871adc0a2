import { createHash, timingSafeEqual } from 'node:crypto';
import Type from 'typebox';
import { TimeAnswer } from '../../shared/apiProtocol';
import type { HttpApp, HttpContext } from './HttpContext';
import { HttpError } from './HttpError';

/** Compares a bearer header with the token in constant time (over their digests). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

const Status = Type.Object({ status: Type.String() });

/**
 * How long readiness waits for the database, ms. Default 2 s: a probe wants an answer, and a
 * database that takes longer for `select 1` (PostgreSQL unreachable, the pool all in use) is not
 * ready to serve requests either.
 */
export const READY_TIMEOUT_MS = 2_000;

/** True when the database answers a query within READY_TIMEOUT_MS. */
async function databaseReady(context: HttpContext): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  const answered = context.db.get('select 1 as ok').then(
    (row) => row !== undefined,
    () => false,
  );
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What `/readyz` says while Redis is down: this instance serves, but relays nothing. */
export const REDIS_DOWN = 'ready, not relaying: redis unavailable';

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
        summary: 'The database is reachable (503 if not); says so when Redis (REDIS_URL) is not',
        response: { 200: Status, 503: Status },
      },
    },
    async (_request, reply) => {
      if (!(await databaseReady(context)))
        return reply.code(503).send({ status: 'database unavailable' });
      // Without Redis this instance still serves and stores its own clients' updates, but
      // relays nothing to or from the other instances: still ready (taking it out of a load
      // balancer would stop a gym that every instance could serve), and the body says why the
      // instances do not see each other.
      if (context.relay?.status() === 'down') return reply.code(200).send({ status: REDIS_DOWN });
      return reply.code(200).send({ status: 'ready' });
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
    async (request, reply) => {
      // Metrics name devices and show refusals: never open to the internet ([README] /metrics).
      if (context.metricsToken === null) {
        throw new HttpError(
          404,
          'not-found',
          'metrics are not served on this port (METRICS_TOKEN)',
        );
      }
      if (!bearerMatches(request.headers.authorization, context.metricsToken)) {
        reply.header('www-authenticate', 'Bearer');
        throw new HttpError(
          401,
          'bad-metrics-token',
          'metrics need METRICS_TOKEN as a bearer token',
        );
      }
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
