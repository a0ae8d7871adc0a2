import type {
  ApiKeyInfo,
  ApiKeysAnswer,
  ChangeWebhookBody,
  CreateApiKeyBody,
  CreatedApiKeyAnswer,
  CreatedWebhookAnswer,
  CreateWebhookBody,
  WebhookEndpointInfo,
  WebhooksAnswer,
} from '../../shared/integrationProtocol';
import { ApiRefusal, succeeded } from './ApiRefusal';
import type { DashboardPort } from './DashboardPort';

/**
 * The Integrations screen's calls to the server ([I1], [I3]): API keys and webhook endpoints,
 * admins only, with the signed-in account's token. Each resolves with the server's answer or
 * throws `ApiRefusal` with its reason; without a network, `fetch`'s error. The wire types come
 * from `integrationProtocol.ts` as types only, so TypeBox stays out of the bundle.
 */
export class IntegrationsApi {
  private readonly port: Pick<DashboardPort, 'api'>;

  constructor(port: Pick<DashboardPort, 'api'>) {
    this.port = port;
  }

  /** Every API key, revoked ones too. */
  async keys(): Promise<readonly ApiKeyInfo[]> {
    return (await this.call<ApiKeysAnswer>('GET', '/api/integrations/keys')).keys;
  }

  /** A new key: the answer holds its secret, which the server never gives again. */
  createKey(body: CreateApiKeyBody): Promise<CreatedApiKeyAnswer> {
    return this.call<CreatedApiKeyAnswer>('POST', '/api/integrations/keys', body);
  }

  /** Revokes a key: every system that uses it is refused from its next request. */
  async revokeKey(id: string): Promise<void> {
    await this.call('DELETE', `/api/integrations/keys/${encodeURIComponent(id)}`);
  }

  /** Every webhook endpoint, with how its deliveries go. */
  async webhooks(): Promise<readonly WebhookEndpointInfo[]> {
    return (await this.call<WebhooksAnswer>('GET', '/api/integrations/webhooks')).endpoints;
  }

  /** A new endpoint: the answer holds its signing secret, which the server never gives again. */
  createWebhook(body: CreateWebhookBody): Promise<CreatedWebhookAnswer> {
    return this.call<CreatedWebhookAnswer>('POST', '/api/integrations/webhooks', body);
  }

  /** Pauses an endpoint (its deliveries wait) or resumes it (what waited is sent). */
  async pauseWebhook(id: string, paused: boolean): Promise<void> {
    const body: ChangeWebhookBody = { paused };
    await this.call('PATCH', `/api/integrations/webhooks/${encodeURIComponent(id)}`, body);
  }

  /** Deletes an endpoint: what still waited for it is dropped. */
  async deleteWebhook(id: string): Promise<void> {
    await this.call('DELETE', `/api/integrations/webhooks/${encodeURIComponent(id)}`);
  }

  /** The answer's body, as the route's schema declares it (the server serialises with it). */
  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.port.api(method, path, body);
    if (!succeeded(answer)) throw new ApiRefusal(answer);
    return answer.body as T;
  }
}
