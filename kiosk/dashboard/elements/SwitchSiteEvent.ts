import type { ScreenId } from './hc-dashboard-app';

/**
 * Fired by a screen that leads to another site (Sites' "Switch to …" after adding one): the app
 * switches as its own choice of site does, saying why when it cannot, then shows `screen`.
 */
export class SwitchSiteEvent extends Event {
  static readonly type = 'hc-switch-site';
  readonly siteId: string;
  readonly screen: ScreenId;

  constructor(siteId: string, screen: ScreenId) {
    super(SwitchSiteEvent.type, { bubbles: true, composed: true });
    this.siteId = siteId;
    this.screen = screen;
  }
}

declare global {
  interface HTMLElementEventMap {
    [SwitchSiteEvent.type]: SwitchSiteEvent;
  }
}
