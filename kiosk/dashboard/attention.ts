import { FLAG_CODES, type Flag, type FlagCode } from '../../shared/DayLedger';
import type { EventRef } from '../../shared/eventRef';
import type { CheckinEvent, Writer } from '../../shared/events';
import { addDays, instantAt, type LocalDay, parseClockTime } from '../../shared/localTime';
import { autoCloseTime } from '../../shared/pairVisits';
import { PROBLEM_CODES, type Problem, type ProblemCode } from '../../shared/problems';
import type { SiteSettings } from '../../shared/siteDoc';
import { parseWriterName } from '../../shared/writer';
import { formatClock, formatWhen } from '../formatting';
import { type WriterNames, writerLabel } from './writerLabel';

/**
 * "Needs attention": every flag and problem of the open days ([E5], [T1]–[T3], [T5], [V4],
 * [V6], [V7], [V10]) in a front desk's words, grouped — clock trouble per kiosk, the rest per
 * kind — with the member, the device and the time, and the correction that resolves it where
 * one does. Pure, and never throws on data: an unknown member, device or event gets plainer
 * words, not an error.
 */

/** What the words need: names of members and devices, the site's clock rules, the events. */
export interface AttentionContext extends WriterNames {
  readonly settings: Pick<SiteSettings, 'timeZone' | 'maxStayMinutes' | 'closingTime'>;
  readonly members: ReadonlyMap<string, { readonly name: string }>;
  /** The event a flag names, when the dashboard holds it. */
  readonly event: (ref: EventRef) => CheckinEvent | undefined;
  /** Today, in the site's zone. */
  readonly day: LocalDay;
  /** The moment the flags were derived for. */
  readonly now: number;
}

/** The correction that resolves an item: void the event ([V10], [B2]). */
export interface AttentionAction {
  readonly kind: 'void';
  readonly ref: EventRef;
  /** The button's accessible name, e.g. "Void Ana's check-out at 14:05". */
  readonly label: string;
}

export interface AttentionItem {
  /** Unique within the list (the flag's code and event, or the problem's entry). */
  readonly key: string;
  readonly text: string;
  /** When: a time today, or which day's records. */
  readonly when: string;
  /** Which kiosk (or staff member) wrote it. */
  readonly where: string;
  readonly action: AttentionAction | null;
}

export interface AttentionGroup {
  readonly key: string;
  readonly code: FlagCode | ProblemCode;
  /** One sentence saying what happened, e.g. "Door B's clock was 3 h ahead; …". */
  readonly title: string;
  /** What to do about it, or why nothing needs doing; null when the title says it all. */
  readonly advice: string | null;
  readonly items: readonly AttentionItem[];
}

/** The flags and problems, grouped and worded, in a fixed order: flags first, by kind. */
export function attentionList(
  flags: readonly Flag[],
  problems: readonly Problem[],
  context: AttentionContext,
): AttentionGroup[] {
  const byKey = new Map<string, { code: FlagCode; writer: Writer | null; flags: Flag[] }>();
  for (const flag of flags) {
    const writer = writerOfRef(flag.ref);
    const perDevice = FLAG_WORDS[flag.code]?.perDevice ?? false;
    const key = perDevice ? `${flag.code}|${String(flag.ref).split('/')[0]}` : flag.code;
    let group = byKey.get(key);
    if (!group) {
      group = { code: flag.code, writer, flags: [] };
      byKey.set(key, group);
    }
    group.flags.push(flag);
  }
  const flagGroups = [...byKey.entries()]
    .filter(([, group]) => FLAG_WORDS[group.code] !== undefined)
    .sort(
      ([, a], [, b]) =>
        FLAG_CODES.indexOf(a.code) - FLAG_CODES.indexOf(b.code) ||
        earliest(a.flags) - earliest(b.flags),
    )
    .map(([key, group]): AttentionGroup => {
      const words = FLAG_WORDS[group.code];
      const events = group.flags.map((flag) => context.event(flag.ref));
      const { title, advice } = words.group(
        { flags: group.flags, events, writer: group.writer },
        context,
      );
      return {
        key,
        code: group.code,
        title,
        advice,
        items: group.flags.map((flag, i) => flagItem(flag, events[i], words, context)),
      };
    });

  const problemGroups: AttentionGroup[] = [];
  for (const code of PROBLEM_CODES) {
    const listed = problems.filter((p) => p.code === code);
    if (listed.length === 0) continue;
    const words = PROBLEM_WORDS[code];
    problemGroups.push({
      key: code,
      code,
      title: capitalize(words.title(listed.length)),
      advice: words.advice,
      items: listed.map((problem) => ({
        key: `${problem.code}|${problem.key}`,
        text: capitalize(problem.detail),
        when: dayWords(problem.docDay, context.day),
        where: containerLabel(problem.container, context),
        action: null,
      })),
    });
  }
  return [...flagGroups, ...problemGroups];
}

