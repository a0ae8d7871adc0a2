import { css, html, LitElement, nothing } from 'lit';
import { encode } from 'uqr';

/**
 * A QR code of `value`, drawn as one SVG path (crisp at any size, no canvas, no innerHTML).
 * `label` is its accessible name; the value itself should also be shown as text nearby.
 */
export class HcQrCode extends LitElement {
  static override properties = {
    value: { type: String },
    label: { type: String },
  };

  static override styles = css`
    :host {
      display: inline-block;
      width: 12rem;
      max-width: 100%;
      background: #fff;
    }
    svg {
      display: block;
      width: 100%;
      height: auto;
    }
  `;

  declare value: string;
  declare label: string;

  constructor() {
    super();
    this.value = '';
    this.label = 'QR code';
  }

  override render() {
    if (!this.value) return nothing;
    const { data, size } = encode(this.value, { ecc: 'M', border: 2 });
    let path = '';
    data.forEach((row, y) => {
      row.forEach((dark, x) => {
        if (dark) path += `M${x} ${y}h1v1h-1z`;
      });
    });
    return html`<svg viewBox="0 0 ${size} ${size}" role="img" aria-label=${this.label} shape-rendering="crispEdges">
      <rect width=${size} height=${size} fill="#fff"></rect>
      <path d=${path} fill="#000"></path>
    </svg>`;
  }
}

customElements.define('hc-qr-code', HcQrCode);

declare global {
  interface HTMLElementTagNameMap {
    'hc-qr-code': HcQrCode;
  }
}
