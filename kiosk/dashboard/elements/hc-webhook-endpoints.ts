import { html, nothing } from 'lit';
import type { WebhookEndpointInfo, WebhookEvent } from '../../../shared/integrationProtocol';
import { WEBHOOK_EVENT_LABELS, WEBHOOK_EVENTS } from '../../../shared/integrations';
import { type WebhookState, webhookStatus } from '../webhookStatus';
import { EndpointsLoadedEvent } from './IntegrationsEvents';
import { IntegrationsPart } from './IntegrationsPart';

const STATE_ICONS: Readonly<Record<WebhookState, string>> = {
  paused: '⏸',
  retrying: '↻',
  failing: '⚠',
  delivering: '✓',
  new: '•',
};

/**
 * The Integrations screen's webhooks ([I3]): every endpoint with how its deliveries go, pausing,
 * resuming and (once confirmed) deleting one, and the form that adds one (its signing secret is
 * shown once, by the screen). Each list it loads goes to the screen too, which says at the top
 * whether any endpoint is paused.
 */
export class HcWebhookEndpoints extends IntegrationsPart {
  static override properties = {
    endpoints: { state: true },
  };

  /** Every webhook endpoint as last fetched; null before the first answer. */
  declare endpoints: readonly WebhookEndpointInfo[] | null;

  protected readonly partName = 'webhooks';

  constructor() {
    super();
    this.endpoints = null;
  }

  override render() {
    const sites = this.controller?.sites.filter((site) => !site.archived) ?? [];
    return html`<section aria-labelledby="webhooks-title">
      ${this.renderList(
        'Webhooks',
        this.endpoints,
        { loading: 'Loading the webhooks…', none: 'No webhooks yet.' },
        (endpoint) => this.renderEndpoint(endpoint),
      )}
      <form @submit=${this._onAddWebhook} aria-labelledby="new-webhook-title" novalidate>
        <h4 id="new-webhook-title">Add a webhook</h4>
        <label
          >Address <span class="hint">where the receiving system listens: https://…</span>
          <input
            name="url"
            type="url"
            maxlength="2000"
            required
            autocomplete="off"
            autocapitalize="none"
            spellcheck="false"
        /></label>
        <fieldset>
          <legend>Events to send</legend>
          ${WEBHOOK_EVENTS.map(
            (event) =>
              html`<label class="choice"
                ><input type="checkbox" name="event" value=${event} />${WEBHOOK_EVENT_LABELS[event]}</label
              >`,
          )}
        </fieldset>
        <label
          >Site
          <select name="siteId">
            <option value="">Every site</option>
            ${sites.map((site) => html`<option value=${site.id}>${site.name}</option>`)}
          </select>
        </label>
        <label class="choice"
          ><input type="checkbox" name="privateNetwork" aria-describedby="private-hint" />This
          receiver is on the gym's own network or this computer</label
        >
        <p id="private-hint" class="hint">
          Tick it only for a system inside the gym: its address may then be private (such as
          192.168.…). Plain http:// is allowed only to this computer — the one Headcount's server
          runs on — and only with this box ticked; every other address is https.
        </p>
        ${this.renderProblem()}
        <button ?disabled=${this.gate.busy}>Add webhook</button>
      </form>
    </section>`;
  }

  private renderEndpoint(endpoint: WebhookEndpointInfo) {
    const status = webhookStatus(endpoint, Date.now(), this.controller?.settings.timeZone);
    const events = endpoint.events.map((e) => WEBHOOK_EVENT_LABELS[e]).join(', ');
    const paused = endpoint.pausedAt !== null;
    const url = endpoint.url;
    return html`<li data-id=${endpoint.id}>
      <span>
        <strong>${url}</strong>
        <span class="status ${status.state}"
          ><span aria-hidden="true">${STATE_ICONS[status.state]} </span>${status.text}</span
        >
        ${status.failed ? html`<span class="warning">${status.failed}</span>` : nothing}
        <span class="muted"
          >· ${events} · ${this.siteName(endpoint.siteId)}${endpoint.privateNetwork ? ' · on the gym’s own network' : ''}</span
        >
      </span>
      <span class="actions">
        <button
          type="button"
          class="secondary toggle"
          aria-label=${`${paused ? 'Resume' : 'Pause'} ${url}`}
          @click=${() => this.pause(endpoint, !paused)}
        >
          ${paused ? 'Resume' : 'Pause'}
        </button>
        <button
          type="button"
          class="secondary"
          aria-label=${`Delete ${url}`}
          @click=${() => (this.confirming = endpoint.id)}
        >
          Delete…
        </button>
      </span>
      ${
        this.confirming === endpoint.id
          ? this.renderConfirm(
              `Confirm deleting ${url}`,
              `Delete the webhook to ${url}? Nothing more is sent there${endpoint.pending > 0 ? `, and the ${endpoint.pending} deliveries waiting are dropped` : ''}. The receiving system is not told.`,
              'Delete',
              () => this.deleteEndpoint(endpoint),
            )
          : nothing
      }
    </li>`;
  }

  private siteName(siteId: string | null): string {
    if (siteId === null) return 'every site';
    return this.controller?.sites.find((site) => site.id === siteId)?.name ?? siteId;
  }

  private async _onAddWebhook(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const url = String(data.get('url') ?? '').trim();
    const events = data.getAll('event').map(String) as WebhookEvent[];
    const siteId = String(data.get('siteId') ?? '');
    const privateNetwork = data.get('privateNetwork') !== null;
    const field = form.querySelector<HTMLInputElement>('input[name="url"]');
    if (url === '') return this.refuse('A webhook needs an address.', field);
    if (events.length === 0)
      return this.refuse(
        'Tick the events to send.',
        form.querySelector<HTMLInputElement>('input[name="event"]'),
      );
    await this.call(
      async (api) => {
        const made = await api.createWebhook({
          url,
          events,
          ...(siteId === '' ? {} : { siteId }),
          ...(privateNetwork ? { privateNetwork } : {}),
        });
        await this.madeSecret(
          form,
          `Added the webhook to ${made.endpoint.url}. Copy its signing secret now.`,
          { what: made.endpoint.url, secret: made.secret },
        );
      },
      { field },
    );
  }

  private async pause(endpoint: WebhookEndpointInfo, paused: boolean): Promise<void> {
    await this.call(async (api) => {
      await api.pauseWebhook(endpoint.id, paused);
      await this.load();
      this.notify(
        paused
          ? `The webhook to ${endpoint.url} is paused: its events are kept until you resume it.`
          : `The webhook to ${endpoint.url} is resumed: what waited is being sent.`,
      );
      // The same button, now saying the opposite.
      await this.focusIn(`li[data-id="${endpoint.id}"] button.toggle`);
    });
  }

  private async deleteEndpoint(endpoint: WebhookEndpointInfo): Promise<void> {
    await this.call(async (api) => {
      await api.deleteWebhook(endpoint.id);
      await this.removed(`The webhook to ${endpoint.url} is deleted.`);
    });
  }

  protected override async load(): Promise<void> {
    const endpoints = [...(await this.api().webhooks())].sort((a, b) => a.createdAt - b.createdAt);
    this.endpoints = endpoints;
    this.dispatchEvent(new EndpointsLoadedEvent(endpoints));
  }
}

customElements.define('hc-webhook-endpoints', HcWebhookEndpoints);

declare global {
  interface HTMLElementTagNameMap {
    'hc-webhook-endpoints': HcWebhookEndpoints;
  }
}
