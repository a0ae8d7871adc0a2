import { html, nothing } from 'lit';
import type { ApiKeyInfo, ApiKeyScope } from '../../../shared/integrationProtocol';
import { API_KEY_SCOPES, SCOPE_LABELS } from '../../../shared/integrations';
import { formatWhen } from '../../formatting';
import { IntegrationsPart } from './IntegrationsPart';

/**
 * The Integrations screen's API keys ([I1]): every key with its scopes and when it was last
 * used, revoking one once confirmed, and the form that makes one (its key is shown once, by the
 * screen).
 */
export class HcApiKeys extends IntegrationsPart {
  static override properties = {
    keys: { state: true },
  };

  /** Every API key as last fetched, revoked ones too; null before the first answer. */
  declare keys: readonly ApiKeyInfo[] | null;

  protected readonly partName = 'keys';

  constructor() {
    super();
    this.keys = null;
  }

  override render() {
    return html`<section aria-labelledby="keys-title">
      ${this.renderList(
        'API keys',
        this.keys,
        { loading: 'Loading the keys…', none: 'No API keys yet.' },
        (key) => this.renderKey(key),
      )}
      <form @submit=${this._onMakeKey} aria-labelledby="new-key-title" novalidate>
        <h4 id="new-key-title">Make an API key</h4>
        <label
          >Name <span class="hint">what it is for, e.g. “Billing sync”</span>
          <input name="name" maxlength="80" required autocomplete="off"
        /></label>
        <fieldset>
          <legend>What it may do</legend>
          ${API_KEY_SCOPES.map(
            (scope) =>
              html`<label class="choice"
                ><input type="checkbox" name="scope" value=${scope} />${SCOPE_LABELS[scope]}</label
              >`,
          )}
        </fieldset>
        ${this.renderProblem()}
        <button ?disabled=${this.gate.busy}>Make key</button>
      </form>
    </section>`;
  }

  private renderKey(key: ApiKeyInfo) {
    const scopes = key.scopes.map((s) => SCOPE_LABELS[s]).join(', ');
    const used = key.lastUsedAt === null ? 'never used' : `last used ${this.when(key.lastUsedAt)}`;
    return html`<li data-id=${key.id}>
      <span>
        <strong>${key.name}</strong>
        ${key.revokedAt === null ? nothing : html`<span class="tag">revoked ${this.when(key.revokedAt)}</span>`}
        <span class="muted">· ${scopes} · made ${this.when(key.createdAt)} · ${used}</span>
      </span>
      ${
        key.revokedAt === null
          ? html`<button
            type="button"
            class="secondary"
            aria-label=${`Revoke ${key.name}`}
            @click=${() => (this.confirming = key.id)}
          >
            Revoke…
          </button>`
          : nothing
      }
      ${
        this.confirming === key.id
          ? this.renderConfirm(
              `Confirm revoking ${key.name}`,
              `Revoke ${key.name}? Systems using this key stop working at once, and webhooks it registered are paused. To let a system in again, make a new key.`,
              'Revoke',
              () => this.revoke(key),
            )
          : nothing
      }
    </li>`;
  }

  private when(at: number): string {
    return formatWhen(at, Date.now(), this.controller?.settings.timeZone);
  }

  private async _onMakeKey(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const scopes = data.getAll('scope').map(String) as ApiKeyScope[];
    const field = form.querySelector<HTMLInputElement>('input[name="name"]');
    if (name === '') return this.refuse('A key needs a name: what it is for.', field);
    if (scopes.length === 0)
      return this.refuse(
        'Tick what the key may do.',
        form.querySelector<HTMLInputElement>('input[name="scope"]'),
      );
    await this.call(
      async (api) => {
        const made = await api.createKey({ name, scopes });
        await this.madeSecret(form, `Made the key ${made.info.name}. Copy it now.`, {
          what: made.info.name,
          secret: made.key,
        });
      },
      { field },
    );
  }

  private async revoke(key: ApiKeyInfo): Promise<void> {
    await this.call(async (api) => {
      await api.revokeKey(key.id);
      await this.removed(`${key.name} is revoked: systems using it are refused from now on.`);
    });
  }

  protected override async load(): Promise<void> {
    const keys = await this.api().keys();
    // Keys in use first, each group by name.
    this.keys = [...keys].sort(
      (a, b) =>
        Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || a.name.localeCompare(b.name),
    );
  }
}

customElements.define('hc-api-keys', HcApiKeys);

declare global {
  interface HTMLElementTagNameMap {
    'hc-api-keys': HcApiKeys;
  }
}
