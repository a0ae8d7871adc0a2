import { type EventId, isEventId } from './eventId';
import type { Writer } from './events';
import { parseWriterName, writerName } from './writer';

/**
 * An event's identity: the writer whose array holds it and its id, as `<writerName>/<uuid>`
 * (e.g. `kiosk:front/0195…`). The id alone is not enough: every writer mints its own ids, and a
 * writer can put any id in its own array, so the same id in two arrays is two events ([E2]).
 * A string, so it works as a Map key and in the DOM as it is.
 */
export type EventRef = string;

/** The ref of `writer`'s event `id`. Throws on a writer or id no writer should produce. */
export function eventRef(writer: Writer, id: EventId): EventRef {
  if (!isEventId(id)) throw new RangeError(`invalid event id: ${JSON.stringify(id)}`);
  return `${nameOf(writer)}/${id}`;
}

/**
 * The ref of a parsed event, for derivations: the codec checked its id and the array name its
 * writer, so only the writer's name is looked up (a full day names 100 000 events).
 */
export function refOf(event: { readonly writer: Writer; readonly id: EventId }): EventRef {
  return `${nameOf(event.writer)}/${event.id}`;
}

/** Writer names by writer object: derivations name many events of few writers. */
const names = new WeakMap<Writer, string>();

function nameOf(writer: Writer): string {
  let name = names.get(writer);
  if (name === undefined) {
    name = writerName(writer);
    names.set(writer, name);
  }
  return name;
}

/** The writer and id a ref names, or null when it is not a ref. Never throws. */
export function parseEventRef(ref: unknown): { writer: Writer; id: EventId } | null {
  if (typeof ref !== 'string') return null;
  // Neither a writer name nor an id contains a slash, so the only one separates them.
  const slash = ref.indexOf('/');
  if (slash < 0) return null;
  const writer = parseWriterName(ref.slice(0, slash));
  const id = ref.slice(slash + 1);
  return writer !== null && isEventId(id) ? { writer, id } : null;
}

/** True when both name the same writer array. */
export function sameWriter(a: Writer, b: Writer): boolean {
  return a === b || (a.role === b.role && a.id === b.id);
}
