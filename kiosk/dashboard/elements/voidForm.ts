import { css, html, nothing, type TemplateResult } from 'lit';

/** What a void form does; the screen that shows it keeps which entry it is open for. */
export interface VoidFormOptions {
  /** The last reason refused, shown as an alert; null for none. */
  readonly error: string | null;
  /** A reason was given: write the void. */
  readonly onVoid: (reason: string) => void;
  /** Only spaces were given: show this. */
  readonly onError: (message: string) => void;
  readonly onCancel: () => void;
}

/**
 * The form under an entry that voids it with a reason, which is required ([B2], [V10]): the
 * Activity and Needs attention screens show the same one.
 */
export function voidForm(options: VoidFormOptions): TemplateResult {
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const reason = String(new FormData(event.target as HTMLFormElement).get('reason') ?? '');
    if (reason.trim().length === 0) options.onError('Say why, for the audit list.');
    else options.onVoid(reason);
  };
  return html`<form class="void" @submit=${submit} aria-label="Void this entry">
    <label
      >Reason
      <input name="reason" maxlength="200" required placeholder="e.g. scanned the wrong card"
    /></label>
    <button class="danger">Void</button>
    <button type="button" class="secondary" @click=${options.onCancel}>Cancel</button>
    ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : nothing}
  </form>`;
}

/** The void form's layout: one line on a wide screen, the reason on its own line on a phone. */
export const voidFormStyles = css`
  form.void {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: end;
    flex-basis: 100%;
  }
  form.void label {
    flex: 1 1 12rem;
  }
`;
