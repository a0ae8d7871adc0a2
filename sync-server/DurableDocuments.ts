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
 * Makes every accepted update durable before Hocuspocus applies, acknowledges or relays it
 * ([W5]): the update is appended to the document's log in SQLite, synchronously, in the last
 * `beforeSync` hook (after `WriteGuard` admitted it). So anything a client was ever told (an
 * acknowledgement, or another writer's entry relayed to it) survives `kill -9`, and no device
 * ever has to bring back another writer's entries after a crash.
 *
 * The log alone keeps every update, so a store (Hocuspocus debounces them: 2 s, at most 10 s)
 * need not write the whole state: it does when the log has grown to a quarter of the state
 * (and 64 KiB), or when the document leaves memory, and then drops the logged updates
 * the state now contains, in one transaction. Encoding a 10 000-entry day is 4-5 ms on the
 * event loop; at every store of a busy day that was most of what a store cost ([R3], issue 14).
 * Loading replays the log.
 *
 * Appends are SQLite WAL writes without fsync (`synchronous = NORMAL`): they survive the process
 * dying, not the machine losing power (see README, "Durability").
 */
export class DurableDocuments implements Extension {
  extensionName = 'DurableDocuments';
  // After every other beforeSync hook, so that nothing can refuse an update once it is logged;
  // its store runs before RecordKeeper's (50), which reads the stored state.
  priority = 60;
  private readonly configuration: DurableDocumentsConfiguration;
  /** Logged updates not applied yet, by document: their message is still being handled. */
  private readonly inFlight = new Map<string, Set<number>>();
  private readonly handling = new WeakMap<Connection, { name: string; seq: number }>();
  /** The latest sequence number logged for each loaded document. */
  private readonly latest = new Map<string, number>();
  /** Per loaded document: bytes logged since its state was last written, and that state's size. */
  private readonly sizes = new Map<string, { log: number; state: number }>();

  constructor(
    configuration: Pick<DurableDocumentsConfiguration, 'documents'> &
      Partial<DurableDocumentsConfiguration>,
  ) {
    this.configuration = { onStored: () => {}, minLogBytes: 64 * 1024, ...configuration };
  }

  async onLoadDocument({ documentName, document }: onLoadDocumentPayload): Promise<void> {
    const { documents } = this.configuration;
    const updates = documents.updatesOf(documentName);
    const state = documents.fetch(documentName);
    documents.replay(document, state, updates);
    const last = updates[updates.length - 1];
    // What a crash (or an earlier process) left in the log is folded in at the next store.
    const logged = updates.reduce((sum, { update }) => sum + update.length, 0);
    this.sizes.set(documentName, { log: logged, state: state?.length ?? 0 });
    if (last) this.latest.set(documentName, Math.max(this.latest.get(documentName) ?? 0, last.seq));
  }

  async beforeSync({ type, payload, documentName, connection }: beforeSyncPayload): Promise<void> {
    // SyncStep1 is a state vector; read-only writes are dropped; [0, 0] is the empty update
    // every reconnect sends when it has nothing new.
    if (type === 0 || connection.readOnly || payload.length <= 2) return;
    const seq = this.configuration.documents.append(documentName, payload);
    let open = this.inFlight.get(documentName);
    if (!open) {
      open = new Set();
      this.inFlight.set(documentName, open);
    }
    open.add(seq);
    this.handling.set(connection, { name: documentName, seq });
    this.latest.set(documentName, seq);
    const sizes = this.sizes.get(documentName);
    if (sizes) sizes.log += payload.length;
    else this.sizes.set(documentName, { log: payload.length, state: 0 });
  }

  async afterHandleMessage({ connection }: afterHandleMessagePayload): Promise<void> {
    const handled = this.handling.get(connection);
    if (!handled) return;
    this.handling.delete(connection);
    const open = this.inFlight.get(handled.name);
    open?.delete(handled.seq);
    if (open?.size === 0) this.inFlight.delete(handled.name);
  }

  async onStoreDocument({ documentName, document }: onStoreDocumentPayload): Promise<void> {
    const sizes = this.sizes.get(documentName) ?? { log: 0, state: 0 };
    // A document whose last client left is folded as it unloads (below), store or not.
    if (sizes.log >= Math.max(this.configuration.minLogBytes, sizes.state / 4))
      this.fold(documentName, document);
  }

  /** A document leaves memory with its log folded in: the next load reads one state. */
  async beforeUnloadDocument({
    documentName,
    document,
  }: beforeUnloadDocumentPayload): Promise<void> {
    this.fold(documentName, document);
  }

  /** Writes the state and drops the log rows it contains; nothing when nothing was logged. */
  private fold(documentName: string, document: Y.Doc): void {
    if ((this.sizes.get(documentName)?.log ?? 0) === 0) return;
    const started = performance.now();
    // Encoded and written synchronously: every logged update not in flight is in this state.
    const state = Y.encodeStateAsUpdate(document);
    this.configuration.documents.compact(
      documentName,
      state,
      this.latest.get(documentName) ?? 0,
      this.inFlight.get(documentName) ?? new Set(),
    );
    // Rows still in flight stay in the log, uncounted: the next fold (or start) takes them.
    this.sizes.set(documentName, { log: 0, state: state.length });
    this.configuration.onStored((performance.now() - started) / 1000);
  }

  async afterUnloadDocument({ documentName }: { documentName: string }): Promise<void> {
    if (this.inFlight.has(documentName)) return;
    this.latest.delete(documentName);
    this.sizes.delete(documentName);
  }
}
