import { html, LitElement, nothing, type PropertyDeclarations } from 'lit';
import type { DashboardPort } from '../DashboardPort';
import { IntegrationsApi } from '../IntegrationsApi';
import { SignedOutError } from '../StaffSession';
import { ActionGate } from './ActionGate';
import { NoticeEvent, SecretMadeEvent, type ShownOnce } from './IntegrationsEvents';
import { integrationsRefusal } from './integrationsRefusal';

/** The two parts of the Integrations screen; each says what went wrong by its own list and form. */
export type PartName = 'keys' | 'webhooks';

/**
 * What the Integrations screen's two parts (API keys, webhooks) share: a list loaded from the
 * server's API when the part appears, one action at a time across both parts (`gate`), a
 * confirmation before revoking or deleting, and what went wrong said by the part's own form.
 *
 * A part renders into the screen's shadow root, not a root of its own: the screen stays one
 * tree, so its styles, its ids (`aria-labelledby`) and its focus reach the parts as before.
 */
export abstract class IntegrationsPart extends LitElement {
  static override properties: PropertyDeclarations = {
    controller: { attribute: false },
    revision: { type: Number },
    gate: { attribute: false },
    problem: { state: true },
    confirming: { state: true },
  };

  declare controller: DashboardPort | undefined;
  declare revision: number;
  /** Shared with the screen's other part. */
  declare gate: ActionGate;
  /** Why the part's last action did not happen, or why its list did not load; '' for neither. */
  declare problem: string;
  /** The id of the key or endpoint waiting for a confirmation (revoke, delete). */
  declare confirming: string | null;

  /** Which part this is, for the words of what went wrong. */
  protected abstract readonly partName: PartName;

  constructor() {
    super();
    this.revision = 0;
    this.gate = new ActionGate();
    this.problem = '';
    this.confirming = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.gate.join(this);
    if (this.controller) void this.attempt(() => this.load(), { loading: true });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.gate.leave(this);
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  /**
   * The part's heading, counting its list once loaded, and the list: a row per item, `none` when
   * empty, and `loading` until the first answer (nothing if it failed: the form says why). The
   * heading is `#<partName>-title`: the part's `aria-labelledby`, and where focus goes back to.
   */
  protected renderList<T>(
    title: string,
    items: readonly T[] | null,
    words: { readonly loading: string; readonly none: string },
    row: (item: T) => unknown,
  ) {
    return html`<h3 id=${`${this.partName}-title`} tabindex="-1">
        ${items === null ? title : `${title} (${items.length})`}
      </h3>
      ${
        items === null
          ? this.problem
            ? nothing
            : html`<p>${words.loading}</p>`
          : items.length === 0
            ? html`<p class="muted">${words.none}</p>`
            : html`<ul class="rows">
                ${items.map(row)}
              </ul>`
      }`;
  }

  protected renderConfirm(label: string, question: string, action: string, act: () => unknown) {
    return html`<div class="confirm" role="group" aria-label=${label}>
      <p>${question}</p>
      <button type="button" class="danger" ?disabled=${this.gate.busy} @click=${act}>${action}</button>
      <button type="button" class="secondary" @click=${() => (this.confirming = null)}>
        Cancel
      </button>
    </div>`;
  }

  protected renderProblem() {
    return this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : nothing;
  }

  /** Fetches the part's list. */
  protected abstract load(): Promise<void>;

  /** Says `text` in the screen's status line. */
  protected notify(text: string): void {
    this.dispatchEvent(new NoticeEvent(text));
  }

  /**
   * After the server made a key or an endpoint: `form` empties, the list shows the new one, and
   * the screen says `notice` and shows the secret once.
   */
  protected async madeSecret(
    form: HTMLFormElement,
    notice: string,
    made: Omit<ShownOnce, 'part'>,
  ): Promise<void> {
    form.reset();
    await this.load();
    this.notify(notice);
    this.dispatchEvent(new SecretMadeEvent({ part: this.partName, ...made }));
  }

  /**
   * After a confirmed revoke or delete: the list drops the confirmation and shows what changed,
   * the screen says `notice`, and focus goes to the part's heading (the row's buttons are gone).
   */
  protected async removed(notice: string): Promise<void> {
    this.confirming = null;
    await this.load();
    this.notify(notice);
    await this.focusIn(`#${this.partName}-title`);
  }

  protected refuse(text: string, field: HTMLElement | null): void {
    this.problem = text;
    this.notify('');
    field?.focus();
  }

  protected async focusIn(selector: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  /**
   * Runs one API action, one at a time across the screen: a second tap while the first is under
   * way does nothing. What went wrong is said by this part's form, and focus goes back to `field`.
   */
  protected async call(
    action: (api: IntegrationsApi) => Promise<void>,
    options: { field?: HTMLElement | null } = {},
  ): Promise<void> {
    if (!this.controller) return;
    await this.gate.run(() => this.attempt(action, options));
  }

  /** Runs `action`; its refusal (or the network's absence) becomes this part's problem. */
  private async attempt(
    action: (api: IntegrationsApi) => Promise<void>,
    options: { field?: HTMLElement | null; loading?: boolean } = {},
  ): Promise<void> {
    this.problem = '';
    try {
      await action(this.api());
    } catch (error) {
      // A session that ended signs the phone out; the app shows the sign-in screen.
      if (!(error instanceof SignedOutError))
        this.refuse(
          integrationsRefusal(this.partName, error, options.loading ?? false),
          options.field ?? null,
        );
    }
  }

  protected api(): IntegrationsApi {
    if (!this.controller) throw new Error('no controller');
    return new IntegrationsApi(this.controller);
  }
}
