import type { LocalDay } from '../../shared/localTime';
import { type KeyValueStore, readJson, writeJson } from './KeyValueStore';

/** One measurement of the server's clock against ours. */
export interface ClockSample {
  /** Server time minus local time, ms. */
  readonly offsetMs: number;
  readonly roundTripMs: number;
  readonly measuredAt: number;
}

/** What the clock says now, for one recording ([T1], [T5]). */
export interface ClockReading {
  /** Device time corrected by the last known server offset. */
  readonly at: number;
  /** The device clock itself: the new event id's time ([E1]). */
  readonly deviceTime: number;
  /** An offset is known, and the clock has not jumped since it was last measured. */
  readonly trusted: boolean;
  /** The clock segment, while the server's clock has not been measured in it ([T5]). */
  readonly segment?: string;
}

/** The clock entries to append after a measure: one per day that holds entries to re-time. */
export interface ClockCorrection {
  readonly segment: string;
  readonly days: readonly LocalDay[];
}

const KEY = 'headcount.clock';

/**
 * How far the wall clock may move against the monotonic clock before it counts as a jump, ms
 * ([T5]). Browsers coarsen `performance.now()` to under a millisecond and NTP slews the wall
 * clock by at most 0.5 ms/s, so 2 s between measures (every 10 min) is never drift.
 */
export const JUMP_MS = 2_000;
/** A correction is written when the measure differs from the offset used by this much, ms. */
export const CORRECTION_MS = 1_000;
/**
 * A measure whose best round trip took longer is not used, ms: its offset may be off by half the
 * round trip, enough to re-time events wrongly. The next measure (reconnect, 10 min) tries again.
 */
export const MAX_ROUND_TRIP_MS = 2_000;

/**
 * Corrects the device's clock by the server's ([T1]) and notices when its own clock jumps
 * ([T5]). Events are recorded at local time plus the last measured offset. The offset is kept
 * across reloads, so a kiosk that starts offline still records corrected times; until it has
 * measured again in this page (its clock segment), its entries carry the segment, and after a
 * jump they are untrusted too. The measure that follows says which days need a clock entry.
 */
export class ServerClock {
  private readonly store: KeyValueStore;
  private readonly localNow: () => number;
  private readonly monotonicNow: () => number;
  private sample: ClockSample | null;
  private segment = newSegmentId();
  private measured = false;
  private jumped = false;
  /** `localNow() - monotonicNow()` at the last check for a jump. */
  private baseline: number;
  /**
   * The days written in the current segment before its measure: whether an untrusted entry went
   * there, and the offsets its entries used. The measure decides from these which need a clock
   * entry.
   */
  private readonly unmeasured = new Map<LocalDay, { untrusted: boolean; offsets: Set<number> }>();
  private readonly jumpListeners = new Set<() => void>();

  constructor(
    store: KeyValueStore,
    localNow: () => number = Date.now,
    monotonicNow: () => number = () => performance.now(),
  ) {
    this.store = store;
    this.localNow = localNow;
    this.monotonicNow = monotonicNow;
    this.sample = readJson<ClockSample>(store, KEY);
    this.baseline = localNow() - monotonicNow();
  }

  /** The corrected time now, and whether it can be trusted. */
  now(): ClockReading {
    this.checkForJump();
    const local = this.localNow();
    const at = this.sample ? local + this.sample.offsetMs : local;
    const trusted = this.sample !== null && !this.jumped;
    return this.measured
      ? { at, deviceTime: local, trusted }
      : { at, deviceTime: local, trusted, segment: this.segment };
  }

  get lastSample(): ClockSample | null {
    return this.sample;
  }

  /** Calls `listener` whenever the device's clock jumps (the owner measures again at once). */
  onJump(listener: () => void): () => void {
    this.jumpListeners.add(listener);
    return () => {
      this.jumpListeners.delete(listener);
    };
  }

  /**
   * Notes that `reading` was recorded into `day`'s document, so that the measure can say whether
   * that day needs a clock entry ([T5]).
   */
  noteRecorded(reading: ClockReading, day: LocalDay): void {
    if (reading.segment !== this.segment || this.measured) return;
    let written = this.unmeasured.get(day);
    if (!written) {
      written = { untrusted: false, offsets: new Set() };
      this.unmeasured.set(day, written);
    }
    written.untrusted ||= !reading.trusted;
    written.offsets.add(reading.at - reading.deviceTime);
  }

  /**
   * Wall clock against monotonic clock: a difference past `JUMP_MS` starts a new segment,
   * untrusted until measured ([T5]). Called by `now()` and by the owner's timer.
   */
  checkForJump(): boolean {
    const baseline = this.localNow() - this.monotonicNow();
    if (Math.abs(baseline - this.baseline) <= JUMP_MS) {
      // Compared with the last check, not the last measure: a wall clock slewed by NTP while
      // offline never adds up to a false jump.
      this.baseline = baseline;
      return false;
    }
    this.baseline = baseline;
    this.segment = newSegmentId();
    this.measured = false;
    this.jumped = true;
    this.unmeasured.clear();
    for (const listener of this.jumpListeners) listener();
    return true;
  }

  /**
   * Measures `samples` times and keeps the one with the shortest round trip: its midpoint is the
   * best estimate of when the server read its clock (as NTP does, without the statistics). A jump
   * during the measure makes it worthless: it throws, and the jump's own measure follows.
   * Returns the sample and the clock entries the owner must append ([T5]).
   */
  async sync(
    serverTime: () => Promise<number>,
    samples = 3,
  ): Promise<{ sample: ClockSample; correction: ClockCorrection | null }> {
    const segment = this.segment;
    let best: ClockSample | null = null;
    for (let i = 0; i < samples; i++) {
      const sent = this.localNow();
      const server = await serverTime();
      const received = this.localNow();
      const sample = {
        offsetMs: Math.round(server - (sent + received) / 2),
        roundTripMs: received - sent,
        measuredAt: received,
      };
      if (!best || sample.roundTripMs < best.roundTripMs) best = sample;
    }
    if (this.checkForJump() || segment !== this.segment) {
      throw new Error('the device clock jumped while measuring');
    }
    const sample = best as ClockSample;
    if (sample.roundTripMs > MAX_ROUND_TRIP_MS) {
      throw new Error(`the server took ${sample.roundTripMs} ms to answer: too slow to measure`);
    }
    this.sample = sample;
    writeJson(this.store, KEY, sample);
    this.baseline = this.localNow() - this.monotonicNow();
    const days = [...this.unmeasured]
      .filter(
        ([, written]) =>
          written.untrusted ||
          [...written.offsets].some((used) => Math.abs(used - sample.offsetMs) >= CORRECTION_MS),
      )
      .map(([day]) => day);
    this.measured = true;
    this.jumped = false;
    this.unmeasured.clear();
    return { sample, correction: days.length > 0 ? { segment, days } : null };
  }
}

/** 12 random base64url characters: a clock segment id, unique per device and page ([T5]). */
function newSegmentId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_');
}

/** Asks the Headcount server for its time (`GET /api/time`). */
export function serverTimeFrom(baseUrl: string): () => Promise<number> {
  return async () => {
    const response = await fetch(new URL('/api/time', baseUrl));
    if (!response.ok) throw new Error(`time request failed: ${response.status}`);
    const { now } = (await response.json()) as { now: number };
    return now;
  };
}
