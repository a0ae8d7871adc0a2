import type { RawEntry } from './checkinsDoc';
import { type DayConfig, DayLedger, type DayStats, type Flag, type Roster } from './DayLedger';
import type { LocalDay } from './localTime';
import type { Visit } from './pairVisits';
import type { Problem } from './problems';
import type { SiteSettings } from './siteDoc';

export interface DayDerivation {
  readonly stats: DayStats;
  readonly flags: Flag[];
  readonly problems: Problem[];
  readonly visits: Visit[];
}

/**
 * Everything about one day, from scratch: pass the entries of the day's document and of the
 * previous day's ([V8]). Deterministic in (entries as a set, config, now, roster) ([S7]).
 */
export function deriveDay(
  config: DayConfig,
  entries: Iterable<RawEntry>,
  now: number,
  options: { roster?: Roster; feedSize?: number } = {},
): DayDerivation {
  const ledger = new DayLedger(config);
  ledger.add(entries);
  return {
    stats: ledger.stats(now, options),
    flags: ledger.flags(now),
    problems: ledger.problems(),
    visits: ledger.visits(),
  };
}

/** The derivation settings for `day` from a site's settings. */
export function dayConfigFor(settings: SiteSettings, day: LocalDay): DayConfig {
  return {
    day,
    timeZone: settings.timeZone,
    maxStayMs: settings.maxStayMinutes * 60_000,
    closingTime: settings.closingTime,
    debounceMs: settings.debounceSeconds * 1000,
  };
}
