/** Fired by `hc-keypad` when a member confirms the number they typed. */
export class KeypadSubmitEvent extends Event {
  static readonly type = 'keypad-submit';
  readonly value: string;

  constructor(value: string) {
    super(KeypadSubmitEvent.type, { bubbles: true, composed: true });
    this.value = value;
  }
}

declare global {
  interface HTMLElementEventMap {
    [KeypadSubmitEvent.type]: KeypadSubmitEvent;
  }
}
