import { css, html, LitElement, nothing } from 'lit';
import type { MemberImportAnswer } from '../../../shared/apiProtocol';
import { admittedAt, type Member } from '../../../shared/member';
import { membersToCsv } from '../../../shared/memberCsv';
import type { DashboardPort } from '../DashboardPort';
import { downloadText } from '../downloadText';
import { findMembers } from '../findMembers';
import { dashboardStyles } from './dashboardStyles';
import type { ImportSource } from './hc-member-import';
import type { MemberFormClosedEvent, MemberImportClosedEvent } from './MemberEvents';
import { memberCallProblem } from './memberErrors';
import { memberPanelStyles } from './memberPanelStyles';
import './hc-member-form';
import './hc-member-import';

/** Members listed when nothing is searched for (the rest are a search away). */
const LIST_SIZE = 30;

/** What an admin exports: every member of the chain, or the members of the site shown. */
type ExportScope = 'chain' | 'site';

/**
 * "Members": search the members this site admits, add or edit one (`hc-member-form`), import a
 * CSV file with the server's preview of what would change and every bad line with its number —
 * nothing is written until staff confirm (`hc-member-import`) — and export as CSV. Members
 * belong to the chain and live on the server ([M4]): changes need a network, and the list shows
 * them once the roster documents sync them ([D7]), which is also how it works offline.
 */