// The words. A Record over every code: a new flag or problem code does not compile without them.

interface FlagGroupFacts {
  readonly flags: readonly Flag[];
  /** The event each flag names, where held. */
  readonly events: readonly (CheckinEvent | undefined)[];
  /** The writer of the flagged events, for groups per device. */
  readonly writer: Writer | null;
}

interface FlagWords {
  /** One group per device that wrote the events (clock trouble), else one per code. */
  readonly perDevice: boolean;
  readonly group: (
    facts: FlagGroupFacts,
    context: AttentionContext,
  ) => { title: string; advice: string | null };
  /** What one flagged event or visit was, e.g. "Ana checked out without a check-in". */
  readonly item: (flag: Flag, event: CheckinEvent | undefined, context: AttentionContext) => string;
  /** Whether voiding the flagged event resolves the flag (the void leaves it out of pairing). */
  readonly voidResolves: boolean;
}

const FLAG_WORDS: Record<FlagCode, FlagWords> = {
  'unmatched-check-out': {
    perDevice: false,
    group: ({ flags }) => ({
      title:
        flags.length === 1
          ? 'A check-out without a check-in'
          : `${flags.length} check-outs without a check-in`,
      advice:
        'If the check-in is on a kiosk that has not synced yet, this clears itself when it does. If the check-out was a mistake, void it.',
    }),
    item: (flag, _event, context) => `${memberOf(flag, context)} checked out without a check-in`,
    voidResolves: true,
  },
  'closed-by-reentry': {
    perDevice: false,
    group: ({ flags }) => ({
      title:
        flags.length === 1
          ? 'A member checked in again without checking out'
          : `${flags.length} times a member checked in again without checking out`,
      advice: 'When they left is unknown, so these visits are left out of the average stay.',
    }),
    item: (flag, _event, context) =>
      `${memberOf(flag, context)} checked in again without checking out; the visit from ${clock(flag.at, context)} has no known end`,
    voidResolves: false,
  },
  'auto-closed': {
    perDevice: false,
    group: ({ flags }) => ({
      title:
        flags.length === 1
          ? 'A visit was never checked out'
          : `${flags.length} visits were never checked out`,
      advice: 'They closed by themselves and are left out of the average stay.',
    }),
    item: (flag, _event, context) => {
      const closed = autoCloseAt(flag.at, context);
      return `${memberOf(flag, context)} never checked out; visit closed automatically${
        closed === null ? '' : ` at ${clock(closed, context)}`
      }`;
    },
    voidResolves: false,
  },
  'clock-clamped': {
    perDevice: true,
    group: ({ flags, events, writer }, context) => ({
      title: `${capitalize(possessive(deviceOf(writer, context)))} clock was far off: ${its(events)} ${flags.length === 1 ? 'was' : 'were'} dated outside today and counted at the edge of the day`,
      advice: "Check the device's date and time.",
    }),
    item: (flag, event, context) => {
      const said = event && event.recordedAt !== event.at ? event.recordedAt : null;
      return `${whatHappened(flag, event, context)}${said === null ? '' : `; its clock said ${fullDate(said, context)}`}`;
    },
    voidResolves: false,
  },
  'clock-untrusted': {
    perDevice: true,
    group: ({ flags, events, writer }, context) => ({
      title: `${capitalize(possessive(deviceOf(writer, context)))} clock was not set when it recorded ${counted(events)}; ${flags.length === 1 ? 'its time' : 'their times'} may be wrong`,
      advice: 'A device sets its clock when it reaches the server.',
    }),
    item: (flag, event, context) => whatHappened(flag, event, context),
    voidResolves: false,
  },
  'clock-corrected': {
    perDevice: true,
    group: ({ flags, events, writer }, context) => ({
      title: `${capitalize(possessive(deviceOf(writer, context)))} clock was ${shiftWords(flags)}; ${its(events)} ${flags.length === 1 ? 'was' : 'were'} moved to the server's time`,
      advice: 'Nothing to do: the numbers use the corrected times.',
    }),
    item: (flag, event, context) => {
      const shift = flag.shiftMs;
      return `${whatHappened(flag, event, context)}${
        typeof shift === 'number' && Number.isFinite(shift) && shift !== 0
          ? `; its clock said ${when(flag.at - shift, context)}`
          : ''
      }`;
    },
    voidResolves: false,
  },
  'future-dated': {
    perDevice: true,
    group: ({ events, writer }, context) => ({
      title: `${capitalize(deviceOf(writer, context))} recorded ${counted(events)} dated later than now; its clock may be fast`,
      advice: "They count from that time. Check the device's clock.",
    }),
    item: (flag, event, context) => whatHappened(flag, event, context),
    voidResolves: false,
  },
  'void-target-missing': {
    perDevice: false,
    group: ({ flags }) => ({
      title:
        flags.length === 1
          ? 'A void waits for the entry it voids'
          : `${flags.length} voids wait for the entries they void`,
      advice: 'A void takes effect when the entry arrives, once the device that wrote it syncs.',
    }),
    item: (_flag, event, context) => {
      if (event?.kind !== 'void') return 'A void names an entry that has not arrived';
      const from =
        event.targetWriter === null ? '' : ` from ${deviceOf(event.targetWriter, context)}`;
      return `${capitalize(writerLabel(context, event.writer))} voided an entry${from} that has not arrived: “${event.reason}”`;
    },
    voidResolves: false,
  },
  'void-target-invalid': {
    perDevice: false,
    group: ({ flags }) => ({
      title: flags.length === 1 ? 'A void had no effect' : `${flags.length} voids had no effect`,
      advice: 'Only check-ins and check-outs can be voided.',
    }),
    item: (_flag, event, context) =>
      event?.kind === 'void'
        ? `${capitalize(writerLabel(context, event.writer))} voided an entry that is not a check-in or check-out: “${event.reason}”`
        : 'A void named an entry that is not a check-in or check-out',
    voidResolves: false,
  },
};

