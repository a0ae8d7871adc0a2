import type { ChainVisitsAnswer, ChainVisitsRow } from '../shared/apiProtocol';
import type { LocalDay } from '../shared/localTime';
import type { Sql } from './storage/Sql';

/**
 * The chain report ([C6]) from the visit record and the member table: per site, visits in the
 * range of local days, different members, and visits of members whose home is elsewhere, by home.
 * Three grouped queries, whatever the number of visits.
 */
export async function chainVisits(
  db: Sql,
  options: { from: LocalDay; to: LocalDay; names: ReadonlyMap<string, string> },
): Promise<ChainVisitsAnswer> {
  const { from, to, names } = options;
  const perSite = await db.all<{ site_id: string; visits: number; members: number }>(
    `select site_id, count(*) as visits, count(distinct member_id) as members
       from visits where day between ? and ? group by site_id`,
    [from, to],
  );
  const away = await db.all<{ site_id: string; home_site: string; visits: number }>(
    `select v.site_id, m.home_site, count(*) as visits
       from visits v join members m on m.id = v.member_id
       where v.day between ? and ? and m.home_site <> v.site_id
       group by v.site_id, m.home_site`,
    [from, to],
  );
  const chain = await db.get<{ members: number }>(
    'select count(distinct member_id) as members from visits where day between ? and ?',
    [from, to],
  );
  const rows = new Map<string, ChainVisitsRow>();
  const rowOf = (siteId: string): ChainVisitsRow => {
    let row = rows.get(siteId);
    if (!row) {
      row = {
        siteId,
        name: names.get(siteId) ?? siteId,
        visits: 0,
        members: 0,
        awayVisits: 0,
        byHome: [],
      };
      rows.set(siteId, row);
    }
    return row;
  };
  // Sites with no visits are shown too: a club with nobody in is news.
  for (const siteId of names.keys()) rowOf(siteId);
  for (const { site_id, visits, members } of perSite) {
    const row = rowOf(site_id);
    row.visits = Number(visits);
    row.members = Number(members);
  }
  for (const { site_id, home_site, visits } of away) {
    const row = rowOf(site_id);
    row.awayVisits += Number(visits);
    row.byHome.push({ homeSite: home_site, visits: Number(visits) });
  }
  const sites = [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const row of sites)
    row.byHome.sort((a, b) => b.visits - a.visits || a.homeSite.localeCompare(b.homeSite));
  return {
    from,
    to,
    sites,
    total: {
      visits: sites.reduce((sum, row) => sum + row.visits, 0),
      members: Number(chain?.members ?? 0),
      awayVisits: sites.reduce((sum, row) => sum + row.awayVisits, 0),
    },
  };
}
