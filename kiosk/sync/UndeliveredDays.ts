import { isLocalDay } from '../../shared/localTime';
import { type KeyValueStore, readJson, writeJson } from '../device/KeyValueStore';

/**
 * The days in which this device wrote entries the server has not acknowledged yet ([D6]), kept
 * in the device's own storage across reloads. A day is added the moment something is written
 * into it and removed only once the server has acknowledged everything of this device in it.
 */
export class UndeliveredDays {
  private readonly store: KeyValueStore;
  private readonly key: string;
  private held: Set<string>;

  constructor(store: KeyValueStore, key: string) {
    this.store = store;
    this.key = key;
    const stored = readJson<unknown>(store, key);
    // Anything unreadable is ignored: the open days are checked on every start anyway.
    this.held = new Set(
      Array.isArray(stored)
        ? stored.filter((day): day is string => typeof day === 'string' && isLocalDay(day))
        : [],
    );
  }

  days(): string[] {
    return [...this.held].sort();
  }

  has(day: string): boolean {
    return this.held.has(day);
  }

  add(day: string): void {
    if (this.held.has(day)) return;
    this.held.add(day);
    this.save();
  }

  remove(day: string): void {
    if (!this.held.delete(day)) return;
    this.save();
  }

  private save(): void {
    writeJson(this.store, this.key, this.days());
  }
}
