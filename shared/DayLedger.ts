import { ClockCorrections, isClamped, isCorrected } from './ClockCorrections';
import type { RawEntry } from './checkinsDoc';
import { clampToWindow, type EntryContext, parseEntry } from './entryCodec';
import type { EventId } from './eventId';
import { type EventRef, refOf, sameWriter } from './eventRef';
import {
  type CheckInEvent,
  type CheckinEvent,
  type CheckOutAllEvent,
  type CheckOutEvent,
  compareEvents,
  compareWriters,
  type VoidEvent,
  type Writer,
} from './events';
import { type LedgerChanges, LedgerJournal } from './LedgerJournal';
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
import { parseWriterName, writerName } from './writer';

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
  /** The id of the check-in that started the visit. */
  readonly visitId: EventId;
  /** That check-in's writer. */
  readonly writer: Writer;
  /** That check-in by writer and id, which names it unambiguously ([E2]). */
  readonly ref: EventRef;
}

/** One member at one moment, as the ledger sees them (see `DayLedger.presenceOf`). */
export interface Presence {
  readonly visit: Visit | null;
  readonly lastCheckInAt: number | null;
  readonly lastCheckOutAt: number | null;
}

export interface OccupancyBucket {
  readonly start: number;
  /** Highest occupancy within the bucket up to now; null for a bucket that has not begun. */
  readonly max: number | null;
}

export type FeedOutcome = Outcome['kind'] | 'denied' | 'void' | 'check-out-all';

export interface FeedItem {
  readonly id: EventId;
  /** The event by writer and id: what names it unambiguously ([E2]), e.g. to void it. */
  readonly ref: EventRef;
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
  /** This event was voided by staff ([V10]). */
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
  /** How many of each flag `flags(now)` would list, kept without listing them. */
  readonly flagCounts: Readonly<Record<FlagCode, number>>;
  readonly problemCount: number;
}

export const FLAG_CODES = [
  'unmatched-check-out',
  'closed-by-reentry',
  'auto-closed',
  'clock-clamped',
  'clock-untrusted',
  /** Re-timed by its writer's later clock correction ([T5]); `shiftMs` says by how much. */
  'clock-corrected',
  'future-dated',
  'void-target-missing',
  'void-target-invalid',
] as const;
export type FlagCode = (typeof FLAG_CODES)[number];

/** Something staff should look at: data that was used, but is doubtful ([SPEC] "flagged"). */
export interface Flag {
  readonly code: FlagCode;
  readonly at: number;
  /** The event, or for visit flags the visit (its first check-in), by writer and id. */
  readonly ref: EventRef;
  readonly memberId?: string;
  /** For `clock-corrected`: the corrected time minus the time the device recorded, ms ([T5]). */
  readonly shiftMs?: number;
}

export const BUCKET_SECONDS = 15 * 60;
/**
 * How far after the deriving device's now an event may be dated before it is flagged as
 * future-dated ([T3]), ms: clocks corrected by the server offset still differ by seconds.
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;
export const DEFAULT_FEED_SIZE = 50;

interface MemberState {
  readonly events: (CheckInEvent | CheckOutEvent)[];
  /** What became of `events[i]` at the last pairing (shorter while new events await one). */
  outcomes: Outcome[];
  visits: Visit[];
}

export class DayLedger {
  readonly config: DayConfig;
  readonly window: DayWindow;
  private readonly rules: PairingRules;
  private readonly windows = new Map<LocalDay, DayWindow>();
  private readonly writers = new Map<string, Writer | null>();
  private readonly contexts = new Map<LocalDay, Map<Writer, EntryContext>>();

