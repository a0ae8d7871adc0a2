import type * as Y from 'yjs';
import { describeValue } from './entryCodec';
import { isValidTimeZone, parseClockTime } from './localTime';
import { checkMember, type Member } from './member';

/**
 * The site document ([D2]): the site's settings. Staff write it; kiosks only read it. Each value
 * is read on its own: a bad value falls back to its default and is reported — the rest of the
 * document still works. Members are in roster documents (`rosterDoc.ts`).
 */

export const SETTINGS_MAP = 'settings';
/** Where members were kept before roster documents ([D7]); read once, to move them. */
export const LEGACY_MEMBERS_MAP = 'members';

export type AlertAction = 'allow' | 'warn' | 'deny';
export const ALERT_ACTIONS: readonly AlertAction[] = ['allow', 'warn', 'deny'];
export const ALERT_KINDS = ['expired', 'frozen', 'unknown', 'capacity'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertPolicy = Readonly<Record<AlertKind, AlertAction>>;
/** What the site's public "how busy" page shows ([P1]): nothing, the band, or band and count. */
export const PUBLIC_OCCUPANCY = ['off', 'band', 'count'] as const;
export type PublicOccupancy = (typeof PUBLIC_OCCUPANCY)[number];

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
  /** The public "how busy" page and its JSON ([P1]); off unless staff switch it on. */
  readonly publicOccupancy: PublicOccupancy;
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
  publicOccupancy: 'off',
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
  publicOccupancy: (v) => PUBLIC_OCCUPANCY.includes(v as PublicOccupancy),
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

/**
 * Before chains ([D7]), staff wrote members into the site document's `members` map as objects.
 * The server moves them into its member table once (`LegacyRoster`); this reads them for that,
 * with the site as home. Values it cannot read are left out.
 */
export function readLegacyRoster(doc: Y.Doc, siteId: string): Member[] {
  const members: Member[] = [];
  for (const [key, value] of doc.getMap<unknown>(LEGACY_MEMBERS_MAP).entries()) {
    if (typeof value !== 'object' || value === null) continue;
    const { v, id, name, codes, status, validUntil } = value as Record<string, unknown>;
    // Version 1 was the only one written; a later one is not guessed at.
    if (v !== undefined && v !== 1) continue;
    const member = { id, name, codes, status, validUntil, homeSite: siteId, access: 'home' };
    if (id === key && checkMember(member) === null) members.push(member as Member);
  }
  return members;
}
