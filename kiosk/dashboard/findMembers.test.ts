import { describe, expect, it } from 'vitest';
import type { Member } from '../../shared/member';
import { findMembers } from './findMembers';

const member = (id: string, name: string, codes: string[] = []): Member => ({
  id,
  name,
  codes,
  status: 'active',
  validUntil: null,
  homeSite: 'riverside',
  access: 'home',
});
const roster = [
  member('1001', 'Ana Lima', ['CARD-77']),
  member('1002', 'Åsa Öberg'),
  member('2001', 'Anders Lindqvist'),
  member('3100', 'Bob Stone'),
];

describe('findMembers', () => {
  it('finds members by the start of their number, numbers first', () => {
    expect(findMembers(roster, '100').map((m) => m.id)).toEqual(['1001', '1002']);
  });

  it('finds a member by an exact card code', () => {
    expect(findMembers(roster, 'CARD-77').map((m) => m.id)).toEqual(['1001']);
  });

  it('matches every typed word against the start of a name word, ignoring accents and case', () => {
    expect(findMembers(roster, 'an li').map((m) => m.name)).toEqual([
      'Ana Lima',
      'Anders Lindqvist',
    ]);
    expect(findMembers(roster, 'asa ob').map((m) => m.id)).toEqual(['1002']);
  });

  it('finds no one for an empty query and stops at the limit', () => {
    expect(findMembers(roster, '  ')).toEqual([]);
    expect(findMembers(roster, 'a', 1)).toHaveLength(1);
  });
});
