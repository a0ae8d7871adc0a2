import { css, html, LitElement, nothing } from 'lit';
import type {
  ApiKeyInfo,
  ApiKeyScope,
  WebhookEndpointInfo,
  WebhookEvent,
} from '../../../shared/integrationProtocol';
import {
  API_KEY_SCOPES,
  SCOPE_LABELS,
  WEBHOOK_EVENT_LABELS,
  WEBHOOK_EVENTS,
} from '../../../shared/integrations';
import { formatWhen } from '../../formatting';
import { ApiRefusal } from '../ApiRefusal';
import type { DashboardPort } from '../DashboardPort';
import { IntegrationsApi } from '../IntegrationsApi';
import { SignedOutError } from '../StaffSession';
import { pausedNotice, type WebhookState, webhookStatus } from '../webhookStatus';
import { dashboardStyles } from './dashboardStyles';

const STATE_ICONS: Readonly<Record<WebhookState, string>> = {
  paused: '⏸',
  retrying: '↻',
  failing: '⚠',
  delivering: '✓',
  new: '•',
};
const OFFLINE = 'The server cannot be reached: this needs a network.';

/** The two parts of the screen; each says what went wrong by its own list and form. */
type Part = 'keys' | 'webhooks';

/** A secret the server gives once: a new key, or a new endpoint's signing secret. */
interface ShownOnce {
  readonly part: Part;
  /** The key's name, or the endpoint's URL. */
  readonly what: string;
  readonly secret: string;
}

/** What waits for a confirmation: revoking a key, or deleting an endpoint. */
type Confirming = { readonly id: string; readonly action: 'revoke' | 'delete' };

/**
 * "Integrations", for admins ([I1], [I3]): API keys with which the gym's other systems (billing,
 * doors) use the HTTP API, and webhook endpoints that hear of check-ins as they happen. A new key
 * or signing secret is shown once, to copy; keys are revoked and endpoints paused, resumed or
 * deleted, each a call to the server's API (so it needs a network). A paused endpoint is said at
 * the top, whichever part the admin looks at.
 */
