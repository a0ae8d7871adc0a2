import { css, html, LitElement, nothing, unsafeCSS } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { formatClock } from '../../formatting';
import { attentionCount } from '../attentionCount';
import type { DashboardPort } from '../DashboardPort';
import { SignedOutError, SignInError, SiteSwitchError } from '../StaffSession';
import { takeSetupCode } from '../setupLink';
import { visuallyHidden } from './dashboardStyles';
import type { ShowScreenEvent } from './ShowScreenEvent';
import type { SwitchSiteEvent } from './SwitchSiteEvent';
import './hc-live-view';
import './hc-activity-view';
import './hc-arrival-notices';
import './hc-account-setup';
import './hc-chain-overview';

/** The dashboard's screens, in the order of the tab bar. */
export const SCREENS = [
  { id: 'now', label: 'Now', icon: '◉' },
  { id: 'activity', label: 'Activity', icon: '☰' },
  { id: 'attention', label: 'Issues', icon: '⚠' },
  { id: 'members', label: 'Members', icon: '☺' },
  { id: 'devices', label: 'Kiosks', icon: '▭' },
  { id: 'reports', label: 'Reports', icon: '▤' },
  { id: 'settings', label: 'Settings', icon: '⚙' },
] as const;
/**
 * Screens opened from another screen rather than from the tab bar (seven tabs are what fits a
 * 320-px phone), each with the tab it belongs under: "Sites", "Staff" and "Integrations", for
 * admins, from Settings.
 */
export const SUBSCREENS = [
  { id: 'sites', label: 'Sites', under: 'settings' },
  { id: 'staff', label: 'Staff', under: 'settings' },
  { id: 'integrations', label: 'Integrations', under: 'settings' },
] as const;
export type ScreenId = (typeof SCREENS)[number]['id'] | (typeof SUBSCREENS)[number]['id'];

/** Screens loaded on first use, so the live numbers need only the first bundle. */
const LAZY: Partial<Record<ScreenId, () => Promise<unknown>>> = {
  attention: () => import('./hc-attention-view'),
  members: () => import('./hc-members-view'),
  devices: () => import('./hc-devices-view'),
  reports: () => import('./hc-reports-view'),
  settings: () => import('./hc-settings-view'),
  sites: () => import('./hc-sites-view'),
  staff: () => import('./hc-staff-view'),
  integrations: () => import('./hc-integrations-view'),
};

/**
 * The staff dashboard: a sign-in form until someone is signed in, then a header with the site
 * (a choice of site when the account has several) and the connection (LIVE, or "as of 10:42"
 * with what it has), the chosen screen, and a tab bar at the bottom, where a thumb reaches on a
 * phone. Every screen starts afresh when the site changes. The sign-in screen also takes a
 * one-time set-up code, typed or from a set-up link (`#setup=…`, taken out of the address).
 */
export class HcDashboardApp extends LitElement {
  static override properties = {
    controller: { attribute: false },
    screen: { state: true },
    signInError: { state: true },
    signingIn: { state: true },
    revision: { state: true },
    switchingTo: { state: true },
    siteError: { state: true },
    setupCode: { state: true },
  };

