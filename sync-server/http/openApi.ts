import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI document of every route, generated from the same schemas that validate requests
 * and serialise answers; served at `GET /api/openapi.json`. Register before the routes: the
 * plugin collects them as they are added.
 */
export async function openApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Headcount',
        version: '1',
        description:
          'Errors are {"error": {"code", "message"}} with a machine-readable code. Credentials go in bodies or in Authorization: Bearer <access token>, never in URLs.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  app.get('/api/openapi.json', { schema: { summary: 'This document', hide: true } }, async () =>
    app.swagger(),
  );
}
