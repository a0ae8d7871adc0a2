/**
 * Recognises a keyboard-wedge scanner: USB and Bluetooth barcode readers "type" the code 7–16 ms
 * per key and press Enter. Anything typed is collected wherever focus is, so no field needs focus
 * and no on-screen keyboard opens; on Enter the detector says what was typed and whether it came
 * as fast as a scanner (every gap at most `maxGapMs`) or at a person's pace.
 */
export class WedgeDetector {
  /** Longest gap between keys of one scan, ms. Scanners stay far below; people far above. */
  readonly maxGapMs: number;
  /** Shortest code accepted, characters. */
  readonly minLength: number;
  private typed = '';
  private slowest = 0;
  private last = Number.NEGATIVE_INFINITY;

  constructor(options: { maxGapMs?: number; minLength?: number } = {}) {
    this.maxGapMs = options.maxGapMs ?? 50;
    this.minLength = options.minLength ?? 3;
  }

  /** Feeds one key press; returns the code on Enter, or null. */
  key(key: string, time: number): { code: string; scanner: boolean } | null {
    if (key === 'Enter') {
      const code = this.typed;
      const scanner = this.slowest <= this.maxGapMs;
      this.reset();
      return code.length >= this.minLength ? { code, scanner } : null;
    }
    if (key.length !== 1) return null;
    // A pause longer than any person's typing starts a new code (a half-read barcode, a stray key).
    if (time - this.last > 2_000) this.reset();
    if (this.typed.length > 0) this.slowest = Math.max(this.slowest, time - this.last);
    this.typed = (this.typed + key).slice(-64);
    this.last = time;
    return null;
  }

  /** True when a key at `time` would continue a scanner-speed burst. */
  inBurst(time: number): boolean {
    return this.typed.length > 0 && time - this.last <= this.maxGapMs;
  }

  reset(): void {
    this.typed = '';
    this.slowest = 0;
    this.last = Number.NEGATIVE_INFINITY;
  }
}
