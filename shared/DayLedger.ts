import type { RawEntry } from './checkinsDoc';
import { CLOCK_TOLERANCE_MS, parseEntry } from './entryCodec';
import type { EventId } from './eventId';
import {
  type CheckInEvent,
  type CheckinEvent,
  type CheckOutAllEvent,
  type CheckOutEvent,
  compareEvents,
  type Writer,
} from './events';
import {
  addDays,
  type DayWindow,
  dayWindow,
  instantAt,
  type LocalDay,
  parseClockTime,
} from './localTime';
import { OccupancyTree } from './OccupancyTree';
import { type Outcome, type PairingRules, pairVisits, type Visit } from './pairVisits';
import { compareProblems, type Problem } from './problems';
import { SortedList } from './SortedList';
import { parseWriterName } from './writer';

/**
 * The numbers of one local day, kept up to date event by event (SPEC.md [S1]–[S8]).
 *
 * `add` and `remove` take raw entries from the day's document and the previous day's (visits
 * crossing midnight, [V8]). Work per call is proportional to the entries given: each touches
 * only its member's few events, which are re-paired, and the visits that changed are moved in
 * the counters, the occupancy tree and the end-ordered list. The exceptions are rare staff
 * actions that concern everyone: a check-everyone-out re-pairs every member.
 *
 * `deriveDay` is the same ledger filled from scratch; property tests hold the two equal.
 */

export interface DayConfig {
  readonly day: LocalDay;
  readonly timeZone: string;
  readonly maxStayMs: number;
  /** `HH:MM` local, or null for a site that never closes. */
  readonly closingTime: string | null;
  readonly debounceMs: number;
}

export interface RosterEntry {
  readonly name: string;
}
export type Roster = ReadonlyMap<string, RosterEntry>;

export interface PresentMember {
  readonly memberId: string;
  readonly name: string;
  readonly since: number;
  readonly visitId: EventId;
  readonly writer: Writer;
}

export interface OccupancyBucket {
  readonly start: number;
  /** Highest occupancy within the bucket up to now; null for a bucket that has not begun. */
  readonly max: number | null;
}

export type FeedOutcome = Outcome['kind'] | 'denied' | 'void' | 'check-out-all';

export interface FeedItem {
  readonly id: EventId;
  readonly kind: CheckinEvent['kind'];
  readonly at: number;
  readonly memberId: string;
  /** Display name from the roster; the member id when the roster does not know it. */
  readonly name: string;
  readonly writer: Writer;
  readonly location?: string;
  readonly outcome: FeedOutcome;
  readonly stayMs?: number;
  /** Void reason or denial reason. */
  readonly reason?: string;
  /** The visit this check-in or check-out belongs to was voided ([V10]). */
  readonly voided: boolean;
}

export interface DayStats {
  readonly day: LocalDay;
  readonly now: number;
  readonly currentlyIn: readonly PresentMember[];
  readonly visitsToday: number;
  readonly uniqueMembersToday: number;
  readonly deniedToday: number;
  /** Mean stay of visits closed by a check-out, in whole milliseconds; null before the first. */
  readonly averageStayMs: number | null;
  readonly completedVisits: number;
  /** Today's visits that closed themselves (max stay or closing time) by now ([V7]). */
  readonly autoClosedVisits: number;
  readonly peak: { readonly count: number; readonly at: number | null };
  readonly occupancy: readonly OccupancyBucket[];
  readonly feed: readonly FeedItem[];
  readonly flagCount: number;
  readonly problemCount: number;
}

export const FLAG_CODES = [
  'unmatched-check-out',
  'closed-by-reentry',
  'auto-closed',
  'clock-clamped',
  'clock-untrusted',
  'future-dated',
  'void-target-missing',
  'void-target-invalid',
] as const;
export type FlagCode = (typeof FLAG_CODES)[number];

/** Something staff should look at: data that was used, but is doubtful ([SPEC] "flagged"). */
export interface Flag {
  readonly code: FlagCode;
  readonly at: number;
  /** The event, or for visit flags the visit (its first check-in). */
  readonly ref: EventId;
  readonly memberId?: string;
}

export const BUCKET_SECONDS = 15 * 60;
export const DEFAULT_FEED_SIZE = 50;

interface MemberState {
  readonly events: (CheckInEvent | CheckOutEvent)[];
  visits: Visit[];
}

