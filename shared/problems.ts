/**
 * Entries that could not be used. A problem never stops a derivation: the entry is left out of
 * the numbers, counted and listed for staff ([E5]).
 */
export const PROBLEM_CODES = [
  /** Not the shape of any entry version: wrong types, missing or oversized fields. */
  'malformed',
  /** A well-formed entry of an event kind this version does not know. */
  'unknown-kind',
  /** Written by a newer schema version than this code reads. */
  'unsupported-version',
  /** A kind the writer's role may not write (a kiosk voiding a visit). */
  'not-permitted',
  /** Content outside the writer arrays: other top-level types, map entries, nested types. */
  'misplaced',
  /** Another entry with the same event id and different content won ([E2]). */
  'conflicting-duplicate',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface Problem {
  readonly code: ProblemCode;
  /** Identity of the raw entry (for Yjs entries `client:clock`). */
  readonly key: string;
  readonly docDay: string;
  /** The top-level type the entry sits in. */
  readonly container: string;
  readonly detail: string;
  readonly eventId?: string;
}

export function compareProblems(a: Problem, b: Problem): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}
