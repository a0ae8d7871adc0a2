import { css, html, LitElement, nothing } from 'lit';
import type { DashboardPort } from '../DashboardPort';
import { SignInError } from '../StaffSession';

/** The server's shortest password (`MIN_PASSWORD` in `sync-server/StaffAccounts.ts`). */
const MIN_PASSWORD = 10;

/**
 * "I have a set-up code", on the sign-in screen: the person of a new or reset account types the
 * one-time code an admin gave them (or opens the set-up link, which fills it in) and chooses
 * their own password ([C5]); the server signs them in, and the dashboard opens as after a sign-in.
 */
export class HcAccountSetup extends LitElement {
  static override properties = {
    controller: { attribute: false },
    code: { type: String },
    error: { state: true },
    busy: { state: true },
  };

  static override styles = css`
    form {
      display: grid;
      gap: 0.75rem;
    }
    h2,
    p {
      margin: 0;
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
      box-sizing: border-box;
      max-width: 100%;
    }
    input:focus-visible,
    button:focus-visible {
      outline: 3px solid #b35c00;
      outline-offset: 2px;
    }
    .hint {
      font-weight: 400;
      font-size: 0.9rem;
      color: #4f5a5b;
    }
    button {
      min-height: 48px;
      font: inherit;
      font-weight: 700;
      background: #0f3d3e;
      color: #fff;
      border: 0;
      border-radius: 0.5rem;
    }
    .error {
      color: #8a1c1c;
      font-weight: 600;
    }
  `;

  declare controller: DashboardPort | undefined;
  /** The code to start with (from a set-up link); the person may type another. */
  declare code: string;
  declare error: string | null;
  declare busy: boolean;

  constructor() {
    super();
    this.code = '';
    this.error = null;
    this.busy = false;
  }

  override render() {
    return html`<form @submit=${this._onSubmit} aria-labelledby="setup-title" novalidate>
      <h2 id="setup-title">Set up your account</h2>
      <p>
        Type the set-up code an admin gave you and choose your password. You are signed in at
        once; from then on you sign in with your username and this password.
      </p>
      <label
        >Set-up code
        <input
          name="code"
          required
          autocomplete="one-time-code"
          autocapitalize="characters"
          spellcheck="false"
          .value=${this.code}
      /></label>
      <label
        >New password <span class="hint" id="password-hint">at least ${MIN_PASSWORD} characters</span>
        <input
          name="password"
          type="password"
          required
          minlength=${MIN_PASSWORD}
          autocomplete="new-password"
          aria-describedby="password-hint"
      /></label>
      <label
        >Repeat the password
        <input name="repeat" type="password" required autocomplete="new-password"
      /></label>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <button ?disabled=${this.busy}>${this.busy ? 'Setting up…' : 'Set password and sign in'}</button>
    </form>`;
  }

  private async _onSubmit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const code = String(data.get('code') ?? '').trim();
    const password = String(data.get('password') ?? '');
    const field = (name: string) => form.querySelector<HTMLInputElement>(`input[name="${name}"]`);
    const refuse = (message: string, name: string) => {
      this.error = message;
      field(name)?.focus();
    };
    if (code === '') return refuse('Type the set-up code an admin gave you.', 'code');
    if (password.length < MIN_PASSWORD)
      return refuse(`Choose a password of at least ${MIN_PASSWORD} characters.`, 'password');
    if (password !== String(data.get('repeat') ?? ''))
      return refuse('The two passwords differ: type the same one twice.', 'repeat');
    this.busy = true;
    this.error = null;
    try {
      await this.controller?.setUp(code, password);
    } catch (error) {
      if (!(error instanceof SignInError))
        this.error =
          'The server cannot be reached. Setting up needs a network; try again when online.';
      else if (error.code === 'bad-setup-link')
        refuse('This set-up code is unknown, used or expired. Ask an admin for a new one.', 'code');
      else if (error.code === 'too-many-attempts')
        this.error = `Too many wrong codes were tried from here: ${error.message}.`;
      else if (error.code === 'invalid' && error.message.startsWith('password'))
        refuse(`The server wants a longer password: ${error.message}.`, 'password');
      else this.error = error.message;
    } finally {
      this.busy = false;
    }
  }
}

customElements.define('hc-account-setup', HcAccountSetup);

declare global {
  interface HTMLElementTagNameMap {
    'hc-account-setup': HcAccountSetup;
  }
}
