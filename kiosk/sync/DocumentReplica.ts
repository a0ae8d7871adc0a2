import { HocuspocusProvider, type HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { isUpdateRefusal, type UpdateRefusal } from '../../shared/refusals';

export interface ReplicaOptions {
  name: string;
  /** The tablet's one websocket, shared by every document it syncs. */
  socket: HocuspocusProviderWebsocket;
  token: () => Promise<string>;
  /** IndexedDB database name; defaults to `headcount:<document name>`. */
  storageName?: string;
  /**
   * Whether this device shares awareness on the document (default true). A document every
   * device of the chain reads (a roster, [D7]) goes without: each state would be relayed to every
   * other reader. The socket keeps at least one document with awareness (the site's): the
   * provider's ping relies on it.
   */
  awareness?: boolean;
}

/**
 * A document on this device: kept in IndexedDB (y-indexeddb) and synced through the server
 * whenever a connection exists. Dispatches `change` whenever its content or sync state changes.
 */
export class DocumentReplica extends EventTarget {
  readonly name: string;
  readonly doc = new Y.Doc();
  /** Resolves once the document has been read from IndexedDB. */
  readonly loaded: Promise<void>;
  /** Why the server last refused an update of ours to this document, if it did. */
  refusedWith: UpdateRefusal | null = null;
  private syncedOnce = false;
  private destroyed = false;
  /** Settles `loaded` once this copy is destroyed; set in the constructor. */
  private ended: () => void = () => {};
  protected readonly persistence: IndexeddbPersistence;
  protected readonly provider: HocuspocusProvider;

  constructor(options: ReplicaOptions) {
    super();
    this.name = options.name;
    this.persistence = new IndexeddbPersistence(
      options.storageName ?? `headcount:${options.name}`,
      this.doc,
    );
    this.provider = new HocuspocusProvider({
      websocketProvider: options.socket,
      name: options.name,
      document: this.doc,
      token: options.token,
      ...(options.awareness === false ? { awareness: null } : {}),
    });
    this.doc.on('update', () => this.changed());
    this.provider.on('synced', () => {
      this.syncedOnce = true;
      this.changed();
    });
    this.provider.on('status', () => this.changed());
    // The server refused this device's token (revoked, expired, account disabled): the owner
    // decides whether to fetch a new one or to stop.
    this.provider.on('authenticationFailed', ({ reason }: { reason: string }) =>
      this.dispatchEvent(new CustomEvent('denied', { detail: String(reason) })),
    );
    // Other devices' presence (a kiosk's count of check-ins waiting to sync, for staff).
    this.provider.on('awarenessChange', () => this.changed());
    // The server closes a document whose update it refused ([W1]–[W4]); syncing would silently
    // stop there. The reason says whether starting again can help (see `refusedWith`).
    this.provider.on('close', ({ event }: { event: { reason?: string } }) => {
      const reason = String(event.reason ?? '');
      if (isUpdateRefusal(reason)) {
        this.refusedWith = reason;
        this.dispatchEvent(new CustomEvent('refused', { detail: reason }));
      } else if (reason !== '') {
        // Closed for the whole connection with a reason (`site-archived`): the owner may care.
        this.dispatchEvent(new CustomEvent('closed', { detail: reason }));
      }
    });
    // y-indexeddb never settles `whenSynced` for a copy destroyed before it was read (a sign-out
    // while the page opens): `loaded` then resolves at the destruction, so no one waits forever.
    const ended = new Promise<void>((resolve) => {
      this.ended = resolve;
    });
    this.loaded = Promise.race([this.persistence.whenSynced.then(() => this.afterRead()), ended]);
  }

  private async afterRead(): Promise<void> {
    if (this.destroyed) return;
    await this.afterLoad();
    // Attach only after IndexedDB is read, so the first sync already carries what was stored.
    if (!this.destroyed) this.provider.attach();
  }

  /** True while the server has this document in sync with us. */
  get connected(): boolean {
    return this.provider.isSynced && this.provider.isAuthenticated;
  }

  /** True once the server has had this document in sync with us since it was opened here. */
  get everSynced(): boolean {
    return this.syncedOnce;
  }

  /**
   * Tells the other devices on this document something about this one, through Yjs awareness
   * (never stored; gone when this device disconnects).
   */
  announce(field: string, value: unknown): void {
    this.provider.setAwarenessField(field, value);
  }

  /** What the other connected devices announced under `field`. */
  announced(field: string): unknown[] {
    const states = this.provider.awareness?.getStates() ?? new Map();
    const own = this.doc.clientID;
    return [...states.entries()]
      .filter(([client, state]) => client !== own && state[field] !== undefined)
      .map(([, state]) => state[field]);
  }

  /** Resolves the next time the server has this document in sync with us. */
  whenSynced(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!this.connected) return;
        this.removeEventListener('change', check);
        resolve();
      };
      this.addEventListener('change', check);
    });
  }

  /** Stops syncing this document (it stays in IndexedDB). */
  disconnect(): void {
    this.provider.detach();
  }

  connect(): void {
    this.provider.attach();
  }

  /**
   * Stops syncing and closes this device's copy. Resolves once its IndexedDB connection is
   * closed: a sign-out deletes the copy right after, and an open connection would make the
   * deletion wait for it.
   */
  destroy(): Promise<void> {
    this.destroyed = true;
    this.ended();
    // Called before the document is destroyed: y-indexeddb's own call from `doc.destroy()`
    // drops the promise.
    const closed = this.persistence.destroy().catch(() => {
      // Never opened (the browser refused storage): nothing to close.
    });
    this.provider.destroy();
    this.doc.destroy();
    return closed;
  }

  /**
   * Stops syncing and deletes this device's stored copy, to start again from the server's. The
   * document stays readable in memory until `destroy()`, so nothing written meanwhile is lost.
   */
  async discard(): Promise<void> {
    this.provider.destroy();
    await this.persistence.clearData();
  }

  /** Runs once IndexedDB has been read, before syncing starts. */
  protected async afterLoad(): Promise<void> {
    this.changed();
  }

  protected changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}
