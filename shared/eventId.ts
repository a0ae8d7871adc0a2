import { UUID } from 'uuidv7';

/**
 * Event ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. The kiosk
 * mints the id at the moment of the scan from its own clock, so the id also records the device
 * time; documents store the 16 raw bytes and never a separate device timestamp.
 */
export type EventId = string;

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_UNIX_MS = 2 ** 48 - 1;

function random32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

/** A new event id whose timestamp is `deviceTime` (milliseconds since the Unix epoch). */
export function newEventId(deviceTime: number): EventId {
  const unixMs = Math.min(MAX_UNIX_MS, Math.max(0, Math.floor(deviceTime)));
  return UUID.fromFieldsV7(unixMs, random32() & 0xfff, random32() >>> 2, random32()).toString();
}

/** True for the canonical lower-case text of a UUIDv7. */
export function isEventId(value: unknown): value is EventId {
  return typeof value === 'string' && UUID_TEXT.test(value);
}

/** The 16 bytes stored in documents. */
export function eventIdToBytes(id: EventId): Uint8Array {
  return new Uint8Array(UUID.parse(id).bytes);
}

const HEX_CODES = [...'0123456789abcdef'].map((c) => c.charCodeAt(0));
const DASH = '-'.charCodeAt(0);
const TEXT_CODES = new Array<number>(36).fill(DASH);

/**
 * The id for 16 stored bytes, or null when they are not a UUIDv7. Every entry of a day passes
 * through here on a full derivation: the text is built from char codes in one call, because
 * concatenating 20 pieces would leave a chain of intermediate strings per id (docs/BENCHMARKS.md).
 */
export function eventIdFromBytes(bytes: unknown): EventId | null {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 16) return null;
  // Version 7 in the high nibble of byte 6, RFC 9562 variant (0b10) in the top bits of byte 8.
  if ((bytes[6] as number) >> 4 !== 7 || ((bytes[8] as number) & 0xc0) !== 0x80) return null;
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) at++;
    const byte = bytes[i] as number;
    TEXT_CODES[at++] = HEX_CODES[byte >> 4] as number;
    TEXT_CODES[at++] = HEX_CODES[byte & 15] as number;
  }
  return String.fromCharCode.apply(null, TEXT_CODES);
}

/** The device time (Unix milliseconds) an id was minted at. */
export function deviceTimeOf(id: EventId): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** The device time of an id from its stored bytes (the first 48 bits, big-endian). */
export function deviceTimeOfBytes(bytes: Uint8Array): number {
  let ms = 0;
  for (let i = 0; i < 6; i++) ms = ms * 256 + (bytes[i] as number);
  return ms;
}
