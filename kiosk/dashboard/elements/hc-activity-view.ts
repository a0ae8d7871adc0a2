import { html, LitElement, nothing } from 'lit';
import type { FeedItem } from '../../../shared/DayLedger';
import type { CheckinEvent } from '../../../shared/events';
import { formatClock } from '../../formatting';
import type { DashboardPort } from '../DashboardPort';
import { writerLabel } from '../writerLabel';
import { dashboardStyles } from './dashboardStyles';
import { describeFeedItem, feedItemClass, feedItemLine, feedItemStyles } from './feedItem';
import { voidForm, voidFormStyles } from './voidForm';

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

  static override styles = [dashboardStyles, feedItemStyles, voidFormStyles];

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
    const { text } = describeFeedItem(item);
    const voidable =
      controller.canEdit &&
      !item.voided &&
      (item.kind === 'checkIn' || item.kind === 'checkOut') &&
      item.outcome !== 'corrected';
    return html`<li class=${feedItemClass(item)}>
      ${feedItemLine(item, controller, zone)}
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
    return voidForm({
      error: this.voidError,
      onVoid: (reason) => {
        controller.voidEvent(item.ref, reason);
        this.voiding = null;
      },
      onError: (message) => {
        this.voidError = message;
      },
      onCancel: () => {
        this.voiding = null;
      },
    });
  }

  private auditText(controller: DashboardPort, event: CheckinEvent): string {
    const zone = controller.settings.timeZone;
    const who = writerLabel(controller, event.writer);
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
      case 'clock':
        return `${at} · ${who} corrected its clock`;
    }
  }
}

customElements.define('hc-activity-view', HcActivityView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-activity-view': HcActivityView;
  }
}
