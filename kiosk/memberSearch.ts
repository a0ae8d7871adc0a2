import type { Member } from '../shared/member';

/** One line of the name search on a public screen: first name and last initial only. */
export interface SearchHit {
  readonly id: string;
  readonly label: string;
}

/** Letters needed before the search shows anyone (a public screen lists as few people as it can). */
export const MIN_QUERY = 3;

/** Lower case without accents, for matching what people type against names. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase();
}

/** "Ana Lima" → "Ana L."; one-word names stay as they are. */
export function publicName(name: string): string {
  const words = name.trim().split(/\s+/);
  const first = words[0] ?? '';
  const last = words.length > 1 ? words[words.length - 1] : undefined;
  return last ? `${first} ${last.slice(0, 1).toUpperCase()}.` : first;
}

/**
 * Members whose name words start with every word typed ("ana li" finds Ana Lima), accents and
 * case ignored, at most `limit`. Two people who would look the same get the last two digits of
 * their member number, so each can find themself.
 */
export function searchMembers(members: Iterable<Member>, query: string, limit = 8): SearchHit[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.join('').length < MIN_QUERY) return [];
  const found: Member[] = [];
  for (const member of members) {
    if (member.status !== 'active' && member.status !== 'expired' && member.status !== 'frozen')
      continue;
    const nameWords = fold(member.name).split(/\s+/);
    if (words.every((word) => nameWords.some((nameWord) => nameWord.startsWith(word))))
      found.push(member);
  }
  found.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const hits = found
    .slice(0, limit)
    .map((member) => ({ id: member.id, label: publicName(member.name) }));
  const counts = new Map<string, number>();
  for (const hit of hits) counts.set(hit.label, (counts.get(hit.label) ?? 0) + 1);
  return hits.map((hit) =>
    (counts.get(hit.label) ?? 0) > 1
      ? { ...hit, label: `${hit.label} (…${hit.id.slice(-2)})` }
      : hit,
  );
}