interface ProblemWords {
  readonly title: (count: number) => string;
  readonly advice: string;
}

/** Entries left out of the numbers ([E4]–[E6], [D4], [E2]). */
const PROBLEM_WORDS: Record<ProblemCode, ProblemWords> = {
  malformed: {
    title: (n) =>
      n === 1
        ? 'an entry could not be read and was left out'
        : `${n} entries could not be read and were left out`,
    advice: 'A device wrote something broken. Tell whoever looks after Headcount.',
  },
  'unknown-kind': {
    title: (n) =>
      n === 1
        ? 'an entry of a kind this version does not know was left out'
        : `${n} entries of a kind this version does not know were left out`,
    advice: 'Probably written by a newer version: update this device (reload the page).',
  },
  'unsupported-version': {
    title: (n) =>
      n === 1
        ? 'an entry was written by a newer version — update this device'
        : `${n} entries were written by a newer version — update this device`,
    advice: 'Reload the page to get the newest version; until then they are left out.',
  },
  'not-permitted': {
    title: (n) =>
      n === 1
        ? 'a kiosk wrote a correction, which was ignored'
        : `${n} corrections written by kiosks were ignored`,
    advice: 'Only staff can void or check everyone out.',
  },
  misplaced: {
    title: (n) =>
      n === 1
        ? "something was in the wrong place in the day's records and was ignored"
        : `${n} things were in the wrong place in the day's records and were ignored`,
    advice: 'A device wrote outside its own list. Tell whoever looks after Headcount.',
  },
  'conflicting-duplicate': {
    title: (n) =>
      n === 1
        ? 'an entry was written twice with different content; one version was kept'
        : `${n} entries were written twice with different content; one version of each was kept`,
    advice: 'Every device keeps the same version. Tell whoever looks after Headcount.',
  },
};

