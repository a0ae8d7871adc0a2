import type { ClockCorrection, ServerClock } from './ServerClock';

/** How often a running device measures the server's clock again, ms ([T5]). */
export const MEASURE_EVERY_MS = 10 * 60_000;
/**
 * How often the wall clock is compared with the monotonic clock, ms. A scan compares too, so an
 * entry is never recorded on a jumped clock unnoticed; this only makes the re-measure prompt.
 */
export const JUMP_CHECK_MS = 5_000;

/** The clock a kiosk or dashboard records with (a `ServerClock`; tests pass a controlled one). */
export type DeviceClock = Pick<
  ServerClock,
  'now' | 'sync' | 'noteRecorded' | 'onJump' | 'checkForJump'
>;

/**
 * Keeps a device's clock measured ([T5]): at start, every 10 minutes, at once after a jump, and
 * whenever the owner says it reconnected. Measures never overlap; one asked for during another
 * runs after it. When a measure says earlier entries need re-timing, `onCorrection` appends the
 * clock entries.
 */
export class ClockKeeper {
  private readonly clock: DeviceClock;
  private readonly serverTime: () => Promise<number>;
  private readonly onCorrection: (correction: ClockCorrection) => void;
  private timers: ReturnType<typeof setInterval>[] = [];
  private stopJumps: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private readonly whenOnline = () => void this.measure();

  constructor(options: {
    clock: DeviceClock;
    serverTime: () => Promise<number>;
    onCorrection: (correction: ClockCorrection) => void;
  }) {
    this.clock = options.clock;
    this.serverTime = options.serverTime;
    this.onCorrection = options.onCorrection;
  }

  start(): void {
    this.stop();
    this.stopJumps = this.clock.onJump(() => void this.measure());
    this.timers = [
      setInterval(() => void this.measure(), MEASURE_EVERY_MS),
      setInterval(() => this.clock.checkForJump(), JUMP_CHECK_MS),
    ];
    globalThis.addEventListener?.('online', this.whenOnline);
    void this.measure();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.stopJumps?.();
    this.stopJumps = null;
    globalThis.removeEventListener?.('online', this.whenOnline);
  }

  /**
   * Measures now (or right after the measure under way). Offline it fails quietly: the last
   * known offset is used, and the next reconnect measures.
   */
  measure(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          const { correction } = await this.clock.sync(this.serverTime);
          if (correction) this.onCorrection(correction);
        } catch {
          // Offline, or the clock jumped meanwhile (whose own measure is asked for).
        }
      } while (this.again);
      this.running = null;
    })();
    return this.running;
  }
}
