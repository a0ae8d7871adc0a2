import * as Y from 'yjs';
import { encodeEntry } from './entryCodec';
import type { NewEvent, Recording, Writer } from './events';
import type { LocalDay } from './localTime';
import { parseWriterName, writerName } from './writer';

/**
 * Reading and writing a check-ins document ([D1], [D4], [D5]).
 *
 * Entries are read from the document's struct store rather than through `YArray.toArray()`, for
 * two reasons: each entry gets a stable identity that every replica agrees on (`day/client:clock`,
 * so an entry seen twice is counted once, and a deleted entry can be taken back out), and the
 * watcher can hand over exactly the entries a transaction added, in time proportional to them.
 * The full read and the watcher share one walk.
 */

/** One element found in a check-ins document, before parsing. */
export interface RawEntry {
  /**
   * `day/client:clock` of the element: the same on every replica. The day is part of it because
   * a Yjs clock is unique only within one document, and a ledger reads two.
   */
  readonly key: string;
  readonly docDay: LocalDay;
  /** The top-level type holding it (a writer array name, or anything else a client wrote). */
  readonly container: string;
  readonly value: unknown;
  /** Set when the content is somewhere entries never are; it is then a problem, not an event. */
  readonly misplaced?: string;
}

/** Appends one event to the writer's own array. */
export function recordEvent(
  doc: Y.Doc,
  writer: Writer,
  event: NewEvent,
  recording: Recording,
): void {
  doc.getArray(writerName(writer)).push([encodeEntry(event, recording)]);
}

/** Every entry currently in the document. */
export function readEntries(doc: Y.Doc, docDay: LocalDay): RawEntry[] {
  return collect(doc, docDay, new Map(), null);
}

/**
 * The entries a replica at `stateVector` (from `Y.encodeStateVector`) does not have yet: what a
 * kiosk still has to deliver since the server last acknowledged its state.
 */
export function readEntriesSince(
  doc: Y.Doc,
  docDay: LocalDay,
  stateVector: Uint8Array,
): RawEntry[] {
  return collect(doc, docDay, Y.decodeStateVector(stateVector), null);
}

/** What one transaction changed: entries added and keys of entries deleted. */
export type EntryListener = (added: RawEntry[], removedKeys: string[]) => void;

/**
 * Calls `listener` after every transaction that adds or deletes entries, with just those entries.
 * Returns the function that stops watching.
 */
export function watchEntries(doc: Y.Doc, docDay: LocalDay, listener: EntryListener): () => void {
  const onTransaction = (transaction: Y.Transaction): void => {
    const added = collect(doc, docDay, transaction.beforeState, transaction.afterState);
    const removed: string[] = [];
    Y.iterateDeletedStructs(transaction, transaction.deleteSet, (struct) => {
      const before = transaction.beforeState.get(struct.id.client) ?? 0;
      // Structs added and deleted in this same transaction were never reported.
      if (!(struct instanceof Y.Item) || struct.id.clock >= before) return;
      for (let i = 0; i < struct.length; i++)
        removed.push(entryKey(docDay, struct.id.client, struct.id.clock + i));
    });
    if (added.length > 0 || removed.length > 0) listener(added, removed);
  };
  doc.on('afterTransaction', onTransaction);
  return () => doc.off('afterTransaction', onTransaction);
}

function collect(
  doc: Y.Doc,
  docDay: LocalDay,
  from: Map<number, number>,
  to: Map<number, number> | null,
): RawEntry[] {
  const entries: RawEntry[] = [];
  const names = new Map<unknown, string>();
  for (const [name, type] of doc.share) names.set(type, name);
  for (const [client, structs] of doc.store.clients) {
    const start = from.get(client) ?? 0;
    const end = to?.get(client) ?? Number.POSITIVE_INFINITY;
    if (start >= end || structs.length === 0) continue;
    const last = structs[structs.length - 1] as Y.Item | Y.GC;
    if (start >= last.id.clock + last.length) continue;
    for (let i = start === 0 ? 0 : Y.findIndexSS(structs, start); i < structs.length; i++) {
      const struct = structs[i] as Y.Item | Y.GC;
      if (struct.id.clock >= end) break;
      if (struct instanceof Y.Item && !struct.deleted && struct.content.isCountable()) {
        // Consecutive pushes merge into one struct, so the range may begin or end inside one.
        const first = Math.max(0, start - struct.id.clock);
        const last = Math.min(struct.length, end - struct.id.clock);
        addItem(entries, struct, docDay, names, first, last);
      }
    }
  }
  return entries;
}

function addItem(
  entries: RawEntry[],
  item: Y.Item,
  docDay: LocalDay,
  names: Map<unknown, string>,
  first: number,
  last: number,
): void {
  const parent = item.parent as Y.AbstractType<Y.YEvent<Y.Array<unknown>>>;
  const container = names.get(parent) ?? '(nested)';
  let misplaced: string | undefined;
  if (parent._item !== null) misplaced = 'content inside a nested type';
  else if (parseWriterName(container) === null) misplaced = `top-level type "${container}"`;
  else if (item.parentSub !== null) misplaced = `map entry "${item.parentSub}" on a writer array`;
  const values = item.content.getContent();
  for (let i = first; i < Math.min(last, values.length); i++) {
    const value = values[i];
    const nested = value instanceof Y.AbstractType ? 'a nested shared type' : undefined;
    const why = misplaced ?? nested;
    entries.push({
      key: entryKey(docDay, item.id.client, item.id.clock + i),
      docDay,
      container,
      value: why === undefined ? value : undefined,
      ...(why === undefined ? {} : { misplaced: why }),
    });
  }
}

function entryKey(docDay: LocalDay, client: number, clock: number): string {
  return `${docDay}/${client}:${clock}`;
}
