import { css, html, LitElement, nothing } from 'lit';
import type { SiteNumbersRow } from '../../../shared/apiProtocol';
import type { DashboardPort } from '../DashboardPort';
import { dashboardStyles } from './dashboardStyles';
import { SwitchSiteEvent } from './SwitchSiteEvent';

/** How often the numbers are fetched while shown, ms. Default 15 s: a glance, not a live feed. */
export const OVERVIEW_REFRESH_MS = 15_000;

const clocks = new Map<string, Intl.DateTimeFormat>();

/** `18:05:09` in `timeZone`: the record's time to the second, as its lag is seconds. */
function clockWithSeconds(at: number, timeZone: string): string {
  let format = clocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat([], {
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZone,
    });
    clocks.set(timeZone, format);
  }
  return format.format(at);
}

/**
 * The chain at a glance, on Now for an account of several sites: each site's people in and
 * visits today, and the total, from the server's record (`GET /api/sites/overview`). It is
 * fetched again every `refreshMs` while the page is shown and online, never while hidden or
 * offline; offline, it keeps the last numbers with their time. A site's name switches to it.
 *
 * @fires hc-switch-site - a site's name was tapped: the app switches to it, on Now.
 */
export class HcChainOverview extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    refreshMs: { attribute: false },
    offline: { state: true },
  };

  static override styles = [
    dashboardStyles,
    css`
      section {
        background: #fff;
        border: 1px solid #d8d5ca;
        border-radius: 0.5rem;
        padding: 0.5rem 0.75rem;
      }
      p {
        margin: 0;
      }
      th:not(:first-child),
      td {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      tfoot th,
      tfoot td {
        font-weight: 700;
        border-bottom: 0;
      }
      td button,
      th button {
        min-height: 44px;
        padding: 0 0.5rem;
        text-align: left;
        background: none;
        color: #0f3d3e;
        text-decoration: underline;
        overflow-wrap: anywhere;
      }
      .shown {
        display: inline-block;
        padding: 0.6rem 0.5rem;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  /** How often the numbers are fetched while shown, ms (`OVERVIEW_REFRESH_MS`). */
  declare refreshMs: number;
  /** The last fetch did not reach the server, or the browser says it is offline. */
  declare offline: boolean;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly wake = () => this.schedule(0);
  private readonly sleep = () => {
    this.offline = globalThis.navigator?.onLine === false;
    this.schedule(null);
  };
  private readonly onVisibility = () => {
    this.schedule(document.visibilityState === 'hidden' ? null : 0);
  };

  constructor() {
    super();
    this.revision = 0;
    this.refreshMs = OVERVIEW_REFRESH_MS;
    this.offline = globalThis.navigator?.onLine === false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.onVisibility);
    globalThis.addEventListener('online', this.wake);
    globalThis.addEventListener('offline', this.sleep);
    this.schedule(0);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.onVisibility);
    globalThis.removeEventListener('online', this.wake);
    globalThis.removeEventListener('offline', this.sleep);
    this.schedule(null);
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    const overview = controller.overview;
    const zone = controller.settings.timeZone;
    const asOf = overview ? clockWithSeconds(overview.asOf, zone) : null;
    return html`<section aria-labelledby="chain-title">
      <h3 id="chain-title">All your sites</h3>
      ${
        overview
          ? html`<table>
              <thead>
                <tr><th scope="col">Site</th><th scope="col">In now</th><th scope="col">Visits today</th></tr>
              </thead>
              <tbody>
                ${overview.sites.map((site) => this.renderSite(controller, site))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td>${overview.total.currentlyIn}</td>
                  <td>${overview.total.visitsToday}</td>
                </tr>
              </tfoot>
            </table>`
          : html`<p>${this.offline ? 'Offline: the numbers need a network.' : 'Loading…'}</p>`
      }
      ${
        // Not a live region: a line that changes every 15 s would interrupt a screen reader.
        asOf === null
          ? nothing
          : html`<p class="muted as-of">
            ${this.offline ? `Offline — as of ${asOf}.` : `As of ${asOf}.`}
            From the server's record: a few seconds behind the live numbers of the site shown.
          </p>`
      }
    </section>`;
  }

  private renderSite(controller: DashboardPort, site: SiteNumbersRow) {
    const shown = site.id === controller.staff?.siteId;
    const name = site.archived ? `${site.name} (archived)` : site.name;
    return html`<tr>
      <th scope="row">
        ${
          shown
            ? html`<span class="shown">${name} <span class="muted">(shown)</span></span>`
            : html`<button
              type="button"
              aria-label=${`Switch to ${site.name}`}
              @click=${() => this.dispatchEvent(new SwitchSiteEvent(site.id, 'now'))}
            >
              ${name}
            </button>`
        }
      </th>
      <td>${site.currentlyIn}</td>
      <td>${site.visitsToday}</td>
    </tr>`;
  }

  /** The next fetch in `ms`, or none (`null`: hidden, offline or gone). */
  private schedule(ms: number | null): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (ms === null || !this.isConnected || document.visibilityState === 'hidden') return;
    if (globalThis.navigator?.onLine === false) return;
    this.timer = setTimeout(() => void this.refresh(), ms);
  }

  private async refresh(): Promise<void> {
    try {
      await this.controller?.refreshOverview();
      this.offline = false;
    } catch {
      // The server cannot be reached: the last numbers stay with their time.
      this.offline = true;
    }
    this.requestUpdate();
    this.schedule(this.refreshMs);
  }
}

customElements.define('hc-chain-overview', HcChainOverview);

declare global {
  interface HTMLElementTagNameMap {
    'hc-chain-overview': HcChainOverview;
  }
}