interface EntryRecord {
  readonly eventId: EventId | null;
  readonly problem: Problem | null;
}

export class DayLedger {
  readonly config: DayConfig;
  readonly window: DayWindow;
  private readonly rules: PairingRules;
  private readonly windows = new Map<LocalDay, DayWindow>();

  private readonly entries = new Map<string, EntryRecord>();
  private readonly entryProblems = new Map<string, Problem>();
  /** Every entry carrying an event id, by key: more than one means duplicates ([E2]). */
  private readonly variants = new Map<EventId, Map<string, CheckinEvent>>();
  private readonly conflicted = new Set<EventId>();
  /** The winning variant of each event id. */
  private readonly events = new Map<EventId, CheckinEvent>();
  private readonly timeline = new SortedList<CheckinEvent>(compareEvents);
  private readonly members = new Map<string, MemberState>();
  private readonly voidsByTarget = new Map<EventId, Set<EventId>>();
  private readonly closeAlls = new SortedList<CheckOutAllEvent>(compareEvents);

  private readonly outcomes = new Map<EventId, Outcome>();
  private readonly visitByCheckIn = new Map<EventId, Visit>();
  private readonly byEnd = new SortedList<Visit>(compareByEnd);
  private readonly occupancy: OccupancyTree;
  private visitsToday = 0;
  private readonly visitsByMember = new Map<string, number>();
  private completed = 0;
  private staySum = 0;
  private autoClosedFixed = 0;
  private openEndedToday = 0;
  private deniedToday = 0;

  constructor(config: DayConfig) {
    this.config = config;
    this.window = this.windowOf(config.day);
    const closingMinutes = parseClockTime(config.closingTime);
    this.rules = {
      debounceMs: config.debounceMs,
      maxStayMs: config.maxStayMs,
      closings:
        closingMinutes === null
          ? []
          : [-1, 0, 1].map((d) =>
              instantAt(addDays(config.day, d), closingMinutes, config.timeZone),
            ),
    };
    this.occupancy = new OccupancyTree((this.window.end - this.window.start) / 1000);
  }

  /** Takes in entries; an entry already held (same key) is ignored, so replays are harmless. */
  add(entries: Iterable<RawEntry>): void {
    const touched = new Set<EventId>();
    for (const entry of entries) {
      if (this.entries.has(entry.key)) continue;
      const record = this.read(entry);
      this.entries.set(entry.key, record);
      if (record.problem) this.entryProblems.set(entry.key, record.problem);
      if (record.eventId) touched.add(record.eventId);
    }
    this.settle(touched);
  }

  /** Takes out entries that were deleted from their document ([D5]). */
  remove(keys: Iterable<string>): void {
    const touched = new Set<EventId>();
    for (const key of keys) {
      const record = this.entries.get(key);
      if (!record) continue;
      this.entries.delete(key);
      this.entryProblems.delete(key);
      if (record.eventId) {
        this.variants.get(record.eventId)?.delete(key);
        touched.add(record.eventId);
      }
    }
    this.settle(touched);
  }

  stats(now: number, options: { roster?: Roster; feedSize?: number } = {}): DayStats {
    const roster = options.roster ?? new Map<string, RosterEntry>();
    const present: PresentMember[] = [];
    let openEndedFuture = 0;
    for (let i = this.byEnd.length - 1; i >= 0; i--) {
      const visit = this.byEnd.at(i) as Visit;
      if (effectiveEnd(visit) <= now) break;
      if (visit.end === null && this.inDay(visit.start)) openEndedFuture++;
      if (visit.start <= now) {
        present.push({
          memberId: visit.memberId,
          name: roster.get(visit.memberId)?.name ?? visit.memberId,
          since: visit.start,
          visitId: visit.id,
          writer: visit.startEvent.writer,
        });
      }
    }
    present.sort((a, b) => a.since - b.since || compareText(a.memberId, b.memberId));

    const seconds = this.occupancy.size;
    const nowSecond = Math.min(seconds - 1, Math.floor((now - this.window.start) / 1000));
    const peak = this.occupancy.max(0, nowSecond + 1);
    const occupancy: OccupancyBucket[] = [];
    for (let from = 0; from < seconds; from += BUCKET_SECONDS) {
      occupancy.push({
        start: this.window.start + from * 1000,
        max:
          from > nowSecond
            ? null
            : this.occupancy.max(from, Math.min(from + BUCKET_SECONDS, nowSecond + 1)).value,
      });
    }

    const feed: FeedItem[] = [];
    const feedSize = options.feedSize ?? DEFAULT_FEED_SIZE;
    for (let i = this.timeline.length - 1; i >= 0 && feed.length < feedSize; i--) {
      feed.push(this.feedItem(this.timeline.at(i) as CheckinEvent, roster));
    }

    return {
      day: this.config.day,
      now,
      currentlyIn: present,
      visitsToday: this.visitsToday,
      uniqueMembersToday: this.visitsByMember.size,
      deniedToday: this.deniedToday,
      averageStayMs: this.completed > 0 ? Math.round(this.staySum / this.completed) : null,
      completedVisits: this.completed,
      autoClosedVisits: this.autoClosedFixed + this.openEndedToday - openEndedFuture,
      peak:
        peak.value > 0
          ? { count: peak.value, at: this.window.start + peak.second * 1000 }
          : { count: 0, at: null },
      occupancy,
      feed,
      flagCount: this.flags(now).length,
      problemCount: this.problems().length,
    };
  }

