import { css, html, LitElement, nothing } from 'lit';
import {
  ALERT_ACTIONS,
  ALERT_KINDS,
  type AlertAction,
  type AlertKind,
  PUBLIC_OCCUPANCY,
  type PublicOccupancy,
  type SiteSettings,
} from '../../../shared/siteDoc';
import type { DashboardPort } from '../DashboardPort';
import { timeZones } from '../timeZones';
import { dashboardStyles } from './dashboardStyles';
import { ShowScreenEvent } from './ShowScreenEvent';

const ALERT_LABELS: Record<AlertKind, string> = {
  expired: 'Membership expired',
  frozen: 'Membership frozen',
  unknown: 'Unknown card or number',
  capacity: 'Gym at capacity',
};
const ACTION_LABELS: Record<AlertAction, string> = {
  allow: 'Let in',
  warn: 'Let in with a warning',
  deny: 'Refuse',
};
const PUBLIC_LABELS: Record<PublicOccupancy, string> = {
  off: 'Off: no public page',
  band: 'Quiet, busy or very busy',
  count: 'Quiet, busy or very busy, and how many are in',
};

/** Text for an HTML attribute in the embed snippet (the site's name may hold quotes). */
const attribute = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

/**
 * "Settings": the site's settings, written into the site document (kiosks read them from there,
 * also offline). A viewer sees them without being able to change them, and nobody changes an
 * archived site's. An admin goes from here to "Sites", "Staff" and "Integrations".
 */
