import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { isApiPath } from './errorAnswers';
import { HttpError } from './HttpError';

/** Outside `/api/` everything is a read-only file or page. */
const READ_ONLY = ['GET', 'HEAD'];

/**
 * The methods each API path answers, learned from the routes as they are added, so a request
 * with the wrong method gets 405 with `Allow` instead of a 404 that hides the route.
 */
export class RouteMethods {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = [];

  /** For Fastify's `onRoute` hook. Wildcards (the static files) are left out. */
  readonly add = (route: RouteOptions): void => {
    if (route.url.includes('*')) return;
    const pattern = new RegExp(
      `^${route.url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}$`,
    );
    let known = this.routes.find((r) => r.pattern.source === pattern.source);
    if (!known) {
      known = { pattern, methods: new Set() };
      this.routes.push(known);
    }
    for (const method of [route.method].flat()) known.methods.add(method);
  };

  /** The methods `path` answers; empty when no route has that path. */
  allowed(path: string): string[] {
    if (!isApiPath(path)) return READ_ONLY;
    const methods = new Set<string>();
    for (const route of this.routes)
      if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    return [...methods].sort();
  }

  /** The not-found handler: 405 when the path exists with other methods, 404 otherwise. */
  readonly notFound = (request: FastifyRequest, reply: FastifyReply): never => {
    const path = request.url.split('?')[0] as string;
    const allowed = this.allowed(path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header('allow', allowed.join(', '));
      throw new HttpError(
        405,
        'method-not-allowed',
        `${request.method} is not allowed here (${allowed.join(', ')})`,
      );
    }
    throw new HttpError(404, 'not-found', isApiPath(path) ? 'no such API route' : 'Not found');
  };
}
