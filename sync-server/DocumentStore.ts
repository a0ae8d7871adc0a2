import * as Y from 'yjs';
import type { Sql } from './database';

/**
 * Yjs documents in the database: one state row per document, plus an append-only log of the
 * updates accepted since that state was written ([W5]). `DurableDocuments` appends every accepted
 * update to the log before Hocuspocus applies, acknowledges or relays it, and folds the log into
 * the state whenever the document is stored; reading a document always replays its log.
 */
export class DocumentStore {
  private readonly db: Sql;

  constructor(db: Sql) {
    this.db = db;
  }

  /** Appends an accepted update to the document's log; resolves, once written, to its seq. */
  async append(name: string, update: Uint8Array): Promise<number> {
    const row = await this.db.get<{ seq: number }>(
      'insert into document_updates (name, update_data) values (?, ?) returning seq',
      [name, update],
    );
    return (row as { seq: number }).seq;
  }

  /** The document's logged updates, oldest first. */
  async updatesOf(name: string): Promise<{ seq: number; update: Uint8Array }[]> {
    const rows = await this.db.all<{ seq: number; update_data: Buffer }>(
      'select seq, update_data from document_updates where name = ? order by seq',
      [name],
    );
    return rows.map((row) => ({ seq: row.seq, update: new Uint8Array(row.update_data) }));
  }

  /**
   * A document's stored state and logged updates, read so that together they hold everything
   * logged when the read began: the log first, then the state. A fold that commits between the
   * two reads has put the rows it deleted into the state; read the other way round, they would
   * be in neither.
   */
  async read(
    name: string,
  ): Promise<{ state: Uint8Array | null; updates: { seq: number; update: Uint8Array }[] }> {
    const updates = await this.updatesOf(name);
    const state = await this.fetch(name);
    return { state, updates };
  }

  /**
   * Folds a document's logged updates into its stored state (after a crash, at start); returns
   * the document, or null when it has nothing stored.
   */
  async fold(name: string): Promise<Y.Doc | null> {
    const { state, updates } = await this.read(name);
    if (!state && updates.length === 0) return null;
    const doc = new Y.Doc();
    this.replay(doc, state, updates);
    await this.compact(
      name,
      Y.encodeStateAsUpdate(doc),
      updates.map((u) => u.seq),
    );
    return doc;
  }

  /** Names of documents with logged updates not yet folded into their state. */
  async namesWithUpdates(): Promise<string[]> {
    const rows = await this.db.all<{ name: string }>('select distinct name from document_updates');
    return rows.map((row) => row.name);
  }

  /**
   * Writes a document's state and, in the same transaction, drops the logged updates `folded`:
   * those the state contains. Only those, by seq: an update logged but not applied yet is not in
   * the state, and on PostgreSQL a lower seq can commit after a higher one, so "every seq up to
   * the last one applied" could take one that is not.
   */
  async compact(name: string, state: Uint8Array, folded: readonly number[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Several instances may share PostgreSQL: another may have stored a state this one has
      // not seen (an update still on its way here). One fold of a document at a time, and the
      // state written is both together, so nothing another instance folded is lost. SQLite has
      // one process: the stored state is always an earlier one of ours.
      await tx.lock(`document:${name}`);
      let written = state;
      if (tx.engine === 'postgres') {
        const stored = await tx.get<{ state: Buffer }>(
          'select state from documents where name = ?',
          [name],
        );
        if (stored) written = Y.mergeUpdates([new Uint8Array(stored.state), state]);
      }
      await storeIn(tx, name, written, Date.now());
      for (let i = 0; i < folded.length; i += DROP_CHUNK) {
        const chunk = folded.slice(i, i + DROP_CHUNK);
        // Padded to a power of two with its last seq: a few statement shapes, each prepared once.
        let size = 8;
        while (size < chunk.length) size *= 2;
        const seqs = [...chunk, ...Array(size - chunk.length).fill(chunk[chunk.length - 1])];
        await tx.run(
          `delete from document_updates where name = ? and seq in (${seqs.map(() => '?').join(', ')})`,
          [name, ...seqs],
        );
      }
    });
  }

  async fetch(name: string): Promise<Uint8Array | null> {
    const row = await this.db.get<{ state: Buffer }>('select state from documents where name = ?', [
      name,
    ]);
    return row ? new Uint8Array(row.state) : null;
  }

  /** Writes a document's state; its version counts up by one. */
  async store(name: string, state: Uint8Array, now = Date.now()): Promise<void> {
    await storeIn(this.db, name, state, now);
  }

  /** How many times the document's state was stored, or null when it has none. */
  async versionOf(name: string): Promise<number | null> {
    const row = await this.db.get<{ version: number }>(
      'select version from documents where name = ?',
      [name],
    );
    return row ? row.version : null;
  }

  /** Whether the document has a stored state or logged updates (what `load` reads). */
  async exists(name: string): Promise<boolean> {
    const row = await this.db.get<{ found: number }>(
      `select 1 as found from documents where name = ?
       union all select 1 as found from document_updates where name = ? limit 1`,
      [name, name],
    );
    return row !== undefined;
  }

  /**
   * Check-ins documents the record may not have followed: stored since the record last noted
   * them (`record_marks`), or with logged updates not folded into their state yet (a store folds
   * only once the log is large enough, so those changes leave the version as it was). `version`
   * is null for a document with logged updates only.
   */
  async checkinsBehindRecord(): Promise<{ name: string; version: number | null }[]> {
    return this.db.all<{ name: string; version: number | null }>(
      `select d.name, d.version from documents d left join record_marks m on m.name = d.name
       where d.name like 'checkins/%' and (m.version is null or m.version < d.version)
       union
       select distinct u.name, d.version from document_updates u
       left join documents d on d.name = u.name
       where u.name like 'checkins/%'`,
    );
  }

  /** A document as a Y.Doc (its state and its logged updates), or null when it has neither. */
  async load(name: string): Promise<Y.Doc | null> {
    const { state, updates } = await this.read(name);
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

  /** Names of stored documents that start with `prefix`, in order. */
  async names(prefix: string): Promise<string[]> {
    const rows = await this.db.all<{ name: string }>(
      'select name from documents where substr(name, 1, length(?)) = ? order by name',
      [prefix, prefix],
    );
    return rows.map((row) => row.name);
  }

  async delete(name: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('delete from documents where name = ?', [name]);
      await tx.run('delete from document_updates where name = ?', [name]);
      await tx.run('delete from record_marks where name = ?', [name]);
    });
  }
}

/** Seqs dropped per statement by `compact` (both engines take far more parameters). */
const DROP_CHUNK = 512;

async function storeIn(sql: Sql, name: string, state: Uint8Array, now: number): Promise<void> {
  await sql.run(
    `insert into documents (name, state, updated_at, version) values (?, ?, ?, 1)
     on conflict (name) do update set state = excluded.state, updated_at = excluded.updated_at,
       version = documents.version + 1`,
    [name, state, now],
  );
}
