import { addDays, type LocalDay } from './localTime';

/**
 * How many days back a kiosk may still write ([W3]), days. Default 7: a tablet offline over a
 * long weekend, or through a week's closure with the tablet left on, still delivers every day it
 * wrote; older days are for staff to correct.
 */
export const KIOSK_DAYS_BACK = 7;

/** Where a kiosk's write to `day` stands when the site's local day is `today` ([W3]). */
export function kioskWindow(day: LocalDay, today: LocalDay): 'past' | 'open' | 'future' {
  if (day > addDays(today, 1)) return 'future';
  if (day < addDays(today, -KIOSK_DAYS_BACK)) return 'past';
  return 'open';
}