  /** Doubtful data for staff, today's only, oldest first. */
  flags(now: number): Flag[] {
    const flags: Flag[] = [];
    const push = (code: FlagCode, at: number, ref: EventId, memberId?: string): void => {
      if (!this.inDay(at)) return;
      flags.push(memberId === undefined ? { code, at, ref } : { code, at, ref, memberId });
    };
    for (const event of this.timeline) {
      const memberId = 'memberId' in event && event.memberId !== '' ? event.memberId : undefined;
      if (event.at !== event.recordedAt) push('clock-clamped', event.at, event.id, memberId);
      if (!event.clockTrusted) push('clock-untrusted', event.at, event.id, memberId);
      if (event.at > now + CLOCK_TOLERANCE_MS) push('future-dated', event.at, event.id, memberId);
      if (this.outcomes.get(event.id)?.kind === 'unmatched') {
        push('unmatched-check-out', event.at, event.id, memberId);
      }
      if (event.kind === 'void') {
        const target = this.events.get(event.targetId);
        if (!target) push('void-target-missing', event.at, event.id);
        else if (target.kind !== 'checkIn' && target.kind !== 'checkOut') {
          push('void-target-invalid', event.at, event.id);
        }
      }
    }
    for (const state of this.members.values()) {
      for (const visit of state.visits) {
        if (visit.voided) continue;
        if (visit.closedBy === 'reentry')
          push('closed-by-reentry', visit.start, visit.id, visit.memberId);
        if (visit.closedBy === 'auto' || (visit.end === null && visit.autoCloseAt <= now)) {
          push('auto-closed', visit.start, visit.id, visit.memberId);
        }
      }
    }
    return flags.sort(
      (a, b) => a.at - b.at || compareText(a.code, b.code) || compareText(a.ref, b.ref),
    );
  }

  /** Entries left out of the numbers, in key order ([E5]). */
  problems(): Problem[] {
    const problems = [...this.entryProblems.values()];
    for (const id of this.conflicted) {
      const chosen = this.events.get(id);
      for (const [key, variant] of this.variants.get(id) ?? []) {
        if (chosen && canonical(variant) !== canonical(chosen)) {
          problems.push({
            code: 'conflicting-duplicate',
            key,
            docDay: variant.docDay,
            container: `${variant.writer.role}:${variant.writer.id}`,
            detail: 'another entry with this id and different content was kept',
            eventId: id,
          });
        }
      }
    }
    return problems.sort(compareProblems);
  }

  /** Every visit of the loaded days, voided ones included, by start. */
  visits(): Visit[] {
    const visits: Visit[] = [];
    for (const state of this.members.values()) visits.push(...state.visits);
    return visits.sort((a, b) => a.start - b.start || compareText(a.id, b.id));
  }

  private read(entry: RawEntry): EntryRecord {
    const writer = parseWriterName(entry.container);
    const problem = (code: Problem['code'], detail: string, eventId?: string): EntryRecord => ({
      eventId: null,
      problem: {
        code,
        key: entry.key,
        docDay: entry.docDay,
        container: entry.container,
        detail,
        ...(eventId === undefined ? {} : { eventId }),
      },
    });
    if (entry.misplaced !== undefined) return problem('misplaced', entry.misplaced);
    if (!writer) return problem('misplaced', `top-level type "${entry.container}"`);
    const parsed = parseEntry(entry.value, { writer, window: this.windowOf(entry.docDay) });
    if (!parsed.ok) return problem(parsed.code, parsed.detail, parsed.eventId);
    const id = parsed.event.id;
    let variants = this.variants.get(id);
    if (!variants) {
      variants = new Map();
      this.variants.set(id, variants);
    }
    variants.set(entry.key, parsed.event);
    return { eventId: id, problem: null };
  }

