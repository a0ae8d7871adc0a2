import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { AcceptedOrigins } from './AcceptedOrigins';
import { isApiPath } from './errorAnswers';
import { HttpError } from './HttpError';

/** How long a browser may cache a CORS preflight answer, seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * True when a browser request's `Origin` may use the server: no Origin at all (Node clients,
 * scanners' tools: they rely on tokens), or an accepted one (PUBLIC_URL or the server's own
 * origins, and ALLOWED_ORIGINS). Never judged by `Host`, which the client writes. Used for API
 * writes and websocket upgrades.
 */
export function originCheck(accepted: Pick<AcceptedOrigins, 'has'>) {
  return (request: IncomingMessage): boolean => {
    const origin = request.headers.origin;
    return origin === undefined || accepted.has(origin);
  };
}

/**
 * CORS for ALLOWED_ORIGINS on `/api/` (so a separately hosted app can read answers), and the
 * Origin check on API writes: a foreign page may not make a signed-in browser change anything.
 * Runs before the body is read.
 */
export function browserOrigins(
  app: FastifyInstance,
  options: { allowedOrigins: readonly string[]; originAllowed: (r: IncomingMessage) => boolean },
): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!isApiPath(request.url)) return;
    const origin = request.headers.origin;
    if (origin !== undefined && options.allowedOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin).header('vary', 'origin');
      if (request.method === 'OPTIONS') {
        return reply
          .code(204)
          .headers({
            'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
            'access-control-allow-headers': 'content-type, authorization',
            'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
          })
          .send();
      }
    }
    // Unknown routes and wrong methods are answered as such first (404, 405).
    if (request.is404 || request.method === 'GET' || request.method === 'HEAD') return;
    if (!options.originAllowed(request.raw))
      throw new HttpError(403, 'bad-origin', 'this origin may not call the API');
  });
}
