import { type EventRef, refOf } from './eventRef';
import type { CheckinEvent } from './events';

/** What changed in a ledger since the changes were last taken (see `DayLedger.trackChanges`). */
export interface LedgerChanges {
  /** Events held now that were not, or were held as another variant or time: write them. */
  readonly upserted: readonly CheckinEvent[];
  /** Events no longer held (their entries were removed, or another writer's variant won). */
  readonly removed: readonly EventRef[];
  /** Members whose visits were paired again: their visits are to be written anew. */
  readonly members: readonly string[];
}

/**
 * The net changes of a ledger between two takes, for a record kept elsewhere (the server's SQL
 * record): each event by its ref, last state wins, and the members whose visits were re-paired.
 * Its size is bounded by what changed, never by the day.
 */
export class LedgerJournal {
  private readonly events = new Map<EventRef, CheckinEvent | null>();
  private readonly members = new Set<string>();

  attached(event: CheckinEvent): void {
    this.events.set(refOf(event), event);
  }

  detached(event: CheckinEvent): void {
    const ref = refOf(event);
    // A variant swapped for another in one settle is detached first, then attached.
    if (this.events.get(ref) !== undefined && this.events.get(ref) !== event) return;
    this.events.set(ref, null);
  }

  repaired(memberId: string): void {
    this.members.add(memberId);
  }

  take(): LedgerChanges {
    const upserted: CheckinEvent[] = [];
    const removed: EventRef[] = [];
    for (const [ref, event] of this.events) {
      if (event === null) removed.push(ref);
      else upserted.push(event);
    }
    const changes = { upserted, removed, members: [...this.members] };
    this.events.clear();
    this.members.clear();
    return changes;
  }
}
