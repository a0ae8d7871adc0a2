import type {
  afterUnloadDocumentPayload,
  beforeUnloadDocumentPayload,
  Extension,
  Hocuspocus,
  onConfigurePayload,
  onStoreDocumentPayload,
} from '@hocuspocus/server';
import * as Y from 'yjs';
import { type RawEntry, readEntries, readEntriesSince } from '../shared/checkinsDoc';
import { type DayConfig, DayLedger } from '../shared/DayLedger';
import { dayConfigFor } from '../shared/deriveDay';
import { checkinsDocName, parseDocName, siteDocName } from '../shared/docName';
import { memberIdOf } from '../shared/entryCodec';
import { addDays, type LocalDay } from '../shared/localTime';
import { readSettings, type SiteSettings } from '../shared/siteDoc';
import type { DocumentStore } from './DocumentStore';
import type { Sql } from './database';
import { type RecordOutbox, RecordRows } from './RecordRows';
import { NotTheWriter, type RecordWriter, SOLE_WRITER } from './RecordWriter';
import { QueueClosed, SerialQueue } from './SerialQueue';
import { TimeSlicer } from './TimeSlicer';

export interface RecordKeeperConfiguration {
  db: Sql;
  documents: DocumentStore;
  /** Told of events the record holds for the first time, in its transactions ([I3]). */
  outbox?: RecordOutbox;
  /** Called after a store was recorded, with how long it took, yields included (metrics). */
  onRecorded: (seconds: number) => void;
  /** Work that failed; the day is rebuilt at its next store, or at the next start. */
  onError?: (error: unknown, what: string) => void;
  /** Milliseconds of work between yields to the event loop (`TimeSlicer`). */
  sliceMs?: number;
  /** Which instance of a cluster writes the record (`RecordWriter`); default: this one. */
  writer?: RecordWriter;
  /**
   * Read documents from the database, never from memory: with several instances on one
   * database, the copy in memory here may lack what another instance accepted (no Redis, or
   * Redis down), and the record must hold everything accepted anywhere.
   */
  fromDatabase?: boolean;
  /** A document the record follows was stored here while another instance writes the record. */
  tellWriter?: (documentName: string) => void;
}

/** A day's ledger, kept while a document it reads is open, and what it has read of each. */
interface HeldLedger {
  readonly ledger: DayLedger;
  /** Per document read into it, its state vector when last read. */
  readonly seen: Map<LocalDay, Uint8Array>;
  /** Not written yet: its first write also deletes the day's rows it does not hold. */
  fresh: boolean;
  /** When a follow last used it (ms): with `fromDatabase`, idle ledgers are let go. */
  usedAt: number;
}

/** With `fromDatabase`, how long a ledger no follow used is kept, ms. */
const IDLE_LEDGER_MS = 10 * 60_000;

/** Entries handed to a ledger at once while one is built. */
const ADD_CHUNK = 128;

/**
 * Keeps the server's SQL record of check-ins (`events`, `visits`, `day_problems`) following the
 * documents, in proportion to what changed ([R1]–[R3] in shared/SPEC.md). The Yjs documents are
 * the sync inbox and untrusted: only entries that parse become rows; the rest are counted.
 *
 * The record of day X is owned by one `DayLedger` that reads the documents of X−1, X and X+1:
 * the day before can keep a visit open into X, and the day after can close one of X's or void
 * one of its events. A store of day D's document hands the entries new since the last store to
 * the ledgers of D−1, D and D+1 (those with a document), which say what changed
 * (`takeChanges`); only those rows are written. A ledger is built once (in slices) when first
 * needed and kept while any document it reads is open. Every job runs in one queue, so a
 * ledger is never read half-built; stores go before background rebuilds.
 */
export class RecordKeeper implements Extension {
  extensionName = 'RecordKeeper';
  // After DurableDocuments (60) has stored the state.
  priority = 50;
  private readonly configuration: RecordKeeperConfiguration;
  private readonly rows: RecordRows;
  private readonly queue = new SerialQueue();
  private readonly ledgers = new Map<string, HeldLedger>();
  private readonly writer: RecordWriter;
  /** Documents another instance stored, queued to be followed (once each while queued). */
  private readonly storedElsewhere = new Set<string>();
  private readonly settings = new Map<string, SiteSettings>();
  /** Counts the stores of site documents: settings read before one are not cached after it. */
  private settingsStores = 0;
  /** Settles once every catch-up started has queued its rebuilds (or failed to find them). */
  private discovering: Promise<unknown> = Promise.resolve();
  private instance: Hocuspocus | null = null;

