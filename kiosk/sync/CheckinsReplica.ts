import { HocuspocusProvider, type HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { readEntriesSince } from '../../shared/checkinsDoc';
import { parseDocName } from '../../shared/docName';

/** Key, in the document's own IndexedDB store, of the state the server last acknowledged. */
const ACKNOWLEDGED = 'acknowledged-state';

/**
 * One check-ins document on this tablet: written locally first and kept in IndexedDB
 * (y-indexeddb), synced through the server whenever a connection exists. It knows how many of
 * this tablet's entries the server has not acknowledged yet, also across reloads.
 *
 * "Acknowledged" is the local state vector at the moment the provider has no unacknowledged
 * message left (every update it sent was applied by the server, which answers each with a sync
 * status). A local change made after that moment starts a new unacknowledged message at once, so
 * the stored vector never covers anything the server lacks.
 */
export class CheckinsReplica extends EventTarget {
  readonly name: string;
  readonly day: string;
  readonly doc: Y.Doc;
  /** Resolves once the document has been read from IndexedDB. */
  readonly loaded: Promise<void>;
  private readonly persistence: IndexeddbPersistence;
  private readonly provider: HocuspocusProvider;
  private readonly writer: string;
  private acknowledged: Uint8Array = new Uint8Array([0]);

  constructor(options: {
    name: string;
    socket: HocuspocusProviderWebsocket;
    token: () => Promise<string>;
    /** This tablet's writer array, `kiosk:<deviceId>`. */
    writer: string;
    /** IndexedDB database name; defaults to `headcount:<document name>`. */
    storageName?: string;
  }) {
    super();
    const parsed = parseDocName(options.name);
    if (parsed?.kind !== 'checkins')
      throw new RangeError(`not a check-ins document: ${options.name}`);
    this.name = options.name;
    this.day = parsed.day;
    this.writer = options.writer;
    this.doc = new Y.Doc();
    this.persistence = new IndexeddbPersistence(
      options.storageName ?? `headcount:${options.name}`,
      this.doc,
    );
    this.loaded = this.persistence.whenSynced.then(async () => {
      const stored = await this.persistence.get(ACKNOWLEDGED);
      if (stored instanceof ArrayBuffer) this.acknowledged = new Uint8Array(stored);
      this.changed();
    });
    this.provider = new HocuspocusProvider({
      websocketProvider: options.socket,
      name: options.name,
      document: this.doc,
      token: options.token,
    });
    this.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
      if (number === 0 && this.provider.isSynced) void this.acknowledge();
      else this.changed();
    });
    this.doc.on('update', () => this.changed());
    // Attach only after IndexedDB is read, so the first sync already carries what was stored.
    void this.loaded.then(() => this.provider.attach());
  }

  /** This tablet's entries the server has not acknowledged yet. */
  get pending(): number {
    return readEntriesSince(this.doc, this.day, this.acknowledged).filter(
      (entry) => entry.container === this.writer,
    ).length;
  }

  get connected(): boolean {
    return this.provider.isSynced && this.provider.isAuthenticated;
  }

  /** Stops syncing this document (it stays in IndexedDB). */
  disconnect(): void {
    this.provider.detach();
  }

  connect(): void {
    this.provider.attach();
  }

  destroy(): void {
    this.provider.destroy();
    this.doc.destroy();
  }

  private async acknowledge(): Promise<void> {
    this.acknowledged = Y.encodeStateVector(this.doc);
    await this.persistence.set(ACKNOWLEDGED, this.acknowledged.slice().buffer);
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}