export class HcMembersView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    query: { state: true },
    editing: { state: true },
    importing: { state: true },
    exportScope: { state: true },
    exporting: { state: true },
    message: { state: true },
    problem: { state: true },
  };

  static override styles = [
    dashboardStyles,
    memberPanelStyles,
    css`
      .file {
        position: relative;
      }
      .file input {
        position: absolute;
        inset: 0;
        opacity: 0;
        width: 100%;
        cursor: pointer;
      }
      .file span {
        display: inline-grid;
        place-items: center;
        min-height: 44px;
        padding: 0 0.9rem;
        border: 2px solid #0f3d3e;
        border-radius: 0.5rem;
        color: #0f3d3e;
        font-weight: 700;
        background: #fff;
      }
      .file:focus-within span {
        outline: 3px solid #b35c00;
        outline-offset: 2px;
      }
      .export {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: end;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  declare query: string;
  /** The member being edited, `'new'` for the add form, or null. */
  declare editing: Member | 'new' | null;
  declare importing: ImportSource | null;
  declare exportScope: ExportScope;
  declare exporting: boolean;
  declare message: string | null;
  declare problem: string | null;

  constructor() {
    super();
    this.revision = 0;
    this.query = '';
    this.editing = null;
    this.importing = null;
    this.exportScope = 'chain';
    this.exporting = false;
    this.message = null;
    this.problem = null;
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    const members = controller.members;
    const shown =
      this.query.trim() === ''
        ? [...members.values()].sort((a, b) => a.name.localeCompare(b.name)).slice(0, LIST_SIZE)
        : findMembers(members.values(), this.query, LIST_SIZE);
    return html`
      <h2>Members (${members.size})</h2>
      <div class="toolbar">
        ${
          controller.canEdit
            ? html`<button type="button" @click=${() => this.edit('new')}>Add member</button>
              <label class="file"
                ><span>Import CSV…</span
                ><input type="file" accept=".csv,text/csv" aria-label="Import members from a CSV file" @change=${this.onFile}
              /></label>`
            : nothing
        }
        ${this.renderExport()}
      </div>
      ${this.message ? html`<p role="status">${this.message}</p>` : nothing}
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : nothing}
      ${
        this.importing
          ? html`<hc-member-import
            .controller=${controller}
            .source=${this.importing}
            @hc-member-import-closed=${(e: MemberImportClosedEvent) => this.onImported(e.result)}
          ></hc-member-import>`
          : nothing
      }
      ${
        this.editing
          ? html`<hc-member-form
            .controller=${controller}
            .member=${this.editing === 'new' ? null : this.editing}
            @hc-member-form-closed=${(e: MemberFormClosedEvent) => this.onSaved(e.saved)}
          ></hc-member-form>`
          : nothing
      }
      <label
        >Search by name, number or card
        <input
          type="search"
          autocomplete="off"
          .value=${this.query}
          @input=${(e: InputEvent) => {
            this.query = (e.target as HTMLInputElement).value;
          }}
      /></label>
      <ul class="rows" aria-label="Members">
        ${shown.map(
          (m) => html`<li>
            <span
              ><strong>${m.name}</strong>
              <span class="muted">${this.describe(m)}</span></span
            >
            ${
              this.mayEdit(m)
                ? html`<button
                  type="button"
                  class="secondary"
                  aria-label=${`Edit ${m.name}`}
                  @click=${() => this.edit(m)}
                >
                  Edit
                </button>`
                : nothing
            }
          </li>`,
        )}
      </ul>
      ${shown.length === 0 ? html`<p>No members found.</p>` : nothing}
    `;
  }

  private renderExport() {
    const controller = this.controller;
    const button = html`<button
      type="button"
      class="secondary"
      ?disabled=${this.exporting}
      @click=${this.onExport}
    >
      Export CSV
    </button>`;
    if (controller?.staff?.role !== 'admin') return button;
    const site = controller.currentSite?.name ?? controller.staff.siteId;
    return html`<div class="export">
      <label
        >Export
        <select
          @change=${(e: Event) => {
            this.exportScope = (e.target as HTMLSelectElement).value as ExportScope;
          }}
        >
          <option value="chain" ?selected=${this.exportScope === 'chain'}>All sites</option>
          <option value="site" ?selected=${this.exportScope === 'site'}>Members of ${site}</option>
        </select></label
      >${button}
    </div>`;
  }

  /** Number, status, cards, and the home site when it is not the site shown ([M5]). */
  private describe(m: Member): string {
    const parts = [m.id, m.validUntil ? `${m.status}, until ${m.validUntil}` : m.status];
    if (m.codes.length > 0) parts.push(`${m.codes.length} card(s)`);
    if (m.homeSite !== this.controller?.staff?.siteId)
      parts.push(`home: ${this.siteName(m.homeSite)}`);
    return parts.join(' · ');
  }

  /** Admins change any member; staff only those whose home is their site ([M4]). */
  private mayEdit(m: Member): boolean {
    const controller = this.controller;
    if (!controller?.canEdit) return false;
    return controller.staff?.role === 'admin' || m.homeSite === controller.staff?.siteId;
  }

  private siteName(id: string): string {
    return this.controller?.sites.find((s) => s.id === id)?.name ?? id;
  }

  private edit(member: Member | 'new'): void {
    this.editing = member;
    this.importing = null;
    this.message = null;
    this.problem = null;
  }

  private onSaved(saved: Member | null): void {
    this.editing = null;
    if (!saved) return;
    const siteId = this.controller?.staff?.siteId ?? '';
    // Saved for another site only: the list here will not show them, so say why.
    this.message = admittedAt(saved, siteId)
      ? `Saved ${saved.name}.`
      : `Saved ${saved.name}. Their home is ${this.siteName(saved.homeSite)} and they may not check in here, so this site does not list them.`;
  }

  private async onFile(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    this.editing = null;
    this.message = null;
    this.problem = null;
    this.importing = { fileName: file.name, text: await file.text() };
  }

  private onImported(result: MemberImportAnswer | null): void {
    this.importing = null;
    if (!result) return;
    const left = result.errors.length;
    this.message = `Imported: ${result.added} new, ${result.changed} changed.${left > 0 ? ` ${left} line(s) were left out.` : ''}`;
  }

  private async onExport(): Promise<void> {
    const controller = this.controller;
    if (!controller || this.exporting) return;
    const admin = controller.staff?.role === 'admin';
    const siteId = controller.staff?.siteId;
    const homeSite = admin && this.exportScope === 'site' ? siteId : undefined;
    this.exporting = true;
    this.problem = null;
    try {
      const members = await controller.exportMembers(homeSite);
      const name = homeSite
        ? `members-${homeSite}.csv`
        : admin
          ? 'members-all-sites.csv'
          : 'members.csv';
      downloadText(name, membersToCsv(members));
      this.message = `Exported ${members.length} member${members.length === 1 ? '' : 's'}.`;
    } catch (error) {
      this.problem = memberCallProblem('Not exported', error);
    } finally {
      this.exporting = false;
    }
  }
}

customElements.define('hc-members-view', HcMembersView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-members-view': HcMembersView;
  }
}
