import type { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { readEntries, watchEntries } from '../../shared/checkinsDoc';
import { DayLedger } from '../../shared/DayLedger';
import { dayConfigFor } from '../../shared/deriveDay';
import { checkinsDocName } from '../../shared/docName';
import { addDays, type LocalDay } from '../../shared/localTime';
import type { SiteSettings } from '../../shared/siteDoc';
import { CheckinsReplica } from './CheckinsReplica';

export interface LiveDaysOptions {
  siteId: string;
  socket: HocuspocusProviderWebsocket;
  token: () => Promise<string>;
  /** This device's writer array, `kiosk:<deviceId>` or `staff:<userId>`. */
  writer: string;
  /** Prefix of the IndexedDB database names (the kiosk and the dashboard keep separate copies). */
  storagePrefix: string;
  /** Called whenever a document's content or sync state changes. */
  onChange: () => void;
  /** Called when the server refused an update of ours to a day's document. */
  onRefused?: (replica: CheckinsReplica) => void;
}

/**
 * Today's and yesterday's check-ins documents of a site on this device (visits crossing
 * midnight, [V8]) and one `DayLedger` over both, kept up to date entry by entry. Shared by the
 * kiosk (which decides at the door from it) and the dashboard (which shows its numbers).
 */
export class LiveDays {
  private readonly options: LiveDaysOptions;
  private replicas: CheckinsReplica[] = [];
  private unwatch: (() => void)[] = [];
  private current: DayLedger | null = null;

  constructor(options: LiveDaysOptions) {
    this.options = options;
  }

  /** The day documents open now, yesterday first. */
  get documents(): readonly CheckinsReplica[] {
    return this.replicas;
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

  /** This device's entries the server has not acknowledged yet. */
  get pending(): number {
    return this.replicas.reduce((sum, d) => sum + d.pending, 0);
  }

  /**
   * Opens `today` and the day before with a fresh ledger over both. A day already open is kept
   * (at midnight today becomes yesterday and keeps syncing what it has not delivered); a day no
   * longer needed is closed, its unacknowledged entries safe in IndexedDB. Synchronous, so a
   * write just after midnight goes straight into the new day.
   */
  open(today: LocalDay, settings: SiteSettings): DayLedger {
    const { siteId, socket, token, writer, storagePrefix } = this.options;
    for (const stop of this.unwatch.splice(0)) stop();
    const keep = new Map(this.replicas.map((replica) => [replica.day, replica]));
    const ledger = new DayLedger(dayConfigFor(settings, today));
    this.current = ledger;
    this.replicas = [addDays(today, -1), today].map((day) => {
      let replica = keep.get(day);
      keep.delete(day);
      if (!replica) {
        const name = checkinsDocName(siteId, day);
        replica = new CheckinsReplica({
          name,
          socket,
          token,
          writer,
          storageName: `${storagePrefix}:${name}`,
        });
        replica.addEventListener('change', () => this.options.onChange());
        const refused = replica;
        replica.addEventListener('refused', () => this.options.onRefused?.(refused));
      }
      ledger.add(readEntries(replica.doc, day));
      this.unwatch.push(
        watchEntries(replica.doc, day, (added, removed) => {
          ledger.add(added);
          ledger.remove(removed);
        }),
      );
      return replica;
    });
    for (const old of keep.values()) old.destroy();
    this.options.onChange();
    return ledger;
  }

  /** Resolves once every open day has been read from IndexedDB. */
  async loaded(): Promise<void> {
    await Promise.all(this.replicas.map((d) => d.loaded));
  }

  close(): void {
    for (const stop of this.unwatch.splice(0)) stop();
    for (const replica of this.replicas) replica.destroy();
    this.replicas = [];
    this.current = null;
  }
}