  /** Brings the chosen variant of each touched id up to date, then re-pairs affected members. */
  private settle(touched: Set<EventId>): void {
    const dirty = new Set<string>();
    let everyone = false;
    const attached: CheckinEvent[] = [];
    for (const id of touched) {
      const previous = this.events.get(id);
      const chosen = this.choose(id, previous);
      if (chosen === previous) continue;
      if (previous) everyone = this.detach(previous, dirty) || everyone;
      if (chosen) {
        this.events.set(id, chosen);
        attached.push(chosen);
        everyone = this.attach(chosen, dirty) || everyone;
      } else {
        this.events.delete(id);
      }
    }
    this.timeline.insertAll(attached);
    for (const memberId of everyone ? this.members.keys() : dirty) this.repair(memberId);
  }

  /**
   * The variant every replica keeps: the one with the smallest canonical form. Identical
   * duplicates (a retried scan) are not a conflict; different content under one id is ([E2]).
   */
  private choose(id: EventId, previous: CheckinEvent | undefined): CheckinEvent | undefined {
    const variants = this.variants.get(id);
    if (!variants || variants.size === 0) {
      this.variants.delete(id);
      this.conflicted.delete(id);
      return undefined;
    }
    if (variants.size === 1) {
      this.conflicted.delete(id);
      const only = variants.values().next().value as CheckinEvent;
      return previous && canonical(previous) === canonical(only) ? previous : only;
    }
    let best: CheckinEvent | undefined;
    let bestForm = '';
    const forms = new Set<string>();
    for (const variant of variants.values()) {
      const form = canonical(variant);
      forms.add(form);
      if (best === undefined || form < bestForm) {
        best = variant;
        bestForm = form;
      }
    }
    if (forms.size > 1) this.conflicted.add(id);
    else this.conflicted.delete(id);
    return previous && canonical(previous) === bestForm ? previous : best;
  }

  /** Files an event; returns true when every member must be re-paired. */
  private attach(event: CheckinEvent, dirty: Set<string>): boolean {
    switch (event.kind) {
      case 'checkIn':
      case 'checkOut':
        this.member(event.memberId).events.push(event);
        dirty.add(event.memberId);
        return false;
      case 'denied':
        if (this.inDay(event.at)) this.deniedToday++;
        return false;
      case 'void': {
        let voids = this.voidsByTarget.get(event.targetId);
        if (!voids) {
          voids = new Set();
          this.voidsByTarget.set(event.targetId, voids);
        }
        voids.add(event.id);
        this.markTarget(event.targetId, dirty);
        return false;
      }
      case 'checkOutAll':
        this.closeAlls.insert(event);
        return true;
    }
  }

  private detach(event: CheckinEvent, dirty: Set<string>): boolean {
    this.timeline.remove(event);
    switch (event.kind) {
      case 'checkIn':
      case 'checkOut': {
        const events = this.members.get(event.memberId)?.events;
        const index = events?.indexOf(event) ?? -1;
        if (events && index >= 0) events.splice(index, 1);
        dirty.add(event.memberId);
        return false;
      }
      case 'denied':
        if (this.inDay(event.at)) this.deniedToday--;
        return false;
      case 'void': {
        const voids = this.voidsByTarget.get(event.targetId);
        voids?.delete(event.id);
        if (voids?.size === 0) this.voidsByTarget.delete(event.targetId);
        this.markTarget(event.targetId, dirty);
        return false;
      }
      case 'checkOutAll':
        this.closeAlls.remove(event);
        return true;
    }
  }

  private markTarget(targetId: EventId, dirty: Set<string>): void {
    const target = this.events.get(targetId);
    if (target && (target.kind === 'checkIn' || target.kind === 'checkOut'))
      dirty.add(target.memberId);
  }

  private member(memberId: string): MemberState {
    let state = this.members.get(memberId);
    if (!state) {
      state = { events: [], visits: [] };
      this.members.set(memberId, state);
    }
    return state;
  }

