import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { OkAnswer } from '../../shared/apiProtocol';
import {
  ChangeWebhookBody,
  CreatedWebhookAnswer,
  CreateWebhookBody,
  WebhookEndpointInfo,
  WebhooksAnswer,
} from '../../shared/integrationProtocol';
import { WebhookError } from '../integrations/WebhookEndpoints';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError } from './HttpError';
import type { StaffAuth } from './staffAuth';

const EndpointParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/**
 * Webhook endpoints ([I3]–[I4]): admins manage every one on the Integrations screen; an API key
 * with the `webhooks` scope manages those it registered itself, and may not say an endpoint is on
 * the private network (only a signed-in admin can).
 */
export function webhookRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  const managers = auth.requires(['admin'], 'webhooks');
  /** Whose endpoints the request may see: every one (admin) or its own (a key). */
  const owner = (request: FastifyRequest): string | undefined => {
    const key = auth.keyOf(request);
    return key ? `key:${key.id}` : undefined;
  };
  const ownEndpoint = async (request: FastifyRequest, id: string): Promise<WebhookEndpointInfo> => {
    const found = (await context.webhooks.list(owner(request))).find((e) => e.id === id);
    if (!found) throw new HttpError(404, 'not-found', 'no such webhook endpoint');
    return found;
  };

  app.get(
    '/api/integrations/webhooks',
    {
      onRequest: managers,
      schema: {
        summary: 'Webhook endpoints with their last status (admins: all; a key: its own)',
        security: [{ bearer: [] }],
        response: answers(WebhooksAnswer),
      },
    },
    async (request) => ({ endpoints: await context.webhooks.list(owner(request)) }),
  );

  app.post(
    '/api/integrations/webhooks',
    {
      onRequest: managers,
      schema: {
        summary: 'Registers an endpoint; its signing secret is shown this once',
        description:
          'Deliveries are POSTs of a JSON body (`WebhookPayload`) signed as Standard Webhooks do: headers webhook-id (the event ref: dedupe by it), webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the secret\'s base64 bytes). Retried with backoff for over a day; in order per member.',
        security: [{ bearer: [] }],
        body: CreateWebhookBody,
        response: answers(CreatedWebhookAnswer, 201),
      },
    },
    async (request, reply) => {
      const { url, events, siteId, privateNetwork = false } = request.body;
      const key = auth.keyOf(request);
      if (key && privateNetwork)
        throw new HttpError(
          403,
          'forbidden',
          'only a signed-in admin may register a private-network endpoint',
        );
      if (siteId !== undefined && context.sites.get(siteId) === null)
        throw new HttpError(404, 'no-such-site', `no site ${siteId.slice(0, 64)}`);
      try {
        const made = await context.webhooks.create({
          url,
          events,
          siteId: siteId ?? null,
          privateNetwork,
          createdBy: key ? `key:${key.id}` : auth.principal(request).subject,
        });
        context.log.info({ endpoint: made.endpoint.id, url }, 'webhook endpoint registered');
        const info = (await context.webhooks.list()).find((e) => e.id === made.endpoint.id);
        return reply.code(201).send({ endpoint: info as WebhookEndpointInfo, secret: made.secret });
      } catch (error) {
        if (error instanceof WebhookError)
          throw new HttpError(400, 'bad-webhook-url', error.message);
        throw error;
      }
    },
  );

  app.patch(
    '/api/integrations/webhooks/:id',
    {
      onRequest: managers,
      schema: {
        summary: 'Pauses or resumes an endpoint; a resumed one is sent what waited',
        security: [{ bearer: [] }],
        params: EndpointParams,
        body: ChangeWebhookBody,
        response: answers(WebhookEndpointInfo),
      },
    },
    async (request) => {
      await ownEndpoint(request, request.params.id);
      await context.webhooks.setPaused(
        request.params.id,
        request.body.paused
          ? `paused by ${auth.keyOf(request) ? 'its API key' : 'an admin'}`
          : null,
      );
      return ownEndpoint(request, request.params.id);
    },
  );

  app.delete(
    '/api/integrations/webhooks/:id',
    {
      onRequest: managers,
      schema: {
        summary: 'Deletes an endpoint and the deliveries still waiting for it',
        security: [{ bearer: [] }],
        params: EndpointParams,
        response: answers(OkAnswer),
      },
    },
    async (request) => {
      await ownEndpoint(request, request.params.id);
      await context.webhooks.remove(request.params.id);
      return { ok: true as const };
    },
  );
}
