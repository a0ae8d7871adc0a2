import { describe, expect, it } from 'vitest';
import { CHIMES, playChime } from './chime';
import { keepAwake } from './keepAwake';

describe('keepAwake', () => {
  it('holds a screen wake lock while the page is visible', async () => {
    const awake = keepAwake();
    await expect.poll(() => awake.held()).toBe(true);
    awake.stop();
    await expect.poll(() => awake.held()).toBe(false);
  });
});

describe('playChime', () => {
  it('renders audible, distinct sounds for each outcome', async () => {
    const loudness: Record<string, number> = {};
    for (const kind of Object.keys(CHIMES) as (keyof typeof CHIMES)[]) {
      const context = new OfflineAudioContext(1, 44_100, 44_100);
      playChime(context, kind);
      const samples = (await context.startRendering()).getChannelData(0);
      let energy = 0;
      for (const sample of samples) energy += sample * sample;
      loudness[kind] = Math.sqrt(energy / samples.length);
    }
    for (const value of Object.values(loudness)) expect(value).toBeGreaterThan(0.01);
    expect(new Set(Object.values(CHIMES).map((notes) => JSON.stringify(notes))).size).toBe(4);
  });
});
