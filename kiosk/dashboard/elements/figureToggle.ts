import { css, html } from 'lit';

/**
 * What the dashboard's figures (occupancy chart, peak hours) share: a picture with an accessible
 * table behind it, and one button that switches between the two (WCAG 1.1.1: the same data as
 * text, not only a summary).
 */
export const figureStyles = css`
  :host {
    display: block;
    container-type: inline-size;
    font: 0.875rem/1.4 system-ui, sans-serif;
    color: #0f3d3e;
  }
  [hidden] {
    display: none !important;
  }
  .bar {
    display: flex;
    justify-content: flex-end;
    margin-bottom: 12px;
  }
  button {
    min-height: 44px;
    padding: 0 14px;
    border: 2px solid #0f3d3e;
    border-radius: 8px;
    font: inherit;
    font-weight: 600;
    background: #fff;
    color: #0f3d3e;
  }
  button:focus-visible {
    outline: 3px solid #e07a5f;
    outline-offset: 2px;
  }
`;

/** The switch between picture and table; the table must have `id="table"`. */
export function tableToggle(showTable: boolean, onToggle: () => void) {
  return html`<div class="bar">
    <button
      type="button"
      aria-expanded=${showTable ? 'true' : 'false'}
      aria-controls="table"
      @click=${onToggle}
    >${showTable ? 'Show as chart' : 'Show as table'}</button>
  </div>`;
}
