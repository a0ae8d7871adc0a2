import type { LocalDay } from '../../shared/localTime';
import { type DayRange, parseDayRange } from '../dayRange';
import { HttpError } from './HttpError';

/** The `from`/`to` of a validated query string, or a 400 naming the parameter. */
export function dayRangeOf(
  query: { from?: string | undefined; to?: string | undefined },
  defaults?: { readonly to: LocalDay; readonly days: number },
): DayRange {
  const search = new URLSearchParams();
  if (query.from !== undefined) search.set('from', query.from);
  if (query.to !== undefined) search.set('to', query.to);
  const result = parseDayRange(search, defaults);
  if (!result.ok) throw new HttpError(400, 'invalid', result.message);
  return result;
}
