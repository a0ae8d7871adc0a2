import * as Y from 'yjs';

/**
 * What a Yjs update would change in a document, read without applying it: for every inserted
 * item, the top-level type it lands in, its map key if any, its content kind and an estimate of
 * its size; and whether it deletes anything. The write guard judges updates by this shape.
 *
 * Items inserted next to an existing item do not name their parent in the update (they inherit
 * it from their origin), so the origin is looked up in the same update or in the document.
 */
export interface ItemShape {
  /**
   * Top-level type name; null when the item sits inside a nested type; undefined while its origin
   * has not arrived (Yjs keeps such items pending and they inherit the origin's place, which is
   * judged when the origin itself arrives).
   */
  readonly container: string | null | undefined;
  readonly mapKey: string | null;
  /** Plain values, content deleted before it reached us (GC), or anything else. */
  readonly content: 'any' | 'deleted' | 'other';
  /** Number of elements (array) or 1 (map value). */
  readonly length: number;
  /** Largest single element, estimated in bytes. */
  readonly largestElement: number;
}

export interface UpdateShape {
  readonly items: ItemShape[];
  readonly deletes: boolean;
}

export class UnreadableUpdate extends Error {
  override name = 'UnreadableUpdate';
}

type Parent = { container: string | null | undefined; mapKey: string | null };
const PENDING: Parent = { container: undefined, mapKey: null };

export function shapeOfUpdate(doc: Y.Doc, update: Uint8Array): UpdateShape {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    throw new UnreadableUpdate('not a Yjs update');
  }
  const names = new Map<unknown, string>();
  for (const [name, type] of doc.share) names.set(type, name);
  // Parents of the items in this update, by client, so later items can inherit them.
  const local = new Map<number, { clock: number; end: number; parent: Parent }[]>();

  const parentOfId = (id: Y.ID): Parent => {
    for (const range of local.get(id.client) ?? []) {
      if (id.clock >= range.clock && id.clock < range.end) return range.parent;
    }
    // A client that reconnects sends updates queued while offline before the sync that carries
    // their origins; Yjs holds them until the origins arrive.
    if (Y.getState(doc.store, id.client) <= id.clock) return PENDING;
    const item = Y.getItem(doc.store, id);
    // An origin that was deleted and collected takes its children with it.
    if (!(item instanceof Y.Item)) return { container: null, mapKey: null };
    const parent = item.parent as Y.AbstractType<Y.YEvent<Y.Array<unknown>>>;
    return {
      container: parent._item === null ? (names.get(parent) ?? null) : null,
      mapKey: item.parentSub,
    };
  };

  const items: ItemShape[] = [];
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Skip) continue;
    if (!(struct instanceof Y.Item)) {
      // GC structs stand for deleted content.
      items.push({
        container: null,
        mapKey: null,
        content: 'deleted',
        length: struct.length,
        largestElement: 0,
      });
      continue;
    }
    let parent: Parent;
    if (typeof struct.parent === 'string')
      parent = { container: struct.parent, mapKey: struct.parentSub };
    else if (struct.parent instanceof Y.ID) parent = { container: null, mapKey: struct.parentSub };
    else if (struct.origin) parent = parentOfId(struct.origin);
    else if (struct.rightOrigin) parent = parentOfId(struct.rightOrigin);
    else throw new UnreadableUpdate('item without parent or origin');
    const ranges = local.get(struct.id.client) ?? [];
    ranges.push({ clock: struct.id.clock, end: struct.id.clock + struct.length, parent });
    local.set(struct.id.client, ranges);
    const isAny = struct.content instanceof Y.ContentAny;
    items.push({
      container: parent.container,
      mapKey: parent.mapKey,
      content: isAny ? 'any' : struct.content instanceof Y.ContentDeleted ? 'deleted' : 'other',
      length: struct.length,
      largestElement: isAny
        ? Math.max(
            0,
            ...(struct.content as Y.ContentAny).arr.map((value) => estimateSize(value, 0)),
          )
        : 0,
    });
  }
  return { items, deletes: decoded.ds.clients.size > 0 };
}

/** Rough encoded size of a JSON-like value; stops early once it is clearly too big. */
function estimateSize(value: unknown, depth: number): number {
  if (depth > 8) return Number.POSITIVE_INFINITY;
  if (typeof value === 'string') return value.length * 3 + 2;
  if (value instanceof Uint8Array) return value.length + 2;
  if (Array.isArray(value)) {
    let size = 2;
    for (const element of value) size += estimateSize(element, depth + 1);
    return size;
  }
  if (value !== null && typeof value === 'object') {
    let size = 2;
    for (const [key, element] of Object.entries(value))
      size += key.length + estimateSize(element, depth + 1);
    return size;
  }
  return 9;
}
