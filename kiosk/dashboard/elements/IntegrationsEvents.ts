import type { WebhookEndpointInfo } from '../../../shared/integrationProtocol';
import type { PartName } from './IntegrationsPart';

/** A secret the server gives once: a new key, or a new endpoint's signing secret. */
export interface ShownOnce {
  readonly part: PartName;
  /** The key's name, or the endpoint's URL. */
  readonly what: string;
  readonly secret: string;
}

/**
 * Fired by a part of the Integrations screen that made a key or an endpoint: the screen shows
 * its secret this once and moves focus there.
 */
export class SecretMadeEvent extends Event {
  static readonly type = 'hc-secret-made';
  readonly shown: ShownOnce;

  constructor(shown: ShownOnce) {
    super(SecretMadeEvent.type, { bubbles: true });
    this.shown = shown;
  }
}

/** Fired by a part of the Integrations screen: what its last action did ('' to say nothing). */
export class NoticeEvent extends Event {
  static readonly type = 'hc-integrations-notice';
  readonly text: string;

  constructor(text: string) {
    super(NoticeEvent.type, { bubbles: true });
    this.text = text;
  }
}

/** Fired by the webhooks part whenever it loads its list: the screen says which are paused. */
export class EndpointsLoadedEvent extends Event {
  static readonly type = 'hc-endpoints-loaded';
  readonly endpoints: readonly WebhookEndpointInfo[];

  constructor(endpoints: readonly WebhookEndpointInfo[]) {
    super(EndpointsLoadedEvent.type, { bubbles: true });
    this.endpoints = endpoints;
  }
}

declare global {
  interface HTMLElementEventMap {
    [SecretMadeEvent.type]: SecretMadeEvent;
    [NoticeEvent.type]: NoticeEvent;
    [EndpointsLoadedEvent.type]: EndpointsLoadedEvent;
  }
}
