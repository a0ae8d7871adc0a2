import type * as Y from 'yjs';
import { describeValue } from './entryCodec';
import { isLocalDay, isValidTimeZone, parseClockTime } from './localTime';

/**
 * The site document ([D2]): settings and the members roster. Staff write it; kiosks only read it.
 * Each value is read on its own: a bad value falls back to its default (settings) or leaves its
 * member out (roster), and is reported — the rest of the document still works.
 */

export const SETTINGS_MAP = 'settings';
export const MEMBERS_MAP = 'members';

export type AlertAction = 'allow' | 'warn' | 'deny';
export const ALERT_ACTIONS: readonly AlertAction[] = ['allow', 'warn', 'deny'];
export const ALERT_KINDS = ['expired', 'frozen', 'unknown', 'capacity'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertPolicy = Readonly<Record<AlertKind, AlertAction>>;

export interface SiteSettings {
  readonly name: string;
  /** IANA zone; days, closing time and the charts follow it ([T4]). */
  readonly timeZone: string;
  /** People allowed in at once; null when the site sets no limit. */
  readonly capacity: number | null;
  readonly maxStayMinutes: number;
  /** `HH:MM` local, or null for a site that never closes. */
  readonly closingTime: string | null;
  readonly debounceSeconds: number;
  readonly alertPolicy: AlertPolicy;
  /** Visit records older than this many days are deleted. */
  readonly retentionDays: number;
}

export const DEFAULT_SETTINGS: SiteSettings = {
  name: 'My gym',
  timeZone: 'UTC',
  capacity: null,
  maxStayMinutes: 240,
  closingTime: null,
  debounceSeconds: 120,
  alertPolicy: { expired: 'deny', frozen: 'deny', unknown: 'deny', capacity: 'warn' },
  retentionDays: 400,
};

type Check = (value: unknown) => boolean;
const intIn =
  (min: number, max: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

const SETTING_CHECKS: Record<keyof SiteSettings, Check> = {
  name: (v) => typeof v === 'string' && v.length > 0 && v.length <= 80,
  timeZone: (v) => typeof v === 'string' && isValidTimeZone(v),
  capacity: (v) => v === null || intIn(1, 100_000)(v),
  maxStayMinutes: intIn(15, 24 * 60),
  closingTime: (v) => v === null || parseClockTime(v) !== null,
  debounceSeconds: intIn(0, 3600),
  alertPolicy: (v) =>
    typeof v === 'object' &&
    v !== null &&
    ALERT_KINDS.every((k) =>
      ALERT_ACTIONS.includes((v as Record<string, AlertAction>)[k] as AlertAction),
    ),
  retentionDays: intIn(1, 3650),
};

/** The check for a setting name; own keys only, so `toString` is not a setting. */
function settingCheck(key: string): Check | undefined {
  return Object.hasOwn(SETTING_CHECKS, key) ? SETTING_CHECKS[key as keyof SiteSettings] : undefined;
}

export interface SiteProblem {
  readonly where: string;
  readonly detail: string;
}

export function readSettings(doc: Y.Doc): { settings: SiteSettings; problems: SiteProblem[] } {
  const map = doc.getMap<unknown>(SETTINGS_MAP);
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  const problems: SiteProblem[] = [];
  for (const [key, value] of map.entries()) {
    const check = settingCheck(key);
    if (!check) problems.push({ where: `settings.${key.slice(0, 40)}`, detail: 'unknown setting' });
    else if (!check(value))
      problems.push({ where: `settings.${key}`, detail: `invalid: ${describeValue(value)}` });
    else settings[key] = value;
  }
  return { settings: settings as unknown as SiteSettings, problems };
}

/** Writes settings; throws RangeError naming the first invalid one (a staff form validates first). */
export function writeSettings(doc: Y.Doc, changes: Partial<SiteSettings>): void {
  for (const [key, value] of Object.entries(changes)) {
    const check = settingCheck(key);
    if (!check?.(value)) throw new RangeError(`invalid setting ${key}: ${describeValue(value)}`);
  }
  const map = doc.getMap<unknown>(SETTINGS_MAP);
  doc.transact(() => {
    for (const [key, value] of Object.entries(changes)) map.set(key, value);
  });
}

export type MemberStatus = 'active' | 'frozen' | 'expired';
export const MEMBER_STATUSES: readonly MemberStatus[] = ['active', 'frozen', 'expired'];
export const MEMBER_VERSION = 1;

export interface Member {
  readonly id: string;
  readonly name: string;
  /** Card barcodes and QR payloads that identify the member at the door. */
  readonly codes: readonly string[];
  readonly status: MemberStatus;
  /** Last day the membership is valid, or null for open-ended. */
  readonly validUntil: string | null;
}

const MEMBER_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** The reason a member record is invalid, or null. */
export function checkMember(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return `record is ${describeValue(value)}`;
  const m = value as Record<string, unknown>;
  if (m.v !== undefined && m.v !== MEMBER_VERSION)
    return `unsupported version ${describeValue(m.v)}`;
  if (typeof m.id !== 'string' || !MEMBER_ID.test(m.id)) return `id is ${describeValue(m.id)}`;
  if (typeof m.name !== 'string' || m.name.length === 0 || m.name.length > 120) {
    return `name is ${describeValue(m.name)}`;
  }
  if (
    !Array.isArray(m.codes) ||
    m.codes.length > 10 ||
    !m.codes.every((c) => typeof c === 'string' && c.length > 0 && c.length <= 64)
  ) {
    return 'codes must be up to 10 strings of 1–64 characters';
  }
  if (!MEMBER_STATUSES.includes(m.status as MemberStatus))
    return `status is ${describeValue(m.status)}`;
  if (m.validUntil !== null && !isLocalDay(m.validUntil)) {
    return `validUntil is ${describeValue(m.validUntil)}`;
  }
  return null;
}

export function readRoster(doc: Y.Doc): { members: Map<string, Member>; problems: SiteProblem[] } {
  const members = new Map<string, Member>();
  const problems: SiteProblem[] = [];
  for (const [key, value] of doc.getMap<unknown>(MEMBERS_MAP).entries()) {
    const problem = checkMember(value);
    const where = `members.${key.slice(0, 64)}`;
    if (problem) problems.push({ where, detail: problem });
    else if ((value as Member).id !== key)
      problems.push({ where, detail: 'id does not match key' });
    else {
      const { id, name, codes, status, validUntil } = value as Member;
      members.set(key, { id, name, codes: [...codes], status, validUntil });
    }
  }
  return { members, problems };
}

export function putMember(doc: Y.Doc, member: Member): void {
  const problem = checkMember(member);
  if (problem) throw new RangeError(`invalid member: ${problem}`);
  doc
    .getMap<unknown>(MEMBERS_MAP)
    .set(member.id, { v: MEMBER_VERSION, ...member, codes: [...member.codes] });
}
