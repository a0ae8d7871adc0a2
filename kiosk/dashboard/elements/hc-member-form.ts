import { html, LitElement, nothing, type PropertyValues } from 'lit';
import type { SiteSummary } from '../../../shared/apiProtocol';
import { isSiteId } from '../../../shared/docName';
import {
  checkMember,
  MEMBER_STATUSES,
  type Member,
  type MemberAccess,
  type MemberStatus,
} from '../../../shared/member';
import type { DashboardPort } from '../DashboardPort';
import { dashboardStyles } from './dashboardStyles';
import { MemberFormClosedEvent } from './MemberEvents';
import { memberCallProblem } from './memberErrors';
import { memberPanelStyles } from './memberPanelStyles';

type AccessKind = 'home' | 'all' | 'listed';

/**
 * The form that adds or edits one member: number, name, status, valid until, cards, home site
 * and where they may check in ([M4]–[M5]). Saving is a call to the server, which may refuse
 * (a code another member holds, a member of another site): its reason stays next to the form,
 * with everything typed, to be corrected. An admin chooses any site as home and where the member
 * may check in; staff add and edit members of their own site, and where a member may check in
 * is what the member paid for, which only an admin changes: both are shown, not offered.
 */
export class HcMemberForm extends LitElement {
  static override properties = {
    controller: { attribute: false },
    member: { attribute: false },
    homeSite: { state: true },
    accessKind: { state: true },
    listed: { state: true },
    formError: { state: true },
    busy: { state: true },
  };

  static override styles = [dashboardStyles, memberPanelStyles];

  declare controller: DashboardPort | undefined;
  /** The member edited, or null to add one. */
  declare member: Member | null;
  declare homeSite: string;
  declare accessKind: AccessKind;
  /** The other sites chosen when access is `listed`. */
  declare listed: readonly string[];
  declare formError: string | null;
  declare busy: boolean;

