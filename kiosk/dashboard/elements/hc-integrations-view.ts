import { html, LitElement, nothing } from 'lit';
import type { WebhookEndpointInfo } from '../../../shared/integrationProtocol';
import type { DashboardPort } from '../DashboardPort';
import { pausedNotice } from '../webhookStatus';
import { ActionGate } from './ActionGate';
import { dashboardStyles } from './dashboardStyles';
import type {
  EndpointsLoadedEvent,
  NoticeEvent,
  SecretMadeEvent,
  ShownOnce,
} from './IntegrationsEvents';
import { integrationsStyles } from './integrationsStyles';
import './hc-api-keys';
import './hc-webhook-endpoints';

/**
 * "Integrations", for admins ([I1], [I3]): API keys with which the gym's other systems (billing,
 * doors) use the HTTP API, and webhook endpoints that hear of check-ins as they happen. A new key
 * or signing secret is shown once, to copy; keys are revoked and endpoints paused, resumed or
 * deleted, each a call to the server's API (so it needs a network). A paused endpoint is said at
 * the top, whichever part the admin looks at.
 *
 * The screen is the frame: the two parts (`hc-api-keys`, `hc-webhook-endpoints`) each load and
 * change their own list, one action at a time across both, and tell the screen what to announce
 * and what to show once.
 */
export class HcIntegrationsView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    endpoints: { state: true },
    notice: { state: true },
    shown: { state: true },
  };

  static override styles = [dashboardStyles, integrationsStyles];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  /** Every webhook endpoint as the webhooks part last fetched it; null before its first answer. */
  declare endpoints: readonly WebhookEndpointInfo[] | null;
  /** What the last action did. */
  declare notice: string;
  /** The key or signing secret just made: shown this once. */
  declare shown: ShownOnce | null;

  private readonly gate = new ActionGate();

  constructor() {
    super();
    this.revision = 0;
    this.endpoints = null;
    this.notice = '';
    this.shown = null;
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    if (controller.staff?.role !== 'admin')
      return html`<h2>Integrations</h2>
        <p>Only an admin manages API keys and webhooks.</p>`;
    const paused = pausedNotice(this.endpoints ?? []);
    return html`
      <h2>Integrations</h2>
      <p class="intro">
        The gym's other systems — billing, door access, a screen in the window — can work with
        Headcount. An <strong>API key</strong> lets a system read or change members and read
        visits over the HTTP API. A <strong>webhook</strong> sends each check-in, check-out and
        other event to a system's address as it happens. Every call is described in the
        <a href="/api/openapi.json" target="_blank" rel="noopener"
          >API reference<span class="visually-hidden"> (opens in a new tab)</span></a
        >.
      </p>
      ${paused ? html`<p class="paused-notice">⏸ ${paused}</p>` : nothing}
      <p role="status">${this.notice}</p>
      ${this.shown ? this.renderShown(this.shown) : nothing}
      <hc-api-keys
        .controller=${controller}
        .revision=${this.revision}
        .gate=${this.gate}
        @hc-integrations-notice=${this._onNotice}
        @hc-secret-made=${this._onSecretMade}
      ></hc-api-keys>
      <hc-webhook-endpoints
        .controller=${controller}
        .revision=${this.revision}
        .gate=${this.gate}
        @hc-integrations-notice=${this._onNotice}
        @hc-secret-made=${this._onSecretMade}
        @hc-endpoints-loaded=${this._onEndpointsLoaded}
      ></hc-webhook-endpoints>
    `;
  }

  private renderShown(shown: ShownOnce) {
    const key = shown.part === 'keys';
    const label = key ? 'API key' : 'Signing secret';
    return html`<section class="shown" aria-labelledby="shown-title">
      <h3 id="shown-title" tabindex="-1">
        ${key ? `New API key: ${shown.what}` : `Signing secret for ${shown.what}`}
      </h3>
      <label
        >${label}
        <input
          class="secret"
          readonly
          spellcheck="false"
          .value=${shown.secret}
          @focus=${(e: FocusEvent) => (e.target as HTMLInputElement).select()}
      /></label>
      <p>
        ${
          key
            ? 'Copy this key now: it is not shown again. Give it to the system that will use it; send it as Authorization: Bearer <key>.'
            : 'Copy this signing secret now: it is not shown again. Give it to the receiving system: with it, the system checks that each delivery comes from Headcount (Standard Webhooks signatures).'
        }
      </p>
      <span class="actions">
        <button type="button" @click=${() => this._onCopy(shown)}>Copy</button>
        <button type="button" class="secondary" @click=${this._onDone}>Done</button>
      </span>
    </section>`;
  }

  private _onNotice(event: NoticeEvent): void {
    this.notice = event.text;
  }

  /** Shows a secret made just now and moves focus to it, where a screen reader reads it from. */
  private _onSecretMade(event: SecretMadeEvent): void {
    this.shown = event.shown;
    void this.focusIn('#shown-title');
  }

  private _onEndpointsLoaded(event: EndpointsLoadedEvent): void {
    this.endpoints = event.endpoints;
  }

  private _onDone(): void {
    const part = this.shown?.part ?? 'keys';
    this.shown = null;
    this.notice = '';
    void this.focusIn(part === 'keys' ? '#keys-title' : '#webhooks-title');
  }

  private async _onCopy(shown: ShownOnce): Promise<void> {
    const what = shown.part === 'keys' ? 'key' : 'signing secret';
    try {
      await navigator.clipboard.writeText(shown.secret);
      this.notice = `The ${what} is copied.`;
    } catch {
      this.renderRoot.querySelector<HTMLInputElement>('.shown input')?.focus();
      this.notice = `The ${what} is selected: copy it with your phone’s menu.`;
    }
  }

  private async focusIn(selector: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }
}

customElements.define('hc-integrations-view', HcIntegrationsView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-integrations-view': HcIntegrationsView;
  }
}
