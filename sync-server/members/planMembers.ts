import { checkMember, type Member, sameMember } from '../../shared/member';

/** One record to import, with the line the person can find it at. */
export interface PlanRow {
  readonly line: number;
  readonly member: unknown;
}

/** A member before and after a write: null before when added, null after when removed. */
export interface RosterChange {
  readonly before: Member | null;
  readonly after: Member | null;
}

export interface MemberChange {
  readonly before: Member | null;
  readonly after: Member;
}

export interface MemberPlan {
  readonly changes: MemberChange[];
  readonly unchanged: number;
  readonly errors: { line: number; reason: string }[];
}

export interface PlanContext {
  /** The members already known, by id: those the rows name, and any whose id is a row's code. */
  readonly existing: ReadonlyMap<string, Member>;
  /** Who holds each card code now: the rows' codes, and any code that is a row's id ([M4]). */
  readonly codeOwners: ReadonlyMap<string, string>;
  /** Why a site cannot be a home or be listed (unknown, archived), or null when it can. */
  readonly siteProblem: (siteId: string) => string | null;
  /** Why this account may not make the change (staff of another site), or null. */
  readonly refusal: (before: Member | null, after: Member) => string | null;
  /**
   * Say "taken" without naming the member who holds an id or code: for accounts that may not
   * see members of other sites ([M4]).
   */
  readonly discreet?: boolean;
}

/**
 * What importing `rows` changes ([M1]–[M2], [M4]): new and changed members, in order, and every
 * row that cannot be imported with its line and reason. Pure. Members not in the rows stay as they
 * are; a second identical import changes nothing. Of rows sharing an id, the first counts; a code
 * is checked against the members as they will be after the rows before it.
 */
export function planMembers(rows: readonly PlanRow[], context: PlanContext): MemberPlan {
  const changes: MemberChange[] = [];
  const errors: { line: number; reason: string }[] = [];
  let unchanged = 0;
  const lineOf = new Map<string, number>();
  const owners = new Map(context.codeOwners);
  // A kiosk finds a member by number or by card ([K1]): no code may be another member's number.
  const ids = new Set(context.existing.keys());
  for (const { line, member: value } of rows) {
    const problem = checkMember(value);
    if (problem) {
      errors.push({ line, reason: problem });
      continue;
    }
    const member = normalised(value as Member);
    const earlier = lineOf.get(member.id);
    if (earlier !== undefined) {
      errors.push({ line, reason: `member ${member.id} is already on line ${earlier}` });
      continue;
    }
    const before = context.existing.get(member.id) ?? null;
    const reason =
      siteReason(member, before, context) ?? codeReason(member, owners, ids, context.discreet);
    const refused = reason ?? context.refusal(before, member);
    if (refused) {
      errors.push({ line, reason: refused });
      continue;
    }
    lineOf.set(member.id, line);
    ids.add(member.id);
    for (const code of before?.codes ?? []) if (owners.get(code) === member.id) owners.delete(code);
    for (const code of member.codes) owners.set(code, member.id);
    if (before && sameMember(before, member)) unchanged += 1;
    else changes.push({ before, after: member });
  }
  return { changes, unchanged, errors };
}

/** Only the fields of a member (a request may carry more), codes and sites without repeats. */
function normalised(member: Member): Member {
  const { id, name, status, validUntil, homeSite } = member;
  const access =
    typeof member.access === 'string'
      ? member.access
      : [...new Set(member.access)].filter((site) => site !== homeSite);
  return {
    id,
    name,
    codes: [...new Set(member.codes)],
    status,
    validUntil,
    homeSite,
    // Listing only the home site is home access.
    access: typeof access === 'string' || access.length > 0 ? access : 'home',
  };
}

/**
 * Why a site the member names cannot be used. Only sites the change adds are checked: a member
 * whose home or listed site was archived since can still be frozen or given a new card.
 */
function siteReason(member: Member, before: Member | null, context: PlanContext): string | null {
  const had = new Set(
    before ? [before.homeSite, ...(typeof before.access === 'string' ? [] : before.access)] : [],
  );
  if (!had.has(member.homeSite)) {
    const home = context.siteProblem(member.homeSite);
    if (home) return `home site ${member.homeSite}: ${home}`;
  }
  if (typeof member.access === 'string') return null;
  for (const site of member.access) {
    const problem = had.has(site) ? null : context.siteProblem(site);
    if (problem) return `access site ${site}: ${problem}`;
  }
  return null;
}

function codeReason(
  member: Member,
  owners: ReadonlyMap<string, string>,
  ids: ReadonlySet<string>,
  discreet = false,
): string | null {
  const numberOwner = owners.get(member.id);
  if (numberOwner !== undefined && numberOwner !== member.id)
    return discreet
      ? `member number ${member.id} is a card code already in use`
      : `member number ${member.id} is a card code of member ${numberOwner}`;
  for (const code of member.codes) {
    const shown = JSON.stringify(code.slice(0, 64));
    const owner = owners.get(code);
    if (owner !== undefined && owner !== member.id)
      return discreet
        ? `card code ${shown} is already in use`
        : `card code ${shown} belongs to member ${owner}`;
    if (code !== member.id && ids.has(code))
      return discreet
        ? `card code ${shown} is another member's number`
        : `card code ${shown} is the number of member ${code}`;
  }
  return null;
}
