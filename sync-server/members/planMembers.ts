import { checkMember, type Member, sameMember } from '../../shared/member';

/** One record to import, with the line the person can find it at. */
export interface PlanRow {
  readonly line: number;
  readonly member: unknown;
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
  /** The members already known, by id: those the rows name, at least. */
  readonly existing: ReadonlyMap<string, Member>;
  /** Who holds each card code now, for the codes the rows carry at least ([M4]). */
  readonly codeOwners: ReadonlyMap<string, string>;
  /** Why a site cannot be a home or be listed (unknown, archived), or null when it can. */
  readonly siteProblem: (siteId: string) => string | null;
  /** Why this account may not make the change (staff of another site), or null. */
  readonly refusal: (before: Member | null, after: Member) => string | null;
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
    const reason = siteReason(member, context) ?? codeReason(member, owners);
    const before = context.existing.get(member.id) ?? null;
    const refused = reason ?? context.refusal(before, member);
    if (refused) {
      errors.push({ line, reason: refused });
      continue;
    }
    lineOf.set(member.id, line);
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

function siteReason(member: Member, context: PlanContext): string | null {
  const home = context.siteProblem(member.homeSite);
  if (home) return `home site ${member.homeSite}: ${home}`;
  if (typeof member.access === 'string') return null;
  for (const site of member.access) {
    const problem = context.siteProblem(site);
    if (problem) return `access site ${site}: ${problem}`;
  }
  return null;
}

function codeReason(member: Member, owners: ReadonlyMap<string, string>): string | null {
  for (const code of member.codes) {
    const owner = owners.get(code);
    if (owner !== undefined && owner !== member.id)
      return `card code ${JSON.stringify(code.slice(0, 64))} belongs to member ${owner}`;
  }
  return null;
}