  /**
   * Every entry held, by key: its event as recorded, or null when it is a problem. Clock
   * corrections ([T5]) are held here and in `clocks`, never in the timeline.
   */
  private readonly entries = new Map<string, CheckinEvent | null>();
  private readonly clocks = new ClockCorrections();
  /** Changes since the last `takeChanges`, when someone keeps a record of this ledger. */
  private journal: LedgerJournal | null = null;
  private readonly entryProblems = new Map<string, Problem>();
  /**
   * The keys of the entries carrying each event id, in any writer's array. An event is its
   * writer and id ([E2]), but nearly every id is held by one writer, so the maps are keyed by
   * id and split by writer only when needed: a ref string per entry would be garbage a full
   * day's derivation pays for 100 000 times (docs/BENCHMARKS.md).
   */
  private readonly keysById = new Map<EventId, string | string[]>();
  /** Ids one writer wrote with different content ([E2]). */
  private readonly conflicted = new Set<EventId>();
  /** The winning variant of each event, by id: one per writer holding the id. */
  private readonly chosen = new Map<EventId, CheckinEvent | CheckinEvent[]>();
  private readonly timeline = new SortedList<CheckinEvent>(compareEvents);
  private readonly members = new Map<string, MemberState>();
  /**
   * Voids by the id they name. Keyed by the bare id, so that a legacy void and a void naming a
   * writer are found the same way, and pairing looks up an event without building its ref.
   */
  private readonly voidsByTarget = new Map<EventId, Set<VoidEvent>>();
  private readonly closeAlls = new SortedList<CheckOutAllEvent>(compareEvents);

