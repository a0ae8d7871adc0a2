import { siteDocName } from '../../shared/docName';
import type { Member } from '../../shared/member';
import { readLegacyRoster } from '../../shared/siteDoc';
import type { DocumentStore } from '../DocumentStore';
import type { Sql } from '../storage/Sql';
import type { MemberDirectory } from './MemberDirectory';

/**
 * Moves the members that staff wrote into site documents before roster documents existed ([D7])
 * into the member table, once per site, as members of that site with home access. A member
 * already in the table (moved from another site, or added since) is left as it is, and a card
 * code another member already holds is dropped from the moved one: two gyms that were separate
 * may have handed out the same numbers. Each clash is reported (the log, at warn level, names
 * the site, member and code) so an admin can put it right; nothing else is lost. Returns how many members were moved. Runs at start,
 * before any roster document loads, so the rosters list them from the first load on.
 */
export async function moveLegacyRosters(options: {
  db: Sql;
  documents: DocumentStore;
  members: MemberDirectory;
  sites: readonly string[];
  /** Told of each member or card code left out, so an admin can put it right. */
  onClash: (clash: { siteId: string; memberId: string; code?: string }) => void;
}): Promise<number> {
  const { db, documents, members, sites, onClash } = options;
  const done = new Set(
    (await db.all<{ site_id: string }>('select site_id from legacy_rosters')).map((r) => r.site_id),
  );
  let moved = 0;
  for (const siteId of sites) {
    if (done.has(siteId)) continue;
    const doc = await documents.load(siteDocName(siteId));
    const found = doc ? readLegacyRoster(doc, siteId) : [];
    doc?.destroy();
    const existing = await members.byIds(found.map((member) => member.id));
    const owners = await members.codeOwners(found.flatMap((member) => member.codes));
    const added: Member[] = [];
    for (const member of found) {
      if (existing.has(member.id)) {
        onClash({ siteId, memberId: member.id });
        continue;
      }
      const codes = member.codes.filter((code) => {
        if (!owners.has(code)) return true;
        onClash({ siteId, memberId: member.id, code });
        return false;
      });
      for (const code of codes) owners.set(code, member.id);
      added.push({ ...member, codes });
    }
    await members.write(added.map((after) => ({ before: null, after })));
    // Two instances starting at once may both move a site: the second finds it done.
    await db.run(
      'insert into legacy_rosters (site_id, moved_at) values (?, ?) on conflict (site_id) do nothing',
      [siteId, Date.now()],
    );
    moved += added.length;
  }
  return moved;
}