  /** Re-pairs one member and moves the difference into every aggregate. */
  private repair(memberId: string): void {
    const state = this.members.get(memberId);
    if (!state) return;
    for (const visit of state.visits) this.account(visit, -1);
    for (const event of state.events) this.outcomes.delete(event.id);
    if (state.events.length === 0) {
      this.members.delete(memberId);
      return;
    }
    const pairing = pairVisits(
      state.events,
      [...this.closeAlls],
      (id) => this.voidsByTarget.has(id),
      this.rules,
    );
    state.visits = pairing.visits;
    for (const [id, outcome] of pairing.outcomes) this.outcomes.set(id, outcome);
    for (const visit of state.visits) this.account(visit, +1);
  }

  /** Adds (+1) or removes (-1) one visit's share of every aggregate. */
  private account(visit: Visit, sign: 1 | -1): void {
    for (const id of visit.checkInIds) {
      if (sign > 0) this.visitByCheckIn.set(id, visit);
      else if (this.visitByCheckIn.get(id) === visit) this.visitByCheckIn.delete(id);
    }
    if (visit.voided) return;
    if (sign > 0) this.byEnd.insert(visit);
    else this.byEnd.remove(visit);
    this.occupancy.add(this.secondOf(visit.start), this.secondOf(effectiveEnd(visit)), sign);
    if (!this.inDay(visit.start)) return;
    this.visitsToday += sign;
    const count = (this.visitsByMember.get(visit.memberId) ?? 0) + sign;
    if (count > 0) this.visitsByMember.set(visit.memberId, count);
    else this.visitsByMember.delete(visit.memberId);
    if (visit.closedBy === 'checkOut' && visit.end !== null) {
      this.completed += sign;
      this.staySum += sign * (visit.end - visit.start);
    }
    if (visit.closedBy === 'auto') this.autoClosedFixed += sign;
    if (visit.end === null) this.openEndedToday += sign;
  }

  private feedItem(event: CheckinEvent, roster: Roster): FeedItem {
    const memberId = 'memberId' in event ? event.memberId : '';
    const outcome = this.outcomes.get(event.id);
    const visit = this.visitByCheckIn.get(
      outcome && 'visitId' in outcome ? outcome.visitId : event.id,
    );
    const base = {
      id: event.id,
      kind: event.kind,
      at: event.at,
      memberId,
      name: memberId === '' ? '' : (roster.get(memberId)?.name ?? memberId),
      writer: event.writer,
      ...(event.location === undefined ? {} : { location: event.location }),
      voided: visit?.voided ?? false,
    };
    switch (event.kind) {
      case 'denied':
        return { ...base, outcome: 'denied', reason: event.reason };
      case 'void':
        return { ...base, outcome: 'void', reason: event.reason };
      case 'checkOutAll':
        return { ...base, outcome: 'check-out-all' };
      default: {
        const kind = outcome?.kind ?? 'unmatched';
        return outcome?.kind === 'visit-end'
          ? { ...base, outcome: kind, stayMs: outcome.stayMs }
          : { ...base, outcome: kind };
      }
    }
  }

  private windowOf(day: LocalDay): DayWindow {
    let window = this.windows.get(day);
    if (!window) {
      window = dayWindow(day, this.config.timeZone);
      this.windows.set(day, window);
    }
    return window;
  }

  private inDay(at: number): boolean {
    return at >= this.window.start && at < this.window.end;
  }

  private secondOf(at: number): number {
    return Math.floor((at - this.window.start) / 1000);
  }
}

function effectiveEnd(visit: Visit): number {
  return visit.end ?? visit.autoCloseAt;
}

function compareByEnd(a: Visit, b: Visit): number {
  return effectiveEnd(a) - effectiveEnd(b) || compareText(a.id, b.id);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A stable text form of an event's content, for choosing among duplicates. */
function canonical(event: CheckinEvent): string {
  return JSON.stringify([
    event.kind,
    event.recordedAt,
    event.clockTrusted,
    event.writer.role,
    event.writer.id,
    event.method,
    event.location ?? null,
    'memberId' in event ? event.memberId : null,
    'override' in event ? event.override : null,
    'reason' in event ? event.reason : null,
    'code' in event ? event.code : null,
    'targetId' in event ? event.targetId : null,
    event.docDay,
  ]);
}