  private readonly byEnd = new SortedList<Visit>(compareByEnd);
  private readonly occupancy: OccupancyTree;
  private visitsToday = 0;
  private readonly visitsByMember = new Map<string, number>();
  private completed = 0;
  private staySum = 0;
  private autoClosedFixed = 0;
  private openEndedToday = 0;
  private deniedToday = 0;
  // Counters behind `flagCounts`, for events and visits of the day.
  private clampedToday = 0;
  private untrustedToday = 0;
  private correctedToday = 0;
  private unmatchedToday = 0;
  private reentryToday = 0;
  private readonly voidEvents = new Set<VoidEvent>();
  // Changes to the sorted lists, applied once per `settle` (a document load is one big batch).
  private readonly endedAdds: Visit[] = [];
  private readonly endedRemoves: Visit[] = [];

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
      const result = this.read(entry);
      if ('detail' in result) {
        this.entries.set(entry.key, null);
        this.entryProblems.set(entry.key, result);
      } else if (result.kind === 'clock') {
        this.entries.set(entry.key, result);
        for (const id of this.clocks.add(entry.key, result)) touched.add(id);
      } else {
        this.entries.set(entry.key, result);
        if (result.segment !== undefined) this.clocks.track(result);
        touched.add(result.id);
      }
    }
    this.settle(touched);
  }

  /**
   * Starts noting what changes, for a record kept from this ledger (the server's SQL record):
   * `takeChanges` then says which events to write or delete and whose visits to rewrite, in
   * proportion to what changed. Entries held before this call count as changed once.
   */
  trackChanges(): void {
    if (this.journal) return;
    this.journal = new LedgerJournal();
    for (const event of this.timeline) this.journal.attached(event);
    for (const memberId of this.members.keys()) this.journal.repaired(memberId);
  }

  /** What changed since the last call (or since `trackChanges`), and forgets it. */
  takeChanges(): LedgerChanges {
    return this.journal?.take() ?? { upserted: [], removed: [], members: [] };
  }

  /** One member's visits, in time order. */
  visitsOf(memberId: string): readonly Visit[] {
    return this.members.get(memberId)?.visits ?? [];
  }

  /** Takes out entries that were deleted from their document ([D5]). */
  remove(keys: Iterable<string>): void {
    const touched = new Set<EventId>();
    for (const key of keys) {
      const held = this.entries.get(key);
      if (held === undefined) continue;
      this.entries.delete(key);
      this.entryProblems.delete(key);
      if (held?.kind === 'clock') {
        for (const id of this.clocks.remove(key, held)) touched.add(id);
      } else if (held !== null) {
        const keys = this.keysById.get(held.id);
        if (Array.isArray(keys)) {
          const rest = keys.filter((k) => k !== key);
          this.keysById.set(held.id, rest.length === 1 ? (rest[0] as string) : rest);
        } else {
          this.keysById.delete(held.id);
        }
        touched.add(held.id);
      }
    }
    this.settle(touched);
  }

  stats(now: number, options: { roster?: Roster; feedSize?: number } = {}): DayStats {
    const roster = options.roster ?? new Map<string, RosterEntry>();
    const present: PresentMember[] = [];
    // Visits that close by themselves after now are not auto-closed yet ([V7]).
    let notYetAutoClosed = 0;
    this.byEnd.descending((visit) => {
      if (effectiveEnd(visit) <= now) return false;
      if ((visit.end === null || visit.closedBy === 'auto') && this.inDay(visit.start))
        notYetAutoClosed++;
      if (visit.start <= now) {
        present.push({
          memberId: visit.memberId,
          name: roster.get(visit.memberId)?.name ?? visit.memberId,
          since: visit.start,
          visitId: visit.id,
          writer: visit.startEvent.writer,
          ref: refOf(visit.startEvent),
        });
      }
      return true;
    });
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

    const autoClosed = this.autoClosedFixed + this.openEndedToday - notYetAutoClosed;
    const feed: FeedItem[] = [];
    const feedSize = options.feedSize ?? DEFAULT_FEED_SIZE;
    this.timeline.descending((event) => {
      if (feed.length >= feedSize) return false;
      feed.push(this.feedItem(event, roster));
      return true;
    });

    return {
      day: this.config.day,
      now,
      currentlyIn: present,
      visitsToday: this.visitsToday,
      uniqueMembersToday: this.visitsByMember.size,
      deniedToday: this.deniedToday,
      averageStayMs: this.completed > 0 ? Math.round(this.staySum / this.completed) : null,
      completedVisits: this.completed,
      autoClosedVisits: autoClosed,
      peak:
        peak.value > 0
          ? { count: peak.value, at: this.window.start + peak.second * 1000 }
          : { count: 0, at: null },
      occupancy,
      feed,
      flagCounts: this.flagCounts(now, autoClosed),
      problemCount: this.entryProblems.size + this.conflictingEntries().length,
    };
  }

  /**
   * The time of the earliest event after `now`, or null. Devices' corrected clocks differ by
   * milliseconds to seconds, so a check-in just recorded elsewhere may lie a moment ahead of this
   * device's now ([S1] counts it from its time): a screen recomputes then, not at its next tick.
   * Work is proportional to the events after `now`.
   */
  nextEventAfter(now: number): number | null {
    let next: number | null = null;
    this.timeline.descending((event) => {
      if (event.at <= now) return false;
      next = event.at;
      return true;
    });
    return next;
  }

  /** Doubtful data for staff, today's only, oldest first. */
  flags(now: number): Flag[] {
    const flags: Flag[] = [];
    const push = (code: FlagCode, at: number, ref: EventRef, memberId?: string): void => {
      if (!this.inDay(at)) return;
      flags.push(memberId === undefined ? { code, at, ref } : { code, at, ref, memberId });
    };
    const unmatched = new Set<CheckinEvent>();
    for (const state of this.members.values()) {
      state.outcomes.forEach((outcome, i) => {
        if (outcome?.kind === 'unmatched') unmatched.add(state.events[i] as CheckinEvent);
      });
    }
    for (const event of this.timeline) {
      const memberId = 'memberId' in event && event.memberId !== '' ? event.memberId : undefined;
      const ref = refOf(event);
      if (isClamped(event)) push('clock-clamped', event.at, ref, memberId);
      if (!event.clockTrusted) push('clock-untrusted', event.at, ref, memberId);
      if (isCorrected(event) && this.inDay(event.at)) {
        const flag = { code: 'clock-corrected' as const, at: event.at, ref };
        flags.push({
          ...flag,
          ...(memberId === undefined ? {} : { memberId }),
          shiftMs: event.clockShiftMs,
        });
      }
      if (event.at > now + FUTURE_TOLERANCE_MS) push('future-dated', event.at, ref, memberId);
      if (unmatched.has(event)) push('unmatched-check-out', event.at, ref, memberId);
      if (event.kind === 'void') {
        const problem = this.voidProblem(event);
        if (problem) push(problem, event.at, ref);
      }
    }
    for (const state of this.members.values()) {
      for (const visit of state.visits) {
        if (visit.closedBy === 'reentry')
          push('closed-by-reentry', visit.start, refOf(visit.startEvent), visit.memberId);
        if ((visit.closedBy === 'auto' || visit.end === null) && visit.autoCloseAt <= now) {
          push('auto-closed', visit.start, refOf(visit.startEvent), visit.memberId);
        }
      }
    }
    return flags.sort(
      (a, b) => a.at - b.at || compareText(a.code, b.code) || compareText(a.ref, b.ref),
    );
  }

  /** Entries left out of the numbers, in key order ([E5]). */
  problems(): Problem[] {
    return [...this.entryProblems.values(), ...this.conflictingEntries()].sort(compareProblems);
  }

  /**
   * What the server's record notes beside a day's rows ([R1]): how many entries of the day's
   * own document are problems, and how many flags follow from the entries alone (not
   * `auto-closed` nor `future-dated`, which depend on the time). Cheap at any size: counters,
   * and the few problems, voids and conflicts.
   */
  recordCounts(): { problems: number; flags: number } {
    let voidFlags = 0;
    for (const event of this.voidEvents) {
      if (this.inDay(event.at) && this.voidProblem(event) !== null) voidFlags++;
    }
    const flags =
      this.unmatchedToday +
      this.reentryToday +
      this.clampedToday +
      this.untrustedToday +
      this.correctedToday +
      voidFlags;
    let problems = 0;
    for (const problem of this.entryProblems.values())
      if (problem.docDay === this.config.day) problems++;
    for (const problem of this.conflictingEntries())
      if (problem.docDay === this.config.day) problems++;
    return { problems, flags };
  }

  /** The losing variants of conflicting duplicates ([E2]); conflicts are rare, so this is cheap. */
  private conflictingEntries(): Problem[] {
    const problems: Problem[] = [];
    for (const id of this.conflicted) {
      const chosen = this.chosenOf(id);
      for (const key of this.keysOf(id)) {
        const variant = this.entries.get(key) as CheckinEvent;
        const kept = chosen.find((c) => sameWriter(c.writer, variant.writer));
        if (kept && canonical(variant) !== canonical(this.recorded.get(kept) ?? kept)) {
          problems.push({
            code: 'conflicting-duplicate',
            key,
            docDay: variant.docDay,
            container: writerName(variant.writer),
            detail: 'another entry of this writer with this id and different content was kept',
            eventId: variant.id,
          });
        }
      }
    }
    return problems;
  }

  private flagCounts(now: number, autoClosed: number): Record<FlagCode, number> {
    let future = 0;
    this.timeline.descending((event) => {
      if (event.at <= now + FUTURE_TOLERANCE_MS) return false;
      if (this.inDay(event.at)) future++;
      return true;
    });
    let missing = 0;
    let invalid = 0;
    for (const event of this.voidEvents) {
      if (!this.inDay(event.at)) continue;
      const problem = this.voidProblem(event);
      if (problem === 'void-target-missing') missing++;
      if (problem === 'void-target-invalid') invalid++;
    }
    return {
      'unmatched-check-out': this.unmatchedToday,
      'closed-by-reentry': this.reentryToday,
      'auto-closed': autoClosed,
      'clock-clamped': this.clampedToday,
      'clock-untrusted': this.untrustedToday,
      'clock-corrected': this.correctedToday,
      'future-dated': future,
      'void-target-missing': missing,
      'void-target-invalid': invalid,
    };
  }

  private voidProblem(event: VoidEvent): FlagCode | null {
    const targets = this.targetsOf(event);
    if (targets.length === 0) return 'void-target-missing';
    return targets.some((t) => t.kind === 'checkIn' || t.kind === 'checkOut')
      ? null
      : 'void-target-invalid';
  }

  /**
   * The usable event with this ref (writer and id; the chosen variant of duplicates, [E2]), if
   * held.
   */
  event(ref: EventRef): CheckinEvent | undefined {
    const id = ref.slice(ref.indexOf('/') + 1);
    return this.chosenOf(id).find((event) => refOf(event) === ref);
  }

  /**
   * The held events a void names ([V10]): its target writer's event with the target id, or for
   * a void that names no writer (written before voids did) every writer's event with that id.
   */
  targetsOf(event: VoidEvent): CheckinEvent[] {
    const { targetWriter } = event;
    return this.chosenOf(event.targetId).filter(
      (target) => targetWriter === null || sameWriter(target.writer, targetWriter),
    );
  }

  private chosenOf(id: EventId): readonly CheckinEvent[] {
    const chosen = this.chosen.get(id);
    return chosen === undefined ? [] : Array.isArray(chosen) ? chosen : [chosen];
  }

  /** Every usable event held, in time order (duplicates resolved, [E2]). */
  events(): CheckinEvent[] {
    return [...this.timeline];
  }

  /**
   * Where one member stands at `now`, for the kiosk's decision at the door ([K1]): the visit they
   * are in (if any), their latest check-in scan and their latest check-out, all at or before now.
   */
  presenceOf(memberId: string, now: number): Presence {
    const state = this.members.get(memberId);
    let visit: Visit | null = null;
    let lastCheckInAt: number | null = null;
    let lastCheckOutAt: number | null = null;
    for (const [i, event] of (state?.events ?? []).entries()) {
      if (event.at > now || state?.outcomes[i]?.kind === 'voided') continue;
      if (event.kind === 'checkIn') lastCheckInAt = Math.max(lastCheckInAt ?? event.at, event.at);
      else lastCheckOutAt = Math.max(lastCheckOutAt ?? event.at, event.at);
    }
    for (const candidate of state?.visits ?? []) {
      if (candidate.start <= now && now < effectiveEnd(candidate)) visit = candidate;
    }
    return { visit, lastCheckInAt, lastCheckOutAt };
  }

  /** Every visit of the loaded days, by start (voided scans start none, [V10]). */
  visits(): Visit[] {
    const visits: Visit[] = [];
    for (const state of this.members.values()) visits.push(...state.visits);
    return visits.sort((a, b) => a.start - b.start || compareVisits(a, b));
  }

  /** Parses one entry and files its key under its event id; returns the event or the problem. */
  private read(entry: RawEntry): CheckinEvent | Problem {
    let writer = this.writers.get(entry.container);
    if (writer === undefined) {
      writer = parseWriterName(entry.container);
      this.writers.set(entry.container, writer);
    }
    if (entry.misplaced !== undefined) return entryProblem(entry, 'misplaced', entry.misplaced);
    if (!writer) return entryProblem(entry, 'misplaced', `top-level type "${entry.container}"`);
    const parsed = parseEntry(entry.value, this.contextOf(writer, entry.docDay));
    if (!parsed.ok) return entryProblem(entry, parsed.code, parsed.detail, parsed.eventId);
    // A clock correction is no event of the day: it is filed by segment, not by id ([T5]).
    if (parsed.event.kind === 'clock') return parsed.event;
    const id = parsed.event.id;
    const keys = this.keysById.get(id);
    if (keys === undefined) this.keysById.set(id, entry.key);
    else if (Array.isArray(keys)) keys.push(entry.key);
    else this.keysById.set(id, [keys, entry.key]);
    return parsed.event;
  }

  private keysOf(id: EventId): readonly string[] {
    const keys = this.keysById.get(id);
    return keys === undefined ? [] : Array.isArray(keys) ? keys : [keys];
  }

  /** Brings the chosen variants of each touched id up to date, then re-pairs affected members. */
  private settle(touched: Set<EventId>): void {
    const dirty = new Set<string>();
    let everyone = false;
    const attached: CheckinEvent[] = [];
    const detached: CheckinEvent[] = [];
    for (const id of touched) {
      const held = this.chosen.get(id);
      const chosen = this.choose(id, held);
      if (chosen === held) continue;
      const previous = held === undefined ? [] : Array.isArray(held) ? held : [held];
      const next = chosen === undefined ? [] : Array.isArray(chosen) ? chosen : [chosen];
      for (const event of previous) {
        if (next.includes(event)) continue;
        detached.push(event);
        this.journal?.detached(event);
        everyone = this.detach(event, dirty) || everyone;
      }
      if (chosen === undefined) this.chosen.delete(id);
      else this.chosen.set(id, chosen);
      for (const event of next) {
        if (previous.includes(event)) continue;
        attached.push(event);
        this.journal?.attached(event);
        everyone = this.attach(event, dirty) || everyone;
      }
    }
    this.timeline.removeAll(detached);
    this.timeline.insertAll(attached);
    for (const memberId of everyone ? [...this.members.keys()] : dirty) this.repair(memberId);
    this.byEnd.removeAll(this.endedRemoves.splice(0));
    this.byEnd.insertAll(this.endedAdds.splice(0));
  }

  /**
   * The variants every replica keeps, one per writer holding the id: each writer's entry with
   * the smallest canonical form. Identical duplicates (a retried scan) are not a conflict;
   * different content from one writer under one id is ([E2]). Another writer's entry with the id
   * is another event. Returns `held` itself when nothing changed, and keeps a held variant
   * object when its content is still the one chosen (no needless re-pairing).
   */
  private choose(
    id: EventId,
    held: CheckinEvent | CheckinEvent[] | undefined,
  ): CheckinEvent | CheckinEvent[] | undefined {
    const keys = this.keysById.get(id);
    if (keys === undefined) {
      this.conflicted.delete(id);
      return undefined;
    }
    if (!Array.isArray(keys)) {
      this.conflicted.delete(id);
      const only = this.retime(this.entries.get(keys) as CheckinEvent);
      return held && !Array.isArray(held) && sameContent(held, only) ? held : only;
    }
    const best: { event: CheckinEvent; form: string; conflict: boolean }[] = [];
    // Duplicates are told apart as written: a correction re-times the chosen one, never hides a
    // conflict ([E2], [T5]).
    for (const key of keys) {
      const variant = this.entries.get(key) as CheckinEvent;
      const form = canonical(variant);
      const mine = best.find((b) => sameWriter(b.event.writer, variant.writer));
      if (!mine) best.push({ event: variant, form, conflict: false });
      else if (form !== mine.form) {
        // Any second form differs from the smallest seen so far.
        mine.conflict = true;
        if (form < mine.form) {
          mine.event = variant;
          mine.form = form;
        }
      }
    }
    if (best.some((b) => b.conflict)) this.conflicted.add(id);
    else this.conflicted.delete(id);
    const previous = held === undefined ? [] : Array.isArray(held) ? held : [held];
    const chosen = best.map(({ event }) => {
      const next = this.retime(event);
      const form = canonical(next);
      return (
        previous.find((p) => sameWriter(p.writer, next.writer) && canonical(p) === form) ?? next
      );
    });
    if (chosen.length === previous.length && chosen.every((c) => previous.includes(c))) return held;
    return chosen.length === 1 ? chosen[0] : chosen;
  }

  /** Counts an event's own flags (clock) in or out. */
  private countEventFlags(event: CheckinEvent, sign: 1 | -1): void {
    if (!this.inDay(event.at)) return;
    if (isClamped(event)) this.clampedToday += sign;
    if (!event.clockTrusted) this.untrustedToday += sign;
    if (isCorrected(event)) this.correctedToday += sign;
  }

  /** Files an event; returns true when every member must be re-paired. */
  private attach(event: CheckinEvent, dirty: Set<string>): boolean {
    this.countEventFlags(event, 1);
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
        voids.add(event);
        this.voidEvents.add(event);
        this.markTargets(event, dirty);
        return false;
      }
      case 'checkOutAll':
        this.closeAlls.insert(event);
        this.closeAllCache = null;
        return true;
      case 'clock':
        return false;
    }
  }

  private detach(event: CheckinEvent, dirty: Set<string>): boolean {
    this.countEventFlags(event, -1);
    switch (event.kind) {
      case 'checkIn':
      case 'checkOut': {
        const state = this.members.get(event.memberId);
        const index = state?.events.indexOf(event) ?? -1;
        if (state && index >= 0) {
          this.countUnmatched(event, state.outcomes[index], -1);
          state.events.splice(index, 1);
          if (index < state.outcomes.length) state.outcomes.splice(index, 1);
        }
        dirty.add(event.memberId);
        return false;
      }
      case 'denied':
        if (this.inDay(event.at)) this.deniedToday--;
        return false;
      case 'void': {
        const voids = this.voidsByTarget.get(event.targetId);
        voids?.delete(event);
        this.voidEvents.delete(event);
        if (voids?.size === 0) this.voidsByTarget.delete(event.targetId);
        this.markTargets(event, dirty);
        return false;
      }
      case 'checkOutAll':
        this.closeAlls.remove(event);
        this.closeAllCache = null;
        return true;
      case 'clock':
        return false;
    }
  }

  /**
   * Marks the members whose events a void names for re-pairing. A target that arrives later is
   * marked when it is attached; pairing then finds the void by the target's id.
   */
  private markTargets(event: VoidEvent, dirty: Set<string>): void {
    for (const target of this.targetsOf(event)) {
      if (target.kind === 'checkIn' || target.kind === 'checkOut') dirty.add(target.memberId);
    }
  }

  private member(memberId: string): MemberState {
    let state = this.members.get(memberId);
    if (!state) {
      state = { events: [], outcomes: [], visits: [] };
      this.members.set(memberId, state);
    }
    return state;
  }

  /** Re-pairs one member and moves the difference into every aggregate. */
  private repair(memberId: string): void {
    const state = this.members.get(memberId);
    if (!state) return;
    this.journal?.repaired(memberId);
    for (const visit of state.visits) this.account(visit, -1);
    state.outcomes.forEach((outcome, i) => {
      this.countUnmatched(state.events[i], outcome, -1);
    });
    if (state.events.length === 0) {
      this.members.delete(memberId);
      return;
    }
    const pairing = pairVisits(state.events, this.closeAllList(), this.isVoided, this.rules);
    state.visits = pairing.visits;
    state.outcomes = pairing.outcomes;
    state.outcomes.forEach((outcome, i) => {
      this.countUnmatched(state.events[i], outcome, 1);
    });
    for (const visit of state.visits) this.account(visit, +1);
  }

  /** Voided by a void naming its writer, or by a legacy void naming only its id ([V10]). */
  private readonly isVoided = (event: CheckinEvent): boolean => {
    const voids = this.voidsByTarget.get(event.id);
    if (voids === undefined) return false;
    for (const v of voids) {
      if (v.targetWriter === null || sameWriter(v.targetWriter, event.writer)) return true;
    }
    return false;
  };
  private closeAllCache: CheckOutAllEvent[] | null = null;

  private closeAllList(): CheckOutAllEvent[] {
    this.closeAllCache ??= [...this.closeAlls];
    return this.closeAllCache;
  }

  private countUnmatched(
    event: CheckinEvent | undefined,
    outcome: Outcome | undefined,
    sign: 1 | -1,
  ): void {
    if (event && outcome?.kind === 'unmatched' && this.inDay(event.at)) this.unmatchedToday += sign;
  }

  /** What became of a check-in or check-out at its member's last pairing. */
  private outcomeOf(event: CheckinEvent): Outcome | undefined {
    if (event.kind !== 'checkIn' && event.kind !== 'checkOut') return undefined;
    const state = this.members.get(event.memberId);
    return state?.outcomes[state.events.indexOf(event)];
  }

  /** Adds (+1) or removes (-1) one visit's share of every aggregate. */
  private account(visit: Visit, sign: 1 | -1): void {
    (sign > 0 ? this.endedAdds : this.endedRemoves).push(visit);
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
    if (visit.closedBy === 'reentry') this.reentryToday += sign;
    if (visit.end === null) this.openEndedToday += sign;
  }

  private feedItem(event: CheckinEvent, roster: Roster): FeedItem {
    const memberId = 'memberId' in event ? event.memberId : '';
    const outcome = this.outcomeOf(event);
    const base = {
      id: event.id,
      ref: refOf(event),
      kind: event.kind,
      at: event.at,
      memberId,
      name: memberId === '' ? '' : (roster.get(memberId)?.name ?? memberId),
      writer: event.writer,
      ...(event.location === undefined ? {} : { location: event.location }),
      voided: this.isVoided(event),
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

  /** An event as held, re-timed by its writer's clock correction if one applies ([T5]). */
  private retime(event: CheckinEvent): CheckinEvent {
    if (event.segment === undefined) return event;
    const retimed = this.clocks.retime(event, this.clampToDay);
    if (retimed !== event) this.recorded.set(retimed, event);
    return retimed;
  }

  /** The entry as recorded, for each re-timed event (conflicts compare what was written). */
  private readonly recorded = new WeakMap<CheckinEvent, CheckinEvent>();

  private readonly clampToDay = (at: number, docDay: LocalDay): number =>
    clampToWindow(at, this.windowOf(docDay));

  /** One parse context per writer and day, so parsing a day allocates none. */
  private contextOf(writer: Writer, day: LocalDay): EntryContext {
    let byWriter = this.contexts.get(day);
    if (!byWriter) {
      byWriter = new Map();
      this.contexts.set(day, byWriter);
    }
    let context = byWriter.get(writer);
    if (!context) {
      context = { writer, window: this.windowOf(day) };
      byWriter.set(writer, context);
    }
    return context;
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

function entryProblem(
  entry: RawEntry,
  code: Problem['code'],
  detail: string,
  eventId?: string,
): Problem {
  return {
    code,
    key: entry.key,
    docDay: entry.docDay,
    container: entry.container,
    detail,
    ...(eventId === undefined ? {} : { eventId }),
  };
}

function effectiveEnd(visit: Visit): number {
  return visit.end ?? visit.autoCloseAt;
}

function compareByEnd(a: Visit, b: Visit): number {
  return effectiveEnd(a) - effectiveEnd(b) || compareVisits(a, b);
}

/** Visits by their check-in's id, then writer: two writers' check-ins may share an id ([E2]). */
function compareVisits(a: Visit, b: Visit): number {
  return compareText(a.id, b.id) || compareWriters(a.startEvent.writer, b.startEvent.writer);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A stable text form of an event's content, for choosing among one writer's duplicates of an id
 * ([E2]). The writer is left out: it is the same for every variant. Another writer's entry with
 * the id is another event, so a kiosk cannot replace a correction (or anyone's check-in) by
 * reusing its id, and no variant needs precedence.
 */
function sameContent(a: CheckinEvent, b: CheckinEvent): boolean {
  return sameWriter(a.writer, b.writer) && canonical(a) === canonical(b);
}

function canonical(event: CheckinEvent): string {
  return JSON.stringify([
    event.kind,
    event.recordedAt,
    event.clockTrusted,
    event.method,
    event.location ?? null,
    'memberId' in event ? event.memberId : null,
    'override' in event ? event.override : null,
    'reason' in event ? event.reason : null,
    'code' in event ? event.code : null,
    'targetId' in event ? event.targetId : null,
    'targetWriter' in event && event.targetWriter
      ? [event.targetWriter.role, event.targetWriter.id]
      : null,
    'corrects' in event ? (event.corrects ?? null) : null,
    event.docDay,
    event.segment ?? null,
    event.clockShiftMs ?? null,
  ]);
}
