import type {
  afterHandleMessagePayload,
  beforeSyncPayload,
  beforeUnloadDocumentPayload,
  Connection,
  Extension,
  onLoadDocumentPayload,
  onStoreDocumentPayload,
} from '@hocuspocus/server';
import * as Y from 'yjs';
import { CLOSE_UNAVAILABLE } from '../shared/refusals';
import type { DocumentStore } from './DocumentStore';

export interface DurableDocumentsConfiguration {
  documents: DocumentStore;
  /** Called after a document's state was stored, with how long it took (metrics). */
  onStored: (seconds: number) => void;
  /**
   * A store writes the state only once the document's log holds at least this many bytes, and
   * a quarter of the state's size; a document leaving memory always. Default 64 KiB.
   */
  minLogBytes: number;
}

/**
 * When Hocuspocus stores a document: 1 s after its last update, and at most 3 s after the first
 * update not yet stored. The record follows each store ([R2]), and the webhooks, the reports and
 * the public page follow the record ([I3], [P2]): so they hear of a check-in within about 3 s
 * even at a door that never rests 1 s. Hocuspocus's own 2 s and 10 s made that 10 s at any
 * steady traffic (issue 13's benchmark). A store costs little more at this pace: the record is
 * written incrementally and the state only once the log has grown (below).
 */
export const STORE_CADENCE = { debounce: 1_000, maxDebounce: 3_000 } as const;

/** What is known of one loaded document (one Hocuspocus Document: a reload is a new one). */
interface Tracked {
  /**
   * Seqs of its logged updates that the document in memory holds: those replayed at load and
   * those whose message has been handled since. A fold drops exactly these from the log.
   */
  readonly applied: Set<number>;
  /** Bytes logged since its state was last written (in flight or not), and that state's size. */
  log: number;
  state: number;
  /** The fold running or last run: folds of a document run one after the other. */
  folding: Promise<void>;
}

/**
 * Makes every accepted update durable before Hocuspocus applies, acknowledges or relays it
 * ([W5]): the update is appended to the document's log in the database, awaited, in the last
 * `beforeSync` hook (after `WriteGuard` admitted it); Hocuspocus handles a connection's messages
 * one at a time and applies this one only once the hook has resolved. So anything a client was
 * ever told (an acknowledgement, or another writer's entry relayed to it) survives `kill -9`,
 * and no device ever has to bring back another writer's entries after a crash.
 *
 * The log alone keeps every update, so a store (debounced: `STORE_CADENCE`)
 * need not write the whole state: it does when the log has grown to a quarter of the state
 * (and 64 KiB), or when the document leaves memory, and then drops the logged updates
 * the state now contains, in one transaction. Encoding a 10 000-entry day is 4-5 ms on the
 * event loop; at every store of a busy day that was most of what a store cost ([R3], issue 14).
 * Loading replays the log.
 *
 * Which rows a fold may drop is tracked by seq, never as "every seq up to the last one": while
 * one connection's append is awaited, another's may return, be applied and be folded, and on
 * PostgreSQL a lower seq can commit after a higher one.
 *
 * On SQLite, appends are WAL writes without fsync (`synchronous = NORMAL`): they survive the
 * process dying, not the machine losing power (see README, "Durability"). On PostgreSQL an
 * append is a commit, as durable as the server's `synchronous_commit` makes it.
 */
export class DurableDocuments implements Extension {
  extensionName = 'DurableDocuments';
  // After every other beforeSync hook, so that nothing can refuse an update once it is logged;
  // its store runs before RecordKeeper's (50), which reads the stored state.
  priority = 60;
  private readonly configuration: DurableDocumentsConfiguration;
  /** By document in memory: gone with it, so a late message of an unloaded one changes nothing. */
  private readonly tracked = new WeakMap<Y.Doc, Tracked>();
  /** Per connection, the update its message being handled logged: applied once it is handled. */
  private readonly handling = new WeakMap<Connection, { tracked: Tracked; seq: number }>();

  constructor(
    configuration: Pick<DurableDocumentsConfiguration, 'documents'> &
      Partial<DurableDocumentsConfiguration>,
  ) {
    this.configuration = { onStored: () => {}, minLogBytes: 64 * 1024, ...configuration };
  }