  constructor() {
    super();
    this.member = null;
    this.homeSite = '';
    this.accessKind = 'home';
    this.listed = [];
    this.formError = null;
    this.busy = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('member') && !(changed.has('controller') && this.homeSite === '')) return;
    const m = this.member;
    this.homeSite = m?.homeSite ?? this.controller?.staff?.siteId ?? '';
    const access: MemberAccess = m?.access ?? 'home';
    this.accessKind = typeof access === 'string' ? access : 'listed';
    this.listed = typeof access === 'string' ? [] : access;
    this.formError = null;
  }

  private get isAdmin(): boolean {
    return this.controller?.staff?.role === 'admin';
  }

  override render() {
    const m = this.member;
    return html`<form class="panel" @submit=${this.onSave} aria-label=${m ? `Edit ${m.name}` : 'Add member'}>
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
      ${this.renderHome()} ${this.renderAccess()}
      ${this.formError ? html`<p class="error" role="alert">${this.formError}</p>` : nothing}
      <div class="toolbar">
        <button ?disabled=${this.busy}>${this.busy ? 'Saving…' : 'Save'}</button>
        <button type="button" class="secondary" @click=${this.onCancel}>Cancel</button>
      </div>
    </form>`;
  }

  private renderHome() {
    if (!this.isAdmin)
      return html`<p class="fixed">
        <strong>Home site:</strong> ${this.siteName(this.homeSite)}
        <span class="muted">(members of your site)</span>
      </p>`;
    // An archived site stays in the list only for a member who already belongs to it.
    const choices = this.sites().filter((s) => !s.archived || s.id === this.homeSite);
    return html`<label
      >Home site
      <select
        name="homeSite"
        @change=${(e: Event) => {
          this.homeSite = (e.target as HTMLSelectElement).value;
          this.listed = this.listed.filter((id) => id !== this.homeSite);
        }}
      >
        ${choices.map((s) => html`<option value=${s.id} ?selected=${s.id === this.homeSite}>${s.name}</option>`)}
      </select>
    </label>`;
  }

  private renderAccess() {
    if (!this.isAdmin)
      return html`<p class="fixed">
        <strong>Where they may check in:</strong> ${this.accessWords(this.member?.access ?? 'home')}
        <span class="muted">(an admin changes this)</span>
      </p>`;
    const option = (kind: AccessKind, label: string) =>
      html`<label class="choice"
        ><input
          type="radio"
          name="access"
          .value=${kind}
          .checked=${this.accessKind === kind}
          @change=${() => {
            this.accessKind = kind;
          }}
        />${label}</label
      >`;
    return html`<fieldset>
      <legend>Where they may check in</legend>
      ${option('home', 'Only at their home site')} ${option('all', 'At every site')}
      ${option('listed', 'At their home site and the sites chosen here')}
      ${this.accessKind === 'listed' ? this.renderListed() : nothing}
    </fieldset>`;
  }

  private renderListed() {
    const known = this.sites().filter((s) => s.id !== this.homeSite && !s.archived);
    const knownIds = new Set(known.map((s) => s.id));
    const unknown = this.listed.filter((id) => !knownIds.has(id));
    // Staff know only their own sites: they name the others by id.
    const typed = !this.isAdmin || unknown.length > 0;
    if (known.length === 0 && !typed)
      return html`<p class="muted">The chain has no other site yet.</p>`;
    return html`${known.map(
      (s) => html`<label class="choice"
        ><input
          type="checkbox"
          name="site"
          .value=${s.id}
          .checked=${this.listed.includes(s.id)}
          @change=${(e: Event) => {
            const on = (e.target as HTMLInputElement).checked;
            this.listed = on ? [...this.listed, s.id] : this.listed.filter((id) => id !== s.id);
          }}
        />${s.name}</label
      >`,
    )}
    ${
      typed
        ? html`<label
          >Other site ids <span class="muted">separated by spaces</span>
          <input name="otherSites" autocomplete="off" .value=${unknown.join(' ')}
        /></label>`
        : nothing
    }`;
  }

  private accessWords(access: MemberAccess): string {
    const home = this.siteName(this.homeSite);
    if (access === 'home') return `only at ${home}`;
    if (access === 'all') return 'at every site';
    return `at ${[home, ...access.map((id) => this.siteName(id))].join(', ')}`;
  }

  private sites(): readonly SiteSummary[] {
    return this.controller?.sites ?? [];
  }

  private siteName(id: string): string {
    return this.sites().find((s) => s.id === id)?.name ?? id;
  }

  /** The access the form describes, or why it describes none. */
  private readAccess(data: FormData): { access: MemberAccess } | { problem: string } {
    if (!this.isAdmin) return { access: this.member?.access ?? 'home' };
    if (this.accessKind !== 'listed') return { access: this.accessKind };
    const typed = String(data.get('otherSites') ?? '')
      .toLowerCase()
      .split(/[\s;,]+/)
      .filter(Boolean);
    const bad = typed.find((id) => !isSiteId(id));
    if (bad !== undefined) return { problem: `"${bad}" is not a site id` };
    const checked = data.getAll('site').map(String);
    const sites = [...new Set([...checked, ...typed])].filter((id) => id !== this.homeSite);
    if (sites.length === 0)
      return { problem: 'choose at least one other site, or "Only at their home site"' };
    return { access: sites };
  }

  private async onSave(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const controller = this.controller;
    if (!controller || this.busy) return;
    const data = new FormData(event.target as HTMLFormElement);
    const get = (key: string) => String(data.get(key) ?? '').trim();
    const access = this.readAccess(data);
    if ('problem' in access) {
      this.formError = `Cannot save: ${access.problem}.`;
      return;
    }
    const member: Member = {
      id: get('id'),
      name: get('name'),
      status: get('status') as MemberStatus,
      validUntil: get('validUntil') === '' ? null : get('validUntil'),
      codes: get('codes')
        .split(/[;,|]/)
        .map((c) => c.trim())
        .filter(Boolean),
      homeSite: this.homeSite,
      access: access.access,
    };
    const problem = checkMember(member);
    if (problem) {
      this.formError = `Cannot save: ${problem}.`;
      return;
    }
    const taken = this.member === null ? controller.members.get(member.id) : undefined;
    if (taken) {
      this.formError = `Member number ${member.id} is taken by ${taken.name}.`;
      return;
    }
    this.busy = true;
    this.formError = null;
    try {
      const saved = await controller.saveMember(member);
      this.dispatchEvent(new MemberFormClosedEvent(saved));
    } catch (error) {
      this.formError = memberCallProblem('Not saved', error);
    } finally {
      this.busy = false;
    }
  }

  private onCancel(): void {
    this.dispatchEvent(new MemberFormClosedEvent(null));
  }
}

customElements.define('hc-member-form', HcMemberForm);

declare global {
  interface HTMLElementTagNameMap {
    'hc-member-form': HcMemberForm;
  }
}
