/** Fired by `hc-camera-scan` when a barcode or QR code is read. */
export class CodeScannedEvent extends Event {
  static readonly type = 'code-scanned';
  readonly code: string;

  constructor(code: string) {
    super(CodeScannedEvent.type, { bubbles: true, composed: true });
    this.code = code;
  }
}

declare global {
  interface HTMLElementEventMap {
    [CodeScannedEvent.type]: CodeScannedEvent;
  }
}
