/** The sound of each outcome at the door: never the only signal (there is always text and an icon). */
export type ChimeKind = 'welcome' | 'goodbye' | 'warning' | 'denied';

/** Notes as [frequency Hz, start s, length s]: rising for welcome, falling for goodbye, flat for a warning, low for denied. */
export const CHIMES: Readonly<Record<ChimeKind, readonly (readonly [number, number, number])[]>> = {
  welcome: [
    [660, 0, 0.12],
    [880, 0.12, 0.18],
  ],
  goodbye: [
    [880, 0, 0.12],
    [660, 0.12, 0.18],
  ],
  warning: [
    [740, 0, 0.15],
    [740, 0.25, 0.15],
  ],
  denied: [[220, 0, 0.45]],
};

/** Plays a chime on `context` (an AudioContext, or an OfflineAudioContext in tests). */
export function playChime(context: BaseAudioContext, kind: ChimeKind): void {
  const start = context.currentTime;
  for (const [frequency, at, length] of CHIMES[kind]) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = frequency;
    oscillator.type = 'sine';
    gain.gain.setValueAtTime(0.0001, start + at);
    gain.gain.exponentialRampToValueAtTime(0.25, start + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + at + length);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start + at);
    oscillator.stop(start + at + length + 0.02);
  }
}
