import { css, html, LitElement, nothing } from 'lit';
import type { MemberVisit, MemberVisitsAnswer, PeakHoursAnswer } from '../../../shared/apiProtocol';
import { addDays, localDayOf } from '../../../shared/localTime';
import { errorOf } from '../../apiRequest';
import { formatClock, formatStay } from '../../formatting';
import type { DashboardPort } from '../DashboardPort';
import { downloadText } from '../downloadText';
import { findMembers } from '../findMembers';
import { dashboardStyles } from './dashboardStyles';
import './hc-chain-report';
import './hc-peak-hours';

/**
 * "Reports": visits for a date range as a CSV file, the peak hours of the last four weeks, and
 * one member's visit history, and for admins the chain's visits by site (`hc-chain-report`) — all
 * from the server's record, so they need a network.
 */
export class HcReportsView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    message: { state: true },
    hours: { state: true },
    query: { state: true },
    history: { state: true },
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
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  declare message: string | null;
  declare hours: number[][] | null;
  declare query: string;
  declare history: { name: string; visits: MemberVisit[] } | null;

  constructor() {
    super();
    this.revision = 0;
    this.message = null;
    this.hours = null;
    this.query = '';
    this.history = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.loadPeakHours();
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    const today = localDayOf(Date.now(), controller.settings.timeZone);
    const hits = findMembers(controller.members.values(), this.query, 5);
    return html`
      <h2>Reports</h2>
      ${this.message ? html`<p class="error" role="alert">${this.message}</p>` : nothing}
      <section aria-labelledby="export-title">
        <h3 id="export-title">Visits as a spreadsheet (CSV)</h3>
        <form @submit=${this.onExport}>
          <label>From <input name="from" type="date" required .value=${addDays(today, -30)} /></label>
          <label>To <input name="to" type="date" required .value=${today} /></label>
          <button>Download CSV</button>
        </form>
      </section>
      <section aria-labelledby="peak-title">
        <h3 id="peak-title">Peak hours, last four weeks</h3>
        ${
          this.hours
            ? html`<hc-peak-hours
              .hours=${this.hours}
              label="Average number of people in, by weekday and hour"
            ></hc-peak-hours>`
            : html`<p>Peak hours need a network.</p>`
        }
      </section>
      <section aria-labelledby="history-title">
        <h3 id="history-title">A member's visits</h3>
        <label
          >Member name or number
          <input
            type="search"
            autocomplete="off"
            .value=${this.query}
            @input=${(e: InputEvent) => {
              this.query = (e.target as HTMLInputElement).value;
            }}
        /></label>
        <ul class="rows">
          ${hits.map(
            (m) => html`<li>
              <span><strong>${m.name}</strong> <span class="muted">${m.id}</span></span>
              <button type="button" class="secondary" @click=${() => this.loadHistory(m.id)}>
                Show visits
              </button>
            </li>`,
          )}
        </ul>
        ${this.history ? this.renderHistory(controller.settings.timeZone) : nothing}
      </section>
      ${
        controller.staff?.role === 'admin'
          ? html`<hc-chain-report .controller=${controller} .revision=${this.revision}></hc-chain-report>`
          : nothing
      }
    `;
  }

  private renderHistory(zone: string) {
    const history = this.history;
    if (!history) return nothing;
    return html`<table>
      <caption>
        Visits of ${history.name}, last 90 days (${history.visits.length})
      </caption>
      <thead>
        <tr><th scope="col">Day</th><th scope="col">In</th><th scope="col">Out</th><th scope="col">Stay</th></tr>
      </thead>
      <tbody>
        ${history.visits.map(
          (v) => html`<tr>
            <td>${v.day}</td>
            <td>${formatClock(v.start, zone)}</td>
            <td>${v.end === null ? 'still in' : formatClock(v.end, zone)}</td>
            <td>${v.stayMs === null ? '—' : formatStay(v.stayMs)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }

  private async onExport(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const params = new URLSearchParams({
      from: String(data.get('from')),
      to: String(data.get('to')),
    });
    await this.call(async (controller) => {
      const answer = await controller.api('GET', `/api/reports/visits?${params}`);
      if (answer.status !== 200) return errorOf(answer).message;
      downloadText(`visits-${params.get('from')}-to-${params.get('to')}.csv`, answer.text);
      return null;
    });
  }

  private async loadPeakHours(): Promise<void> {
    await this.call(async (controller) => {
      const answer = await controller.api('GET', '/api/reports/peak-hours?weeks=4');
      if (answer.status !== 200) return errorOf(answer).message;
      this.hours = (answer.body as PeakHoursAnswer).hours;
      return null;
    }, true);
  }

  private async loadHistory(memberId: string): Promise<void> {
    await this.call(async (controller) => {
      const answer = await controller.api(
        'GET',
        `/api/members/${encodeURIComponent(memberId)}/visits`,
      );
      if (answer.status !== 200) return errorOf(answer).message;
      this.history = {
        name: controller.members.get(memberId)?.name ?? memberId,
        visits: (answer.body as MemberVisitsAnswer).visits,
      };
      return null;
    });
  }

  /** Runs one API call; its error, or the missing network, becomes the message. */
  private async call(
    action: (controller: DashboardPort) => Promise<string | null>,
    quietOffline = false,
  ): Promise<void> {
    const controller = this.controller;
    if (!controller) return;
    try {
      this.message = await action(controller);
    } catch {
      if (!quietOffline) this.message = 'The server cannot be reached: reports need a network.';
    }
  }
}

customElements.define('hc-reports-view', HcReportsView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-reports-view': HcReportsView;
  }
}
