import type { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import type * as Y from 'yjs';
import type { Member } from '../../shared/member';
import { decodeRosterValue, ROSTER_MAP, rosterDocNames } from '../../shared/rosterDoc';
import { DocumentReplica } from './DocumentReplica';
import { RosterUnion } from './RosterUnion';

export interface RosterReplicasOptions {
  siteId: string;
  /** The device's one websocket (the site document's). */
  socket: HocuspocusProviderWebsocket;
  token: () => Promise<string>;
  /** Prefix of the IndexedDB names, as for the site document. */
  storagePrefix: string;
}

/**
 * Longest wait before `change` is dispatched after the roster changed, ms. Default 16 (a frame):
 * the 32 documents load and sync one message at a time, and a chain-wide import changes
 * thousands of members; the screen needs to hear once for all of them. A timer rather than an
 * animation frame, which a hidden page never gets.
 */
const CHANGE_EVENT_DELAY_MS = 16;

/**
 * The roster documents a device of a site reads ([D7]): its site's shards and the chain's, each
 * kept in IndexedDB and synced (read-only: only the server writes them) on the device's socket.
 * `members` and `byCode` are their union, kept up to date one changed member at a time
 * (`RosterUnion`): a change to one member never re-reads the others. `change` is dispatched
 * once when the copies have been read from IndexedDB, then at most once a frame, when the
 * members or `synced` changed.
 */
export class RosterReplicas extends EventTarget {
  private readonly replicas: DocumentReplica[];
  private readonly union: RosterUnion;
  private readonly read: Promise<void>;
  /** Whether every copy has been read from IndexedDB: until then `change` waits. */
  private isLoaded = false;
  /** A change came while loading. */
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private announcedSynced = false;
  /** Closed: nothing is announced any more, even if loading ends later. */
  private closed = false;

  constructor(options: RosterReplicasOptions) {
    super();
    const { siteId, socket, token, storagePrefix } = options;
    const names = rosterDocNames(siteId);
    this.union = new RosterUnion(names);
    this.replicas = names.map((name) => {
      const replica = new DocumentReplica({
        name,
        socket,
        token,
        storageName: `${storagePrefix}:${name}`,
        awareness: false,
      });
      // Observed before anything is read from IndexedDB, so no listing is missed.
      replica.doc.getMap<unknown>(ROSTER_MAP).observe((event) => this.take(name, event));
      replica.addEventListener('change', () => {
        if (this.synced !== this.announcedSynced) this.schedule();
      });
      return replica;
    });
    // The 32 copies load one after the other, each a change: the screen hears once, at the end.
    this.read = Promise.all(this.replicas.map((replica) => replica.loaded)).then(() => {
      this.isLoaded = true;
      if (this.dirty) this.schedule();
    });
  }

  /** Every member this device may check in, by id. */
  get members(): ReadonlyMap<string, Member> {
    return this.union.members;
  }

  /** The same members by card code. */
  get byCode(): ReadonlyMap<string, Member> {
    return this.union.byCode;
  }

  /** True once every roster document has synced with the server since it was opened here. */
  get synced(): boolean {
    return this.replicas.every((replica) => replica.everSynced);
  }

  /** Resolves once every roster document has been read from IndexedDB. */
  loaded(): Promise<void> {
    return this.read;
  }

  /** Stops syncing; resolves once every IndexedDB connection it held is closed. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
    await Promise.all(this.replicas.map((replica) => replica.destroy()));
  }

  /** Takes in the members one transaction changed in document `name`, and only those. */
  private take(name: string, event: Y.YMapEvent<unknown>): void {
    const map = event.target;
    let changed = false;
    for (const id of event.keysChanged) {
      const value = map.get(id);
      // A value this version cannot read leaves its member out, as `readRosterDoc` does.
      const member = value === undefined ? undefined : decodeRosterValue(id, value);
      if (this.union.list(name, id, typeof member === 'string' ? undefined : member))
        changed = true;
    }
    if (changed) this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    if (!this.isLoaded) {
      this.dirty = true;
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.announcedSynced = this.synced;
      this.dispatchEvent(new Event('change'));
    }, CHANGE_EVENT_DELAY_MS);
  }
}