  static override styles = [
    visuallyHidden,
    css`
    :host {
      display: grid;
      grid-template-rows: auto 1fr auto;
      /* Only the screen scrolls: the tab bar never covers a focused field (WCAG 2.4.11). */
      height: 100dvh;
      font: 1rem/1.45 system-ui, sans-serif;
      background: #f7f6f2;
      color: #1b2a2b;
    }
    header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem;
      padding: 0.5rem 0.75rem;
      background: #0f3d3e;
      color: #fff;
    }
    header h1 {
      flex: 1;
      margin: 0;
      font-size: 1.1rem;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .badge {
      border-radius: 1rem;
      padding: 0.15rem 0.6rem;
      font-size: 0.85rem;
      font-weight: 700;
    }
    .live {
      background: #c8f7d4;
      color: #0b4d1e;
    }
    .stale {
      background: #ffe3a3;
      color: #4a3400;
    }
    header button.attention {
      background: #ffe3a3;
      color: #4a3400;
      border: 0;
      border-radius: 1rem;
      padding: 0 0.75rem;
      font-weight: 700;
    }
    /* Focus rings with 3:1 against what surrounds them: on the dark header, on the white bar. */
    header button:focus-visible {
      outline: 3px solid #f0a030;
      outline-offset: 2px;
    }
    nav button:focus-visible {
      outline: 3px solid #b35c00;
      outline-offset: -3px;
    }
    header button {
      min-height: 44px;
      min-width: 44px;
      background: transparent;
      color: #fff;
      border: 1px solid #ffffff80;
      border-radius: 0.5rem;
      font: inherit;
    }
    main {
      overflow-y: auto;
      min-height: 0;
    }
    .screen {
      display: grid;
      gap: 0.75rem;
      padding: 0.75rem;
      max-width: 64rem;
      box-sizing: border-box;
      margin: 0 auto;
    }
    nav {
      display: grid;
      /* Equal tabs however long a label: a 360-px phone fits all seven. */
      grid-template-columns: repeat(${unsafeCSS(SCREENS.length)}, minmax(0, 1fr));
      background: #fff;
      border-top: 1px solid #c9c6bb;
    }
    nav button {
      min-height: 56px;
      display: grid;
      place-items: center;
      gap: 0;
      border: 0;
      background: none;
      /* Seven labels in 320 px (WCAG 1.4.10): a little smaller on the narrowest phones, and a
         word breaks rather than run into the next tab. */
      font: clamp(0.625rem, 2.9vw, 0.75rem) / 1.1 system-ui, sans-serif;
      padding: 0 1px;
      overflow-wrap: anywhere;
      color: #3d4b4c;
    }
    nav button[aria-current='page'] {
      color: #0f3d3e;
      font-weight: 700;
      box-shadow: inset 0 3px 0 #0f3d3e;
    }
    nav .icon {
      font-size: 1.2rem;
    }
    .sign-in,
    .leaving {
      display: grid;
      gap: 0.75rem;
      max-width: 22rem;
      margin: 2rem auto;
    }
    label {
      display: grid;
      gap: 0.25rem;
      font-weight: 600;
    }
    input {
      font: inherit;
      min-height: 48px;
      padding: 0 0.75rem;
      border: 1px solid #6b7172;
      border-radius: 0.5rem;
    }
    .primary {
      min-height: 48px;
      font: inherit;
      font-weight: 700;
      background: #0f3d3e;
      color: #fff;
      border: 0;
      border-radius: 0.5rem;
    }
    form {
      display: grid;
      gap: 0.75rem;
    }
    .sign-in > button {
      min-height: 48px;
      font: inherit;
      font-weight: 700;
      background: #fff;
      color: #0f3d3e;
      border: 2px solid #0f3d3e;
      border-radius: 0.5rem;
    }
    .sign-in button:focus-visible {
      outline: 3px solid #b35c00;
      outline-offset: 2px;
    }
    .error {
      color: #8a1c1c;
      font-weight: 600;
    }
    header .site {
      flex: 1;
      min-width: 0;
    }
    header select {
      width: 100%;
      min-height: 44px;
      font: 700 1.1rem system-ui, sans-serif;
      background: #0f3d3e;
      color: #fff;
      border: 1px solid #ffffff80;
      border-radius: 0.5rem;
      padding: 0 0.5rem;
      text-overflow: ellipsis;
    }
    header select:focus-visible {
      outline: 3px solid #f0a030;
      outline-offset: 2px;
    }
    .archived {
      background: #e4e0d4;
      color: #2b2b2b;
    }
  `,
  ];

