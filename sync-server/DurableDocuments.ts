import type {
  afterHandleMessagePayload,
  beforeSyncPayload,
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
}

/**
 * Makes every accepted update durable before Hocuspocus applies, acknowledges or relays it
 * ([W5]): the update is appended to the document's log in SQLite, synchronously, in the last
 * `beforeSync` hook (after `WriteGuard` admitted it). So anything a client was ever told (an
 * acknowledgement, or another writer's entry relayed to it) survives `kill -9`, and no device
 * ever has to bring back another writer's entries after a crash.
 *
 * Storing a document (Hocuspocus debounces it: 2 s, at most 10 s) writes its whole state and
 * drops the logged updates it now contains, in one transaction. Loading replays the log.
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

  constructor(
    configuration: Pick<DurableDocumentsConfiguration, 'documents'> &
      Partial<DurableDocumentsConfiguration>,
  ) {
    this.configuration = { onStored: () => {}, ...configuration };
  }

  async onLoadDocument({ documentName, document }: onLoadDocumentPayload): Promise<void> {
    const { documents } = this.configuration;
    const updates = documents.updatesOf(documentName);
    documents.replay(document, documents.fetch(documentName), updates);
    const last = updates[updates.length - 1];
    // Fold what a crash left in the log into the state now, so the log stays short.
    if (last) documents.compact(documentName, Y.encodeStateAsUpdate(document), last.seq, new Set());
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
    const started = performance.now();
    // Encoded and written synchronously: every logged update not in flight is in this state.
    this.configuration.documents.compact(
      documentName,
      Y.encodeStateAsUpdate(document),
      this.latest.get(documentName) ?? 0,
      this.inFlight.get(documentName) ?? new Set(),
    );
    this.configuration.onStored((performance.now() - started) / 1000);
  }

  async afterUnloadDocument({ documentName }: { documentName: string }): Promise<void> {
    if (!this.inFlight.has(documentName)) this.latest.delete(documentName);
  }
}
