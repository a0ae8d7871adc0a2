import * as Y from 'yjs';
import type { Db } from './database';

/**
 * Yjs document states in SQLite, one row per document. Hocuspocus's Database extension calls
 * `fetch` and `store`; every store writes the whole state (documents are per site per day, so a
 * state stays small: ~380 KB at 5 000 visits).
 */
export class DocumentStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  fetch(name: string): Uint8Array | null {
    const row = this.db.prepare('select state from documents where name = ?').get(name) as
      | { state: Buffer }
      | undefined;
    return row ? new Uint8Array(row.state) : null;
  }

  store(name: string, state: Uint8Array, now = Date.now()): void {
    this.db
      .prepare(
        `insert into documents (name, state, updated_at) values (?, ?, ?)
         on conflict (name) do update set state = excluded.state, updated_at = excluded.updated_at`,
      )
      .run(name, Buffer.from(state), now);
  }

  /** A document as a Y.Doc, or null when it was never stored. */
  load(name: string): Y.Doc | null {
    const state = this.fetch(name);
    if (!state) return null;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, state);
    return doc;
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
    this.db.prepare('delete from documents where name = ?').run(name);
  }
}
