import { css } from 'lit';
import { choiceGroupStyles } from './dashboardStyles';

/**
 * The members screen's panels (the member form, the import preview), their button rows, and the
 * form's choices: a radio or checkbox with its words is one target of at least 44 px.
 */
export const memberPanelStyles = css`
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }
  .panel {
    display: grid;
    gap: 0.6rem;
    background: #fff;
    border: 2px solid #0f3d3e;
    border-radius: 0.75rem;
    padding: 0.75rem;
  }
  .choice {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    min-height: 44px;
    font-weight: 400;
  }
  .choice input {
    min-height: 0;
    width: 1.4rem;
    height: 1.4rem;
    margin: 0;
  }
  ${choiceGroupStyles}
  .fixed {
    margin: 0;
  }
`;
