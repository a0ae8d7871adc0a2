import { css, html, LitElement, nothing } from 'lit';
import type { FeedItem } from '../../../shared/DayLedger';
import type { CheckinEvent, Writer } from '../../../shared/events';
import { formatClock, formatStay } from '../../formatting';
import type { DashboardPort } from '../DashboardPort';
import { dashboardStyles } from './dashboardStyles';

/** Corrections listed in the audit list, newest first. */
const AUDIT_SIZE = 100;

/**
 * "Activity": the feed of the day, newest first — check-ins, check-outs with their stay, denied
 * attempts and corrections, each with its time and kiosk — where staff void a mistaken check-in
 * or check-out with a reason; and the audit list of every correction made by staff today.
 */
export class HcActivityView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    voiding: { state: true },
    voidError: { state: true },
  };

  static override styles = [
    dashboardStyles,
    css`
      .icon {
        display: inline-block;
        width: 1.5rem;
        text-align: center;
        font-weight: 800;
      }
      .in .icon {
        color: #0b6b2b;
      }
      .out .icon {
        color: #0f3d3e;
      }
      .denied .icon,
      .correction .icon {
        color: #8a1c1c;
      }
      .voided .what {
        text-decoration: line-through;
      }
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: end;
        flex-basis: 100%;
      }
      form label {
        flex: 1 1 12rem;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  /** The ref of the feed item whose void form is open: ids alone may repeat across writers. */
  declare voiding: string | null;
  declare voidError: string | null;
  private askedForDevices = false;

  constructor() {
    super();
    this.revision = 0;
    this.voiding = null;
    this.voidError = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.askedForDevices && this.controller) {
      this.askedForDevices = true;
      // Offline: kiosks and staff keep the names fetched last time.
      void this.controller.refreshDevices().catch(() => {});
      void this.controller.refreshStaff().catch(() => {});
    }
  }

  override render() {
    const controller = this.controller;
    const stats = controller?.stats;
    if (!controller || !stats) return html`<p>Loading today's activity…</p>`;
    const audit = controller
      .events()
      .filter((e) => e.writer.role === 'staff')
      .slice(-AUDIT_SIZE)
      .reverse();
    return html`
      <section aria-labelledby="feed-title">
        <h2 id="feed-title">Activity today</h2>
        ${
          stats.feed.length === 0
            ? html`<p>Nothing has happened yet today.</p>`
            : html`<ol class="rows" aria-label="Newest first">
              ${stats.feed.map((item) => this.renderItem(controller, item))}
            </ol>`
        }
      </section>
      <section aria-labelledby="audit-title">
        <h2 id="audit-title">Corrections by staff</h2>
        ${
          audit.length === 0
            ? html`<p>No corrections today.</p>`
            : html`<ol class="rows">
              ${audit.map((event) => html`<li>${this.auditText(controller, event)}</li>`)}
            </ol>`
        }
      </section>
    `;
  }

  private renderItem(controller: DashboardPort, item: FeedItem) {
    const zone = controller.settings.timeZone;
    const { icon, text, tone } = describe(item);
    const voidable =
      controller.canEdit &&
      !item.voided &&
      (item.kind === 'checkIn' || item.kind === 'checkOut') &&
      item.outcome !== 'corrected';
    return html`<li class="${tone} ${item.voided ? 'voided' : ''}">
      <span>
        <span class="icon" aria-hidden="true">${icon}</span>
        <span class="what">${text}</span>
        ${item.voided ? html`<strong> (voided)</strong>` : nothing}
        <span class="muted"
          >· ${formatClock(item.at, zone)} · ${this.writerName(controller, item.writer)}${
            item.location ? ` · ${item.location}` : ''
          }</span
        >
      </span>
      ${
        voidable && this.voiding !== item.ref
          ? html`<button
            type="button"
            class="secondary"
            aria-label=${`Void ${text} at ${formatClock(item.at, zone)}`}
            @click=${() => {
              this.voiding = item.ref;
              this.voidError = null;
            }}
          >
            Void…
          </button>`
          : nothing
      }
      ${this.voiding === item.ref ? this.renderVoidForm(controller, item) : nothing}
    </li>`;
  }

  private renderVoidForm(controller: DashboardPort, item: FeedItem) {
    const submit = (event: SubmitEvent) => {
      event.preventDefault();
      const reason = String(new FormData(event.target as HTMLFormElement).get('reason') ?? '');
      if (reason.trim().length === 0) {
        this.voidError = 'Say why, for the audit list.';
        return;
      }
      controller.voidEvent(item.ref, reason);
      this.voiding = null;
    };
    return html`<form @submit=${submit} aria-label="Void this entry">
      <label
        >Reason
        <input name="reason" maxlength="200" required placeholder="e.g. scanned the wrong card"
      /></label>
      <button class="danger">Void</button>
      <button type="button" class="secondary" @click=${() => (this.voiding = null)}>Cancel</button>
      ${this.voidError ? html`<p class="error" role="alert">${this.voidError}</p>` : nothing}
    </form>`;
  }

  private writerName(controller: DashboardPort, writer: Writer): string {
    if (writer.role === 'staff') {
      if (writer.id === controller.staff?.id) return 'you';
      const name = controller.staffName(writer.id);
      return name ? `staff: ${name}` : 'staff';
    }
    return controller.devices.find((d) => d.id === writer.id)?.name ?? 'kiosk';
  }

  private auditText(controller: DashboardPort, event: CheckinEvent): string {
    const zone = controller.settings.timeZone;
    const who = this.writerName(controller, event.writer);
    const at = formatClock(event.at, zone);
    const name = (id: string) => controller.members.get(id)?.name ?? id;
    switch (event.kind) {
      case 'void': {
        // A void written before voids named the writer may name events of several writers.
        const target = controller.targetsOf(event)[0];
        const what =
          target && 'memberId' in target
            ? `${name(target.memberId)}'s ${target.kind === 'checkIn' ? 'check-in' : 'check-out'} at ${formatClock(target.at, zone)}`
            : 'an entry';
        return `${at} · ${who} voided ${what}: “${event.reason}”`;
      }
      case 'checkOutAll':
        return `${at} · ${who} checked everyone out`;
      case 'checkIn':
        return `${at} · ${who} checked in ${name(event.memberId)}`;
      case 'checkOut':
        return `${at} · ${who} checked out ${name(event.memberId)}`;
      case 'denied':
        return `${at} · ${who} recorded a denied entry`;
    }
  }
}