function flagItem(
  flag: Flag,
  event: CheckinEvent | undefined,
  words: FlagWords,
  context: AttentionContext,
): AttentionItem {
  const writer = writerOfRef(flag.ref);
  const text = words.item(flag, event, context);
  const voidable = words.voidResolves && (event?.kind === 'checkIn' || event?.kind === 'checkOut');
  return {
    key: `${flag.code}|${flag.ref}`,
    text,
    when: when(flag.at, context),
    where: writer === null ? 'unknown device' : writerLabel(context, writer),
    action: voidable
      ? {
          kind: 'void',
          ref: flag.ref,
          label: `Void ${possessive(memberOf(flag, context))} ${
            event.kind === 'checkIn' ? 'check-in' : 'check-out'
          } at ${clock(flag.at, context)}`,
        }
      : null,
  };
}

/** What the flagged event was, e.g. "Ana checked in", "Unknown card refused". */
function whatHappened(flag: Flag, event: CheckinEvent | undefined, context: AttentionContext) {
  switch (event?.kind) {
    case 'checkIn':
      return `${memberOf(flag, context)} checked in`;
    case 'checkOut':
      return `${memberOf(flag, context)} checked out`;
    case 'denied':
      return `${event.memberId ? memberOf(flag, context) : 'Unknown card'} refused`;
    case 'void':
      return `${capitalize(writerLabel(context, event.writer))} voided an entry`;
    case 'checkOutAll':
      return `${capitalize(writerLabel(context, event.writer))} checked everyone out`;
    default:
      // Not held (yet), or a kind these words do not name.
      return flag.memberId ? `An entry of ${memberOf(flag, context)}` : 'An entry';
  }
}

/** Nouns for a count of events by kind; any other kind (or none held) is an "entry". */
const NOUNS: Readonly<Record<string, readonly [string, string]>> = {
  checkIn: ['check-in', 'check-ins'],
  checkOut: ['check-out', 'check-outs'],
  denied: ['refused entry', 'refused entries'],
  void: ['correction', 'corrections'],
  checkOutAll: ['correction', 'corrections'],
};
const ENTRY = ['entry', 'entries'] as const;

function nounOf(event: CheckinEvent | undefined): readonly [string, string] {
  return (event && Object.hasOwn(NOUNS, event.kind) ? NOUNS[event.kind] : undefined) ?? ENTRY;
}

