import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { accountRoutes } from './accountRoutes';
import { browserOrigins, originCheck } from './browserOrigins';
import { deviceRoutes } from './deviceRoutes';
import { answerError, isApiPath } from './errorAnswers';
import type { HttpApp, HttpContext } from './HttpContext';
import { HttpError } from './HttpError';
import { healthRoutes } from './healthRoutes';
import { integrationRoutes } from './integrationRoutes';
import { memberRoutes } from './memberRoutes';
import { openApi } from './openApi';
import { pairingRoutes } from './pairingRoutes';
import { publicRoutes } from './publicRoutes';
import { RouteMethods } from './RouteMethods';
import { reportRoutes } from './reportRoutes';
import { securityHeaders, securityHeadersWithoutHooks } from './securityHeaders';
import { sessionRoutes } from './sessionRoutes';
import { setupRoutes } from './setupRoutes';
import { siteRoutes } from './siteRoutes';
import { staffAuth } from './staffAuth';
import { staffRoutes } from './staffRoutes';
import { staticRoutes } from './staticRoutes';
import { webhookRoutes } from './webhookRoutes';

/** Largest request body, bytes: the biggest honest one (a sign-in) is well under 1 KiB. */
export const MAX_BODY_BYTES = 16 * 1024;
/**
 * Longest a client may take to send one whole request, ms: 5 minutes, Node's own default, which
 * Fastify turns off (0). A slow sender cannot hold a request open for ever.
 */
const REQUEST_TIMEOUT_MS = 300_000;

/**
 * The HTTP edge on Fastify: health and metrics, the JSON API under `/api/` (one module per
 * area, every route with TypeBox schemas that validate input, shape answers and make the
 * OpenAPI document), the built PWA, and security headers on every answer. The caller attaches
 * the websocket upgrade to `app.server` and listens.
 */
export async function createHttpApp(context: HttpContext): Promise<FastifyInstance> {
  const routes = new RouteMethods();
  const onError = answerError(context.metrics);
  const app = Fastify({
    loggerInstance: context.log as FastifyBaseLogger,
    // One line per request would drown the log; refusals and failures are logged as they happen.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Bodies are JSON as sent: a number where a string is wanted is refused, not converted.
    ajv: { customOptions: { coerceTypes: false } },
    frameworkErrors: (error, request, reply) => {
      securityHeadersWithoutHooks(request, reply);
      return onError(error, request, reply);
    },
    // `request.ip`, `.protocol` and `.host` from X-Forwarded-* only for trusted proxies
    // (TRUST_PROXY); `addressOf` applies the same rule to websocket upgrades.
    trustProxy: context.trustProxy,
    // TLS_CERT and TLS_KEY: the one port speaks HTTPS, HTTP/1.1 so websockets upgrade from it.
    // The types take HTTP and HTTPS servers apart; routes see the same requests either way.
    ...({ https: context.tls, http2: false } as object),
  });
  const api: HttpApp = app.withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRoute', routes.add);
  app.setErrorHandler(onError);
  app.setNotFoundHandler(routes.notFound);
  jsonBodies(app);
  await securityHeaders(app);
  browserOrigins(app, {
    allowedOrigins: context.allowedOrigins,
    originAllowed: originCheck(context.acceptedOrigins),
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (isApiPath(request.url) && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!isApiPath(request.url)) return;
    context.metrics.httpRequests.inc({
      route: request.is404 ? 'unknown' : `${request.method} ${request.routeOptions.url}`,
      status: String(reply.statusCode),
    });
  });

  await openApi(app);
  const auth = staffAuth(context);
  // Every use of an API key is logged, by its name and id (never its secret) ([I1]).
  app.addHook('onResponse', async (request, reply) => {
    const key = auth.keyOf(request);
    if (key)
      context.log.info(
        {
          apiKey: key.name,
          keyId: key.id,
          method: request.method,
          route: request.routeOptions.url,
          status: reply.statusCode,
        },
        'api key used',
      );
  });
  healthRoutes(api, context);
  setupRoutes(api, context);
  sessionRoutes(api, context);
  pairingRoutes(api, context, auth);
  deviceRoutes(api, context, auth);
  staffRoutes(api, context, auth);
  memberRoutes(api, context, auth);
  reportRoutes(api, context, auth);
  siteRoutes(api, context, auth);
  accountRoutes(api, context, auth);
  publicRoutes(api, context);
  integrationRoutes(api, context, auth);
  webhookRoutes(api, context, auth);
  await app.register(staticRoutes, { root: context.distDir });
  return app;
}

/**
 * Every body is read as JSON, whatever its Content-Type says (as before: a `text/plain` body is
 * a JSON object or a 400), and must be an object; an empty body is `{}`.
 */
function jsonBodies(app: FastifyInstance): void {
  // Fastify's own parser: it refuses `__proto__` and `constructor.prototype` keys.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, text, done) => {
    if (text === '') return done(null, {});
    parseJson(request, text as string, (error, parsed: unknown) => {
      if (!error && parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        return done(null, parsed);
      done(new HttpError(400, 'bad-json', 'the body must be a JSON object'), undefined);
    });
  });
  app.addHook('preValidation', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') request.body ??= {};
  });
}
