import { css, html, LitElement, nothing } from 'lit';
import { type DayStats, FLAG_CODES, type Flag } from '../../../shared/DayLedger';
import type { Problem } from '../../../shared/problems';
import { type AttentionGroup, type AttentionItem, attentionList } from '../attention';
import { attentionCount } from '../attentionCount';
import type { DashboardPort } from '../DashboardPort';
import { dashboardStyles } from './dashboardStyles';
import { voidForm, voidFormStyles } from './voidForm';

/** Items of a group listed at once; the rest open on request (a kiosk's clock can flag hundreds). */
export const ITEMS_SHOWN = 5;
/** Items of a group put on the page at most: enough to act on, cheap to render on a phone. */
export const ITEMS_MAX = 200;

/**
 * "Needs attention": every flag and problem of the open days in a front desk's words, grouped
 * (clock trouble per kiosk, the rest per kind), with the member, the device and the time, and a
 * "Void…" button where a void resolves it ([V6], [V10]). Viewers see the same list without
 * buttons ([B2]).
 *
 * Listing walks the whole day, so it is derived only while this screen is shown, and again only
 * when the counts in `stats` change (a void resolving a flag changes them).
 */
export class HcAttentionView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    voiding: { state: true },
    voidError: { state: true },
  };

  static override styles = [
    dashboardStyles,
    voidFormStyles,
    css`
      .groups {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.75rem;
      }
      .group {
        display: grid;
        gap: 0.4rem;
        background: #fff;
        border: 1px solid #d8d5ca;
        border-left: 4px solid #b07a00;
        border-radius: 0.5rem;
        padding: 0.6rem 0.75rem;
      }
      .group h3 {
        font-size: 1rem;
        margin: 0;
      }
      .group p {
        margin: 0;
      }
      .group .rows li {
        background: #faf9f5;
      }
      summary {
        min-height: 44px;
        display: flex;
        align-items: center;
        cursor: pointer;
        font-weight: 600;
        color: #0f3d3e;
      }
      summary:focus-visible {
        outline: 3px solid #b35c00;
        outline-offset: 2px;
      }
      .all-clear {
        font-weight: 600;
        color: #0b4d1e;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  /** The key of the item whose void form is open. */
  declare voiding: string | null;
  declare voidError: string | null;
  private askedForNames = false;
  /** The last listing, and the counts it was taken at. */
  private listed: { signature: string; flags: Flag[]; problems: Problem[] } | null = null;

  constructor() {
    super();
    this.revision = 0;
    this.voiding = null;
    this.voidError = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.askedForNames && this.controller) {
      this.askedForNames = true;
      // Offline: kiosks and staff keep the names fetched last time.
      void this.controller.refreshDevices().catch(() => {});
      void this.controller.refreshStaff().catch(() => {});
    }
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('controller')) this.listed = null;
  }

  override render() {
    const controller = this.controller;
    const stats = controller?.stats;
    if (!controller || !stats) return html`<p>Loading today's check-ins…</p>`;
    const { flags, problems } = this.listing(controller, stats);
    const groups = attentionList(flags, problems, {
      staff: controller.staff,
      devices: controller.devices,
      staffName: (id) => controller.staffName(id),
      settings: controller.settings,
      members: controller.members,
      event: (ref) => controller.event(ref),
      day: stats.day,
      now: stats.now,
    });
    return html`
      <h2>Needs attention</h2>
      ${
        groups.length === 0
          ? html`<p class="all-clear">✓ Nothing needs attention today.</p>`
          : html`<ul class="groups">
            ${groups.map((group) => this.renderGroup(controller, group))}
          </ul>`
      }
    `;
  }

  private renderGroup(controller: DashboardPort, group: AttentionGroup) {
    const first = group.items.slice(0, ITEMS_SHOWN);
    const rest = group.items.slice(ITEMS_SHOWN, ITEMS_MAX);
    const unlisted = group.items.length - ITEMS_SHOWN - rest.length;
    return html`<li class="group">
      <h3>${group.title}</h3>
      ${group.advice ? html`<p class="muted">${group.advice}</p>` : nothing}
      <ul class="rows">
        ${first.map((item) => this.renderItem(controller, item))}
      </ul>
      ${
        rest.length === 0
          ? nothing
          : html`<details>
            <summary>${rest.length + Math.max(0, unlisted)} more</summary>
            <ul class="rows">
              ${rest.map((item) => this.renderItem(controller, item))}
            </ul>
            ${unlisted > 0 ? html`<p class="muted">and ${unlisted} more not listed</p>` : nothing}
          </details>`
      }
    </li>`;
  }

  private renderItem(controller: DashboardPort, item: AttentionItem) {
    const action = controller.canEdit ? item.action : null;
    return html`<li>
      <span>
        <span class="what">${item.text}</span>
        <span class="muted">· ${item.when} · ${item.where}</span>
      </span>
      ${
        action && this.voiding !== item.key
          ? html`<button
            type="button"
            class="secondary"
            aria-label=${action.label}
            @click=${() => {
              this.voiding = item.key;
              this.voidError = null;
            }}
          >
            Void…
          </button>`
          : nothing
      }
      ${
        action && this.voiding === item.key
          ? voidForm({
              error: this.voidError,
              onVoid: (reason) => {
                controller.voidEvent(action.ref, reason);
                this.voiding = null;
              },
              onError: (message) => {
                this.voidError = message;
              },
              onCancel: () => {
                this.voiding = null;
              },
            })
          : nothing
      }
    </li>`;
  }

  /** The flags and problems, listed again only when the day or a count changed. */
  private listing(controller: DashboardPort, stats: DayStats) {
    const signature = [
      stats.day,
      stats.problemCount,
      attentionCount(stats),
      ...FLAG_CODES.map((code) => stats.flagCounts[code]),
    ].join('|');
    if (this.listed?.signature !== signature) {
      this.listed = { signature, ...controller.attention() };
    }
    return this.listed;
  }
}

customElements.define('hc-attention-view', HcAttentionView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-attention-view': HcAttentionView;
  }
}
