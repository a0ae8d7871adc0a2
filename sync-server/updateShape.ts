import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/**
 * What a Yjs update would add to a document, read without applying it: for every struct the
 * document does not hold yet, the Yjs client that wrote it, the top-level type it lands in, its
 * map key if any, its content kind and values; and whether the update deletes anything. The write
 * guard judges updates by this shape.
 *
 * Structs the document already holds are left out: re-sending them changes nothing, and old
 * documents may hold content written under earlier rules.
 *
 * Items inserted next to an existing item do not name their parent in the update (they inherit
 * it from their origin), so the origin is looked up in the same update or in the document. When
 * it is in neither, Yjs keeps the item pending until the origin arrives, and the item will land
 * wherever its origin is: `pendingOn` names the client whose struct decides.
 */
export interface ItemShape {
  /** The Yjs client id that wrote the struct. */
  readonly client: number;
  /**
   * Top-level type name; null when the item sits inside a nested type (or is deleted content);
   * undefined while its origin has not arrived (see `pendingOn`).
   */
  readonly container: string | null | undefined;
  /** While `container` is undefined: the client whose missing struct the item's place follows. */
  readonly pendingOn: number | null;
  readonly mapKey: string | null;
  /** Plain values, content deleted before it reached us (GC), or anything else. */
  readonly content: 'any' | 'deleted' | 'other';
  /** The new plain values (content 'any'), in order; empty otherwise. */
  readonly values: readonly unknown[];
  /** Number of new elements (array) or 1 (map value). */
  readonly length: number;
}

export interface UpdateShape {
  readonly items: ItemShape[];
  readonly deletes: boolean;
}

export class UnreadableUpdate extends Error {
  override name = 'UnreadableUpdate';
}

type Parent = {
  container: string | null | undefined;
  mapKey: string | null;
  pendingOn: number | null;
};
const NESTED: Parent = { container: null, mapKey: null, pendingOn: null };

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
    if (Y.getState(doc.store, id.client) <= id.clock)
      return { container: undefined, mapKey: null, pendingOn: id.client };
    const item = Y.getItem(doc.store, id);
    // An origin that was deleted and collected takes its children with it.
    if (!(item instanceof Y.Item)) return NESTED;
    const parent = item.parent as Y.AbstractType<Y.YEvent<Y.Array<unknown>>>;
    return {
      container: parent._item === null ? (names.get(parent) ?? null) : null,
      mapKey: item.parentSub,
      pendingOn: null,
    };
  };

  const items: ItemShape[] = [];
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Skip) continue;
    const { client, clock } = struct.id;
    const held = Y.getState(doc.store, client);
    // Only the part the document lacks is new (an update may overlap what it holds).
    const skip = Math.max(0, held - clock);
    if (skip >= struct.length) continue;
    if (!(struct instanceof Y.Item)) {
      // GC structs stand for deleted content.
      items.push({
        client,
        container: null,
        pendingOn: null,
        mapKey: null,
        content: 'deleted',
        values: [],
        length: struct.length - skip,
      });
      continue;
    }
    let parent: Parent;
    if (typeof struct.parent === 'string')
      parent = { container: struct.parent, mapKey: struct.parentSub, pendingOn: null };
    else if (struct.parent instanceof Y.ID)
      parent = { ...NESTED, mapKey: struct.parentSub, pendingOn: null };
    else if (struct.origin) parent = parentOfId(struct.origin);
    else if (struct.rightOrigin) parent = parentOfId(struct.rightOrigin);
    else throw new UnreadableUpdate('item without parent or origin');
    const ranges = local.get(client) ?? [];
    ranges.push({ clock, end: clock + struct.length, parent });
    local.set(client, ranges);
    const isAny = struct.content instanceof Y.ContentAny;
    items.push({
      client,
      container: parent.container,
      pendingOn: parent.pendingOn,
      mapKey: parent.mapKey,
      content: isAny ? 'any' : struct.content instanceof Y.ContentDeleted ? 'deleted' : 'other',
      values: isAny ? (struct.content as Y.ContentAny).arr.slice(skip) : [],
      length: struct.length - skip,
    });
  }
  return { items, deletes: decoded.ds.clients.size > 0 };
}

const sizer = encoding.createEncoder();

/**
 * The bytes a plain value takes in a Yjs update (lib0's `writeAny`, what `ContentAny` stores),
 * or Infinity for a value that cannot be stored.
 */
export function encodedSize(value: unknown): number {
  // Reuse one encoder: clearing it is cheaper than allocating one per entry.
  sizer.cpos = 0;
  sizer.bufs.length = 0;
  try {
    encoding.writeAny(sizer, value as encoding.AnyEncodable);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
  return encoding.length(sizer);
}
