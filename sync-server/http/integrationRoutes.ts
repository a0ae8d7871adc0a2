import Type from 'typebox';
import { OkAnswer } from '../../shared/apiProtocol';
import {
  ApiKeysAnswer,
  CreateApiKeyBody,
  CreatedApiKeyAnswer,
} from '../../shared/integrationProtocol';
import { ApiKeyError } from '../integrations/ApiKeys';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError } from './HttpError';
import type { StaffAuth } from './staffAuth';

/**
 * The Integrations screen's API keys ([I1]): admins list, make and revoke them. Only admins,
 * signed in: a key can never make or revoke keys.
 */
export function integrationRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  const admins = auth.requires(['admin']);

  app.get(
    '/api/integrations/keys',
    {
      onRequest: admins,
      schema: {
        summary: 'Every API key, revoked ones too (admins)',
        security: [{ bearer: [] }],
        response: answers(ApiKeysAnswer),
      },
    },
    async () => ({ keys: await context.apiKeys.list() }),
  );

  app.post(
    '/api/integrations/keys',
    {
      onRequest: admins,
      schema: {
        summary: 'A new API key, shown this once; send it as Authorization: Bearer <key>',
        security: [{ bearer: [] }],
        body: CreateApiKeyBody,
        response: answers(CreatedApiKeyAnswer, 201),
      },
    },
    async (request, reply) => {
      try {
        const made = await context.apiKeys.create({
          ...request.body,
          createdBy: auth.principal(request).subject,
        });
        context.log.info({ keyId: made.info.id, apiKey: made.info.name }, 'api key created');
        return reply.code(201).send(made);
      } catch (error) {
        if (error instanceof ApiKeyError) throw new HttpError(400, 'invalid', error.message);
        throw error;
      }
    },
  );

  app.delete(
    '/api/integrations/keys/:id',
    {
      onRequest: admins,
      schema: {
        summary: 'Revokes an API key: it stops working at once, on every instance',
        security: [{ bearer: [] }],
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: answers(OkAnswer),
      },
    },
    async (request) => {
      if (!(await context.apiKeys.revoke(request.params.id)))
        throw new HttpError(404, 'not-found', 'no such API key');
      // What it registered stops too; an admin can resume an endpoint that should go on.
      await context.webhooks.pauseCreatedBy(
        `key:${request.params.id}`,
        'the API key that registered it was revoked',
      );
      context.log.info({ keyId: request.params.id }, 'api key revoked');
      return { ok: true as const };
    },
  );
}
