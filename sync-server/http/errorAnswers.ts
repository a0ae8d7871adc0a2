import type { FastifyError, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Metrics } from '../metrics';
import { HttpError } from './HttpError';

/** True for the JSON API's paths (and raw URLs): their errors are JSON, everything else text. */
export function isApiPath(url: string): boolean {
  return url.startsWith('/api/');
}

type FrameworkError = Partial<FastifyError> & Error & { status?: number };

/** The `HttpError` an error stands for; anything unexpected is a 500 that says nothing more. */
export function httpErrorOf(error: FrameworkError, request: FastifyRequest): HttpError {
  if (error instanceof HttpError) return error;
  if (error.validation) {
    // A path parameter that does not fit names no resource: as before, that is a 404.
    if (error.validationContext === 'params') return new HttpError(404, 'not-found', 'not found');
    return new HttpError(400, 'invalid', validationMessage(error, request));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        413,
        'too-large',
        `request bodies are limited to ${request.routeOptions.bodyLimit} bytes`,
      );
    case 'FST_ERR_BAD_URL':
      return new HttpError(400, 'bad-url', 'the URL is not valid (a bad %-escape)');
    case 'FST_STATIC_FORBIDDEN_PATH':
      // A path that is not canonical (dot segments, backslashes): it names no file.
      return new HttpError(404, 'not-found', 'Not found');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new HttpError(status, 'invalid', error.message);
  return new HttpError(500, 'internal', 'something went wrong');
}

/** `field: what it must be`, from the route's schema (its description) or the validator. */
function validationMessage(error: FrameworkError, request: FastifyRequest): string {
  const first = error.validation?.[0];
  const params = (first?.params ?? {}) as { missingProperty?: string };
  const field =
    first?.keyword === 'required' ? params.missingProperty : first?.instancePath.split('/')[1];
  if (first === undefined || field === undefined || field === '') {
    return error.validationContext === 'body' ? 'the body must be a JSON object' : error.message;
  }
  const part = error.validationContext as keyof FastifySchema;
  const schema = request.routeOptions.schema?.[part] as
    | { properties?: Record<string, { description?: string }> }
    | undefined;
  return `${field}: ${schema?.properties?.[field]?.description ?? first.message ?? 'invalid'}`;
}

/**
 * The error handler of the whole app: how every failure is answered. Under `/api/` as
 * `{"error": {"code", "message"}}` (never a stack or an internal message), elsewhere as one line
 * of text. Fastify's own errors (a bad body, a body too large, a malformed URL) get the API's
 * codes.
 */
export function answerError(metrics: Metrics) {
  return (error: FrameworkError, request: FastifyRequest, reply: FastifyReply) => {
    const known = httpErrorOf(error, request);
    if (known.status >= 500) request.log.error({ err: error, path: request.url }, 'request failed');
    // Every refusal is counted by its machine-readable code (expired, revoked, bad-origin, …).
    if (known.status === 401 || known.status === 403 || known.status === 429)
      metrics.refusals.inc({ reason: known.code });
    reply.code(known.status).header('cache-control', 'no-store');
    if (isApiPath(request.url))
      return reply.send({ error: { code: known.code, message: known.message } });
    return reply.type('text/plain; charset=utf-8').send(`${known.message}\n`);
  };
}
