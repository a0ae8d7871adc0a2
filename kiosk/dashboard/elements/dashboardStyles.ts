import { css } from 'lit';

/** Text for screen readers only (a live region, a spelled-out code). */
export const visuallyHidden = css`
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;

/**
 * Styles every dashboard screen shares: phone-first lists and forms, touch targets of at least
 * 44 px (WCAG 2.5.8 asks 24; thumbs on a busy desk need more), AA contrast on white.
 */
export const dashboardStyles = css`
  ${visuallyHidden}
  :host {
    display: grid;
    gap: 1rem;
  }
  h2,
  h3 {
    margin: 0.25rem 0;
  }
  section {
    display: grid;
    gap: 0.5rem;
    justify-items: stretch;
  }
  h3 {
    font-size: 1.05rem;
  }
  .rows {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 0.25rem;
  }
  .rows li {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 0.5rem;
    background: #fff;
    border: 1px solid #d8d5ca;
    border-radius: 0.5rem;
    padding: 0.4rem 0.6rem;
  }
  .muted {
    color: #4f5a5b;
    font-size: 0.9rem;
  }
  .warning {
    display: block;
    color: #8a1c1c;
    font-size: 0.9rem;
  }
  label {
    display: grid;
    gap: 0.25rem;
    font-weight: 600;
  }
  input,
  select,
  textarea {
    font: inherit;
    min-height: 44px;
    padding: 0 0.6rem;
    border: 1px solid #6b7172;
    border-radius: 0.5rem;
    background: #fff;
    color: inherit;
    box-sizing: border-box;
    max-width: 100%;
    /* Long options (time zones) must not widen the form past a 360-px screen. */
    min-width: 0;
  }
  fieldset {
    min-width: 0;
    margin: 0;
  }
  button {
    font: inherit;
    min-height: 44px;
    min-width: 44px;
    padding: 0 0.9rem;
    border-radius: 0.5rem;
    border: 0;
    background: #0f3d3e;
    color: #fff;
    font-weight: 700;
    cursor: pointer;
  }
  button.secondary {
    background: #fff;
    color: #0f3d3e;
    border: 2px solid #0f3d3e;
  }
  button.danger {
    background: #8a1c1c;
    color: #fff;
  }
  button:disabled {
    opacity: 0.6;
    cursor: not-allowed;
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  textarea:focus-visible {
    outline: 3px solid #b35c00;
    outline-offset: 2px;
  }
  .confirm {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
    background: #fff4e0;
    border: 1px solid #b07a00;
    border-radius: 0.5rem;
    padding: 0.5rem;
  }
  .confirm p {
    flex-basis: 100%;
    margin: 0;
  }
  .error {
    color: #8a1c1c;
    font-weight: 600;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    background: #fff;
  }
  th,
  td {
    text-align: left;
    padding: 0.3rem 0.4rem;
    border-bottom: 1px solid #e2dfd5;
  }
`;

/** A short status word in a pill ("archived", "waiting", "paused"): dark text on a light fill. */
export const tagStyles = css`
  .tag {
    display: inline-block;
    border-radius: 1rem;
    padding: 0 0.5rem;
    font-size: 0.85rem;
    font-weight: 700;
    background: #e4e0d4;
    color: #2b2b2b;
  }
`;

/** A group of choices in a form: a bordered box with its legend. */
export const choiceGroupStyles = css`
  fieldset {
    display: grid;
    gap: 0.25rem;
    border: 1px solid #6b7172;
    border-radius: 0.5rem;
    padding: 0.5rem 0.75rem;
  }
  legend {
    font-weight: 600;
    padding: 0 0.25rem;
  }
`;
