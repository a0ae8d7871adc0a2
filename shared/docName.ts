import { isLocalDay, type LocalDay } from './localTime';

/**
 * Document names, built and parsed here only.
 *
 * - `site/<siteId>`: the site document (roster and settings). Kiosks only read it.
 * - `checkins/<siteId>/<YYYY-MM-DD>`: one check-ins document per site per local day, so no
 *   document grows without bound and retention can drop whole days.
 * - `roster/<siteId>/<shard>`: the members admitted at one site and not at every site ([D7]).
 * - `chain-roster/<shard>`: the members admitted at every site. Shards are `0`…`15`
 *   (`ROSTER_SHARDS`), written without leading zeros. The server writes rosters; nobody else.
 */
export type DocName =
  | { readonly kind: 'site'; readonly siteId: string }
  | { readonly kind: 'checkins'; readonly siteId: string; readonly day: LocalDay }
  | { readonly kind: 'roster'; readonly siteId: string; readonly shard: number }
  | { readonly kind: 'chain-roster'; readonly shard: number };

/** Roster documents per site, and of the chain-wide roster ([D7]). */
export const ROSTER_SHARDS = 16;
const SHARD = /^(0|[1-9][0-9]?)$/;

function parseShard(text: string | undefined): number | null {
  if (text === undefined || !SHARD.test(text)) return null;
  const shard = Number(text);
  return shard < ROSTER_SHARDS ? shard : null;
}

function checkShard(shard: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= ROSTER_SHARDS)
    throw new RangeError(`invalid roster shard: ${shard}`);
}

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

export function rosterDocName(siteId: string, shard: number): string {
  if (!isSiteId(siteId)) throw new RangeError(`invalid site id: ${JSON.stringify(siteId)}`);
  checkShard(shard);
  return `roster/${siteId}/${shard}`;
}

export function chainRosterDocName(shard: number): string {
  checkShard(shard);
  return `chain-roster/${shard}`;
}

/** The parsed name, or null for any name that is not exactly one of the forms above. */
export function parseDocName(name: unknown): DocName | null {
  if (typeof name !== 'string' || name.length > 100) return null;
  const parts = name.split('/');
  if (parts[0] === 'site' && parts.length === 2 && isSiteId(parts[1])) {
    return { kind: 'site', siteId: parts[1] };
  }
  if (parts[0] === 'checkins' && parts.length === 3 && isSiteId(parts[1]) && isLocalDay(parts[2])) {
    return { kind: 'checkins', siteId: parts[1], day: parts[2] };
  }
  if (parts[0] === 'roster' && parts.length === 3 && isSiteId(parts[1])) {
    const shard = parseShard(parts[2]);
    if (shard !== null) return { kind: 'roster', siteId: parts[1], shard };
  }
  if (parts[0] === 'chain-roster' && parts.length === 2) {
    const shard = parseShard(parts[1]);
    if (shard !== null) return { kind: 'chain-roster', shard };
  }
  return null;
}
