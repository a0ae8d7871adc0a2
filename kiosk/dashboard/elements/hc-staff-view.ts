import { css, html, LitElement, nothing } from 'lit';
import type {
  AccountAnswer,
  AccountInfo,
  AccountsAnswer,
  SetupCodeAnswer,
  StaffRole,
} from '../../../shared/apiProtocol';
import { type ApiAnswer, errorOf } from '../../apiRequest';
import { formatWhen } from '../../formatting';
import type { DashboardPort } from '../DashboardPort';
import { SignedOutError } from '../StaffSession';
import { setupLinkFor } from '../setupLink';
import { dashboardStyles, tagStyles } from './dashboardStyles';

const OFFLINE = 'The server cannot be reached: this needs a network.';
const ROLES: readonly { role: StaffRole; label: string }[] = [
  { role: 'staff', label: 'Staff — checks people in and corrects' },
  { role: 'viewer', label: 'Viewer — reads only' },
  { role: 'admin', label: 'Admin — every site, sites and staff' },
];

/** What waits for a confirmation: a reset of the password, or a deletion. */
type Confirming = { readonly id: string; readonly action: 'reset' | 'delete' };

/**
 * "Staff", for admins ([C4]–[C5]): every account with its role, site and state; a form to add
 * one, which shows its one-time set-up code and link once (its person chooses their own
 * password with it); and per account, a change of role or site, disabling, a password reset (a
 * new code) and deletion. Each is a call to the server's API, so it needs a network. Taking
 * access away ends that person's sessions at once; what they recorded stays.
 */
