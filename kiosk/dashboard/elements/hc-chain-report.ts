import { css, html, LitElement, nothing } from 'lit';
import type { ChainVisitsAnswer, ChainVisitsRow } from '../../../shared/apiProtocol';
import { addDays, localDayOf } from '../../../shared/localTime';
import { errorOf } from '../../apiRequest';
import type { DashboardPort } from '../DashboardPort';
import { dashboardStyles } from './dashboardStyles';

/** Days the range covers by default, today included: the last 30 days, a month at a glance. */
export const CHAIN_REPORT_DAYS = 30;

/**
 * "Visits across the chain", on Reports for admins ([C6]): per site, the visits of a range of
 * local days, the different members, and the visits of members whose home is another site, by
 * home site, with the chain's total — from the server's record (`GET /api/reports/chain`).
 * Four number columns and the by-home text on a line of its own fit a 360-px phone.
 */
export class HcChainReport extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    answer: { state: true },
    loading: { state: true },
    message: { state: true },
  };

  static override styles = [
    dashboardStyles,
    css`
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: end;
      }
      form label {
        flex: 1 1 9rem;
      }
      p {
        margin: 0;
      }
      caption {
        text-align: left;
        font-weight: 600;
        padding-bottom: 0.25rem;
      }
      th[scope='row'] {
        overflow-wrap: anywhere;
      }
      th[scope='col']:not(:first-child),
      td {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      tr.has-away th,
      tr.has-away td {
        border-bottom: 0;
      }
      td.from {
        text-align: left;
        padding-top: 0;
        overflow-wrap: anywhere;
      }
      tfoot th,
      tfoot td {
        font-weight: 700;
        border-bottom: 0;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  /** The last report shown, or null before "Show". */
  declare answer: ChainVisitsAnswer | null;
  declare loading: boolean;
  /** The server's error, or the missing network; null when the last request went well. */
  declare message: string | null;
  /** Numbers each request, so an older answer arriving late does not replace a newer one. */
  private asked = 0;

  constructor() {
    super();
    this.revision = 0;
    this.answer = null;
    this.loading = false;
    this.message = null;
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    const today = localDayOf(Date.now(), controller.settings.timeZone);
    return html`<section aria-labelledby="chain-report-title">
      <h3 id="chain-report-title">Visits across the chain</h3>
      <form @submit=${this.onShow}>
        <label
          >From
          <input name="from" type="date" required .value=${addDays(today, 1 - CHAIN_REPORT_DAYS)}
        /></label>
        <label>To <input name="to" type="date" required .value=${today} /></label>
        <button ?disabled=${this.loading}>Show</button>
      </form>
      ${this.message ? html`<p class="error" role="alert">${this.message}</p>` : nothing}
      <div role="status">${this.loading ? html`<p>Loading…</p>` : nothing}</div>
      ${this.answer && !this.loading ? this.renderAnswer(controller, this.answer) : nothing}
    </section>`;
  }

  private renderAnswer(controller: DashboardPort, answer: ChainVisitsAnswer) {
    if (answer.sites.length === 0) return html`<p>No sites yet.</p>`;
    // Names from the session's sites; the report's own rows name sites this account has not listed.
    const names = new Map(answer.sites.map((site) => [site.siteId, site.name]));
    for (const site of controller.sites) names.set(site.id, site.name);
    return html`
      ${
        answer.total.visits === 0
          ? html`<p>No visits from ${answer.from} to ${answer.to}.</p>`
          : nothing
      }
      <table>
        <caption>
          Visits by site, ${answer.from} to ${answer.to}
        </caption>
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col">Visits</th>
            <th scope="col">Members</th>
            <th scope="col">Away</th>
          </tr>
        </thead>
        <tbody>
          ${answer.sites.map((row) => this.renderSite(row, names))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td>${answer.total.visits}</td>
            <td>${answer.total.members}</td>
            <td>${answer.total.awayVisits}</td>
          </tr>
        </tfoot>
      </table>
      <p class="muted">
        Away: visits by members whose home is another site. A member who visited several sites
        counts once in the chain's total of members.
      </p>
    `;
  }

  private renderSite(row: ChainVisitsRow, names: ReadonlyMap<string, string>) {
    const name = names.get(row.siteId) ?? row.name;
    const from = row.byHome
      .map((home) => `${home.visits} from ${names.get(home.homeSite) ?? home.homeSite}`)
      .join(', ');
    return html`<tr class=${from ? 'has-away' : ''}>
        <th scope="row">${name}</th>
        <td>${row.visits}</td>
        <td>${row.members}</td>
        <td>${row.awayVisits}</td>
      </tr>
      ${
        from
          ? html`<tr>
            <td colspan="4" class="from muted">Away visits: ${from}</td>
          </tr>`
          : nothing
      }`;
  }

  private async onShow(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const controller = this.controller;
    if (!controller) return;
    const data = new FormData(event.target as HTMLFormElement);
    const params = new URLSearchParams({
      from: String(data.get('from')),
      to: String(data.get('to')),
    });
    const asked = ++this.asked;
    this.loading = true;
    this.message = null;
    try {
      const answer = await controller.api('GET', `/api/reports/chain?${params}`);
      if (asked !== this.asked) return;
      if (answer.status === 200) this.answer = answer.body as ChainVisitsAnswer;
      else {
        this.answer = null;
        this.message = errorOf(answer).message;
      }
    } catch {
      if (asked !== this.asked) return;
      this.answer = null;
      this.message = 'The server cannot be reached: the chain report needs a network.';
    } finally {
      if (asked === this.asked) this.loading = false;
    }
  }
}

customElements.define('hc-chain-report', HcChainReport);

declare global {
  interface HTMLElementTagNameMap {
    'hc-chain-report': HcChainReport;
  }
}
