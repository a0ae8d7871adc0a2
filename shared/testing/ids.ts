import { UUID } from 'uuidv7';

/** A deterministic UUIDv7 for property tests (fast-check must be able to replay a run). */
export function testEventId(at: number, n: number): string {
  return UUID.fromFieldsV7(Math.max(0, at), n & 0xfff, (n * 2654435761) >>> 2, n >>> 0).toString();
}