export class HcIntegrationsView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    keys: { state: true },
    endpoints: { state: true },
    problems: { state: true },
    notice: { state: true },
    shown: { state: true },
    confirming: { state: true },
    busy: { state: true },
  };

  static override styles = [
    dashboardStyles,
    css`
      form,
      .shown {
        display: grid;
        gap: 0.75rem;
        background: #fff;
        border: 1px solid #d8d5ca;
        border-radius: 0.5rem;
        padding: 0.75rem;
      }
      .shown {
        gap: 0.5rem;
        border: 2px solid #0f3d3e;
        border-radius: 0.75rem;
      }
      .shown p,
      .shown h3,
      form h4,
      .intro {
        margin: 0;
      }
      .secret {
        font-family: ui-monospace, monospace;
      }
      .hint {
        font-weight: 400;
        font-size: 0.9rem;
        color: #4f5a5b;
      }
      fieldset {
        display: grid;
        gap: 0.25rem;
        border: 1px solid #6b7172;
        border-radius: 0.5rem;
        padding: 0.5rem 0.75rem;
      }
      legend {
        font-weight: 600;
        padding: 0 0.25rem;
      }
      .choice {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        min-height: 44px;
        font-weight: 400;
      }
      .choice input {
        flex: none;
        min-height: 0;
        width: 1.4rem;
        height: 1.4rem;
        margin: 0;
      }
      .tag {
        justify-self: start;
        display: inline-block;
        border-radius: 1rem;
        padding: 0 0.5rem;
        font-size: 0.85rem;
        font-weight: 700;
        background: #e4e0d4;
        color: #2b2b2b;
      }
      .rows li > span:first-child {
        display: grid;
        gap: 0.15rem;
        min-width: 0;
        /* A long address breaks rather than widen the screen past a 320-px phone (WCAG 1.4.10). */
        overflow-wrap: anywhere;
      }
      .status {
        font-weight: 600;
      }
      .status.paused,
      .status.retrying,
      .status.failing {
        color: #6b4500;
      }
      .status.delivering {
        color: #0b4d1e;
      }
      .paused-notice {
        margin: 0;
        padding: 0.5rem 0.75rem;
        background: #fff4e0;
        border: 2px solid #b07a00;
        border-radius: 0.5rem;
        font-weight: 700;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      a {
        color: #0f3d3e;
        font-weight: 600;
      }
      a:focus-visible,
      [tabindex='-1']:focus-visible {
        outline: 3px solid #b35c00;
        outline-offset: 2px;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  /** Every API key as last fetched, revoked ones too; null before the first answer. */
  declare keys: readonly ApiKeyInfo[] | null;
  /** Every webhook endpoint as last fetched; null before the first answer. */
  declare endpoints: readonly WebhookEndpointInfo[] | null;
  /** Why the last action of each part did not happen, or why its list did not load. */
  declare problems: Readonly<Partial<Record<Part, string>>>;
  /** What the last action did. */
  declare notice: string;
  /** The key or signing secret just made: shown this once. */
  declare shown: ShownOnce | null;
  declare confirming: Confirming | null;
  declare busy: boolean;

  constructor() {
    super();
    this.revision = 0;
    this.keys = null;
    this.endpoints = null;
    this.problems = {};
    this.notice = '';
    this.shown = null;
    this.confirming = null;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.controller?.staff?.role === 'admin') {
      void this.attempt('keys', () => this.loadKeys(), { loading: true });
      void this.attempt('webhooks', () => this.loadEndpoints(), { loading: true });
    }
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
      ${this.renderKeys()}
      ${this.renderWebhooks(controller)}
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

  private renderKeys() {
    const keys = this.keys;
    return html`<section aria-labelledby="keys-title">
      <h3 id="keys-title" tabindex="-1">
        ${keys === null ? 'API keys' : `API keys (${keys.length})`}
      </h3>
      ${
        keys === null
          ? this.problems.keys
            ? nothing
            : html`<p>Loading the keys…</p>`
          : keys.length === 0
            ? html`<p class="muted">No API keys yet.</p>`
            : html`<ul class="rows">
                ${keys.map((key) => this.renderKey(key))}
              </ul>`
      }
      <form @submit=${this._onMakeKey} aria-labelledby="new-key-title" novalidate>
        <h4 id="new-key-title">Make an API key</h4>
        <label
          >Name <span class="hint">what it is for, e.g. “Billing sync”</span>
          <input name="name" maxlength="80" required autocomplete="off"
        /></label>
        <fieldset>
          <legend>What it may do</legend>
          ${API_KEY_SCOPES.map(
            (scope) =>
              html`<label class="choice"
                ><input type="checkbox" name="scope" value=${scope} />${SCOPE_LABELS[scope]}</label
              >`,
          )}
        </fieldset>
        ${this.renderProblem('keys')}
        <button ?disabled=${this.busy}>Make key</button>
      </form>
    </section>`;
  }

  private renderKey(key: ApiKeyInfo) {
    const scopes = key.scopes.map((s) => SCOPE_LABELS[s]).join(', ');
    const used = key.lastUsedAt === null ? 'never used' : `last used ${this.when(key.lastUsedAt)}`;
    return html`<li data-id=${key.id}>
      <span>
        <strong>${key.name}</strong>
        ${key.revokedAt === null ? nothing : html`<span class="tag">revoked ${this.when(key.revokedAt)}</span>`}
        <span class="muted">· ${scopes} · made ${this.when(key.createdAt)} · ${used}</span>
      </span>
      ${
        key.revokedAt === null
          ? html`<button
            type="button"
            class="secondary"
            aria-label=${`Revoke ${key.name}`}
            @click=${() => (this.confirming = { id: key.id, action: 'revoke' })}
          >
            Revoke…
          </button>`
          : nothing
      }
      ${
        this.confirming?.id === key.id
          ? this.renderConfirm(
              `Confirm revoking ${key.name}`,
              `Revoke ${key.name}? Systems using this key stop working at once, and webhooks it registered are paused. To let a system in again, make a new key.`,
              'Revoke',
              () => this.revoke(key),
            )
          : nothing
      }
    </li>`;
  }

  private renderWebhooks(controller: DashboardPort) {
    const endpoints = this.endpoints;
    const sites = controller.sites.filter((site) => !site.archived);
    return html`<section aria-labelledby="webhooks-title">
      <h3 id="webhooks-title" tabindex="-1">
        ${endpoints === null ? 'Webhooks' : `Webhooks (${endpoints.length})`}
      </h3>
      ${
        endpoints === null
          ? this.problems.webhooks
            ? nothing
            : html`<p>Loading the webhooks…</p>`
          : endpoints.length === 0
            ? html`<p class="muted">No webhooks yet.</p>`
            : html`<ul class="rows">
                ${endpoints.map((endpoint) => this.renderEndpoint(endpoint))}
              </ul>`
      }
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
        ${this.renderProblem('webhooks')}
        <button ?disabled=${this.busy}>Add webhook</button>
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
          @click=${() => (this.confirming = { id: endpoint.id, action: 'delete' })}
        >
          Delete…
        </button>
      </span>
      ${
        this.confirming?.id === endpoint.id
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

  private renderConfirm(label: string, question: string, action: string, act: () => unknown) {
    return html`<div class="confirm" role="group" aria-label=${label}>
      <p>${question}</p>
      <button type="button" class="danger" ?disabled=${this.busy} @click=${act}>${action}</button>
      <button type="button" class="secondary" @click=${() => (this.confirming = null)}>
        Cancel
      </button>
    </div>`;
  }

  private renderProblem(part: Part) {
    const problem = this.problems[part];
    return problem ? html`<p class="error" role="alert">${problem}</p>` : nothing;
  }

  private when(at: number): string {
    return formatWhen(at, Date.now(), this.controller?.settings.timeZone);
  }

  private siteName(siteId: string | null): string {
    if (siteId === null) return 'every site';
    return this.controller?.sites.find((site) => site.id === siteId)?.name ?? siteId;
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

  private async _onMakeKey(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const scopes = data.getAll('scope').map(String) as ApiKeyScope[];
    const field = form.querySelector<HTMLInputElement>('input[name="name"]');
    if (name === '') return this.refuse('keys', 'A key needs a name: what it is for.', field);
    if (scopes.length === 0)
      return this.refuse(
        'keys',
        'Tick what the key may do.',
        form.querySelector<HTMLInputElement>('input[name="scope"]'),
      );
    await this.call(
      'keys',
      async (api) => {
        const made = await api.createKey({ name, scopes });
        form.reset();
        await this.loadKeys();
        this.notice = `Made the key ${made.info.name}. Copy it now.`;
        await this.show({ part: 'keys', what: made.info.name, secret: made.key });
      },
      { field },
    );
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
    if (url === '') return this.refuse('webhooks', 'A webhook needs an address.', field);
    if (events.length === 0)
      return this.refuse(
        'webhooks',
        'Tick the events to send.',
        form.querySelector<HTMLInputElement>('input[name="event"]'),
      );
    await this.call(
      'webhooks',
      async (api) => {
        const made = await api.createWebhook({
          url,
          events,
          ...(siteId === '' ? {} : { siteId }),
          ...(privateNetwork ? { privateNetwork } : {}),
        });
        form.reset();
        await this.loadEndpoints();
        this.notice = `Added the webhook to ${made.endpoint.url}. Copy its signing secret now.`;
        await this.show({ part: 'webhooks', what: made.endpoint.url, secret: made.secret });
      },
      { field },
    );
  }

  private async revoke(key: ApiKeyInfo): Promise<void> {
    await this.call('keys', async (api) => {
      await api.revokeKey(key.id);
      this.confirming = null;
      await this.loadKeys();
      this.notice = `${key.name} is revoked: systems using it are refused from now on.`;
      await this.focusIn('#keys-title');
    });
  }

  private async pause(endpoint: WebhookEndpointInfo, paused: boolean): Promise<void> {
    await this.call('webhooks', async (api) => {
      await api.pauseWebhook(endpoint.id, paused);
      await this.loadEndpoints();
      this.notice = paused
        ? `The webhook to ${endpoint.url} is paused: its events are kept until you resume it.`
        : `The webhook to ${endpoint.url} is resumed: what waited is being sent.`;
      // The same button, now saying the opposite.
      await this.focusIn(`li[data-id="${endpoint.id}"] button.toggle`);
    });
  }

  private async deleteEndpoint(endpoint: WebhookEndpointInfo): Promise<void> {
    await this.call('webhooks', async (api) => {
      await api.deleteWebhook(endpoint.id);
      this.confirming = null;
      await this.loadEndpoints();
      this.notice = `The webhook to ${endpoint.url} is deleted.`;
      await this.focusIn('#webhooks-title');
    });
  }

  private async loadKeys(): Promise<void> {
    const keys = await this.api().keys();
    // Keys in use first, each group by name.
    this.keys = [...keys].sort(
      (a, b) =>
        Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || a.name.localeCompare(b.name),
    );
  }

  private async loadEndpoints(): Promise<void> {
    this.endpoints = [...(await this.api().webhooks())].sort((a, b) => a.createdAt - b.createdAt);
  }

  private api(): IntegrationsApi {
    if (!this.controller) throw new Error('no controller');
    return new IntegrationsApi(this.controller);
  }

  /** Shows a secret made just now and moves focus to it, where a screen reader reads it from. */
  private async show(shown: ShownOnce): Promise<void> {
    this.shown = shown;
    await this.focusIn('#shown-title');
  }

  private refuse(part: Part, text: string, field: HTMLElement | null): void {
    this.problems = { ...this.problems, [part]: text };
    this.notice = '';
    field?.focus();
  }

  private async focusIn(selector: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  /**
   * Runs one API action of `part`, one at a time: a second tap while the first is under way
   * does nothing. What went wrong is said by that part's form, and focus goes back to `field`.
   */
  private async call(
    part: Part,
    action: (api: IntegrationsApi) => Promise<void>,
    options: { field?: HTMLElement | null } = {},
  ): Promise<void> {
    if (!this.controller || this.busy) return;
    this.busy = true;
    try {
      await this.attempt(part, action, options);
    } finally {
      this.busy = false;
    }
  }

  /** Runs `action`; its refusal (or the network's absence) becomes `part`'s problem. */
  private async attempt(
    part: Part,
    action: (api: IntegrationsApi) => Promise<void>,
    options: { field?: HTMLElement | null; loading?: boolean } = {},
  ): Promise<void> {
    const { [part]: _, ...others } = this.problems;
    this.problems = others;
    try {
      await action(this.api());
    } catch (error) {
      // A session that ended signs the phone out; the app shows the sign-in screen.
      if (!(error instanceof SignedOutError))
        this.refuse(part, refusal(part, error, options.loading ?? false), options.field ?? null);
    }
  }
}

/**
 * What went wrong, for the admin: the server's refusal in its words (a webhook's address is
 * refused with the reason), or no network.
 */
function refusal(part: Part, error: unknown, loading: boolean): string {
  if (!(error instanceof ApiRefusal)) return OFFLINE;
  const message = error.message.replace(/\.$/, '');
  if (loading && error.code !== 'forbidden')
    return `The ${part === 'keys' ? 'API keys' : 'webhooks'} could not be loaded: ${message}.`;
  switch (error.code) {
    case 'forbidden':
      return 'Only an admin manages API keys and webhooks.';
    case 'not-found':
      return part === 'keys'
        ? 'That key does not exist any more.'
        : 'That webhook does not exist any more.';
    case 'bad-webhook-url':
      return `This address cannot be used: ${message}.`;
    case 'invalid':
      return `The server did not take this: ${message}.`;
    default:
      return `The server did not do it: ${message}.`;
  }
}

customElements.define('hc-integrations-view', HcIntegrationsView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-integrations-view': HcIntegrationsView;
  }
}
