import { describe, expect, it } from 'vitest';
import { WedgeDetector } from './WedgeDetector';

function typeAt(detector: WedgeDetector, text: string, gapMs: number, start = 1_000) {
  let time = start;
  for (const key of text) {
    detector.key(key, time);
    time += gapMs;
  }
  return detector.key('Enter', time);
}

describe('WedgeDetector', () => {
  it('recognises a scanner typing 10 ms per key', () => {
    expect(typeAt(new WedgeDetector(), '0451042', 10)).toEqual({ code: '0451042', scanner: true });
  });

  it('tells a person typing from a scanner', () => {
    expect(typeAt(new WedgeDetector(), '1042', 180)).toEqual({ code: '1042', scanner: false });
  });

  it('ignores Enter alone, too-short input and non-character keys', () => {
    const detector = new WedgeDetector();
    expect(detector.key('Enter', 0)).toBeNull();
    expect(typeAt(detector, '12', 10)).toBeNull();
    detector.key('Shift', 10);
    expect(typeAt(detector, 'A1B2', 10, 20)).toEqual({ code: 'A1B2', scanner: true });
  });

  it('knows when a key continues a burst, so the page can keep Enter from pressing a button', () => {
    const detector = new WedgeDetector();
    expect(detector.inBurst(0)).toBe(false);
    detector.key('1', 0);
    expect(detector.inBurst(12)).toBe(true);
    expect(detector.inBurst(400)).toBe(false);
  });

  it('starts over after a long pause', () => {
    const detector = new WedgeDetector();
    detector.key('9', 0);
    expect(typeAt(detector, '0451042', 10, 5_000)).toEqual({ code: '0451042', scanner: true });
  });
});
