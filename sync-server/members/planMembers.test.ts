import { describe, expect, it } from 'vitest';
import type { Member } from '../../shared/member';
import { type PlanContext, planMembers } from './planMembers';

const member = (id: string, extra: Partial<Member> = {}): Member => ({
  id,
  name: `Member ${id}`,
  codes: [],
  status: 'active',
  validUntil: null,
  homeSite: 'riverside',
  access: 'home',
  ...extra,
});

function context(existing: Member[], extra: Partial<PlanContext> = {}): PlanContext {
  const codeOwners = new Map<string, string>();
  for (const m of existing) for (const code of m.codes) codeOwners.set(code, m.id);
  return {
    existing: new Map(existing.map((m) => [m.id, m])),
    codeOwners,
    siteProblem: (site) =>
      site === 'closed' ? 'the site is archived' : site === 'atlantis' ? 'no such site' : null,
    refusal: () => null,
    ...extra,
  };
}

describe('planMembers', () => {
  it('[M4] refuses a card code that is another member’s number, and a number that is another’s code', () => {
    const ana = member('1001', { codes: ['555'] });
    const plan = planMembers(
      [
        { line: 2, member: member('2002', { codes: ['1001'] }) },
        { line: 3, member: member('555') },
        { line: 4, member: member('3003', { codes: ['3003'] }) },
        { line: 5, member: member('4004', { codes: ['3003'] }) },
      ],
      context([ana]),
    );
    expect(plan.errors).toEqual([
      { line: 2, reason: 'card code "1001" is the number of member 1001' },
      { line: 3, reason: 'member number 555 is a card code of member 1001' },
      { line: 5, reason: 'card code "3003" belongs to member 3003' },
    ]);
    // A member whose card carries their own number is fine.
    expect(plan.changes.map((c) => c.after.id)).toEqual(['3003']);
  });

  it('[M4] says "in use" without naming the holder to accounts that may not see other sites', () => {
    const ana = member('1001', { codes: ['555'] });
    const plan = planMembers(
      [
        { line: 2, member: member('2002', { codes: ['555'] }) },
        { line: 3, member: member('3003', { codes: ['1001'] }) },
      ],
      context([ana], { discreet: true }),
    );
    expect(plan.errors).toEqual([
      { line: 2, reason: 'card code "555" is already in use' },
      { line: 3, reason: 'card code "1001" is another member\'s number' },
    ]);
  });

  it('[M5] lets a member whose site was archived be changed, but adds no archived or unknown site', () => {
    const listed = member('1001', { access: ['closed'] });
    const plan = planMembers(
      [
        { line: 2, member: { ...listed, status: 'frozen' } },
        { line: 3, member: member('2002', { access: ['closed'] }) },
        { line: 4, member: member('3003', { homeSite: 'atlantis' }) },
      ],
      context([listed]),
    );
    expect(plan.errors).toEqual([
      { line: 3, reason: 'access site closed: the site is archived' },
      { line: 4, reason: 'home site atlantis: no such site' },
    ]);
    expect(plan.changes.map((c) => c.after.status)).toEqual(['frozen']);
  });

  it('[M2] counts a member written the same, with codes and sites in another order, as unchanged', () => {
    const ana = member('1001', { codes: ['1', '2'], access: ['a', 'b'] });
    const plan = planMembers(
      [{ line: 2, member: { ...ana, codes: ['2', '1', '2'], access: ['b', 'a', 'riverside'] } }],
      context([ana]),
    );
    expect(plan).toEqual({ changes: [], unchanged: 1, errors: [] });
  });
});
