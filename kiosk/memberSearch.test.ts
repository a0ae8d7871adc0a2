import { describe, expect, it } from 'vitest';
import type { Member } from '../shared/member';
import { publicName, searchMembers } from './memberSearch';

const member = (id: string, name: string): Member => ({
  id,
  name,
  codes: [],
  status: 'active',
  validUntil: null,
  homeSite: 'riverside',
  access: 'home',
});
const roster = [
  member('1042', 'Ana Lima'),
  member('1043', 'Anabel Lukas'),
  member('2001', 'Ben Okafor'),
  member('3077', 'Ana Lopes'),
  member('4000', 'José Álvarez'),
];

describe('searchMembers', () => {
  it('shows nobody before three letters', () => {
    expect(searchMembers(roster, 'an')).toEqual([]);
  });

  it('shows first name and last initial only, and tells apart people who would look the same', () => {
    expect(searchMembers(roster, 'ana l')).toEqual([
      { id: '1042', label: 'Ana L. (…42)' },
      { id: '3077', label: 'Ana L. (…77)' },
      { id: '1043', label: 'Anabel L.' },
    ]);
  });

  it('ignores case and accents, and matches any word of the name', () => {
    expect(searchMembers(roster, 'alva').map((h) => h.id)).toEqual(['4000']);
    expect(searchMembers(roster, 'OKA').map((h) => h.label)).toEqual(['Ben O.']);
  });

  it('limits the list', () => {
    const many = Array.from({ length: 20 }, (_, i) => member(String(i), `Sam Person${i}`));
    expect(searchMembers(many, 'sam', 8)).toHaveLength(8);
  });

  it('keeps one-word names whole', () => {
    expect(publicName('Cher')).toBe('Cher');
  });
});
