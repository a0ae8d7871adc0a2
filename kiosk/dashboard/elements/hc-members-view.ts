import { css, html, LitElement, nothing } from 'lit';
import {
  checkMember,
  MEMBER_STATUSES,
  type Member,
  type MemberStatus,
} from '../../../shared/siteDoc';
import type { DashboardPort } from '../DashboardPort';
import { downloadText } from '../downloadText';
import { findMembers } from '../findMembers';
import {
  type ImportPlan,
  type MemberCsvParse,
  membersToCsv,
  parseMemberCsv,
  planImport,
} from '../memberCsv';
import { dashboardStyles } from './dashboardStyles';

/** Members listed when nothing is searched for (the rest are a search away). */
const LIST_SIZE = 30;

/**
 * "Members": search the roster, add or edit a member (status, valid until, cards), import a CSV
 * file with a preview of what would change and every bad line with its number — nothing is
 * written until staff confirm — and export the roster as CSV. Members live in the site
 * document, so all of this works offline and syncs later.
 */
export class HcMembersView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    query: { state: true },
    editing: { state: true },
    formError: { state: true },
    preview: { state: true },
    message: { state: true },
  };

  static override styles = [
    dashboardStyles,
    css`
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
      form.member {
        display: grid;
        gap: 0.6rem;
        background: #fff;
        border: 2px solid #0f3d3e;
        border-radius: 0.75rem;
        padding: 0.75rem;
      }
      .preview {
        background: #fff;
        border: 2px solid #0f3d3e;
        border-radius: 0.75rem;
        padding: 0.75rem;
        display: grid;
        gap: 0.5rem;
      }
      .problems {
        max-height: 16rem;
        overflow: auto;
        margin: 0;
      }
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
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  declare query: string;
  /** The member being edited, `'new'` for the add form, or null. */
  declare editing: Member | 'new' | null;
  declare formError: string | null;
  declare preview: { file: string; parse: MemberCsvParse; plan: ImportPlan } | null;
  declare message: string | null;

  constructor() {
    super();
    this.revision = 0;
    this.query = '';
    this.editing = null;
    this.formError = null;
    this.preview = null;
    this.message = null;
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
        <button type="button" class="secondary" @click=${this.onExport}>Export CSV</button>
      </div>
      ${this.message ? html`<p role="status">${this.message}</p>` : nothing}
      ${this.preview ? this.renderPreview() : nothing}
      ${this.editing ? this.renderForm(this.editing) : nothing}
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
              <span class="muted"
                >${m.id} · ${statusText(m)}${m.codes.length > 0 ? ` · ${m.codes.length} card(s)` : ''}</span
              ></span
            >
            ${
              controller.canEdit
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

  private renderForm(editing: Member | 'new') {
    const m = editing === 'new' ? null : editing;
    return html`<form class="member" @submit=${this.onSave} aria-label=${m ? `Edit ${m.name}` : 'Add member'}>
      <label
        >Member number
        <input name="id" required maxlength="64" pattern="[A-Za-z0-9_.\\-]+" .value=${m?.id ?? ''} ?readonly=${m !== null}
      /></label>
      <label>Name <input name="name" required maxlength="120" .value=${m?.name ?? ''} /></label>
      <label
        >Status
        <select name="status">
          ${MEMBER_STATUSES.map((s) => html`<option ?selected=${(m?.status ?? 'active') === s}>${s}</option>`)}
        </select>
      </label>
      <label>Valid until <input name="validUntil" type="date" .value=${m?.validUntil ?? ''} /></label>
      <label
        >Card codes <span class="muted">separated by ";"</span>
        <input name="codes" .value=${m?.codes.join('; ') ?? ''}
      /></label>
      ${this.formError ? html`<p class="error" role="alert">${this.formError}</p>` : nothing}
      <div class="toolbar">
        <button>Save</button>
        <button type="button" class="secondary" @click=${() => (this.editing = null)}>Cancel</button>
      </div>
    </form>`;
  }

  private renderPreview() {
    const preview = this.preview;
    if (!preview) return nothing;
    const { parse, plan } = preview;
    const changes = plan.add.length + plan.update.length;
    return html`<section class="preview" aria-labelledby="preview-title">
      <h3 id="preview-title">Import from ${preview.file}: preview</h3>
      <p>
        ${plan.add.length} new, ${plan.update.length} changed, ${plan.unchanged} already up to date.
        ${parse.errors.length > 0 ? html`<strong>${parse.errors.length} line(s) cannot be imported:</strong>` : nothing}
      </p>
      ${
        parse.errors.length > 0
          ? html`<ul class="problems" aria-label="Lines with problems">
            ${parse.errors.map((e) => html`<li>Line ${e.line}: ${e.reason}</li>`)}
          </ul>`
          : nothing
      }
      ${parse.warnings.map((w) => html`<p class="muted">${w}</p>`)}
      <p>Nothing is imported until you confirm.${parse.errors.length > 0 ? ' Lines with problems are left out.' : ''}</p>
      <div class="toolbar">
        <button type="button" ?disabled=${changes === 0} @click=${this.onConfirm}>
          Import ${changes} member${changes === 1 ? '' : 's'}
        </button>
        <button type="button" class="secondary" @click=${() => (this.preview = null)}>Cancel</button>
      </div>
    </section>`;
  }

  private edit(member: Member | 'new'): void {
    this.editing = member;
    this.formError = null;
    this.message = null;
  }

  private onSave(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const get = (key: string) => String(data.get(key) ?? '').trim();
    const member: Member = {
      id: get('id'),
      name: get('name'),
      status: get('status') as MemberStatus,
      validUntil: get('validUntil') === '' ? null : get('validUntil'),
      codes: get('codes')
        .split(/[;,|]/)
        .map((c) => c.trim())
        .filter(Boolean),
    };
    const problem = checkMember(member);
    if (problem) {
      this.formError = `Cannot save: ${problem}.`;
      return;
    }
    if (this.editing === 'new' && this.controller?.members.has(member.id)) {
      this.formError = `Member number ${member.id} is taken by ${this.controller.members.get(member.id)?.name}.`;
      return;
    }
    this.controller?.putMember(member);
    this.editing = null;
    this.message = `Saved ${member.name}.`;
  }

  private async onFile(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file || !this.controller) return;
    const parse = parseMemberCsv(await file.text());
    this.preview = {
      file: file.name,
      parse,
      plan: planImport(this.controller.members, parse.rows),
    };
    this.message = null;
  }

  private onConfirm(): void {
    const preview = this.preview;
    if (!preview || !this.controller) return;
    // Planned again against the roster as it is now: it may have synced since the preview.
    const plan = planImport(this.controller.members, preview.parse.rows);
    this.controller.putMembers([...plan.add, ...plan.update.map((u) => u.after)]);
    this.preview = null;
    this.message = `Imported: ${plan.add.length} new, ${plan.update.length} changed.`;
  }

  private onExport(): void {
    const members = this.controller?.members;
    if (!members) return;
    downloadText('members.csv', membersToCsv(members.values()));
  }
}

function statusText(m: Member): string {
  return m.validUntil ? `${m.status}, until ${m.validUntil}` : m.status;
}

customElements.define('hc-members-view', HcMembersView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-members-view': HcMembersView;
  }
}
