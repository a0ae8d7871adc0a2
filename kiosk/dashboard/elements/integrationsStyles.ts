import { css } from 'lit';
import { choiceGroupStyles, tagStyles } from './dashboardStyles';

/**
 * The Integrations screen and its two parts (they render into the screen's shadow root): the
 * forms and the shown-once panel, the forms' choices (a checkbox with its words is one target of
 * at least 44 px), the endpoints' status words, and the paused notice.
 */
export const integrationsStyles = css`
  form,
  .shown {
    display: grid;
    gap: 0.75rem;
    background: #fff;
    border: 1px solid #d8d5ca;
    border-radius: 0.5rem;
    padding: 0.75rem;
  }
  .shown {
    gap: 0.5rem;
    border: 2px solid #0f3d3e;
    border-radius: 0.75rem;
  }
  .shown p,
  .shown h3,
  form h4,
  .intro {
    margin: 0;
  }
  .secret {
    font-family: ui-monospace, monospace;
  }
  .hint {
    font-weight: 400;
    font-size: 0.9rem;
    color: #4f5a5b;
  }
  ${choiceGroupStyles}
  .choice {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    min-height: 44px;
    font-weight: 400;
  }
  .choice input {
    flex: none;
    min-height: 0;
    width: 1.4rem;
    height: 1.4rem;
    margin: 0;
  }
  ${tagStyles}
  .tag {
    justify-self: start;
  }
  .rows li > span:first-child {
    display: grid;
    gap: 0.15rem;
    min-width: 0;
    /* A long address breaks rather than widen the screen past a 320-px phone (WCAG 1.4.10). */
    overflow-wrap: anywhere;
  }
  .status {
    font-weight: 600;
  }
  .status.paused,
  .status.retrying,
  .status.failing {
    color: #6b4500;
  }
  .status.delivering {
    color: #0b4d1e;
  }
  .paused-notice {
    margin: 0;
    padding: 0.5rem 0.75rem;
    background: #fff4e0;
    border: 2px solid #b07a00;
    border-radius: 0.5rem;
    font-weight: 700;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
  a {
    color: #0f3d3e;
    font-weight: 600;
  }
  a:focus-visible,
  [tabindex='-1']:focus-visible {
    outline: 3px solid #b35c00;
    outline-offset: 2px;
  }
`;
