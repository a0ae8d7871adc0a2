/**
 * A deliberately plain model of SPEC.md, written apart from the production code and used only by
 * tests: quadratic loops, no incremental state, no shared helpers beyond time arithmetic. When it
 * and `deriveDay` disagree, one of them misreads the spec.
 */

export interface ModelEvent {
  id: string;
  /** The writer array it was written to, e.g. `kiosk:front`. */
  writer: string;
  kind: 'checkIn' | 'checkOut' | 'denied' | 'void' | 'checkOutAll';
  memberId: string;
  at: number;
  targetId?: string;
  /** For voids: the target's writer array, or null for a void naming the id in any array. */
  targetWriter?: string | null;
}

export interface ModelConfig {
  dayStart: number;
  dayEnd: number;
  debounceMs: number;
  maxStayMs: number;
  closings: number[];
}

export interface ModelVisit {
  memberId: string;
  start: number;
  end: number | null;
  closedBy: string | null;
  autoCloseAt: number;
}

export interface ModelResult {
  visits: ModelVisit[];
  currentlyIn: string[];
  visitsToday: number;
  uniqueMembersToday: number;
  deniedToday: number;
  completedVisits: number;
  averageStayMs: number | null;
  autoClosedVisits: number;
  peak: { count: number; at: number | null };
  occupancy: (number | null)[];
}

export function referenceModel(input: ModelEvent[], config: ModelConfig, now: number): ModelResult {
  // An event is its writer and id; the same pair again is the same event.
  const ref = (writer: string, id: string) => `${writer}/${id}`;
  const byRef = new Map<string, ModelEvent>();
  for (const event of input) byRef.set(ref(event.writer, event.id), event);
  const events = [...byRef.values()];
  const voids = events.filter((e) => e.kind === 'void');
  const voidedRefs = new Set(
    voids
      .filter((v) => v.targetWriter)
      .map((v) => ref(v.targetWriter as string, v.targetId as string)),
  );
  const voidedAnywhere = new Set(voids.filter((v) => !v.targetWriter).map((v) => v.targetId));
  const isVoided = (e: ModelEvent) =>
    voidedRefs.has(ref(e.writer, e.id)) || voidedAnywhere.has(e.id);
  const before = (a: ModelEvent, b: ModelEvent) =>
    a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : a.writer < b.writer ? -1 : 1);

  const visits: ModelVisit[] = [];
  const members = [
    ...new Set(
      events.filter((e) => e.kind === 'checkIn' || e.kind === 'checkOut').map((e) => e.memberId),
    ),
  ];
  for (const member of members) {
    const mine = events
      .filter(
        (e) =>
          e.kind === 'checkOutAll' ||
          ((e.kind === 'checkIn' || e.kind === 'checkOut') &&
            e.memberId === member &&
            !isVoided(e)),
      )
      .sort(before);
    let current: (ModelVisit & { last: number }) | null = null;
    const finish = (end: number, how: string) => {
      if (current) {
        current.end = end;
        current.closedBy = how;
      }
      current = null;
    };
    for (const e of mine) {
      if (current !== null && (current as ModelVisit).autoCloseAt < e.at) {
        finish((current as ModelVisit).autoCloseAt, 'auto');
      }
      const open = current as (ModelVisit & { last: number }) | null;
      if (e.kind === 'checkOutAll') {
        if (open && open.start < e.at) finish(e.at, 'checkOutAll');
      } else if (e.kind === 'checkIn') {
        if (open && e.at - open.last <= config.debounceMs) {
          open.last = e.at;
        } else {
          if (open) finish(e.at, 'reentry');
          let autoCloseAt = e.at + config.maxStayMs;
          const closing = config.closings.find((c) => c > e.at);
          if (closing !== undefined && closing < autoCloseAt) autoCloseAt = closing;
          const visit = {
            memberId: member,
            start: e.at,
            end: null,
            closedBy: null,
            autoCloseAt,
            last: e.at,
          };
          visits.push(visit);
          current = visit;
        }
      } else if (e.kind === 'checkOut' && open) {
        finish(e.at, 'checkOut');
      }
    }
  }
  for (const v of visits) delete (v as unknown as { last?: number }).last;
  visits.sort((a, b) => a.start - b.start || (a.memberId < b.memberId ? -1 : 1));

  const counted = visits;
  const today = counted.filter((v) => v.start >= config.dayStart && v.start < config.dayEnd);
  const completed = today.filter((v) => v.closedBy === 'checkOut');
  const endOf = (v: ModelVisit) => v.end ?? v.autoCloseAt;
  const second = (t: number) => Math.floor((t - config.dayStart) / 1000);
  const presentAt = (s: number) =>
    counted.filter((v) => second(v.start) <= s && s < second(endOf(v))).length;
  const seconds = (config.dayEnd - config.dayStart) / 1000;
  const nowSecond = Math.min(seconds - 1, second(now));

  const maxOver = (from: number, to: number) => {
    // Occupancy only rises at a visit's first second, so the maximum is at one of them or at `from`.
    let best = { count: presentAt(from), second: from };
    for (const v of counted) {
      const s = second(v.start);
      if (s > from && s < to) {
        const count = presentAt(s);
        if (count > best.count || (count === best.count && s < best.second))
          best = { count, second: s };
      }
    }
    return best;
  };

  const peak = nowSecond < 0 ? { count: 0, second: 0 } : maxOver(0, nowSecond + 1);
  const occupancy: (number | null)[] = [];
  for (let from = 0; from < seconds; from += 900) {
    occupancy.push(
      from > nowSecond ? null : maxOver(from, Math.min(from + 900, nowSecond + 1)).count,
    );
  }

  return {
    visits,
    currentlyIn: counted
      .filter((v) => v.start <= now && now < endOf(v))
      .sort((a, b) => a.start - b.start || (a.memberId < b.memberId ? -1 : 1))
      .map((v) => v.memberId),
    visitsToday: today.length,
    uniqueMembersToday: new Set(today.map((v) => v.memberId)).size,
    deniedToday: events.filter(
      (e) => e.kind === 'denied' && e.at >= config.dayStart && e.at < config.dayEnd,
    ).length,
    completedVisits: completed.length,
    averageStayMs:
      completed.length === 0
        ? null
        : Math.round(
            completed.reduce((sum, v) => sum + ((v.end as number) - v.start), 0) / completed.length,
          ),
    autoClosedVisits: today.filter(
      (v) => (v.closedBy === 'auto' || v.end === null) && v.autoCloseAt <= now,
    ).length,
    peak:
      peak.count > 0
        ? { count: peak.count, at: config.dayStart + peak.second * 1000 }
        : { count: 0, at: null },
    occupancy,
  };
}
