import { accessText, checkMember, type Member, sameAccess } from '../../shared/member';
import type { MemberDirectory } from './MemberDirectory';
import { type MemberPlan, type PlanRow, planMembers } from './planMembers';

/** Who is importing: an admin of the chain, or staff of one site ([M4]). */
export type Importer =
  | { readonly role: 'admin' }
  | { readonly role: string; readonly siteId: string | null };

/**
 * What importing `rows` would change, against the member table, for `who` ([M1]–[M6]): the API's
 * imports and saves and the admin CLI's import plan with this. Nothing is written.
 */
export async function planImport(
  members: MemberDirectory,
  siteState: (siteId: string) => 'open' | 'archived' | null,
  who: Importer,
  rows: readonly PlanRow[],
): Promise<MemberPlan> {
  // Only records that can be members are looked up: a malformed row costs no query.
  const valid = rows.flatMap((row) =>
    checkMember(row.member) === null ? [row.member as Member] : [],
  );
  const ids = valid.map((member) => member.id);
  const codes = valid.flatMap((member) => member.codes);
  // Numbers and codes share one space at the door: each is looked up as the other too.
  const [existing, codeOwners] = await Promise.all([
    members.byIds([...ids, ...codes]),
    members.codeOwners([...codes, ...ids]),
  ]);
  const own = who.role === 'admin' ? null : ((who as { siteId: string | null }).siteId ?? '');
  return planMembers(rows, {
    existing,
    codeOwners,
    discreet: own !== null,
    siteProblem: (siteId) => {
      const state = siteState(siteId);
      return state === null ? 'no such site' : state === 'archived' ? 'the site is archived' : null;
    },
    refusal: (before, after) => {
      if (own === null) return null;
      if (before && before.homeSite !== own)
        return `member number ${before.id} is taken by a member of another site`;
      if (after.homeSite !== own) return `staff of ${own} keep members of ${own} only`;
      // Where a membership is valid is what the member paid for: the chain's admins decide it.
      const access = before?.access ?? 'home';
      if (!sameAccess(after.access, access))
        return `only an admin changes where a member may check in (now: ${accessText(access)})`;
      return null;
    },
  });
}
