import { css, html, LitElement, nothing } from 'lit';
import type { SiteAnswer, SiteSummary } from '../../../shared/apiProtocol';
import { type ApiAnswer, errorOf } from '../../apiRequest';
import type { DashboardPort } from '../DashboardPort';
import { isSiteId, siteSlug } from '../siteSlug';
import { timeZones } from '../timeZones';
import { dashboardStyles, tagStyles } from './dashboardStyles';
import { SwitchSiteEvent } from './SwitchSiteEvent';

const OFFLINE = 'The server cannot be reached: this needs a network.';
const BAD_ID =
  'An id is 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit.';

/**
 * "Sites", for admins: every site with its id, time zone and whether it is archived; a form to
 * add one (its id a slug of the name unless typed, its zone this site's unless chosen); and
 * archiving a club that closed, or restoring it. Each change is a call to the server's API, so
 * it needs a network; the list stays readable offline as last fetched. A site's name and zone
 * are changed afterwards in its own Settings.
 *
 * @fires hc-switch-site - "Switch to …" after adding a site: the app shows its Settings.
 */
export class HcSitesView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    name: { state: true },
    id: { state: true },
    idTyped: { state: true },
    idError: { state: true },
    message: { state: true },
    added: { state: true },
    archiving: { state: true },
    busy: { state: true },
  };

  static override styles = [
    dashboardStyles,
    css`
      form {
        display: grid;
        gap: 0.75rem;
        background: #fff;
        border: 1px solid #d8d5ca;
        border-radius: 0.5rem;
        padding: 0.75rem;
      }
      .hint {
        font-weight: 400;
        font-size: 0.9rem;
        color: #4f5a5b;
      }
      ${tagStyles}
      .added {
        display: grid;
        gap: 0.5rem;
        justify-items: start;
        background: #fff;
        border: 2px solid #0f3d3e;
        border-radius: 0.75rem;
        padding: 0.75rem;
      }
      .added p {
        margin: 0;
      }
      .actions {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  /** What the add form holds: the name, and the id (a slug of the name until typed over). */
  declare name: string;
  declare id: string;
  declare idTyped: boolean;
  declare idError: string | null;
  /** Why the last change did not happen. */
  declare message: string | null;
  /** The site just added, offered to switch to. */
  declare added: SiteSummary | null;
  /** The id of the site whose archiving waits for a confirmation. */
  declare archiving: string | null;
  declare busy: boolean;

  constructor() {
    super();
    this.revision = 0;
    this.name = '';
    this.id = '';
    this.idTyped = false;
    this.idError = null;
    this.message = null;
    this.added = null;
    this.archiving = null;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Sites added, archived or restored on another phone since the list was last fetched.
    void this.controller?.refreshSites().catch(() => {
      this.message = 'Offline: showing the sites as last seen. Changes need a network.';
    });
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    if (controller.staff?.role !== 'admin')
      return html`<h2>Sites</h2>
        <p>Only an admin adds or archives sites.</p>`;
    const sites = controller.sites;
    return html`
      <h2>Sites</h2>
      ${this.message ? html`<p class="error" role="alert">${this.message}</p>` : nothing}
      <section aria-labelledby="list-title">
        <h3 id="list-title">All sites (${sites.length})</h3>
        <ul class="rows">
          ${sites.map((site) => this.renderSite(controller, site))}
        </ul>
      </section>
      <section aria-labelledby="add-title">
        <h3 id="add-title">Add a site</h3>
        ${this.added ? this.renderAdded(this.added) : nothing}
        ${this.renderForm(controller)}
      </section>
    `;
  }

  private renderSite(controller: DashboardPort, site: SiteSummary) {
    const shown = site.id === controller.staff?.siteId;
    return html`<li>
      <span>
        <strong>${site.name}</strong>
        ${site.archived ? html`<span class="tag">Archived</span>` : nothing}
        <span class="muted">· ${site.id} · ${site.timeZone}${shown ? ' · shown now' : ''}</span>
      </span>
      ${
        this.archiving === site.id
          ? html`<div class="confirm" role="group" aria-label=${`Confirm archiving ${site.name}`}>
            <p>
              Archive “${site.name}”? Its tablets stop taking check-ins and say the club is
              archived. What they hold stays on them until the site is restored. Its history
              stays in reports, and its screens stay readable here.
            </p>
            <button
              type="button"
              class="danger"
              ?disabled=${this.busy}
              @click=${() => this.change(site, 'archive')}
            >
              Archive
            </button>
            <button type="button" class="secondary" @click=${() => (this.archiving = null)}>
              Cancel
            </button>
          </div>`
          : site.archived
            ? html`<button
              type="button"
              class="secondary"
              aria-label=${`Restore ${site.name}`}
              ?disabled=${this.busy}
              @click=${() => this.change(site, 'restore')}
            >
              Restore
            </button>`
            : html`<button
              type="button"
              class="secondary"
              aria-label=${`Archive ${site.name}`}
              @click=${() => (this.archiving = site.id)}
            >
              Archive…
            </button>`
      }
    </li>`;
  }

  private renderAdded(site: SiteSummary) {
    return html`<div class="added" role="status">
      <p><strong>Added “${site.name}”.</strong></p>
      <p>Next, switch to it: set it up in Settings and pair its tablet on the Kiosks screen.</p>
      <span class="actions">
        <button type="button" @click=${() => this._onSwitch(site)}>Switch to ${site.name}</button>
        <button type="button" class="secondary" @click=${() => (this.added = null)}>Not now</button>
      </span>
    </div>`;
  }

  private renderForm(controller: DashboardPort) {
    const zone = controller.settings.timeZone;
    return html`<form @submit=${this._onAdd} aria-labelledby="add-title" novalidate>
      <label
        >Name
        <input
          name="name"
          maxlength="60"
          required
          autocomplete="off"
          .value=${this.name}
          @input=${this._onName}
      /></label>
      <label
        >Id <span class="hint">lower-case letters, digits and hyphens; it never changes</span>
        <input
          name="id"
          maxlength="63"
          required
          autocomplete="off"
          autocapitalize="none"
          spellcheck="false"
          aria-invalid=${this.idError ? 'true' : 'false'}
          aria-describedby=${this.idError ? 'id-error' : nothing}
          .value=${this.id}
          @input=${this._onId}
      /></label>
      ${this.idError ? html`<p id="id-error" class="error" role="alert">${this.idError}</p>` : nothing}
      <label
        >Time zone
        <select name="timeZone">
          ${timeZones(zone).map((z) => html`<option ?selected=${z === zone}>${z}</option>`)}
        </select>
      </label>
      <button ?disabled=${this.busy}>Add site</button>
    </form>`;
  }

  private _onName(event: InputEvent): void {
    this.name = (event.target as HTMLInputElement).value;
    if (!this.idTyped) this.id = siteSlug(this.name);
  }

  private _onId(event: InputEvent): void {
    this.id = (event.target as HTMLInputElement).value;
    // An emptied id follows the name again.
    this.idTyped = this.id !== '';
    if (this.idError && isSiteId(this.id)) this.idError = null;
  }

  private async _onAdd(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const name = this.name.trim();
    const id = this.id.trim();
    const timeZone = String(new FormData(form).get('timeZone') ?? '');
    if (name === '') {
      this.message = 'A site needs a name.';
      form.querySelector<HTMLInputElement>('input[name="name"]')?.focus();
      return;
    }
    if (!isSiteId(id)) {
      this.idError = BAD_ID;
      form.querySelector<HTMLInputElement>('input[name="id"]')?.focus();
      return;
    }
    await this.call(async (controller) => {
      const answer = await controller.api('POST', '/api/sites', { id, name, timeZone });
      if (answer.status === 409) {
        this.idError = `A site with the id “${id}” exists already: choose another id.`;
        return null;
      }
      if (answer.status !== 201 && answer.status !== 200) return refusal(answer);
      this.added = (answer.body as SiteAnswer).site;
      this.name = '';
      this.id = '';
      this.idTyped = false;
      this.idError = null;
      await controller.refreshSites();
      return null;
    });
  }

  private async change(site: SiteSummary, action: 'archive' | 'restore'): Promise<void> {
    await this.call(async (controller) => {
      const path = `/api/sites/${encodeURIComponent(site.id)}/${action}`;
      const answer = await controller.api('POST', path);
      if (answer.status === 404) await controller.refreshSites();
      if (answer.status !== 200) return refusal(answer);
      this.archiving = null;
      await controller.refreshSites();
      return null;
    });
  }

  private _onSwitch(site: SiteSummary): void {
    this.dispatchEvent(new SwitchSiteEvent(site.id, 'settings'));
  }

  /** Runs one API action; its error (or the network's absence) becomes the screen's message. */
  private async call(action: (controller: DashboardPort) => Promise<string | null>): Promise<void> {
    const controller = this.controller;
    if (!controller) return;
    this.busy = true;
    this.message = null;
    try {
      this.message = await action(controller);
    } catch {
      this.message = OFFLINE;
    } finally {
      this.busy = false;
    }
  }
}

/** What the server's refusal means for the admin. */
function refusal(answer: ApiAnswer): string {
  const { code, message } = errorOf(answer);
  switch (code) {
    case 'no-such-site':
      return 'That site does not exist any more. The list is fetched again.';
    case 'forbidden':
      return 'Only an admin adds, archives or restores sites.';
    case 'invalid':
      return `The server did not take this site: ${message}.`;
    default:
      return `The server did not do it: ${message}.`;
  }
}

customElements.define('hc-sites-view', HcSitesView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-sites-view': HcSitesView;
  }
}
