import type { Writer } from './events';

/**
 * Each writer appends only to its own top-level array in a check-ins document, named
 * `kiosk:<deviceId>` or `staff:<userId>` ([D4]). The name carries the writer, so entries do not
 * repeat it (bytes per visit), and the server can grant a connection exactly one array.
 */
const WRITER_NAME = /^(kiosk|staff):([A-Za-z0-9_-]{1,64})$/;
/** The longest writer array name: `staff:` and a 64-character id. */
export const WRITER_NAME_MAX = 70;

export function writerName(writer: Writer): string {
  const name = `${writer.role}:${writer.id}`;
  if (!WRITER_NAME.test(name)) throw new RangeError(`invalid writer: ${JSON.stringify(name)}`);
  return name;
}

/** The writer an array name stands for, or null when the name is not a writer array. */
export function parseWriterName(name: string): Writer | null {
  const match = WRITER_NAME.exec(name);
  if (!match) return null;
  return { role: match[1] as Writer['role'], id: match[2] as string };
}
