import { css, html, LitElement, nothing } from 'lit';
import type { DayStats } from '../../../shared/DayLedger';
import { occupancyBand, percentOfCapacity } from '../../../shared/occupancyBand';
import { formatClock, formatStay } from '../../formatting';
import type { DashboardPort } from '../DashboardPort';
import { findMembers } from '../findMembers';
import { dashboardStyles } from './dashboardStyles';
import { feedItemClass, feedItemLine, feedItemStyles } from './feedItem';
import { ShowScreenEvent } from './ShowScreenEvent';
import './hc-occupancy-chart';

/**
 * People listed under "In the gym" until staff ask for all: the latest arrivals, who are the
 * ones a desk looks for; a full list of hundreds would cost every live update a long render.
 */
export const IN_LIST_SIZE = 50;
/** Events listed under the numbers: a glance at what just happened; Activity has the rest. */
export const LATEST_SIZE = 10;

/**
 * "Now": the live numbers (currently in with capacity, visits today, unique members, average
 * stay, peak), the latest events, the occupancy chart, who is in, and the desk's corrections
 * (check a member in or out by hand, check everyone out at closing).
 *
 * @fires hc-show-screen - "All activity" was chosen: the app shows the Activity screen.
 */
export class HcLiveView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    query: { state: true },
    confirmingAll: { state: true },
    showAll: { state: true },
  };

  static override styles = [
    dashboardStyles,
    feedItemStyles,
    css`
      .tiles {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr));
        gap: 0.5rem;
      }
      .tile {
        background: #fff;
        border: 1px solid #d8d5ca;
        border-radius: 0.75rem;
        padding: 0.6rem 0.75rem;
      }
      .tile .value {
        font-size: 1.9rem;
        font-weight: 800;
        line-height: 1.1;
      }
      .tile .label {
        font-size: 0.9rem;
        color: #3d4b4c;
      }
      .tile.current {
        grid-column: 1 / -1;
      }
      .level {
        font-weight: 700;
      }
      .level.busy {
        color: #6b4500;
      }
      .level.full {
        color: #8a1c1c;
      }
      .tile.busy {
        border-color: #b07a00;
        border-width: 2px;
      }
      .tile.full {
        border-color: #8a1c1c;
        border-width: 2px;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  declare query: string;
  declare confirmingAll: boolean;
  declare showAll: boolean;

  constructor() {
    super();
    this.revision = 0;
    this.query = '';
    this.confirmingAll = false;
    this.showAll = false;
  }

  override render() {
    const controller = this.controller;
    const stats = controller?.stats;
    if (!controller || !stats) return html`<p>Loading today's check-ins…</p>`;
    const zone = controller.settings.timeZone;
    return html`
      <h2 class="visually-hidden">Now</h2>
      <section class="tiles" aria-label="Today's numbers">
        ${this.renderCurrent(stats)}
        ${tile('Visits today', String(stats.visitsToday))}
        ${tile('Unique members', String(stats.uniqueMembersToday))}
        ${tile('Average stay', stats.averageStayMs === null ? '—' : formatStay(stats.averageStayMs))}
        ${tile(
          'Peak so far',
          String(stats.peak.count),
          stats.peak.at === null ? undefined : `at ${formatClock(stats.peak.at, zone)}`,
        )}
      </section>
      <section aria-labelledby="latest-title">
        <h3 id="latest-title">Latest activity</h3>
        ${
          stats.feed.length === 0
            ? html`<p>Nothing has happened yet today.</p>`
            : html`<ol class="rows" aria-label="Latest first">
              ${stats.feed
                .slice(0, LATEST_SIZE)
                .map(
                  (item) =>
                    html`<li class=${feedItemClass(item)}>${feedItemLine(item, controller, zone)}</li>`,
                )}
            </ol>`
        }
        <button type="button" class="secondary" @click=${this._onAllActivity}>All activity</button>
      </section>
      <section aria-labelledby="chart-title">
        <h3 id="chart-title">Occupancy today</h3>
        <hc-occupancy-chart
          .buckets=${stats.occupancy}
          .timeZone=${zone}
          .capacity=${controller.settings.capacity}
          .now=${stats.now}
        ></hc-occupancy-chart>
      </section>
      ${controller.canEdit ? this.renderCheckIn(controller) : nothing}
      <section aria-labelledby="in-title">
        <h3 id="in-title">In the gym (${stats.currentlyIn.length})</h3>
        ${
          stats.currentlyIn.length === 0
            ? html`<p>No one is in right now.</p>`
            : html`<ul class="rows">
              ${(this.showAll ? stats.currentlyIn : stats.currentlyIn.slice(-IN_LIST_SIZE)).map(
                (p) => html`<li>
                  <span
                    ><strong>${p.name}</strong>
                    <span class="muted">since ${formatClock(p.since, zone)}</span></span
                  >
                  ${
                    controller.canEdit
                      ? html`<button
                        type="button"
                        class="secondary"
                        aria-label=${`Check out ${p.name}`}
                        @click=${() => controller.checkOut(p.memberId)}
                      >
                        Check out
                      </button>`
                      : nothing
                  }
                </li>`,
              )}
            </ul>`
        }
        ${
          stats.currentlyIn.length > IN_LIST_SIZE
            ? html`<button type="button" class="secondary" @click=${() => (this.showAll = !this.showAll)}>
              ${this.showAll ? `Show the latest ${IN_LIST_SIZE}` : `Show all ${stats.currentlyIn.length}`}
            </button>`
            : nothing
        }
        ${controller.canEdit && stats.currentlyIn.length > 0 ? this.renderCheckOutAll(controller, stats) : nothing}
      </section>
    `;
  }

  private renderCurrent(stats: DayStats) {
    const capacity = this.controller?.settings.capacity ?? null;
    const count = stats.currentlyIn.length;
    const percent = percentOfCapacity(count, capacity);
    // The same bands as the public page ([S9]): busy from 80 %, very busy ("nearly full") from 90 %.
    const band = occupancyBand(count, capacity);
    const level = band === 'very-busy' ? 'full' : band === 'busy' ? 'busy' : null;
    return html`<div class="tile current ${level ?? ''}">
      <div class="value">${count}</div>
      <div class="label">
        Currently in${percent === null ? '' : ` · ${percent} % of ${capacity}`}
        ${
          level === 'full'
            ? html`<span class="level full">⛔ Nearly full</span>`
            : level === 'busy'
              ? html`<span class="level busy">⚠ Busy</span>`
              : nothing
        }
      </div>
    </div>`;
  }

  private renderCheckIn(controller: DashboardPort) {
    const hits = findMembers(controller.members.values(), this.query, 6);
    return html`<section aria-labelledby="manual-title">
      <h3 id="manual-title">Check a member in</h3>
      <label
        >Member name or number
        <input
          type="search"
          .value=${this.query}
          @input=${(e: InputEvent) => {
            this.query = (e.target as HTMLInputElement).value;
          }}
          autocomplete="off"
      /></label>
      <ul class="rows" aria-live="polite">
        ${hits.map(
          (hit) => html`<li>
            <span><strong>${hit.name}</strong> <span class="muted">${hit.id} · ${hit.status}</span></span>
            <button
              type="button"
              aria-label=${`Check in ${hit.name}`}
              @click=${() => {
                controller.checkIn(hit.id);
                this.query = '';
              }}
            >
              Check in
            </button>
          </li>`,
        )}
      </ul>
    </section>`;
  }

  private renderCheckOutAll(controller: DashboardPort, stats: DayStats) {
    if (!this.confirmingAll)
      return html`<button type="button" class="secondary" @click=${() => (this.confirmingAll = true)}>
        Check everyone out…
      </button>`;
    return html`<div role="group" aria-label="Confirm check everyone out" class="confirm">
      <p>Check out all ${stats.currentlyIn.length} people now? Use this at closing time.</p>
      <button
        type="button"
        class="danger"
        @click=${() => {
          controller.checkOutEveryone();
          this.confirmingAll = false;
        }}
      >
        Check everyone out
      </button>
      <button type="button" class="secondary" @click=${() => (this.confirmingAll = false)}>Cancel</button>
    </div>`;
  }

  private _onAllActivity(): void {
    this.dispatchEvent(new ShowScreenEvent('activity'));
  }
}

function tile(label: string, value: string, detail?: string) {
  return html`<div class="tile">
    <div class="value">${value}</div>
    <div class="label">${label}${detail ? html` <span>${detail}</span>` : nothing}</div>
  </div>`;
}

customElements.define('hc-live-view', HcLiveView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-live-view': HcLiveView;
  }
}
