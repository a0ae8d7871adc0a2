import { describe, expect, it } from 'vitest';
import { occupancyBand, percentOfCapacity } from './occupancyBand';

describe('occupancyBand', () => {
  it('[S9] is quiet below 80 %, busy from 80 % and very busy from 90 % of capacity', () => {
    expect(occupancyBand(0, 100)).toBe('quiet');
    expect(occupancyBand(79, 100)).toBe('quiet');
    expect(occupancyBand(80, 100)).toBe('busy');
    expect(occupancyBand(89, 100)).toBe('busy');
    expect(occupancyBand(90, 100)).toBe('very-busy');
    expect(occupancyBand(100, 100)).toBe('very-busy');
    expect(occupancyBand(130, 100)).toBe('very-busy');
  });

  it('[S9] judges the share in whole percent, rounded, as the dashboard shows it', () => {
    // 8 of 11 is 72.7 %: 73 %, quiet; 71 of 80 is 88.75 %: 89 %, busy; 179 of 200 is 89.5 %: 90 %.
    expect(percentOfCapacity(8, 11)).toBe(73);
    expect(occupancyBand(8, 11)).toBe('quiet');
    expect(occupancyBand(71, 80)).toBe('busy');
    expect(percentOfCapacity(179, 200)).toBe(90);
    expect(occupancyBand(179, 200)).toBe('very-busy');
    // A typical (average) count is a fraction: 2.4 of 3 is 80 %.
    expect(occupancyBand(2.4, 3)).toBe('busy');
  });

  it('[S9] has no band without a capacity, and never throws on a value that is not one', () => {
    expect(occupancyBand(12, null)).toBeNull();
    expect(percentOfCapacity(12, null)).toBeNull();
    expect(occupancyBand(12, 0)).toBeNull();
    expect(occupancyBand(12, -5)).toBeNull();
    expect(occupancyBand(12, Number.NaN)).toBeNull();
    expect(occupancyBand(Number.NaN, 10)).toBeNull();
    expect(occupancyBand(-1, 10)).toBeNull();
  });
});
