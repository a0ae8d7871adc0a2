import { css, html, LitElement, nothing } from 'lit';
import {
  ALERT_ACTIONS,
  ALERT_KINDS,
  type AlertAction,
  type AlertKind,
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

/**
 * "Settings": the site's settings, written into the site document (kiosks read them from there,
 * also offline). A viewer sees them without being able to change them, and nobody changes an
 * archived site's. An admin goes from here to "Sites" and "Staff".
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
          </section>`
          : nothing
      }
    `;
  }

  private _onSites(): void {
    this.dispatchEvent(new ShowScreenEvent('sites'));
  }

  private _onStaff(): void {
    this.dispatchEvent(new ShowScreenEvent('staff'));
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

customElements.define('hc-settings-view', HcSettingsView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-settings-view': HcSettingsView;
  }
}
