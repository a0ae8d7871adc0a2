import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Member } from '../../shared/member';
import { RosterUnion } from './RosterUnion';

const DOCS = ['roster/north/3', 'chain-roster/3', 'roster/north/5', 'chain-roster/5'];

const member = (id: string, changes: Partial<Member> = {}): Member => ({
  id,
  name: `Member ${id}`,
  codes: [],
  status: 'active',
  validUntil: null,
  homeSite: 'north',
  access: 'home',
  ...changes,
});

/** The union rebuilt from every listing at once: what the incremental one must always equal. */
function rebuilt(listings: ReadonlyMap<string, ReadonlyMap<string, Member>>) {
  const members = new Map<string, Member>();
  const byName = [...listings.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const ids = new Set(byName.flatMap(([, listed]) => [...listed.keys()]));
  for (const id of ids) {
    const found = byName.flatMap(([name, listed]) => {
      const m = listed.get(id);
      return m ? [{ name, m }] : [];
    });
    const home = found.find(({ name, m }) => name.startsWith(`roster/${m.homeSite}/`));
    members.set(id, (home ?? found[0])?.m as Member);
  }
  const byCode = new Map<string, Member>();
  for (const m of [...members.values()].sort((a, b) => (a.id < b.id ? 1 : -1)))
    for (const code of m.codes) byCode.set(code, m);
  return { members, byCode };
}

const sorted = <V>(map: ReadonlyMap<string, V>) =>
  [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

describe('RosterUnion', () => {
  it('[D7] finds members of every roster document it reads, by id and by card code', () => {
    const union = new RosterUnion(DOCS);
    union.list('roster/north/3', 'a', member('a', { codes: ['card-a'] }));
    union.list('chain-roster/5', 'b', member('b', { codes: ['card-b'], access: 'all' }));
    expect(union.members.get('b')?.access).toBe('all');
    expect(union.byCode.get('card-a')?.id).toBe('a');
    expect(union.byCode.get('card-b')?.id).toBe('b');
  });

  it('[M6] forgets a card code the member no longer holds, and a member no longer listed', () => {
    const union = new RosterUnion(DOCS);
    union.list('roster/north/3', 'a', member('a', { codes: ['old'] }));
    expect(union.list('roster/north/3', 'a', member('a', { codes: ['new'] }))).toBe(true);
    expect(union.byCode.has('old')).toBe(false);
    expect(union.byCode.get('new')?.id).toBe('a');
    expect(union.list('roster/north/3', 'a', undefined)).toBe(true);
    expect(union.members.size + union.byCode.size).toBe(0);
    expect(union.list('roster/north/3', 'a', undefined)).toBe(false);
  });

  it('[D7] prefers the listing in the member’s home roster, then the lowest document name', () => {
    const union = new RosterUnion(DOCS);
    union.list('chain-roster/3', 'a', member('a', { access: 'all' }));
    union.list('roster/north/3', 'a', member('a', { status: 'frozen' }));
    expect(union.members.get('a')?.status).toBe('frozen');
    const away = new RosterUnion(DOCS);
    away.list('roster/north/5', 'b', member('b', { homeSite: 'south', name: 'In north/5' }));
    away.list('roster/north/3', 'b', member('b', { homeSite: 'south', name: 'In north/3' }));
    away.list('chain-roster/5', 'b', member('b', { homeSite: 'south', name: 'In chain/5' }));
    expect(away.members.get('b')?.name).toBe('In chain/5');
  });

  it('[M4] gives a card code two members hold to the lowest member id, and to the other once it is gone', () => {
    const union = new RosterUnion(DOCS);
    union.list('roster/north/3', 'm2', member('m2', { codes: ['same'] }));
    union.list('roster/north/5', 'm1', member('m1', { codes: ['same'] }));
    expect(union.byCode.get('same')?.id).toBe('m1');
    union.list('roster/north/5', 'm1', undefined);
    expect(union.byCode.get('same')?.id).toBe('m2');
  });

  it('[D7] always equals the union rebuilt from every listing, whatever the order of changes', () => {
    const id = fc.constantFrom('a', 'b', 'c', 'd');
    const listed = fc.option(
      fc.record({
        name: fc.constantFrom('X', 'Y'),
        codes: fc.uniqueArray(fc.constantFrom('1', '2', '3', '4'), { maxLength: 3 }),
        homeSite: fc.constantFrom('north', 'south'),
      }),
      { nil: undefined },
    );
    const change = fc.tuple(fc.constantFrom(...DOCS), id, listed);
    fc.assert(
      fc.property(fc.array(change, { maxLength: 60 }), (changes) => {
        const union = new RosterUnion(DOCS);
        const listings = new Map(DOCS.map((doc) => [doc, new Map<string, Member>()]));
        for (const [doc, memberId, fields] of changes) {
          const value = fields ? member(memberId, fields) : undefined;
          if (value) listings.get(doc)?.set(memberId, value);
          else listings.get(doc)?.delete(memberId);
          union.list(doc, memberId, value);
          const expected = rebuilt(listings);
          expect(sorted(union.members)).toEqual(sorted(expected.members));
          expect(sorted(union.byCode)).toEqual(sorted(expected.byCode));
        }
      }),
    );
  });
});
