import type { Member } from '../../shared/member';
import { fold } from '../memberSearch';

/**
 * The desk's member search: by member number (prefix), card code (exact) or name words
 * ("ana li" finds Ana Lima), accents and case ignored. Unlike the kiosk's public search it shows
 * full names, and a single character is enough. Number matches come first.
 */
export function findMembers(members: Iterable<Member>, query: string, limit = 20): Member[] {
  const text = query.trim();
  if (text.length === 0) return [];
  const words = fold(text).split(/\s+/).filter(Boolean);
  const byNumber: Member[] = [];
  const byName: Member[] = [];
  for (const member of members) {
    if (member.id.toLowerCase().startsWith(text.toLowerCase()) || member.codes.includes(text))
      byNumber.push(member);
    else {
      const nameWords = fold(member.name).split(/\s+/);
      if (words.every((word) => nameWords.some((nameWord) => nameWord.startsWith(word))))
        byName.push(member);
    }
  }
  const order = (a: Member, b: Member) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
  return [...byNumber.sort(order), ...byName.sort(order)].slice(0, limit);
}
