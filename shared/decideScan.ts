import type { Presence } from './DayLedger';
import type { DenialReason } from './events';
import { isLocalDay, type LocalDay } from './localTime';
import type { Member } from './member';
import type { AlertAction, AlertKind, AlertPolicy } from './siteDoc';

/**
 * What the kiosk does when a member identifies at the door ([K1]–[K4] in SPEC.md). Pure: the
 * kiosk passes what it knows locally (its roster copy, its view of the day), so the decision is
 * the same online and offline; the merge settles the rest ([V3], [V9]).
 */
export interface ScanContext {
  /** The member the code or number belongs to, if the roster knows it. */
  readonly member: Member | undefined;
  /** Whether this device has ever had its whole roster ([K3]): until then nobody is unknown. */
  readonly rosterComplete: boolean;
  readonly presence: Presence;
  readonly now: number;
  /** The site-local day, for valid-until. */
  readonly today: LocalDay;
  readonly policy: AlertPolicy;
  /** People in now and the site's capacity (null: no limit). */
  readonly occupancy: { readonly count: number; readonly capacity: number | null };
  readonly debounceMs: number;
}

export interface ScanAlert {
  readonly kind: AlertKind;
  readonly action: AlertAction;
}

export type ScanDecision =
  /** Record a check-in; `alerts` are shown as warnings. */
  | { readonly action: 'check-in'; readonly alerts: readonly ScanAlert[] }
  /** Record a check-out of the visit that started at `since`. */
  | { readonly action: 'check-out'; readonly since: number; readonly stayMs: number }
  /** A repeat scan: say so and record nothing ([K2]). */
  | { readonly action: 'already-in'; readonly since: number }
  | { readonly action: 'already-out' }
  /** Not on a roster that has not fully arrived yet: try again soon, record nothing ([K3]). */
  | { readonly action: 'roster-loading' }
  /** Record a denied attempt and show why ([V12]). */
  | {
      readonly action: 'deny';
      readonly reason: DenialReason;
      readonly alerts: readonly ScanAlert[];
    };

/** Alert kinds in the order they are judged; the first that denies decides the reason. */
const ORDER: readonly AlertKind[] = ['frozen', 'expired', 'capacity'];

export function decideScan(context: ScanContext): ScanDecision {
  const { member, presence, now, debounceMs } = context;
  if (!member && !context.rosterComplete) return { action: 'roster-loading' };
  if (!member)
    return { action: 'deny', reason: 'unknown', alerts: [{ kind: 'unknown', action: 'deny' }] };
  if (presence.visit) {
    const lastScan = presence.lastCheckInAt ?? presence.visit.start;
    if (now - lastScan <= debounceMs) return { action: 'already-in', since: presence.visit.start };
    return { action: 'check-out', since: presence.visit.start, stayMs: now - presence.visit.start };
  }
  if (presence.lastCheckOutAt !== null && now - presence.lastCheckOutAt <= debounceMs) {
    return { action: 'already-out' };
  }
  const alerts: ScanAlert[] = [];
  for (const kind of ORDER) {
    if (applies(kind, context)) alerts.push({ kind, action: context.policy[kind] });
  }
  const denial = alerts.find((alert) => alert.action === 'deny');
  if (denial) return { action: 'deny', reason: denial.kind as DenialReason, alerts };
  return { action: 'check-in', alerts: alerts.filter((alert) => alert.action === 'warn') };
}

function applies(kind: AlertKind, { member, today, occupancy }: ScanContext): boolean {
  switch (kind) {
    case 'frozen':
      return member?.status === 'frozen';
    case 'expired':
      return (
        member?.status === 'expired' ||
        (member?.validUntil != null && isLocalDay(member.validUntil) && member.validUntil < today)
      );
    case 'capacity':
      return occupancy.capacity !== null && occupancy.count >= occupancy.capacity;
    case 'unknown':
      return false;
  }
}