/** Icon, words and tone of a feed item: never colour alone. */
function describe(item: FeedItem): { icon: string; text: string; tone: string } {
  switch (item.outcome) {
    case 'visit-start':
      return { icon: '✓', text: `${item.name} checked in`, tone: 'in' };
    case 'repeat-check-in':
      return { icon: '✓', text: `${item.name} scanned again (same visit)`, tone: 'in' };
    case 'visit-end':
      return {
        icon: '→',
        text: `${item.name} checked out, stayed ${formatStay(item.stayMs ?? 0)}`,
        tone: 'out',
      };
    case 'repeat-check-out':
      return { icon: '→', text: `${item.name} checked out again`, tone: 'out' };
    case 'unmatched':
      return { icon: '?', text: `${item.name} checked out without a check-in`, tone: 'out' };
    case 'denied':
      return {
        icon: '⛔',
        text: `${item.memberId ? item.name : 'Unknown card'} denied: ${item.reason ?? ''}`,
        tone: 'denied',
      };
    case 'void':
      return {
        icon: '✎',
        text: `Staff voided an entry: “${item.reason ?? ''}”`,
        tone: 'correction',
      };
    case 'check-out-all':
      return { icon: '✎', text: 'Staff checked everyone out', tone: 'correction' };
    case 'corrected':
      return {
        icon: '↺',
        text: `${item.name} ${item.kind === 'checkIn' ? 'check-in' : 'check-out'} switched at the kiosk`,
        tone: 'out',
      };
    case 'voided':
      return {
        icon: '✎',
        text: `${item.name} ${item.kind === 'checkIn' ? 'checked in' : 'checked out'}`,
        tone: 'correction',
      };
  }
}

customElements.define('hc-activity-view', HcActivityView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-activity-view': HcActivityView;
  }
}
