import type BetterSqlite3 from 'better-sqlite3';
import * as Y from 'yjs';
import type { Db } from './database';

/**
 * Yjs documents in SQLite: one state row per document, plus an append-only log of the updates
 * accepted since that state was written ([W5]). `DurableDocuments` appends every accepted update
 * to the log before Hocuspocus applies, acknowledges or relays it, and folds the log into the
 * state whenever the document is stored; reading a document always replays its log.
 */
export class DocumentStore {
  private readonly db: Db;
  private readonly appendStatement: BetterSqlite3.Statement<[string, Buffer]>;
  private readonly storeStatement: BetterSqlite3.Statement<[string, Buffer, number]>;
  private readonly versionStatement: BetterSqlite3.Statement<[string]>;

  constructor(db: Db) {
    this.db = db;
    // Prepared once: appending is on the path of every accepted update.
    this.appendStatement = db.prepare(
      'insert into document_updates (name, update_data) values (?, ?)',
    );
    this.storeStatement = db.prepare(
      `insert into documents (name, state, updated_at, version) values (?, ?, ?, 1)
       on conflict (name) do update set state = excluded.state, updated_at = excluded.updated_at,
         version = documents.version + 1`,
    );
    this.versionStatement = db.prepare('select version from documents where name = ?');
  }

  /** Appends an accepted update to the document's log; returns its sequence number. */
  append(name: string, update: Uint8Array): number {
    return Number(
      this.appendStatement.run(
        name,
        Buffer.from(update.buffer, update.byteOffset, update.byteLength),
      ).lastInsertRowid,
    );
  }

  /** The document's logged updates, oldest first. */
  updatesOf(name: string): { seq: number; update: Uint8Array }[] {
    return (
      this.db
        .prepare('select seq, update_data from document_updates where name = ? order by seq')
        .all(name) as { seq: number; update_data: Buffer }[]
    ).map((row) => ({ seq: row.seq, update: new Uint8Array(row.update_data) }));
  }

  /**
   * Folds a document's logged updates into its stored state (after a crash, at start); returns
   * the document, or null when it has nothing stored.
   */
  fold(name: string): Y.Doc | null {
    const doc = this.load(name);
    if (doc) this.compact(name, Y.encodeStateAsUpdate(doc), Number.MAX_SAFE_INTEGER, new Set());
    return doc;
  }

  /** Names of documents with logged updates not yet folded into their state. */
  namesWithUpdates(): string[] {
    return (
      this.db.prepare('select distinct name from document_updates').all() as { name: string }[]
    ).map((row) => row.name);
  }

  /**
   * Writes a document's state and, in the same transaction, drops the logged updates up to
   * `through` that it contains (all but `keep`: updates logged but not applied yet).
   */
  compact(name: string, state: Uint8Array, through: number, keep: ReadonlySet<number>): void {
    this.db.transaction(() => {
      this.store(name, state);
      const drop = this.db.prepare('delete from document_updates where name = ? and seq = ?');
      if (keep.size === 0) {
        this.db
          .prepare('delete from document_updates where name = ? and seq <= ?')
          .run(name, through);
        return;
      }
      for (const { seq } of this.updatesOf(name)) {
        if (seq <= through && !keep.has(seq)) drop.run(name, seq);
      }
    })();
  }

  fetch(name: string): Uint8Array | null {
    const row = this.db.prepare('select state from documents where name = ?').get(name) as
      | { state: Buffer }
      | undefined;
    return row ? new Uint8Array(row.state) : null;
  }

  /** Writes a document's state; its version counts up by one. */
  store(name: string, state: Uint8Array, now = Date.now()): void {
    this.storeStatement.run(name, Buffer.from(state), now);
  }

  /** How many times the document's state was stored, or null when it has none. */
  versionOf(name: string): number | null {
    const row = this.versionStatement.get(name) as { version: number } | undefined;
    return row ? row.version : null;
  }

  /** A document as a Y.Doc (its state and its logged updates), or null when it has neither. */
  load(name: string): Y.Doc | null {
    const state = this.fetch(name);
    const updates = this.updatesOf(name);
    if (!state && updates.length === 0) return null;
    const doc = new Y.Doc();
    this.replay(doc, state, updates);
    return doc;
  }

  /**
   * Applies a stored state and logged updates to `doc`. Items whose origins never arrived are
   * dropped, not kept pending: their writer still holds them and sends them again, and no
   * binding of a pending item to its writer outlives the process ([W1]). A logged update that
   * does not apply (it was admitted, so this means a damaged row) is skipped.
   */
  replay(doc: Y.Doc, state: Uint8Array | null, updates: readonly { update: Uint8Array }[]): void {
    doc.transact(() => {
      if (state) Y.applyUpdate(doc, state);
      for (const { update } of updates) {
        try {
          Y.applyUpdate(doc, update);
        } catch {
          // A damaged row must not keep the document from loading.
        }
      }
    });
    doc.store.pendingStructs = null;
    doc.store.pendingDs = null;
  }

  /** Names of stored documents that start with `prefix`. */
  names(prefix: string): string[] {
    return (
      this.db
        .prepare('select name from documents where substr(name, 1, length(?)) = ?')
        .all(prefix, prefix) as {
        name: string;
      }[]
    ).map((row) => row.name);
  }

  delete(name: string): void {
    this.db.transaction(() => {
      this.db.prepare('delete from documents where name = ?').run(name);
      this.db.prepare('delete from document_updates where name = ?').run(name);
      this.db.prepare('delete from record_marks where name = ?').run(name);
    })();
  }
}