  declare controller: DashboardPort | undefined;
  declare screen: ScreenId;
  declare signInError: string | null;
  declare signingIn: boolean;
  declare revision: number;
  /** The name of the site being switched to, while the server is asked. */
  declare switchingTo: string | null;
  /** Why the last switch of site did not happen. */
  declare siteError: string | null;
  /**
   * The set-up code the sign-in screen shows its form for (from a set-up link, or '' once the
   * person chose "I have a set-up code"); null for the sign-in form.
   */
  declare setupCode: string | null;
  /** Whether the last render showed the set-up form: a session after it means the code was used. */
  private showedSetup = false;
  /** The site the screens were last rendered for, and whether its arrival notices were paused. */
  private renderedSite: string | null = null;
  private noticesPaused = false;
  private readonly onChange = () => {
    this.revision++;
  };
  private readonly onHashChange = () => {
    // A set-up link opened in a tab that shows the dashboard already.
    const code = takeSetupCode(location, history);
    if (code !== null) this.setupCode = code;
  };

  constructor() {
    super();
    this.screen = 'now';
    this.signInError = null;
    this.signingIn = false;
    this.revision = 0;
    this.switchingTo = null;
    this.siteError = null;
    this.setupCode = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.controller?.addEventListener('change', this.onChange);
    this.onHashChange();
    globalThis.addEventListener('hashchange', this.onHashChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.controller?.removeEventListener('change', this.onChange);
    globalThis.removeEventListener('hashchange', this.onHashChange);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    const siteId = this.controller?.staff?.siteId ?? null;
    if (siteId !== this.renderedSite) {
      // The screens start again for the new site; notices paused stay paused (WCAG 2.2.2).
      const notices = this.renderRoot.querySelector('hc-arrival-notices');
      if (notices) this.noticesPaused = notices.paused;
      this.renderedSite = siteId;
    }
    if (this.showedSetup && this.controller?.staff && !this.controller.status.signedOut) {
      // Signed in with the code: it is used, and a later sign-out shows the sign-in form.
      this.setupCode = null;
      this.showedSetup = false;
    }
    if (changed.has('controller')) {
      (changed.get('controller') as DashboardPort | undefined)?.removeEventListener(
        'change',
        this.onChange,
      );
      if (this.isConnected) this.controller?.addEventListener('change', this.onChange);
    }
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    // The sign-in form only once a sign-out has deleted everything: never while the last
    // person's data is still on the phone.
    const leaving = controller.status.signingOut;
    if (leaving) return this.renderSigningOut(leaving === 'blocked');
    const staff = controller.staff;
    if (!staff || controller.status.signedOut) return this.renderSignIn();
    const status = controller.status;
    const name = controller.settings.name;
    const attention = controller.stats ? attentionCount(controller.stats) : 0;
    const archived = controller.currentSite?.archived ?? false;
    return html`
      <header>
        ${
          controller.sites.length > 1
            ? html`<h1 class="visually-hidden">${name}</h1>
              ${keyed(staff.siteId, this.renderSiteChoice(controller, staff.siteId))}`
            : html`<h1>${name}</h1>`
        }
        ${archived ? html`<span class="badge archived">Archived · read only</span>` : nothing}
        ${
          status.live
            ? html`<span class="badge live" role="status">● LIVE</span>`
            : html`<span class="badge stale" role="status"
                >⚠ Offline${status.asOf === null ? '' : ` — as of ${formatClock(status.asOf, controller.settings.timeZone)}`}</span
              >`
        }
        ${status.pending > 0 ? html`<span class="badge stale">${status.pending} to sync</span>` : nothing}
        ${
          attention > 0
            ? html`<button
              type="button"
              class="attention"
              aria-label=${`Needs attention, ${attention}`}
              @click=${() => void this.show('attention')}
            >
              <span aria-hidden="true">⚠ ${attention}</span>
            </button>`
            : nothing
        }
        <button
          type="button"
          @click=${() => void controller.signOut()}
          aria-label=${`Sign out ${staff.username} (${staff.role})`}
        >
          Sign out
        </button>
      </header>
      <main
        id="screen"
        aria-label=${this.screenLabel()}
        @hc-show-screen=${(event: ShowScreenEvent) => void this.show(event.screen)}
        @hc-switch-site=${this._onSwitchSite}
      >
        <div class="screen">
          ${this.switchingTo === null ? nothing : html`<p role="status">Switching to ${this.switchingTo}…</p>`}
          ${this.siteError === null ? nothing : html`<p class="error" role="alert">${this.siteError}</p>`}
          ${
            this.setupCode === null
              ? nothing
              : html`<p role="status">
                A set-up link was opened while ${staff.username} is signed in: sign out to use it.
              </p>`
          }
          ${
            // A new site starts every screen afresh: its own lists, forms and arrivals.
            keyed(
              staff.siteId,
              html`<hc-arrival-notices
                  .feed=${controller.stats?.feed ?? []}
                  .paused=${this.noticesPaused}
                ></hc-arrival-notices>
                ${this.renderScreen(controller)}`,
            )
          }
        </div>
      </main>
      <nav aria-label="Screens">
        ${SCREENS.map(
          (s) => html`<button
            type="button"
            aria-current=${s.id === this.tab() ? 'page' : 'false'}
            @click=${() => this.show(s.id)}
          >
            <span class="icon" aria-hidden="true">${s.icon}</span>${s.label}
          </button>`,
        )}
      </nav>
    `;
  }

  /** Switches screens, loading a screen's code on first use. */
  async show(screen: ScreenId): Promise<void> {
    await LAZY[screen]?.();
    // A new screen starts at its top, not where the last one was scrolled to.
    if (screen !== this.screen) this.renderRoot.querySelector('main')?.scrollTo(0, 0);
    this.screen = screen;
  }

  private screenLabel(): string {
    return [...SCREENS, ...SUBSCREENS].find((s) => s.id === this.screen)?.label ?? '';
  }

  /** The tab the screen shown belongs under. */
  private tab(): ScreenId {
    return SUBSCREENS.find((s) => s.id === this.screen)?.under ?? this.screen;
  }

  /** The site shown, as a choice of the account's sites (archived ones say so). */
  private renderSiteChoice(controller: DashboardPort, siteId: string) {
    return html`<label class="site">
      <span class="visually-hidden">Site</span>
      <select ?disabled=${this.switchingTo !== null} @change=${this._onSite}>
        ${controller.sites.map(
          (site) =>
            html`<option value=${site.id} ?selected=${site.id === siteId}>
              ${site.archived ? `${site.name} (archived)` : site.name}
            </option>`,
        )}
      </select>
    </label>`;
  }

  private renderScreen(controller: DashboardPort) {
    const r = this.revision;
    switch (this.screen) {
      case 'now':
        // The chain's numbers for an account of several sites, above the site shown.
        return html`${
          controller.sites.length > 1
            ? html`<hc-chain-overview .controller=${controller} .revision=${r}></hc-chain-overview>`
            : nothing
        }
          <hc-live-view .controller=${controller} .revision=${r}></hc-live-view>`;
      case 'activity':
        return html`<hc-activity-view .controller=${controller} .revision=${r}></hc-activity-view>`;
      case 'attention':
        return html`<hc-attention-view .controller=${controller} .revision=${r}></hc-attention-view>`;
      case 'members':
        return html`<hc-members-view .controller=${controller} .revision=${r}></hc-members-view>`;
      case 'devices':
        return html`<hc-devices-view .controller=${controller} .revision=${r}></hc-devices-view>`;
      case 'reports':
        return html`<hc-reports-view .controller=${controller} .revision=${r}></hc-reports-view>`;
      case 'settings':
        return html`<hc-settings-view .controller=${controller} .revision=${r}></hc-settings-view>`;
      case 'sites':
        return html`<hc-sites-view .controller=${controller} .revision=${r}></hc-sites-view>`;
      case 'staff':
        return html`<hc-staff-view .controller=${controller} .revision=${r}></hc-staff-view>`;
      case 'integrations':
        return html`<hc-integrations-view .controller=${controller} .revision=${r}></hc-integrations-view>`;
    }
  }

  private renderSigningOut(blocked: boolean) {
    return html`
      <header><h1>Headcount</h1></header>
      <main>
        <section class="leaving" role="status" aria-labelledby="signing-out-title">
          <h2 id="signing-out-title">Signing out…</h2>
          <p>
            ${
              blocked
                ? 'Close other Headcount tabs on this phone to finish.'
                : 'Deleting what this phone kept.'
            }
          </p>
        </section>
      </main>
      <span></span>
    `;
  }

  private renderSignIn() {
    this.showedSetup = this.setupCode !== null;
    if (this.setupCode !== null)
      return html`
        <header><h1>Headcount</h1></header>
        <main>
          <div class="sign-in">
            <hc-account-setup .controller=${this.controller} .code=${this.setupCode}></hc-account-setup>
            <button type="button" @click=${this._onBackToSignIn}>Back to sign-in</button>
          </div>
        </main>
        <span></span>
      `;
    return html`
      <header><h1>Headcount</h1></header>
      <main>
        <div class="sign-in">
        <form @submit=${this.onSignIn} aria-labelledby="sign-in-title">
          <h2 id="sign-in-title">Staff sign-in</h2>
          ${
            this.controller?.status.signedOut
              ? html`<p role="status">Your session ended. Please sign in again.</p>`
              : nothing
          }
          <label>Username <input name="username" autocomplete="username" required /></label>
          <label
            >Password
            <input name="password" type="password" autocomplete="current-password" required
          /></label>
          ${this.signInError ? html`<p class="error" role="alert">${this.signInError}</p>` : nothing}
          <button class="primary" ?disabled=${this.signingIn}>
            ${this.signingIn ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <button type="button" @click=${this._onSetupCode}>I have a set-up code</button>
        </div>
      </main>
      <span></span>
    `;
  }

  private async _onSetupCode(): Promise<void> {
    this.setupCode = '';
    await this.updateComplete;
    const setup = this.renderRoot.querySelector('hc-account-setup');
    await setup?.updateComplete;
    setup?.renderRoot.querySelector<HTMLInputElement>('input[name="code"]')?.focus();
  }

  private async _onBackToSignIn(): Promise<void> {
    this.setupCode = null;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('input[name="username"]')?.focus();
  }

  private async _onSite(event: Event): Promise<void> {
    const select = event.target as HTMLSelectElement;
    if (!(await this.switchSite(select.value)))
      // Still on the site it was on: the choice says so again.
      select.value = this.controller?.staff?.siteId ?? '';
  }

  private async _onSwitchSite(event: SwitchSiteEvent): Promise<void> {
    if (await this.switchSite(event.siteId)) await this.show(event.screen);
  }

  /** Switches to `siteId`, saying so meanwhile and why when it cannot; true once switched. */
  private async switchSite(siteId: string): Promise<boolean> {
    const controller = this.controller;
    const chosen = controller?.sites.find((site) => site.id === siteId);
    if (!controller || !chosen) return false;
    const current = controller.currentSite;
    this.switchingTo = chosen.name;
    this.siteError = null;
    try {
      await controller.switchSite(chosen.id);
      return true;
    } catch (error) {
      const still = current ? ` Still showing ${current.name}.` : '';
      this.siteError =
        error instanceof SignedOutError
          ? null
          : error instanceof SiteSwitchError
            ? `Your account cannot open ${chosen.name}.`
            : error instanceof TypeError
              ? `Switching sites needs a connection.${still}`
              : `The server could not switch sites just now; try again.${still}`;
      return false;
    } finally {
      this.switchingTo = null;
    }
  }

  private async onSignIn(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    this.signingIn = true;
    this.signInError = null;
    try {
      await this.controller?.signIn(String(data.get('username')), String(data.get('password')));
    } catch (error) {
      this.signInError =
        error instanceof SignInError
          ? error.code === 'bad-credentials'
            ? 'Wrong username or password.'
            : error.message
          : 'The server cannot be reached. Sign-in needs a network; try again when online.';
    } finally {
      this.signingIn = false;
    }
  }
}

customElements.define('hc-dashboard-app', HcDashboardApp);

declare global {
  interface HTMLElementTagNameMap {
    'hc-dashboard-app': HcDashboardApp;
  }
}
