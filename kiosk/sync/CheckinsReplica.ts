import * as Y from 'yjs';
import { type RawEntry, readEntries, readEntriesSince } from '../../shared/checkinsDoc';
import { parseDocName } from '../../shared/docName';
import { parseEntry } from '../../shared/entryCodec';
import { eventIdFromBytes } from '../../shared/eventId';
import type { CheckinEvent } from '../../shared/events';
import { dayWindow } from '../../shared/localTime';
import { parseWriterName } from '../../shared/writer';
import { DocumentReplica, type ReplicaOptions } from './DocumentReplica';

/** Key, in the document's own IndexedDB store, of the state the server last acknowledged. */
const ACKNOWLEDGED = 'acknowledged-state';

/**
 * One check-ins document on this tablet, which also knows how many of this tablet's entries the
 * server has not acknowledged yet, across reloads.
 *
 * "Acknowledged" is the local state vector at the moment the provider has no unacknowledged
 * message left (every update it sent was applied by the server, which answers each with a sync
 * status). A local change made after that moment starts a new unacknowledged message at once, so
 * the stored vector never covers anything the server lacks.
 */
export class CheckinsReplica extends DocumentReplica {
  readonly day: string;
  private readonly writer: string;
  private acknowledged: Uint8Array = new Uint8Array([0]);

  constructor(
    options: ReplicaOptions & { /** This tablet's array, `kiosk:<deviceId>`. */ writer: string },
  ) {
    super(options);
    const parsed = parseDocName(options.name);
    if (parsed?.kind !== 'checkins')
      throw new RangeError(`not a check-ins document: ${options.name}`);
    this.day = parsed.day;
    this.writer = options.writer;
    // A local write (not loaded from IndexedDB, not from the server): this day now has
    // something to deliver ([D6]).
    this.doc.on('update', (_update: Uint8Array, origin: unknown) => {
      if (origin !== this.provider && origin !== this.persistence) {
        this.dispatchEvent(new Event('written'));
      }
    });
    this.addEventListener('denied', (event) => {
      const reason = (event as CustomEvent<string>).detail;
      if (reason === 'past-day') {
        this.refusedDay = reason;
        this.changed();
      }
    });
    this.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
      if (number === 0 && this.provider.isSynced) void this.acknowledge();
      else this.changed();
    });
  }

  /**
   * Why the server refused to open this day for this device at all (a kiosk's day older than
   * the server takes, [W3]); its entries stay here, counted as waiting.
   */
  refusedDay: string | null = null;

  /** This tablet's entries the server has not acknowledged yet. */
  get pending(): number {
    return this.unacknowledged().length;
  }

  /** When the oldest entry the server has not acknowledged was recorded; null if none. */
  oldestPendingAt(): number | null {
    let oldest: number | null = null;
    for (const event of this.parsedOwn(readEntriesSince(this.doc, this.day, this.acknowledged))) {
      if (oldest === null || event.recordedAt < oldest) oldest = event.recordedAt;
    }
    return oldest;
  }

  /**
   * The raw tuples of this tablet's valid entries the server has not acknowledged yet. Entries
   * that do not parse are left out: re-sending them could only be refused again.
   */
  unacknowledged(): unknown[] {
    return this.ownValid(readEntriesSince(this.doc, this.day, this.acknowledged));
  }

  /** The raw tuples of every valid entry of this device in this document. */
  ownEntries(): unknown[] {
    return this.ownValid(readEntries(this.doc, this.day));
  }

  /** Appends entries again (same ids: an entry the server already has still counts once, [E1]). */
  reapply(values: readonly unknown[]): void {
    if (values.length > 0) this.doc.getArray(this.writer).push([...values]);
  }

  /** Appends those of `values` whose event id this device's array does not hold yet. */
  reapplyMissing(values: readonly unknown[]): void {
    const held = new Set(this.ownEntries().map(idOf));
    this.reapply(values.filter((value) => !held.has(idOf(value))));
  }

  private ownValid(entries: readonly RawEntry[]): unknown[] {
    const values: unknown[] = [];
    this.parsedOwn(entries, values);
    return values;
  }

  /** This device's entries among `entries` that parse, as events (and their raw values). */
  private parsedOwn(entries: readonly RawEntry[], values?: unknown[]): CheckinEvent[] {
    const writer = parseWriterName(this.writer);
    if (!writer) return [];
    const context = { writer, window: dayWindow(this.day, 'UTC') };
    const events: CheckinEvent[] = [];
    for (const entry of entries) {
      if (entry.container !== this.writer || entry.misplaced !== undefined) continue;
      const parsed = parseEntry(entry.value, context);
      if (!parsed.ok) continue;
      events.push(parsed.event);
      values?.push(entry.value);
    }
    return events;
  }

  protected override async afterLoad(): Promise<void> {
    const stored = await this.persistence.get(ACKNOWLEDGED);
    if (stored instanceof ArrayBuffer) this.acknowledged = new Uint8Array(stored);
    this.changed();
  }

  private async acknowledge(): Promise<void> {
    this.acknowledged = Y.encodeStateVector(this.doc);
    this.changed();
    // y-indexeddb's key-value store takes ArrayBuffers, not views.
    await this.persistence.set(ACKNOWLEDGED, this.acknowledged.slice().buffer);
  }
}

/** The event id of a valid entry tuple (its second field holds the id's bytes). */
function idOf(value: unknown): string | null {
  return Array.isArray(value) ? eventIdFromBytes(value[1]) : null;
}
