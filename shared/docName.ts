import { isLocalDay, type LocalDay } from './localTime';

/**
 * Document names, built and parsed here only.
 *
 * - `site/<siteId>`: the site document (roster and settings). Kiosks only read it.
 * - `checkins/<siteId>/<YYYY-MM-DD>`: one check-ins document per site per local day, so no
 *   document grows without bound and retention can drop whole days.
 */
export type DocName =
  | { readonly kind: 'site'; readonly siteId: string }
  | { readonly kind: 'checkins'; readonly siteId: string; readonly day: LocalDay };

const SITE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Site ids are lower-case slugs: they appear in document names, URLs and file names. */
export function isSiteId(value: unknown): value is string {
  return typeof value === 'string' && SITE_ID.test(value);
}

export function siteDocName(siteId: string): string {
  if (!isSiteId(siteId)) throw new RangeError(`invalid site id: ${JSON.stringify(siteId)}`);
  return `site/${siteId}`;
}

export function checkinsDocName(siteId: string, day: LocalDay): string {
  if (!isSiteId(siteId)) throw new RangeError(`invalid site id: ${JSON.stringify(siteId)}`);
  if (!isLocalDay(day)) throw new RangeError(`invalid day: ${JSON.stringify(day)}`);
  return `checkins/${siteId}/${day}`;
}

/** The parsed name, or null for any name that is not exactly one of the two forms. */
export function parseDocName(name: unknown): DocName | null {
  if (typeof name !== 'string' || name.length > 100) return null;
  const parts = name.split('/');
  if (parts[0] === 'site' && parts.length === 2 && isSiteId(parts[1])) {
    return { kind: 'site', siteId: parts[1] };
  }
  if (parts[0] === 'checkins' && parts.length === 3 && isSiteId(parts[1]) && isLocalDay(parts[2])) {
    return { kind: 'checkins', siteId: parts[1], day: parts[2] };
  }
  return null;
}
