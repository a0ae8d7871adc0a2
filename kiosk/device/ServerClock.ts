import { type KeyValueStore, readJson, writeJson } from './KeyValueStore';

/** One measurement of the server's clock against ours. */
export interface ClockSample {
  /** Server time minus local time, ms. */
  readonly offsetMs: number;
  readonly roundTripMs: number;
  readonly measuredAt: number;
}

const KEY = 'headcount.clock';

/**
 * Corrects the tablet's clock by the server's ([T1]). A tablet's own clock can be minutes or
 * years off; events are recorded at local time plus the last measured offset, and flagged
 * untrusted until a first measurement succeeded. The offset is kept across reloads, so a kiosk
 * that starts offline still records corrected times.
 */
export class ServerClock {
  private readonly store: KeyValueStore;
  private readonly localNow: () => number;
  private sample: ClockSample | null;

  constructor(store: KeyValueStore, localNow: () => number = Date.now) {
    this.store = store;
    this.localNow = localNow;
    this.sample = readJson<ClockSample>(store, KEY);
  }

  /** The corrected time now, and whether a server offset is known. */
  now(): { at: number; trusted: boolean } {
    const local = this.localNow();
    return this.sample
      ? { at: local + this.sample.offsetMs, trusted: true }
      : { at: local, trusted: false };
  }

  get lastSample(): ClockSample | null {
    return this.sample;
  }

  /**
   * Measures `samples` times and keeps the one with the shortest round trip: its midpoint is the
   * best estimate of when the server read its clock (as NTP does, without the statistics).
   */
  async sync(serverTime: () => Promise<number>, samples = 3): Promise<ClockSample> {
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
    this.sample = best as ClockSample;
    writeJson(this.store, KEY, this.sample);
    return this.sample;
  }
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