  constructor(configuration: RecordKeeperConfiguration) {
    this.configuration = configuration;
    this.writer = configuration.writer ?? SOLE_WRITER;
    this.rows = new RecordRows(
      configuration.db,
      (tx) => this.writer.fence(tx),
      configuration.outbox ?? null,
    );
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
  }

  async onStoreDocument({ documentName, document }: onStoreDocumentPayload): Promise<void> {
    const name = parseDocName(documentName);
    if (name?.kind !== 'site' && name?.kind !== 'checkins') return;
    if (!this.writer.writing) {
      this.configuration.tellWriter?.(documentName);
      return;
    }
    if (name.kind === 'site') {
      // Settings may have changed: ledgers built with others are rebuilt at their next store.
      this.settings.delete(name.siteId);
      this.settingsStores++;
      return;
    }
    const { siteId, day } = name;
    // Never thrown to Hocuspocus: the document is stored; the record catches up later.
    await this.queue
      .add('urgent', () => this.follow(siteId, day, document))
      .catch((error) => this.failed(error, documentName, siteId, day));
  }

  /**
   * Follows once more as the document leaves memory: DurableDocuments (before it) has folded its
   * log into a new version of the state, which the record then marks as followed.
   */
  async beforeUnloadDocument({
    documentName,
    document,
  }: beforeUnloadDocumentPayload): Promise<void> {
    await this.onStoreDocument({ documentName, document } as onStoreDocumentPayload);
  }

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    const name = parseDocName(documentName);
    // From the database, other instances may still feed the day: idle ledgers go in `sweep`.
    if (name?.kind !== 'checkins' || this.configuration.fromDatabase) return;
    void this.queue.add('urgent', async () => this.release(name.siteId, name.day));
  }

  /**
   * Rebuilds, in the background, the record of every day whose documents were stored after the
   * record last followed them: after a crash between a store and its record, or an upgrade.
   * Resolves when done with how many days were rebuilt, or with null when the server closed
   * first: then nothing is marked, and the next start rebuilds them.
   */
  async catchUp(): Promise<number | null> {
    // Another instance writes the record: it catches up (and this one does when its turn comes).
    if (!this.writer.writing) return 0;
    // `settled` and `stop` wait for the rebuilds to be queued: what is behind is read first.
    let queued = (): void => {};
    this.discovering = Promise.all([
      this.discovering,
      new Promise<void>((resolve) => {
        queued = resolve;
      }),
    ]);
    let behind: { name: string; version: number | null }[];
    let jobs: Promise<void>[];
    try {
      behind = await this.configuration.documents.checkinsBehindRecord();
      const days = new Map<string, { siteId: string; day: LocalDay }>();
      for (const { name } of behind) {
        const parsed = parseDocName(name);
        if (parsed?.kind !== 'checkins') continue;
        for (const day of around(parsed.day)) {
          if (await this.exists(parsed.siteId, day))
            days.set(key(parsed.siteId, day), { ...parsed, day });
        }
      }
      jobs = [...days.values()].map(({ siteId, day }) =>
        this.queue.add('background', () => this.rebuildNow(siteId, day)),
      );
    } finally {
      queued();
    }
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed?.reason instanceof QueueClosed) return null;
    if (failed) throw failed.reason;
    try {
      // Only once every day around each document is rebuilt may the document count as followed.
      await this.queue.add('background', async () => {
        for (const { name, version } of behind)
          if (version !== null) await this.mark(name, version);
      });
    } catch (error) {
      if (error instanceof QueueClosed) return null;
      throw error;
    }
    return jobs.length;
  }

  /**
   * Follows documents another instance stored (its signal, or `sweep`), read from the database;
   * nothing unless this instance writes the record.
   */
  followStored(names: readonly string[]): void {
    if (!this.writer.writing) return;
    for (const documentName of names) {
      const name = parseDocName(documentName);
      if (name?.kind === 'site') {
        this.settings.delete(name.siteId);
        this.settingsStores++;
      }
      if (name?.kind !== 'checkins' || this.storedElsewhere.has(documentName)) continue;
      this.storedElsewhere.add(documentName);
      const { siteId, day } = name;
      void this.queue
        .add('urgent', () => {
          this.storedElsewhere.delete(documentName);
          return this.follow(siteId, day, null);
        })
        .catch((error) => this.failed(error, documentName, siteId, day));
    }
  }

  /**
   * The writer's sweep: follows every document stored after the record last followed it (a
   * signal lost between instances), and lets go of ledgers idle for a while.
   */
  async sweep(now = Date.now()): Promise<void> {
    if (!this.writer.writing) return;
    if (this.configuration.fromDatabase) {
      for (const [at, held] of this.ledgers)
        if (now - held.usedAt > IDLE_LEDGER_MS) this.ledgers.delete(at);
    }
    const behind = await this.configuration.documents.checkinsBehindRecord();
    this.followStored(behind.map((row) => row.name));
  }

  /**
   * This instance stopped writing the record (another took over): what its ledgers hold is
   * stale from now on, so a later turn starts from the documents again.
   */
  stoppedWriting(): void {
    this.ledgers.clear();
    this.storedElsewhere.clear();
  }

  /** Rebuilds one day's record from its documents, as stored (or as open). */
  rebuild(siteId: string, day: LocalDay): Promise<void> {
    return this.queue.add('urgent', () => this.rebuildNow(siteId, day));
  }

  /**
   * Runs other work on the record (the retention job) in the record's queue, after the stores
   * already waiting: nothing else writes the record while it runs.
   */
  exclusive(run: () => Promise<void>): Promise<void> {
    return this.queue.add('background', run);
  }

  /** Resolves when every queued job (and every rebuild of a catch-up started) has run. */
  async settled(): Promise<void> {
    await this.discovering;
    await this.queue.settled();
  }

  /** Drops catch-up work not started yet and waits for the rest: the server is closing. */
  async stop(): Promise<void> {
    this.queue.close();
    // A catch-up still reading what is behind queues nothing now (refused: QueueClosed).
    await this.discovering;
    await this.queue.settled();
  }

  /**
   * Follows one store of day `day`'s document into the record of the days it touches: `live`,
   * the copy in memory here, or (null, or `fromDatabase`) the stored one.
   */
  private async follow(siteId: string, day: LocalDay, live: Y.Doc | null): Promise<void> {
    const started = performance.now();
    const slicer = new TimeSlicer(this.configuration.sliceMs);
    const name = checkinsDocName(siteId, day);
    // Read before the document: the version marked is never ahead of what was read.
    const version = await this.configuration.documents.versionOf(name);
    const doc =
      live && !this.configuration.fromDatabase
        ? live
        : await this.configuration.documents.load(name);
    if (!doc) return;
    for (const owner of around(day)) {
      if (owner !== day && !(await this.exists(siteId, owner))) continue;
      const held = await this.ledgerFor(siteId, owner, slicer);
      await this.read(held, day, doc, slicer);
      await this.write(siteId, owner, held, slicer);
    }
    if (version !== null) await this.mark(name, version);
    this.configuration.onRecorded((performance.now() - started) / 1000);
  }

  private async rebuildNow(siteId: string, day: LocalDay): Promise<void> {
    const slicer = new TimeSlicer(this.configuration.sliceMs);
    try {
      const built = await this.build(siteId, day, slicer);
      // A held ledger is replaced: the stores that follow go on from the rebuilt one.
      if (this.ledgers.has(key(siteId, day))) this.ledgers.set(key(siteId, day), built);
      await this.write(siteId, day, built, slicer);
    } catch (error) {
      // Its changes may be taken and not written: the next store builds the day again.
      this.ledgers.delete(key(siteId, day));
      throw error;
    }
  }

  /** The ledger that owns `day`'s record: held, or built from the documents around it. */
  private async ledgerFor(siteId: string, day: LocalDay, slicer: TimeSlicer): Promise<HeldLedger> {
    const config = dayConfigFor(await this.settingsOf(siteId), day);
    const held = this.ledgers.get(key(siteId, day));
    if (held && sameConfig(held.ledger.config, config)) {
      held.usedAt = Date.now();
      return held;
    }
    const built = await this.build(siteId, day, slicer, config);
    this.ledgers.set(key(siteId, day), built);
    return built;
  }

  private async build(
    siteId: string,
    day: LocalDay,
    slicer: TimeSlicer,
    config?: DayConfig,
  ): Promise<HeldLedger> {
    const ledger = new DayLedger(config ?? dayConfigFor(await this.settingsOf(siteId), day));
    const held: HeldLedger = { ledger, seen: new Map(), fresh: true, usedAt: Date.now() };
    // Everything it holds counts as changed: its first write is the day's every row.
    held.ledger.trackChanges();
    for (const docDay of around(day)) {
      const doc = await this.open(siteId, docDay);
      if (doc) await this.read(held, docDay, doc, slicer);
    }
    return held;
  }

  /** Hands a ledger the entries of `docDay`'s document it has not read yet. */
  private async read(
    held: HeldLedger,
    docDay: LocalDay,
    doc: Y.Doc,
    slicer: TimeSlicer,
  ): Promise<void> {
    const seen = held.seen.get(docDay);
    // Only additions: entries are never deleted from a document the server keeps, because
    // WriteGuard refuses deletions ([W2]). Read and noted in one synchronous step: nothing can
    // land in between.
    const entries = seen ? readEntriesSince(doc, docDay, seen) : readEntries(doc, docDay);
    held.seen.set(docDay, Y.encodeStateVector(doc));
    if (entries.length <= ADD_CHUNK) return held.ledger.add(entries);
    // Each member's entries in one slice, so that a member is paired once, not once per slice
    // holding one of their entries: 2-4 times less work for a whole day (docs/BENCHMARKS.md).
    const ordered = byMember(entries);
    for (let i = 0; i < ordered.length; i += ADD_CHUNK) {
      held.ledger.add(ordered.slice(i, i + ADD_CHUNK));
      await slicer.pause();
    }
  }

  private async write(
    siteId: string,
    day: LocalDay,
    held: HeldLedger,
    slicer: TimeSlicer,
  ): Promise<void> {
    const { ledger } = held;
    const changes = ledger.takeChanges();
    await this.rows.write(siteId, day, ledger, changes, ledger.recordCounts(), slicer);
    if (held.fresh) await this.rows.removeStale(siteId, day, ledger, slicer);
    held.fresh = false;
  }

  /** Lets go of ledgers no open document feeds any more. */
  private release(siteId: string, day: LocalDay): void {
    for (const owner of around(day)) {
      if (around(owner).some((d) => this.isOpen(checkinsDocName(siteId, d)))) continue;
      this.ledgers.delete(key(siteId, owner));
    }
  }

  private failed(error: unknown, documentName: string, siteId: string, day: LocalDay): void {
    // What a ledger took in may not be written: start those days again from their documents.
    for (const owner of around(day)) this.ledgers.delete(key(siteId, owner));
    // Another instance took over writing the record: it follows this document too.
    if (error instanceof NotTheWriter || error instanceof QueueClosed) return;
    this.configuration.onError?.(error, `recording ${documentName}`);
  }

  /** An open document (the live one, ahead of what is stored), or the stored one, or null. */
  private async open(siteId: string, day: LocalDay): Promise<Y.Doc | null> {
    return this.liveOrStored(checkinsDocName(siteId, day));
  }

  /** The copy in memory here, unless the record reads from the database; else the stored one. */
  private async liveOrStored(name: string): Promise<Y.Doc | null> {
    const live = this.configuration.fromDatabase ? undefined : this.instance?.documents.get(name);
    return live ?? (await this.configuration.documents.load(name));
  }

  private async exists(siteId: string, day: LocalDay): Promise<boolean> {
    const name = checkinsDocName(siteId, day);
    return this.isOpen(name) || (await this.configuration.documents.exists(name));
  }

  /** Notes that the record has followed `version` of a document; never backwards. */
  private async mark(name: string, version: number): Promise<void> {
    // Never backwards: a catch-up that read an older version finishes after a newer follow.
    await this.configuration.db.run(
      `insert into record_marks (name, version) values (?, ?)
       on conflict (name) do update set version = excluded.version
       where record_marks.version < excluded.version`,
      [name, version],
    );
  }

  private isOpen(name: string): boolean {
    return this.instance?.documents.has(name) ?? false;
  }

  private async settingsOf(siteId: string): Promise<SiteSettings> {
    const cached = this.settings.get(siteId);
    if (cached) return cached;
    const stores = this.settingsStores;
    const site = await this.liveOrStored(siteDocName(siteId));
    let settings = site ? readSettings(site).settings : null;
    if (!settings) {
      const row = await this.configuration.db.get<{ time_zone: string }>(
        'select time_zone from sites where id = ?',
        [siteId],
      );
      settings = { ...readSettings(new Y.Doc()).settings, timeZone: row?.time_zone ?? 'UTC' };
    }
    // A site document stored while this was read may hold other settings: read again next time.
    if (stores === this.settingsStores) this.settings.set(siteId, settings);
    return settings;
  }
}

/** The entries with those of each member together, members in order of first appearance. */
function byMember(entries: readonly RawEntry[]): RawEntry[] {
  const groups = new Map<string, RawEntry[]>();
  for (const entry of entries) {
    const member = memberIdOf(entry.value);
    const group = groups.get(member);
    if (group) group.push(entry);
    else groups.set(member, [entry]);
  }
  return [...groups.values()].flat();
}

function key(siteId: string, day: LocalDay): string {
  return `${siteId}/${day}`;
}

/** The day before, the day, the day after. */
function around(day: LocalDay): LocalDay[] {
  return [addDays(day, -1), day, addDays(day, 1)];
}

function sameConfig(a: DayConfig, b: DayConfig): boolean {
  return (Object.keys(b) as (keyof DayConfig)[]).every((field) => a[field] === b[field]);
}
