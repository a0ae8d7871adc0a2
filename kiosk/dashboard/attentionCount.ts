import { FLAG_CODES, type FlagCode } from '../../shared/DayLedger';

/**
 * How many flags and problems "Needs attention" lists, from the counts `stats` keeps without
 * listing them: the header shows it on every change, so it must not walk the day.
 */
export function attentionCount(stats: {
  readonly flagCounts: Readonly<Record<FlagCode, number>>;
  readonly problemCount: number;
}): number {
  let count = stats.problemCount;
  for (const code of FLAG_CODES) count += stats.flagCounts[code] ?? 0;
  return count;
}
