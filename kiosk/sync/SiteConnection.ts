import type { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { siteDocName } from '../../shared/docName';
import type { KeyValueStore } from '../device/KeyValueStore';
import type { CheckinsReplica } from './CheckinsReplica';
import { DocumentReplica } from './DocumentReplica';
import { LiveDays } from './LiveDays';
import { openSyncSocket } from './openSyncSocket';
import { RosterReplicas } from './RosterReplicas';

export interface SiteConnectionOptions {
  baseUrl: string;
  siteId: string;
  /** This device's writer array, `kiosk:<deviceId>` or `staff:<userId>`. */
  writer: string;
  /** Prefix of the IndexedDB names (the kiosk and the dashboard keep separate copies). */
  storagePrefix: string;
  /** The device's small store (the list of days with undelivered entries lives there). */
  store: KeyValueStore;
  /** The device's token source (see `watchedToken`). */
  token: () => Promise<string>;
  /** The site document (settings) changed. */
  onSiteChange: () => void;
  /** The members changed, or the roster documents all synced (at most once a frame). */
  onRosterChange?: () => void;
  /** A day document's content or sync state changed. */
  onDaysChange: () => void;
  /**
   * The server refused the token (see `retryWithFreshToken`), with its reason: a refusal reason
   * such as `revoked` or `site-archived`, or the provider's words when no token could be had.
   */
  onDenied: (reason: string) => void;
  /** The server closed the connection and said why (`site-archived`: an admin archived it). */
  onClosed?: (reason: string) => void;
  /** The server refused an update of ours to a day's document. */
  onRefused?: (replica: CheckinsReplica) => void;
}

/**
 * What a kiosk and a dashboard both hold while started: one websocket, the site document, the
 * roster documents ([D7]) and today's and yesterday's check-ins (`LiveDays`), all kept in
 * IndexedDB and synced over it.
 * Starting again means closing this and opening a new one (a new socket: see the README on
 * refused updates).
 */
export class SiteConnection {
  readonly socket: HocuspocusProviderWebsocket;
  readonly site: DocumentReplica;
  readonly roster: RosterReplicas;
  readonly days: LiveDays;

  constructor(options: SiteConnectionOptions) {
    const { baseUrl, siteId, writer, storagePrefix, token, store } = options;
    this.socket = openSyncSocket(baseUrl);
    const siteName = siteDocName(siteId);
    this.site = new DocumentReplica({
      name: siteName,
      socket: this.socket,
      token,
      storageName: `${storagePrefix}:${siteName}`,
    });
    this.site.addEventListener('change', options.onSiteChange);
    // The site document is always open, so its refusals stand for the whole connection.
    this.site.addEventListener('denied', (event) =>
      options.onDenied((event as CustomEvent<string>).detail),
    );
    const { onClosed } = options;
    if (onClosed)
      this.site.addEventListener('closed', (event) =>
        onClosed((event as CustomEvent<string>).detail),
      );
    this.roster = new RosterReplicas({ siteId, socket: this.socket, token, storagePrefix });
    const { onRosterChange } = options;
    if (onRosterChange) this.roster.addEventListener('change', () => onRosterChange());
    this.days = new LiveDays({
      siteId,
      socket: this.socket,
      token,
      writer,
      storagePrefix,
      store,
      onChange: options.onDaysChange,
      ...(options.onRefused ? { onRefused: options.onRefused } : {}),
    });
  }

  /** Resolves once the site, the roster and the open days have been read from IndexedDB. */
  async loaded(): Promise<void> {
    await Promise.all([this.site.loaded, this.roster.loaded(), this.days.loaded()]);
  }

  /** Stops syncing; resolves once every IndexedDB connection it held is closed. */
  close(): Promise<void> {
    const closed = Promise.all([this.days.close(), this.roster.close(), this.site.destroy()]);
    this.socket.destroy();
    return closed.then(() => undefined);
  }
}