export class HcStaffView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    accounts: { state: true },
    message: { state: true },
    notice: { state: true },
    issued: { state: true },
    newRole: { state: true },
    editing: { state: true },
    editRole: { state: true },
    confirming: { state: true },
    busy: { state: true },
  };

  static override styles = [
    dashboardStyles,
    css`
      form,
      .edit {
        display: grid;
        gap: 0.75rem;
        background: #fff;
        border: 1px solid #d8d5ca;
        border-radius: 0.5rem;
        padding: 0.75rem;
      }
      .edit {
        flex-basis: 100%;
        background: #f7f6f2;
      }
      .hint {
        font-weight: 400;
        font-size: 0.9rem;
        color: #4f5a5b;
      }
      ${tagStyles}
      .tag.waiting {
        background: #ffe3a3;
        color: #4a3400;
      }
      .tag.active {
        background: #c8f7d4;
        color: #0b4d1e;
      }
      .issued {
        display: grid;
        gap: 0.5rem;
        background: #fff;
        border: 2px solid #0f3d3e;
        border-radius: 0.75rem;
        padding: 0.75rem;
      }
      .issued p,
      .issued h3 {
        margin: 0;
      }
      .code {
        font: 700 1.6rem/1.2 ui-monospace, monospace;
        letter-spacing: 0.08em;
        overflow-wrap: anywhere;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      [tabindex='-1']:focus-visible {
        outline: 3px solid #b35c00;
        outline-offset: 2px;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  /** Every account as last fetched; null before the first answer. */
  declare accounts: readonly AccountInfo[] | null;
  /** Why the last action did not happen. */
  declare message: string | null;
  /** What the last action did. */
  declare notice: string;
  /** The set-up code just made (a new account, or a reset): shown this once. */
  declare issued: (SetupCodeAnswer & { readonly reset: boolean }) | null;
  /** The role chosen in the add form (an admin's account has no site). */
  declare newRole: StaffRole;
  /** The account whose role and site are being changed, and the role chosen there. */
  declare editing: string | null;
  declare editRole: StaffRole;
  declare confirming: Confirming | null;
  declare busy: boolean;

  constructor() {
    super();
    this.revision = 0;
    this.accounts = null;
    this.message = null;
    this.notice = '';
    this.issued = null;
    this.newRole = 'staff';
    this.editing = null;
    this.editRole = 'staff';
    this.confirming = null;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.controller?.staff?.role === 'admin')
      void this.call(async () => {
        await this.load();
        return null;
      });
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    if (controller.staff?.role !== 'admin')
      return html`<h2>Staff</h2>
        <p>Only an admin adds or changes staff accounts.</p>`;
    const accounts = this.accounts;
    return html`
      <h2>Staff</h2>
      <p role="status">${this.notice}</p>
      ${this.message ? html`<p class="error" role="alert">${this.message}</p>` : nothing}
      ${this.issued ? this.renderIssued(this.issued) : nothing}
      <section aria-labelledby="accounts-title">
        <h3 id="accounts-title" tabindex="-1">
          ${accounts === null ? 'Accounts' : `Accounts (${accounts.length})`}
        </h3>
        ${
          accounts === null
            ? this.message
              ? nothing
              : html`<p>Loading the accounts…</p>`
            : html`<ul class="rows">
              ${accounts.map((account) => this.renderAccount(controller, account))}
            </ul>`
        }
      </section>
      <section aria-labelledby="add-title">
        <h3 id="add-title">Add an account</h3>
        ${this.renderForm(controller)}
      </section>
    `;
  }

  private renderIssued(issued: SetupCodeAnswer & { readonly reset: boolean }) {
    const link = setupLinkFor(location.origin, issued.setupCode);
    const until = formatWhen(issued.expiresAt, Date.now(), this.controller?.settings.timeZone);
    const name = issued.account.username;
    return html`<section class="issued" aria-labelledby="issued-title">
      <h3 id="issued-title" tabindex="-1">Set-up code for ${name}</h3>
      <p class="code">${issued.setupCode}</p>
      <p>
        Works once, until ${until}. It is shown only now: pass it on before you leave this screen.
      </p>
      <p>
        ${name} opens the set-up link (or taps “I have a set-up code” on the sign-in screen and
        types the code) and chooses their own password; they are signed in at once.
        ${issued.reset ? html`Their old password stopped working.` : nothing}
      </p>
      <label
        >Set-up link
        <input readonly .value=${link} @focus=${(e: FocusEvent) => (e.target as HTMLInputElement).select()}
      /></label>
      <span class="actions">
        <button type="button" @click=${() => this._onCopy(link)}>Copy link</button>
        <button type="button" class="secondary" @click=${this._onDone}>Done</button>
      </span>
    </section>`;
  }

  private renderAccount(controller: DashboardPort, account: AccountInfo) {
    const name = account.username;
    const own = account.id === controller.staff?.id;
    const state =
      account.disabledAt !== null
        ? html`<span class="tag">disabled</span>`
        : account.setupPending
          ? html`<span class="tag waiting">waiting for set-up</span>`
          : html`<span class="tag active">active</span>`;
    return html`<li data-id=${account.id}>
      <span>
        <strong>${name}</strong>${own ? ' (you)' : ''} ${state}
        <span class="muted">· ${account.role} · ${this.siteName(account.siteId)}</span>
      </span>
      <span class="actions">
        <button
          type="button"
          class="secondary change"
          aria-label=${`Change ${name}`}
          aria-expanded=${this.editing === account.id ? 'true' : 'false'}
          @click=${() => this._onEdit(account)}
        >
          Change…
        </button>
        <button
          type="button"
          class="secondary toggle"
          aria-label=${`${account.disabledAt === null ? 'Disable' : 'Enable'} ${name}`}
          @click=${() => this.toggle(account)}
        >
          ${account.disabledAt === null ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          class="secondary"
          aria-label=${`Reset the password of ${name}`}
          @click=${() => (this.confirming = { id: account.id, action: 'reset' })}
        >
          Reset password…
        </button>
        <button
          type="button"
          class="secondary"
          aria-label=${`Delete ${name}`}
          @click=${() => (this.confirming = { id: account.id, action: 'delete' })}
        >
          Delete…
        </button>
      </span>
      ${this.editing === account.id ? this.renderEdit(controller, account) : nothing}
      ${this.confirming?.id === account.id ? this.renderConfirm(account, this.confirming.action, own) : nothing}
    </li>`;
  }

  private renderEdit(controller: DashboardPort, account: AccountInfo) {
    const name = account.username;
    return html`<form class="edit" aria-label=${`Change ${name}`} @submit=${(e: SubmitEvent) => this._onSave(e, account)}>
      <label
        >Role
        <select name="role" @change=${(e: Event) => (this.editRole = (e.target as HTMLSelectElement).value as StaffRole)}>
          ${ROLES.map((r) => html`<option value=${r.role} ?selected=${r.role === this.editRole}>${r.label}</option>`)}
        </select>
      </label>
      ${this.editRole === 'admin' ? nothing : this.renderSiteChoice(controller, account.siteId)}
      <p class="hint">
        ${name}'s sessions end when you save: they sign in again with what they may do now.
      </p>
      <span class="actions">
        <button ?disabled=${this.busy}>Save</button>
        <button type="button" class="secondary" @click=${() => this.closeEdit(account.id)}>
          Cancel
        </button>
      </span>
    </form>`;
  }

  private renderConfirm(account: AccountInfo, action: Confirming['action'], own: boolean) {
    const name = account.username;
    const yours = own ? ' This is your own account: this phone is signed out too.' : '';
    return html`<div
      class="confirm"
      role="group"
      aria-label=${action === 'reset' ? `Confirm resetting ${name}` : `Confirm deleting ${name}`}
    >
      <p>
        ${
          action === 'reset'
            ? `Reset ${name}'s password? Their password stops working now and their sessions end. You get a new set-up code for them to choose another.${yours}`
            : `Delete ${name}? They cannot sign in any more and their sessions end now. What they recorded stays, under their name, in activity and reports.${yours}`
        }
      </p>
      <button
        type="button"
        class="danger"
        ?disabled=${this.busy}
        @click=${() => (action === 'reset' ? this.reset(account) : this.deleteAccount(account))}
      >
        ${action === 'reset' ? 'Reset password' : 'Delete'}
      </button>
      <button type="button" class="secondary" @click=${() => (this.confirming = null)}>
        Cancel
      </button>
    </div>`;
  }

  private renderForm(controller: DashboardPort) {
    return html`<form @submit=${this._onAdd} aria-labelledby="add-title" novalidate>
      <label
        >Username <span class="hint">2–40 of a–z, 0–9, “.”, “_”, “-”; they sign in with it</span>
        <input
          name="username"
          maxlength="40"
          required
          autocomplete="off"
          autocapitalize="none"
          spellcheck="false"
      /></label>
      <label
        >Role
        <select name="role" @change=${(e: Event) => (this.newRole = (e.target as HTMLSelectElement).value as StaffRole)}>
          ${ROLES.map((r) => html`<option value=${r.role} ?selected=${r.role === this.newRole}>${r.label}</option>`)}
        </select>
      </label>
      ${this.newRole === 'admin' ? nothing : this.renderSiteChoice(controller, controller.staff?.siteId ?? null)}
      <button ?disabled=${this.busy}>Add account</button>
    </form>`;
  }

  private renderSiteChoice(controller: DashboardPort, siteId: string | null) {
    return html`<label
      >Site
      <select name="siteId">
        ${controller.sites.map(
          (site) =>
            html`<option value=${site.id} ?selected=${site.id === siteId}>
              ${site.archived ? `${site.name} (archived)` : site.name}
            </option>`,
        )}
      </select>
    </label>`;
  }

  private siteName(siteId: string | null): string {
    if (siteId === null) return 'every site';
    return this.controller?.sites.find((site) => site.id === siteId)?.name ?? siteId;
  }

  private _onEdit(account: AccountInfo): void {
    this.confirming = null;
    if (this.editing === account.id) {
      this.closeEdit(account.id);
      return;
    }
    this.editing = account.id;
    this.editRole = account.role;
  }

  private closeEdit(id: string): void {
    this.editing = null;
    void this.focusIn(`li[data-id="${id}"] button.change`);
  }

  private _onDone(): void {
    this.issued = null;
    this.notice = '';
    void this.focusIn('#accounts-title');
  }

  private async _onCopy(link: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(link);
      this.notice = 'The set-up link is copied.';
    } catch {
      this.renderRoot.querySelector<HTMLInputElement>('.issued input')?.focus();
      this.notice = 'The link is selected: copy it with your phone’s menu.';
    }
  }

  private async _onAdd(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const username = String(data.get('username') ?? '').trim();
    const role = String(data.get('role')) as StaffRole;
    const field = form.querySelector<HTMLInputElement>('input[name="username"]');
    if (username === '') {
      this.message = 'An account needs a username.';
      field?.focus();
      return;
    }
    const siteId = role === 'admin' ? undefined : String(data.get('siteId'));
    await this.call(async (controller) => {
      const answer = await controller.api('POST', '/api/accounts', { username, role, siteId });
      if (answer.status !== 201) {
        field?.focus();
        return refusal(answer);
      }
      const made = answer.body as SetupCodeAnswer;
      form.reset();
      this.newRole = 'staff';
      await this.load();
      await this.showCode(made, false);
      this.notice = `Added ${made.account.username}. Give them the set-up code.`;
      return null;
    });
  }

  private async _onSave(event: SubmitEvent, account: AccountInfo): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const role = String(data.get('role')) as StaffRole;
    const siteId = role === 'admin' ? undefined : String(data.get('siteId'));
    await this.call(async (controller) => {
      const path = `/api/accounts/${encodeURIComponent(account.id)}`;
      const answer = await controller.api('PATCH', path, { role, siteId });
      if (answer.status !== 200) return refusal(answer);
      const changed = (answer.body as AccountAnswer).account;
      await this.load();
      this.notice = `${changed.username} is now ${changed.role} of ${this.siteName(changed.siteId)}.`;
      this.closeEdit(account.id);
      return null;
    });
  }

  private async toggle(account: AccountInfo): Promise<void> {
    const action = account.disabledAt === null ? 'disable' : 'enable';
    await this.call(async (controller) => {
      const path = `/api/accounts/${encodeURIComponent(account.id)}/${action}`;
      const answer = await controller.api('POST', path);
      if (answer.status !== 200) return refusal(answer);
      await this.load();
      this.notice =
        action === 'disable'
          ? `${account.username} is disabled: signed out everywhere, and cannot sign in.`
          : `${account.username} can sign in again.`;
      // The same button, now saying the opposite.
      await this.focusIn(`li[data-id="${account.id}"] button.toggle`);
      return null;
    });
  }

  private async reset(account: AccountInfo): Promise<void> {
    await this.call(async (controller) => {
      const path = `/api/accounts/${encodeURIComponent(account.id)}/reset`;
      const answer = await controller.api('POST', path);
      if (answer.status !== 200) return refusal(answer);
      this.confirming = null;
      await this.load();
      await this.showCode(answer.body as SetupCodeAnswer, true);
      this.notice = `${account.username}'s password is reset. Give them the new set-up code.`;
      return null;
    });
  }

  private async deleteAccount(account: AccountInfo): Promise<void> {
    await this.call(async (controller) => {
      const answer = await controller.api(
        'DELETE',
        `/api/accounts/${encodeURIComponent(account.id)}`,
      );
      if (answer.status !== 200) return refusal(answer);
      this.confirming = null;
      if (this.issued?.account.id === account.id) this.issued = null;
      await this.load();
      this.notice = `${account.username} is deleted. What they recorded stays.`;
      await this.focusIn('#accounts-title');
      return null;
    });
  }

  /** Shows a set-up code and moves focus to it, where a screen reader reads it from. */
  private async showCode(answer: SetupCodeAnswer, reset: boolean): Promise<void> {
    this.issued = { ...answer, reset };
    await this.focusIn('#issued-title');
  }

  private async load(): Promise<void> {
    const controller = this.controller;
    if (!controller) return;
    const answer = await controller.api('GET', '/api/accounts');
    if (answer.status !== 200) {
      this.message = refusal(answer);
      return;
    }
    this.accounts = [...(answer.body as AccountsAnswer).accounts].sort((a, b) =>
      a.username.localeCompare(b.username),
    );
  }

  private async focusIn(selector: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  /** Runs one API action; its refusal (or the network's absence) becomes the screen's message. */
  private async call(
    action: (controller: DashboardPort) => Promise<string | null | undefined>,
  ): Promise<void> {
    const controller = this.controller;
    // One action at a time: a second tap while the first is under way does nothing.
    if (!controller || this.busy) return;
    this.busy = true;
    this.message = null;
    try {
      const refused = await action(controller);
      if (refused) {
        this.message = refused;
        this.notice = '';
      }
    } catch (error) {
      // A session that ended signs the phone out; the app shows the sign-in screen.
      if (!(error instanceof SignedOutError)) this.message = OFFLINE;
    } finally {
      this.busy = false;
    }
  }
}

/** What the server's refusal means for the admin. */
function refusal(answer: ApiAnswer): string {
  const { code, message } = errorOf(answer);
  switch (code) {
    case 'last-admin':
      return 'This is the last admin who can sign in: make another account admin first.';
    case 'forbidden':
      return 'Only an admin adds or changes staff accounts.';
    case 'not-found':
      return 'That account does not exist any more.';
    case 'invalid':
      return `The server did not take this: ${message}.`;
    default:
      return `The server did not do it: ${message}.`;
  }
}

customElements.define('hc-staff-view', HcStaffView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-staff-view': HcStaffView;
  }
}
