import { css, html, LitElement } from 'lit';
import { KeypadSubmitEvent } from './KeypadSubmitEvent';

/**
 * The member-number keypad at the door: large keys (at least 64 px, WCAG 2.5.8 asks 24 px; a
 * kiosk is used standing, in a hurry), the number shown as typed, backspace and OK. Works with a
 * hardware keyboard too when focused.
 *
 * @fires keypad-submit - `KeypadSubmitEvent` with the typed number, when OK is pressed.
 * @csspart display - the typed number.
 */
export class HcKeypad extends LitElement {
  static override properties = {
    maxLength: { type: Number, attribute: 'max-length' },
    label: { type: String },
    value: { state: true },
  };

  static override styles = css`
    :host {
      display: grid;
      gap: 12px;
      max-width: 420px;
      font: 600 1.75rem/1 system-ui, sans-serif;
    }
    output {
      min-height: 64px;
      padding: 0 16px;
      display: flex;
      align-items: center;
      justify-content: center;
      border: 2px solid #0f3d3e;
      border-radius: 12px;
      background: #fff;
      color: #0f3d3e;
      letter-spacing: 0.12em;
    }
    .keys {
      display: grid;
      grid-template-columns: repeat(3, 1fr);
      gap: 12px;
    }
    button {
      min-width: 64px;
      min-height: 72px;
      border: 0;
      border-radius: 12px;
      font: inherit;
      background: #e7e3cf;
      color: #0f3d3e;
      touch-action: manipulation;
    }
    button:focus-visible {
      outline: 4px solid #e07a5f;
      outline-offset: 2px;
    }
    button.ok {
      background: #0f3d3e;
      color: #fff;
    }
    button:disabled {
      opacity: 0.45;
    }
  `;

  /** Longest number accepted. */
  declare maxLength: number;
  /** Accessible name of the keypad. */
  declare label: string;
  declare private value: string;

  constructor() {
    super();
    this.maxLength = 12;
    this.label = 'Member number';
    this.value = '';
  }

  /** True while a number is partly typed. */
  get hasInput(): boolean {
    return this.value !== '';
  }

  /** Empties the display (after a check-in, or when the kiosk returns home). */
  clear(): void {
    this.value = '';
  }

  override render() {
    const digits = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];
    return html`
      <output part="display" aria-live="polite" aria-label=${this.label}>${this.value || '\u00a0'}</output>
      <div class="keys" role="group" aria-label=${this.label}>
        ${digits.map((d) => html`<button type="button" @click=${() => this._onDigit(d)}>${d}</button>`)}
        <button type="button" aria-label="Delete last digit" ?disabled=${this.value === ''} @click=${this._onDelete}>⌫</button>
        <button type="button" @click=${() => this._onDigit('0')}>0</button>
        <button type="button" class="ok" aria-label="OK, check in or out" ?disabled=${this.value === ''} @click=${this._onSubmit}>OK</button>
      </div>
    `;
  }

  private _onDigit(digit: string): void {
    if (this.value.length < this.maxLength) this.value += digit;
  }

  private _onDelete(): void {
    this.value = this.value.slice(0, -1);
  }

  private _onSubmit(): void {
    if (this.value === '') return;
    const value = this.value;
    this.value = '';
    this.dispatchEvent(new KeypadSubmitEvent(value));
  }
}

customElements.define('hc-keypad', HcKeypad);

declare global {
  interface HTMLElementTagNameMap {
    'hc-keypad': HcKeypad;
  }
}