export class HcSettingsView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    message: { state: true },
    error: { state: true },
  };

  static override styles = [
    dashboardStyles,
    css`
      form,
      fieldset {
        display: grid;
        gap: 0.75rem;
      }
      fieldset {
        border: 1px solid #d8d5ca;
        border-radius: 0.5rem;
        background: #fff;
      }
      .hint {
        font-weight: 400;
        font-size: 0.9rem;
        color: #4f5a5b;
      }
      .public {
        display: grid;
        gap: 0.5rem;
        overflow-wrap: anywhere;
      }
      .public p {
        margin: 0;
      }
      textarea {
        font: 0.85rem/1.4 ui-monospace, monospace;
        width: 100%;
        box-sizing: border-box;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  declare message: string | null;
  declare error: string | null;

  constructor() {
    super();
    this.revision = 0;
    this.message = null;
    this.error = null;
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    const s = controller.settings;
    const zones = timeZones(s.timeZone);
    // Settings cached by an older version have no such value: off, as in a new site.
    const publicOccupancy = s.publicOccupancy ?? 'off';
    return html`
      <h2>Settings</h2>
      ${
        controller.canEdit
          ? nothing
          : html`<p>
            ${
              controller.currentSite?.archived
                ? 'This site is archived: its settings can be read, not changed.'
                : 'Your account can read these settings, not change them.'
            }
          </p>`
      }
      <form @submit=${this.onSave}>
        <fieldset ?disabled=${!controller.canEdit}>
          <legend>Site</legend>
          <label>Name <input name="name" maxlength="80" required .value=${s.name} /></label>
          <label
            >Time zone
            <select name="timeZone">
              ${zones.map((z) => html`<option ?selected=${z === s.timeZone}>${z}</option>`)}
            </select>
          </label>
          <label
            >Capacity <span class="hint">people at once; empty for no limit</span>
            <input name="capacity" type="number" min="1" max="100000" .value=${s.capacity?.toString() ?? ''}
          /></label>
          <label
            >Maximum stay, minutes <span class="hint">a visit without check-out ends by then</span>
            <input name="maxStayMinutes" type="number" min="15" max="1440" required .value=${String(s.maxStayMinutes)}
          /></label>
          <label
            >Closing time <span class="hint">everyone still in is checked out; empty if never closed</span>
            <input name="closingTime" type="time" .value=${s.closingTime ?? ''}
          /></label>
          <label
            >Repeat-scan window, seconds <span class="hint">a second scan this soon counts once</span>
            <input name="debounceSeconds" type="number" min="0" max="3600" required .value=${String(s.debounceSeconds)}
          /></label>
          <label
            >Keep visit records, days
            <input name="retentionDays" type="number" min="1" max="3650" required .value=${String(s.retentionDays)}
          /></label>
        </fieldset>
        <fieldset ?disabled=${!controller.canEdit}>
          <legend>At the door</legend>
          ${ALERT_KINDS.map(
            (kind) => html`<label
              >${ALERT_LABELS[kind]}
              <select name=${`alert.${kind}`}>
                ${ALERT_ACTIONS.map(
                  (a) =>
                    html`<option value=${a} ?selected=${s.alertPolicy[kind] === a}>${ACTION_LABELS[a]}</option>`,
                )}
              </select>
            </label>`,
          )}
        </fieldset>
        <fieldset ?disabled=${!controller.canEdit}>
          <legend>Public "how busy" page</legend>
          <p class="hint">
            A page anyone can open without signing in, to see how busy the club is before they come:
            quiet, busy (from 80 % of capacity) or very busy (from 90 %), and how busy it usually
            is at that hour. It never shows names or anything else about members.
          </p>
          <label
            >What the public page shows
            <select name="publicOccupancy">
              ${PUBLIC_OCCUPANCY.map(
                (value) =>
                  html`<option value=${value} ?selected=${publicOccupancy === value}>${PUBLIC_LABELS[value]}</option>`,
              )}
            </select>
          </label>
        </fieldset>
        ${this.renderPublicPage(controller, publicOccupancy)}
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        ${this.message ? html`<p role="status">${this.message}</p>` : nothing}
        ${controller.canEdit ? html`<button>Save settings</button>` : nothing}
      </form>
      ${
        controller.staff?.role === 'admin'
          ? html`<section aria-labelledby="sites-title">
            <h3 id="sites-title">Sites</h3>
            <p class="hint">Add a club, or archive one that has closed.</p>
            <button type="button" class="secondary" @click=${this._onSites}>Manage sites</button>
          </section>
          <section aria-labelledby="staff-title">
            <h3 id="staff-title">Staff</h3>
            <p class="hint">Add an account for someone, change what it may do, or close it.</p>
            <button type="button" class="secondary" @click=${this._onStaff}>Manage staff</button>
          </section>
          <section aria-labelledby="integrations-title">
            <h3 id="integrations-title">Integrations</h3>
            <p class="hint">
              API keys and webhooks for the gym's other systems: billing, doors, marketing.
            </p>
            <button type="button" class="secondary" @click=${this._onIntegrations}>
              Manage integrations
            </button>
          </section>`
          : nothing
      }
    `;
  }

  /** Where the public page is and how to embed it, once it is on (as saved, [P1]). */
  private renderPublicPage(controller: DashboardPort, shown: PublicOccupancy) {
    const siteId = controller.staff?.siteId;
    if (shown === 'off' || !siteId) return nothing;
    const base = controller.serverUrl.replace(/\/+$/, '');
    const url = `${base}/busy/${encodeURIComponent(siteId)}`;
    const json = `${base}/api/public/sites/${encodeURIComponent(siteId)}/occupancy`;
    const snippet = `<iframe src="${attribute(url)}" title="How busy is ${attribute(controller.settings.name)}?" width="360" height="320" style="border:0" loading="lazy"></iframe>`;
    return html`<section class="public" aria-labelledby="public-title">
      <h3 id="public-title">The public page is on</h3>
      <p>
        ${
          shown === 'count'
            ? 'It shows how busy the club is and how many people are in.'
            : 'It shows how busy the club is, not how many people are in.'
        }
        ${
          controller.settings.capacity === null
            ? ' Set a capacity above: without one it cannot say how busy the club is.'
            : ''
        }
      </p>
      <p>Page: <a href=${url} target="_blank" rel="noopener">${url}</a></p>
      <label
        >To show it on your website, paste this into a page
        <textarea readonly rows="4" .value=${snippet} @focus=${selectAll}></textarea>
      </label>
      <p class="hint">For developers: the same as JSON at ${json}, readable from any website.</p>
    </section>`;
  }

  private _onSites(): void {
    this.dispatchEvent(new ShowScreenEvent('sites'));
  }

  private _onStaff(): void {
    this.dispatchEvent(new ShowScreenEvent('staff'));
  }

  private _onIntegrations(): void {
    this.dispatchEvent(new ShowScreenEvent('integrations'));
  }

  private onSave(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const get = (key: string) => String(data.get(key) ?? '').trim();
    const capacity = get('capacity');
    const closing = get('closingTime');
    const changes: Partial<SiteSettings> = {
      name: get('name'),
      timeZone: get('timeZone'),
      capacity: capacity === '' ? null : Number(capacity),
      maxStayMinutes: Number(get('maxStayMinutes')),
      closingTime: closing === '' ? null : closing.slice(0, 5),
      debounceSeconds: Number(get('debounceSeconds')),
      retentionDays: Number(get('retentionDays')),
      publicOccupancy: get('publicOccupancy') as PublicOccupancy,
      alertPolicy: Object.fromEntries(
        ALERT_KINDS.map((kind) => [kind, get(`alert.${kind}`) as AlertAction]),
      ) as Record<AlertKind, AlertAction>,
    };
    try {
      this.controller?.saveSettings(changes);
      this.error = null;
      this.message = 'Saved. Kiosks use the new settings as soon as they are in sync.';
    } catch (error) {
      this.message = null;
      this.error = error instanceof Error ? error.message : String(error);
    }
  }
}

function selectAll(event: FocusEvent): void {
  (event.target as HTMLTextAreaElement).select();
}

customElements.define('hc-settings-view', HcSettingsView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-settings-view': HcSettingsView;
  }
}
