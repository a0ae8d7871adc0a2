import { css } from 'lit';

/** The members screen's panels (the member form, the import preview) and their button rows. */
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
`;
