import type { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { readEntries, watchEntries } from '../../shared/checkinsDoc';
import { DayLedger } from '../../shared/DayLedger';
import { dayConfigFor } from '../../shared/deriveDay';
import { checkinsDocName } from '../../shared/docName';
import { addDays, type LocalDay } from '../../shared/localTime';
import type { SiteSettings } from '../../shared/siteDoc';
import type { KeyValueStore } from '../device/KeyValueStore';
import { CheckinsReplica } from './CheckinsReplica';
import { UndeliveredDays } from './UndeliveredDays';

/**
 * How long a day must stay in sync with nothing pending before it counts as delivered, ms.
 * Default 10 s: far longer than the server needs to apply what a socket queued before its
 * token was checked (see `watchDelivery`).
 */
const DELIVERED_SETTLE_MS = 10_000;

export interface LiveDaysOptions {
  siteId: string;
  socket: HocuspocusProviderWebsocket;
  token: () => Promise<string>;
  /** This device's writer array, `kiosk:<deviceId>` or `staff:<userId>`. */
  writer: string;
  /** Prefix of the IndexedDB database names (the kiosk and the dashboard keep separate copies). */
  storagePrefix: string;
  /** Where the list of days with undelivered entries is kept across reloads ([D6]). */
  store: KeyValueStore;
  /** Called whenever a document's content or sync state changes. */
  onChange: () => void;
  /** Called when the server refused an update of ours to a day's document. */
  onRefused?: (replica: CheckinsReplica) => void;
}

/** The store key of a site's list of days with undelivered entries (a sign-out removes it). */
export function undeliveredDaysKey(storagePrefix: string, siteId: string): string {
  return `${storagePrefix}:undelivered:${siteId}`;
}

/** What this device still has to deliver, over every day it holds ([D6]). */
export interface Backlog {
  /** Entries of this device the server has not acknowledged, whatever their day. */
  readonly pending: number;
  /** When the oldest of them was recorded; null when there is none. */
  readonly oldestAt: number | null;
  /** Of `pending`, those in days the server no longer takes from this device ([W3]). */
  readonly tooOld: number;
}

/**
 * Today's and yesterday's check-ins documents of a site on this device (visits crossing
 * midnight, [V8]) and one `DayLedger` over both, kept up to date entry by entry; and every
 * older day that still holds entries of this device the server has not acknowledged ([D6]),
 * kept open and syncing until it has delivered them. Shared by the kiosk (which decides at the
 * door from it) and the dashboard (which shows its numbers).
 *
 * A day no longer needed (not today or yesterday, nothing left to deliver) is closed and its
 * copy on this device deleted, so the device's storage does not grow with every day it has seen.
 */
export class LiveDays {
  private readonly options: LiveDaysOptions;
  private readonly undelivered: UndeliveredDays;
  private replicas: CheckinsReplica[] = [];
  /** Older days still delivering, by day. */
  private readonly backlog = new Map<LocalDay, CheckinsReplica>();
  private unwatch: (() => void)[] = [];
  /** Days acknowledged and in sync, waiting out DELIVERED_SETTLE_MS before they count as delivered. */
  private readonly settling = new Map<CheckinsReplica, ReturnType<typeof setTimeout>>();
  /** Days that have counted as delivered since they were opened here. */
  private readonly delivered = new WeakSet<CheckinsReplica>();
  private current: DayLedger | null = null;

  constructor(options: LiveDaysOptions) {
    this.options = options;
    this.undelivered = new UndeliveredDays(
      options.store,
      undeliveredDaysKey(options.storagePrefix, options.siteId),
    );
  }

  /** The day documents open for the numbers, yesterday first. */
  get documents(): readonly CheckinsReplica[] {
    return this.replicas;
  }

  /** Older days open only to deliver what this device wrote into them, oldest first. */
  get delivering(): readonly CheckinsReplica[] {
    return [...this.backlog.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
  }

  get ledger(): DayLedger | null {
    return this.current;
  }

  /** The local day written into, or null before `open`. */
  get today(): LocalDay | null {
    return this.replicas[this.replicas.length - 1]?.day ?? null;
  }

  /** True while every open day is in sync with the server. */
  get synced(): boolean {
    return this.replicas.length > 0 && this.replicas.every((d) => d.connected);
  }

  /** This device's entries the server has not acknowledged yet, over every day. */
  get pending(): number {
    return this.backlogState().pending;
  }

  /** What this device still has to deliver, and since when ([D6]). */
  backlogState(): Backlog {
    let pending = 0;
    let tooOld = 0;
    let oldestAt: number | null = null;
    for (const replica of [...this.backlog.values(), ...this.replicas]) {
      const count = replica.pending;
      if (count === 0) continue;
      pending += count;
      if (replica.refusedDay === 'past-day') tooOld += count;
      const at = replica.oldestPendingAt();
      if (at !== null && (oldestAt === null || at < oldestAt)) oldestAt = at;
    }
    return { pending, oldestAt, tooOld };
  }

  /**
   * Opens `today` and the day before with a fresh ledger over both, and every older day this
   * device has not delivered yet. A day already open is kept (at midnight today becomes
   * yesterday and keeps syncing); a day that leaves the window keeps syncing while it has
   * entries to deliver and is closed and deleted from the device otherwise. Synchronous, so a
   * write just after midnight goes straight into the new day.
   */
  open(today: LocalDay, settings: SiteSettings): DayLedger {
    for (const stop of this.unwatch.splice(0)) stop();
    const keep = new Map(this.replicas.map((replica) => [replica.day, replica]));
    for (const [day, replica] of this.backlog) keep.set(day, replica);
    this.backlog.clear();
    const ledger = new DayLedger(dayConfigFor(settings, today));
    this.current = ledger;
    const window = [addDays(today, -1), today];
    this.replicas = window.map((day) => {
      const replica = keep.get(day) ?? this.replica(day);
      keep.delete(day);
      ledger.add(readEntries(replica.doc, day));
      this.unwatch.push(
        watchEntries(replica.doc, day, (added, removed) => {
          ledger.add(added);
          ledger.remove(removed);
        }),
      );
      return replica;
    });
    for (const day of this.undelivered.days()) {
      if (window.includes(day) || keep.has(day)) continue;
      keep.set(day, this.replica(day));
    }
    for (const [day, replica] of keep) {
      this.backlog.set(day, replica);
      void this.settleBacklog(replica);
    }
    this.options.onChange();
    return ledger;
  }

  /** Resolves once every open day has been read from IndexedDB. */
  async loaded(): Promise<void> {
    await Promise.all([...this.replicas, ...this.backlog.values()].map((d) => d.loaded));
  }

  /** Closes every open day; resolves once their IndexedDB connections are closed. */
  close(): Promise<void> {
    for (const timer of this.settling.values()) clearTimeout(timer);
    this.settling.clear();
    for (const stop of this.unwatch.splice(0)) stop();
    const closed = [...this.replicas, ...this.backlog.values()].map((replica) => replica.destroy());
    this.replicas = [];
    this.backlog.clear();
    this.current = null;
    return Promise.all(closed).then(() => undefined);
  }

  private replica(day: LocalDay): CheckinsReplica {
    const { siteId, socket, token, writer, storagePrefix } = this.options;
    const name = checkinsDocName(siteId, day);
    const replica = new CheckinsReplica({
      name,
      socket,
      token,
      writer,
      storageName: `${storagePrefix}:${name}`,
    });
    // Noted at the moment of writing, before anything can be lost: this day must be delivered.
    replica.addEventListener('written', () => this.undelivered.add(day));
    replica.addEventListener('change', () => {
      this.watchDelivery(replica);
      if (this.backlog.get(day) === replica) void this.settleBacklog(replica);
      this.options.onChange();
    });
    replica.addEventListener('refused', () => this.options.onRefused?.(replica));
    return replica;
  }

  /**
   * A day counts as delivered once nothing of this device is pending in it and it has stayed in
   * sync for DELIVERED_SETTLE_MS: the provider can report "all acknowledged" a moment before the
   * server has applied the last updates it queued while the socket was not yet authenticated (it
   * counts acknowledgements across reconnects). Only then does the day leave the list of
   * undelivered days; if the connection drops in between, the next sync sends them again from
   * this copy.
   */
  private watchDelivery(replica: CheckinsReplica): void {
    const settled = replica.pending === 0 && replica.connected;
    const timer = this.settling.get(replica);
    if (!settled) {
      if (timer !== undefined) clearTimeout(timer);
      this.settling.delete(replica);
      if (replica.pending > 0) this.delivered.delete(replica);
      return;
    }
    if (timer !== undefined || this.delivered.has(replica)) return;
    this.settling.set(
      replica,
      setTimeout(() => {
        this.settling.delete(replica);
        if (replica.pending > 0 || !replica.connected) return;
        this.delivered.add(replica);
        this.undelivered.remove(replica.day);
        if (this.backlog.get(replica.day) === replica) void this.settleBacklog(replica);
      }, DELIVERED_SETTLE_MS),
    );
  }

  /** Closes an older day once it has nothing left to deliver, and deletes its copy here. */
  private async settleBacklog(replica: CheckinsReplica): Promise<void> {
    await replica.loaded;
    if (this.backlog.get(replica.day) !== replica) return;
    if (replica.pending > 0) return;
    // A day on the list of undelivered days waits until it counts as delivered (above); one
    // never written here (or delivered before) closes at once.
    if (this.undelivered.has(replica.day) && !this.delivered.has(replica)) {
      this.watchDelivery(replica);
      return;
    }
    this.backlog.delete(replica.day);
    this.undelivered.remove(replica.day);
    await replica.discard();
    replica.destroy();
    this.options.onChange();
  }
}
