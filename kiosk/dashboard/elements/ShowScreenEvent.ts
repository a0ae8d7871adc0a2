import type { ScreenId } from './hc-dashboard-app';

/** Fired by a screen that leads to another (Now's "All activity"); the app shows `screen`. */
export class ShowScreenEvent extends Event {
  static readonly type = 'hc-show-screen';
  readonly screen: ScreenId;

  constructor(screen: ScreenId) {
    super(ShowScreenEvent.type, { bubbles: true, composed: true });
    this.screen = screen;
  }
}

declare global {
  interface HTMLElementEventMap {
    [ShowScreenEvent.type]: ShowScreenEvent;
  }
}