/** "4 check-ins", "3 check-ins and 1 check-out", "a check-in". */
function counted(events: readonly (CheckinEvent | undefined)[]): string {
  if (events.length === 1) return `${article(nounOf(events[0])[0])} ${nounOf(events[0])[0]}`;
  const counts = new Map<string, { n: number; noun: readonly [string, string] }>();
  for (const event of events) {
    const noun = nounOf(event);
    const entry = counts.get(noun[0]) ?? { n: 0, noun };
    entry.n++;
    counts.set(noun[0], entry);
  }
  const parts = [...counts.values()].map(({ n, noun }) => `${n} ${n === 1 ? noun[0] : noun[1]}`);
  return parts.length === 1
    ? (parts[0] as string)
    : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** "its check-in", "its 4 check-ins". */
function its(events: readonly (CheckinEvent | undefined)[]): string {
  return events.length === 1 ? `its ${nounOf(events[0])[0]}` : `its ${counted(events)}`;
}

/** "3 h ahead", "up to 10 min behind", "wrong": what the corrections say of the clock. */
function shiftWords(flags: readonly Flag[]): string {
  const shifts = flags
    .map((f) => f.shiftMs)
    .filter((s): s is number => typeof s === 'number' && Number.isFinite(s) && s !== 0);
  if (shifts.length === 0) return 'wrong';
  // Corrected minus recorded: a clock that ran ahead recorded later than the server's time.
  const ahead = shifts.every((s) => s < 0);
  const behind = shifts.every((s) => s > 0);
  const sizes = shifts.map((s) => formatOffset(Math.abs(s)));
  const largest = formatOffset(Math.max(...shifts.map(Math.abs)));
  const amount = sizes.every((s) => s === sizes[0]) ? largest : `up to ${largest}`;
  return ahead ? `${amount} ahead` : behind ? `${amount} behind` : `wrong by ${amount}`;
}

/** A clock's error in round words: `40 s`, `12 min`, `3 h`, `3 h 20 min`, `2 days`. */
export function formatOffset(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const days = Math.round(minutes / 1440);
  if (days >= 2) return `${days} days`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

/** When a visit starting at `start` closed by itself ([V7]), or null if that cannot be said. */
function autoCloseAt(start: number, context: AttentionContext): number | null {
  try {
    const { maxStayMinutes, closingTime, timeZone } = context.settings;
    const minutes = parseClockTime(closingTime);
    const closings =
      minutes === null
        ? []
        : [-1, 0, 1].map((d) => instantAt(addDays(context.day, d), minutes, timeZone));
    const at = autoCloseTime(start, {
      debounceMs: 0,
      maxStayMs: maxStayMinutes * 60_000,
      closings,
    });
    return Number.isFinite(at) ? at : null;
  } catch {
    return null;
  }
}

function memberOf(flag: Flag, context: AttentionContext): string {
  const id = flag.memberId;
  if (id === undefined) return 'Someone';
  return context.members.get(id)?.name ?? id;
}

/** The writer array a ref names, or null. */
function writerOfRef(ref: EventRef): Writer | null {
  return typeof ref === 'string' ? parseWriterName(ref.split('/')[0] ?? '') : null;
}

/** The device a writer wrote from: a kiosk's name, "your phone", "ana's phone". */
function deviceOf(writer: Writer | null, context: AttentionContext): string {
  if (writer === null) return 'a device';
  if (writer.role === 'kiosk') {
    return context.devices.find((d) => d.id === writer.id)?.name ?? 'a kiosk';
  }
  if (writer.id === context.staff?.id) return 'your phone';
  const name = context.staffName(writer.id);
  return name ? `${name}'s phone` : "a staff member's phone";
}

/** Where a problem's entry sits: its writer, or the top-level type's name. */
function containerLabel(container: string, context: AttentionContext): string {
  const writer = parseWriterName(container);
  return writer ? writerLabel(context, writer) : `“${container}”`;
}

function dayWords(docDay: string, today: LocalDay): string {
  if (docDay === today) return "today's records";
  try {
    if (docDay === addDays(today, -1)) return "yesterday's records";
  } catch {
    // Not a day: named as it is.
  }
  return `records of ${docDay}`;
}

function clock(at: number, context: AttentionContext): string {
  return Number.isFinite(at) ? formatClock(at, context.settings.timeZone) : 'an unknown time';
}

function when(at: number, context: AttentionContext): string {
  return Number.isFinite(at)
    ? formatWhen(at, context.now, context.settings.timeZone)
    : 'an unknown time';
}

/** A date far from today, as a clock reset to 2030 gives: "1 Jan 2030, 09:00". */
function fullDate(at: number, context: AttentionContext): string {
  if (!Number.isFinite(at)) return 'an unknown time';
  try {
    return new Date(at).toLocaleString([], {
      timeZone: context.settings.timeZone,
      dateStyle: 'medium',
      timeStyle: 'short',
    });
  } catch {
    return new Date(at).toISOString();
  }
}

function earliest(flags: readonly Flag[]): number {
  return flags.reduce((min, f) => Math.min(min, f.at), Number.POSITIVE_INFINITY);
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? 'an' : 'a';
}

function possessive(name: string): string {
  return `${name}'s`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
