import * as Y from 'yjs';
import { isClockCorrectionEntry } from '../shared/ClockCorrections';
import { eventIdFromBytes } from '../shared/eventId';
import { parseWriterName } from '../shared/writer';
import { encodedSize } from './updateShape';

/** Entries and bytes one writer holds in one check-ins document. */
export interface WriterUsage {
  entries: number;
  bytes: number;
  /** The clock segments its clock corrections name, and each one's event id ([T5]). */
  readonly clockSegments: Map<string, string>;
}

interface DocumentState {
  /**
   * The writer array each Yjs client id writes for: a string once known, null for a client whose
   * first struct is not in a writer array (it may write nothing more).
   */
  readonly owners: Map<number, string | null>;
  readonly usage: Map<string, WriterUsage>;
}

/**
 * Who writes what in each loaded check-ins document ([W1]).
 *
 * Every Yjs client id writes for exactly one writer: a kiosk's or a dashboard's Y.Doc only ever
 * appends to its own array. The server binds a client id to a writer the first time it sees it,
 * either from the document (where the client's first struct sits) or from an accepted update
 * (the connection's writer). The binding is what makes pending items safe: an item whose origin
 * has not arrived lands wherever that origin lands, so the origin's client must be bound to the
 * same writer before the item is accepted, and whoever sends the origin later must be that writer.
 *
 * State is kept per Y.Doc in memory and rebuilt from the document when it is loaded again (the
 * durable store drops pending items at load, so no binding needs to outlive the Y.Doc).
 */
export class DocumentWriters {
  private readonly documents = new WeakMap<Y.Doc, DocumentState>();

  /** The writer a client id writes for; undefined while the document knows nothing of it. */
  ownerOf(doc: Y.Doc, client: number): string | null | undefined {
    const { owners } = this.stateOf(doc);
    if (owners.has(client)) return owners.get(client);
    const first = doc.store.clients.get(client)?.[0];
    if (first === undefined) return undefined;
    const owner = first instanceof Y.Item ? containerOf(doc, first) : null;
    owners.set(client, owner);
    return owner;
  }

  bind(doc: Y.Doc, client: number, writer: string): void {
    this.stateOf(doc).owners.set(client, writer);
  }

  /** What a writer holds in the document (counted once per Y.Doc, then kept up to date). */
  usageOf(doc: Y.Doc, writer: string): WriterUsage {
    const { usage } = this.stateOf(doc);
    let held = usage.get(writer);
    if (!held) {
      held = { entries: 0, bytes: 0, clockSegments: new Map() };
      // The server's copy holds untyped top-level types until someone asks for an array.
      if (doc.share.has(writer)) {
        for (const value of doc.getArray(writer).toArray()) {
          held.entries++;
          held.bytes += encodedSize(value);
          const correction = clockCorrectionOf(value);
          if (correction) held.clockSegments.set(correction.segment, correction.id);
        }
      }
      usage.set(writer, held);
    }
    return held;
  }

  /**
   * An update that did not pass the write guard here (another instance admitted it and it came
   * over Redis) changed the document: the writers it wrote for are counted again from the
   * document when next asked, so quotas and one correction per clock segment ([W4], [T5]) hold for
   * a writer that moves between instances. Only those writers: the others' counts stay exact.
   */
  forgetUsageFrom(doc: Y.Doc, update: Uint8Array): void {
    const state = this.documents.get(doc);
    if (!state || state.usage.size === 0) return;
    for (const client of Y.parseUpdateMeta(update).from.keys()) {
      const owner = this.ownerOf(doc, client);
      if (owner) state.usage.delete(owner);
    }
  }

  private stateOf(doc: Y.Doc): DocumentState {
    let state = this.documents.get(doc);
    if (!state) {
      state = { owners: new Map(), usage: new Map() };
      this.documents.set(doc, state);
    }
    return state;
  }
}

/** The segment and id of a stored clock correction ([T5]; it was admitted, so it is valid). */
function clockCorrectionOf(value: unknown): { segment: string; id: string } | null {
  if (!Array.isArray(value) || !isClockCorrectionEntry(value)) return null;
  const segment = (value[7] as { seg?: unknown } | undefined)?.seg;
  const id = eventIdFromBytes(value[1]);
  return typeof segment === 'string' && id !== null ? { segment, id } : null;
}

/** The writer array an item sits in, or null when it is anywhere else. */
function containerOf(doc: Y.Doc, item: Y.Item): string | null {
  const parent = item.parent as Y.AbstractType<Y.YEvent<Y.Array<unknown>>> | null;
  if (!parent || parent._item !== null || item.parentSub !== null) return null;
  for (const [name, type] of doc.share) {
    if (type === parent) return parseWriterName(name) ? name : null;
  }
  return null;
}
