import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import type { MemberImportAnswer } from '../../../shared/apiProtocol';
import {
  type MemberCsvError,
  type MemberCsvParse,
  parseMemberCsv,
} from '../../../shared/memberCsv';
import type { DashboardPort } from '../DashboardPort';
import { dashboardStyles } from './dashboardStyles';
import { MemberImportClosedEvent } from './MemberEvents';
import { memberCallProblem } from './memberErrors';
import { memberPanelStyles } from './memberPanelStyles';

/** A CSV file chosen for import: its name (shown) and its text. */
export interface ImportSource {
  readonly fileName: string;
  readonly text: string;
}

/**
 * Where an import is: the server checking the file, the preview waiting for a confirmation,
 * the members being written, or a call that failed (`failed`: nothing more happens until the
 * person tries again or cancels).
 */
type Phase = 'checking' | 'preview' | 'importing' | 'failed';

/**
 * A member import ([M1]–[M2], [M4]): the file is read here (a line the file gets wrong is
 * reported at once with its number), then the server previews it against the chain's members —
 * new, changed, already up to date, and the lines it refuses (a code another member holds, a
 * site that does not exist, a member of another site) — with both kinds of problems in one list
 * by line. Nothing is written until "Import N members"; then the valid lines are written, and
 * the panel closes with what the server did.
 */
export class HcMemberImport extends LitElement {
  static override properties = {
    controller: { attribute: false },
    source: { attribute: false },
    phase: { state: true },
    parse: { state: true },
    answer: { state: true },
    problem: { state: true },
  };

  static override styles = [
    dashboardStyles,
    memberPanelStyles,
    css`
      .problems {
        max-height: 16rem;
        overflow: auto;
        margin: 0;
      }
      h3:focus {
        outline: none;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare source: ImportSource | null;
  declare phase: Phase;
  declare parse: MemberCsvParse | null;
  /** The server's preview, once it answered. */
  declare answer: MemberImportAnswer | null;
  declare problem: string | null;
  /** Counts the files checked: an answer for a file replaced since is dropped. */
  private checks = 0;

  constructor() {
    super();
    this.source = null;
    this.phase = 'checking';
    this.parse = null;
    this.answer = null;
    this.problem = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('source')) void this.check();
  }

  override render() {
    const { source, parse, answer } = this;
    if (!source || !parse) return nothing;
    const errors = this.errors();
    const changes = answer ? answer.added + answer.changed : 0;
    const busy = this.phase === 'checking' || this.phase === 'importing';
    const noHome = !parse.header.some((cell) => cell.toLowerCase() === 'home_site');
    return html`<section class="panel" aria-labelledby="preview-title" aria-busy=${busy}>
      <h3 id="preview-title" tabindex="-1">Import from ${source.fileName}: preview</h3>
      ${
        this.phase === 'checking'
          ? html`<p role="status">Checking the file with the server…</p>`
          : nothing
      }
      <p>
        ${
          answer
            ? `${answer.added} new, ${answer.changed} changed, ${answer.unchanged} already up to date.`
            : nothing
        }
        ${errors.length > 0 ? html`<strong>${errors.length} line(s) cannot be imported:</strong>` : nothing}
      </p>
      ${
        errors.length > 0
          ? html`<ul class="problems" aria-label="Lines with problems">
            ${errors.map((e) => html`<li>Line ${e.line}: ${e.reason}</li>`)}
          </ul>`
          : nothing
      }
      ${parse.warnings.map((w) => html`<p class="muted">${w}</p>`)}
      ${
        noHome && parse.rows.length > 0
          ? html`<p class="muted">
            The file has no home_site column: its members belong to ${this.shownSiteName()}.
          </p>`
          : nothing
      }
      <p>
        Nothing is imported until you confirm.${errors.length > 0 ? ' Lines with problems are left out.' : ''}
      </p>
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : nothing}
      <div class="toolbar">
        ${
          answer || this.phase !== 'failed'
            ? html`<button type="button" ?disabled=${busy || changes === 0} @click=${this.onConfirm}>
              ${this.phase === 'importing' ? 'Importing…' : `Import ${changes} member${changes === 1 ? '' : 's'}`}
            </button>`
            : html`<button type="button" @click=${() => this.check()}>Check again</button>`
        }
        <button type="button" class="secondary" @click=${this.onCancel}>Cancel</button>
      </div>
    </section>`;
  }

  /** The file's problems and the server's, by line (a line has one or the other). */
  private errors(): MemberCsvError[] {
    const local = this.parse?.errors ?? [];
    const server = this.answer?.errors ?? [];
    return [...local, ...server].sort((a, b) => a.line - b.line);
  }

  private shownSiteName(): string {
    const siteId = this.controller?.staff?.siteId;
    return this.controller?.currentSite?.name ?? siteId ?? 'the site shown';
  }

  /** Reads the file, then asks the server what importing it would change (writes nothing). */
  private async check(): Promise<void> {
    const controller = this.controller;
    const source = this.source;
    const homeSite = controller?.staff?.siteId;
    if (!controller || !source || !homeSite) return;
    const check = ++this.checks;
    const parse = parseMemberCsv(source.text, { homeSite });
    this.parse = parse;
    this.answer = null;
    this.problem = null;
    this.phase = 'checking';
    try {
      const answer = await controller.previewImport(parse.rows);
      if (check !== this.checks) return;
      this.answer = answer;
      this.phase = 'preview';
      // Read out once ready: the file button that was used is elsewhere on the screen.
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#preview-title')?.focus();
    } catch (error) {
      if (check !== this.checks) return;
      this.phase = 'failed';
      this.problem = memberCallProblem('The file could not be checked', error);
    }
  }

  private async onConfirm(): Promise<void> {
    const controller = this.controller;
    const parse = this.parse;
    if (!controller || !parse || this.phase === 'importing') return;
    const check = this.checks;
    this.phase = 'importing';
    this.problem = null;
    try {
      // The server plans again as it writes: the members may have changed since the preview.
      const result = await controller.applyImport(parse.rows);
      if (check !== this.checks) return;
      const errors = [...parse.errors, ...result.errors].sort((a, b) => a.line - b.line);
      this.dispatchEvent(new MemberImportClosedEvent({ ...result, errors }));
    } catch (error) {
      if (check !== this.checks) return;
      this.phase = 'failed';
      const problem = memberCallProblem('The import stopped', error);
      this.problem =
        problem &&
        `${problem} What was imported before it stopped stays; importing the same file again finishes it and changes nothing twice.`;
    }
  }

  private onCancel(): void {
    this.checks++;
    this.dispatchEvent(new MemberImportClosedEvent(null));
  }
}

customElements.define('hc-member-import', HcMemberImport);

declare global {
  interface HTMLElementTagNameMap {
    'hc-member-import': HcMemberImport;
  }
}
