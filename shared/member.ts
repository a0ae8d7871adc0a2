import { isSiteId } from './docName';
import { describeValue } from './entryCodec';
import { isLocalDay } from './localTime';

/**
 * A member of the chain ([M4]–[M6] in SPEC.md): who they are at the door (name, card codes,
 * status, valid-until), the site they belong to, and where they may check in. The server keeps
 * members in SQL and lists each one in the roster documents of the sites that admit them
 * (`rosterDoc.ts`), so a kiosk holds exactly the members it may check in.
 */

export type MemberStatus = 'active' | 'frozen' | 'expired';
export const MEMBER_STATUSES: readonly MemberStatus[] = ['active', 'frozen', 'expired'];

/**
 * Where a member may check in besides the home site ([M5]): nowhere else (`home`), at every site
 * of the chain (`all`), or at the listed sites.
 */
export type MemberAccess = 'home' | 'all' | readonly string[];

/** Most sites one member's access may list; a chain-wide membership is `all`. */
export const MAX_ACCESS_SITES = 20;

export interface Member {
  readonly id: string;
  readonly name: string;
  /** Card barcodes and QR payloads that identify the member at the door. */
  readonly codes: readonly string[];
  readonly status: MemberStatus;
  /** Last day the membership is valid, or null for open-ended. */
  readonly validUntil: string | null;
  /** The site the member belongs to. */
  readonly homeSite: string;
  readonly access: MemberAccess;
}

const MEMBER_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function isMemberId(value: unknown): value is string {
  return typeof value === 'string' && MEMBER_ID.test(value);
}

/** The reason a member record is invalid, or null. Never throws, whatever the value. */
export function checkMember(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return `record is ${describeValue(value)}`;
  const m = value as Record<string, unknown>;
  if (!isMemberId(m.id)) return `id is ${describeValue(m.id)}`;
  if (!isText(m.name, 120)) return `name is ${describeValue(m.name)}`;
  if (m.codes === undefined) return 'codes is missing';
  if (!Array.isArray(m.codes) || m.codes.length > 10 || !m.codes.every((c) => isText(c, 64))) {
    return 'codes must be up to 10 strings of 1–64 characters, without control characters';
  }
  if (!MEMBER_STATUSES.includes(m.status as MemberStatus))
    return `status is ${describeValue(m.status)}`;
  if (m.validUntil !== null && !isLocalDay(m.validUntil)) {
    return `validUntil is ${describeValue(m.validUntil)}`;
  }
  if (!isSiteId(m.homeSite)) return `home site is ${describeValue(m.homeSite)}`;
  return checkAccess(m.access);
}

// Control characters print as nothing at the desk and bloat every roster value ([D7]).
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what it finds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function isText(value: unknown, max: number): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= max && !CONTROL.test(value)
  );
}

function checkAccess(access: unknown): string | null {
  if (access === 'home' || access === 'all') return null;
  if (
    Array.isArray(access) &&
    access.length >= 1 &&
    access.length <= MAX_ACCESS_SITES &&
    access.every(isSiteId) &&
    new Set(access).size === access.length
  )
    return null;
  return `access is ${describeValue(access)}: "home", "all" or 1–${MAX_ACCESS_SITES} site ids`;
}

/** Whether `member` may check in at `siteId` ([M5]): at home, and where their access says. */
export function admittedAt(member: Member, siteId: string): boolean {
  if (member.homeSite === siteId || member.access === 'all') return true;
  return member.access !== 'home' && member.access.includes(siteId);
}

/** The same access: the same keyword, or the same listed sites in any order. */
export function sameAccess(a: MemberAccess, b: MemberAccess): boolean {
  return typeof a === 'string' || typeof b === 'string' ? a === b : sameSet(a, b);
}

/** The same member, field by field (codes and listed sites in any order). */
export function sameMember(a: Member, b: Member): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.status === b.status &&
    a.validUntil === b.validUntil &&
    a.homeSite === b.homeSite &&
    sameSet(a.codes, b.codes) &&
    sameAccess(a.access, b.access)
  );
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  const other = new Set(b);
  return set.size === other.size && [...other].every((item) => set.has(item));
}

/** Access as a CSV cell and a form field: `home`, `all`, or site ids separated by spaces. */
export function accessText(access: MemberAccess): string {
  return typeof access === 'string' ? access : access.join(' ');
}

/** Reads `accessText`'s form (also `;`/`,`-separated); null when it is none of them. */
export function parseAccess(text: string): MemberAccess | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '' || trimmed === 'home') return 'home';
  if (trimmed === 'all') return 'all';
  const sites = [...new Set(trimmed.split(/[\s;,|]+/).filter((s) => s !== ''))];
  return checkAccess(sites) === null ? sites : null;
}