  async onLoadDocument({ documentName, document }: onLoadDocumentPayload): Promise<void> {
    const { documents } = this.configuration;
    const { state, updates } = await documents.read(documentName);
    documents.replay(document, state, updates);
    // What a crash (or an earlier process) left in the log is folded in at the next store.
    this.tracked.set(document, {
      applied: new Set(updates.map(({ seq }) => seq)),
      log: updates.reduce((sum, { update }) => sum + update.length, 0),
      state: state?.length ?? 0,
      folding: Promise.resolve(),
    });
  }

  async beforeSync({
    type,
    payload,
    document,
    documentName,
    connection,
  }: beforeSyncPayload): Promise<void> {
    // SyncStep1 is a state vector; read-only writes are dropped; [0, 0] is the empty update
    // every reconnect sends when it has nothing new.
    if (type === 0 || connection.readOnly || payload.length <= 2) return;
    const tracked = this.trackedOf(document);
    // Until this resolves the seq is unknown, so no fold can count it as applied: it is not.
    let seq: number;
    try {
      seq = await this.configuration.documents.append(documentName, payload);
    } catch (error) {
      // Not logged, so not accepted ([W5]): the throw keeps Hocuspocus from applying,
      // acknowledging or relaying it. The whole socket closes, not only this document's
      // connection (a provider would wait on that one for good): the client reconnects with its
      // backoff and sends it again.
      connection.webSocket.close(CLOSE_UNAVAILABLE, 'unavailable');
      throw error;
    }
    this.handling.set(connection, { tracked, seq });
    tracked.log += payload.length;
  }

  /**
   * Logs an update the server itself makes (a roster projection, [D7]), then applies it to the
   * loaded document with `origin`: like a client's, it is durable before anyone sees it. Throws,
   * applying nothing, when the log cannot be written.
   */
  async applyServerUpdate(
    documentName: string,
    document: Y.Doc,
    update: Uint8Array,
    origin: unknown = this,
  ): Promise<void> {
    const tracked = this.trackedOf(document);
    const seq = await this.configuration.documents.append(documentName, update);
    tracked.log += update.length;
    Y.applyUpdate(document, update, origin);
    tracked.applied.add(seq);
  }

  async afterHandleMessage({ connection }: afterHandleMessagePayload): Promise<void> {
    const handled = this.handling.get(connection);
    if (!handled) return;
    this.handling.delete(connection);
    handled.tracked.applied.add(handled.seq);
  }

  async onStoreDocument({ documentName, document }: onStoreDocumentPayload): Promise<void> {
    const tracked = this.trackedOf(document);
    // A document whose last client left is folded as it unloads (below), store or not.
    if (tracked.log >= Math.max(this.configuration.minLogBytes, tracked.state / 4))
      await this.fold(documentName, document);
  }

  /** A document leaves memory with its log folded in: the next load reads one state. */
  async beforeUnloadDocument({
    documentName,
    document,
  }: beforeUnloadDocumentPayload): Promise<void> {
    await this.fold(documentName, document);
  }

  /**
   * Writes the state and drops the log rows it contains; nothing when nothing is in the log.
   * Runs after the document's previous fold, so an older state never overwrites a newer one.
   */
  private fold(documentName: string, document: Y.Doc): Promise<void> {
    const tracked = this.trackedOf(document);
    const run = async (): Promise<void> => {
      // Rows in flight at the last fold are applied since, but no longer counted in `log`.
      if (tracked.log === 0 && tracked.applied.size === 0) return;
      const started = performance.now();
      // Encoded and noted in one synchronous step: every update applied by now is in this
      // state, and none applied later is taken for one that is.
      const state = Y.encodeStateAsUpdate(document);
      const folded = [...tracked.applied];
      const logged = tracked.log;
      tracked.applied.clear();
      // Rows still in flight stay in the log, uncounted: the next fold (or start) takes them.
      tracked.log = 0;
      try {
        await this.configuration.documents.compact(documentName, state, folded);
      } catch (error) {
        // Rolled back: those rows are still in the log, for the next fold.
        for (const seq of folded) tracked.applied.add(seq);
        tracked.log += logged;
        throw error;
      }
      tracked.state = state.length;
      this.configuration.onStored((performance.now() - started) / 1000);
    };
    const next = tracked.folding.then(run, run);
    tracked.folding = next;
    return next;
  }

  private trackedOf(document: Y.Doc): Tracked {
    let tracked = this.tracked.get(document);
    if (!tracked) {
      // Not loaded through onLoadDocument (a direct document): nothing logged before.
      tracked = { applied: new Set(), log: 0, state: 0, folding: Promise.resolve() };
      this.tracked.set(document, tracked);
    }
    return tracked;
  }
}
