import * as Y from 'yjs';
import { chainRosterDocName, ROSTER_SHARDS, rosterDocName } from './docName';
import { checkMember, type Member } from './member';

/**
 * Roster documents ([D7]): the server lists each member in the documents of the sites that admit
 * them ([M5]), sharded by id, so a kiosk holds its own site's members and the chain-wide ones and
 * nothing else, and a status change is one small update to one document. Values are compact
 * versioned strings (a 50 000-member roster is 2.8 MB this way against 7.3 MB as Y.Map objects:
 * docs/research/chains.md §4). Reading never throws: a bad value leaves its member out and is
 * reported.
 */

export const ROSTER_MAP = 'members';
/** Version of a roster value: `[1, name, codes, status, validUntil, homeSite, access]`. */
const VALUE_VERSION = 1;

/** The shard of a member id: FNV-1a of its UTF-16 code units, the same everywhere. */
export function rosterShard(memberId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < memberId.length; i++) {
    hash ^= memberId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % ROSTER_SHARDS;
}

/** Every roster document a device of `siteId` reads: the site's shards, then the chain's. */
export function rosterDocNames(siteId: string): string[] {
  const names: string[] = [];
  for (let shard = 0; shard < ROSTER_SHARDS; shard++) names.push(rosterDocName(siteId, shard));
  for (let shard = 0; shard < ROSTER_SHARDS; shard++) names.push(chainRosterDocName(shard));
  return names;
}

/** The roster documents that list `member` ([D7]): the chain's, or each admitting site's. */
export function rosterDocsOf(member: Member): string[] {
  const shard = rosterShard(member.id);
  if (member.access === 'all') return [chainRosterDocName(shard)];
  const sites = member.access === 'home' ? [member.homeSite] : [member.homeSite, ...member.access];
  return [...new Set(sites)].map((site) => rosterDocName(site, shard));
}

export function encodeRosterValue(member: Member): string {
  const { name, codes, status, validUntil, homeSite, access } = member;
  return JSON.stringify([VALUE_VERSION, name, codes, status, validUntil, homeSite, access]);
}

/** The member a roster value stands for, or why it cannot be read. */
export function decodeRosterValue(id: string, value: unknown): Member | string {
  if (typeof value !== 'string' || value.length > 8192) return 'not a roster value';
  let fields: unknown;
  try {
    fields = JSON.parse(value);
  } catch {
    return 'not a roster value';
  }
  if (!Array.isArray(fields) || fields[0] !== VALUE_VERSION || fields.length !== 7)
    return 'unsupported roster value';
  const [, name, codes, status, validUntil, homeSite, access] = fields;
  const member = { id, name, codes, status, validUntil, homeSite, access } as Member;
  return checkMember(member) ?? member;
}

export interface RosterProblem {
  readonly where: string;
  readonly detail: string;
}

/** Adds the members listed in one roster document to `into`; returns what it could not read. */
export function readRosterDoc(doc: Y.Doc, into: Map<string, Member>): RosterProblem[] {
  const problems: RosterProblem[] = [];
  for (const [id, value] of doc.getMap<unknown>(ROSTER_MAP).entries()) {
    const member = decodeRosterValue(id, value);
    if (typeof member === 'string')
      problems.push({ where: `members.${id.slice(0, 64)}`, detail: member });
    else into.set(id, member);
  }
  return problems;
}

/**
 * The update that makes a roster document list exactly `members` (the server's projection):
 * sets what differs, deletes what should not be there. Null when the document already agrees.
 * `doc` is not changed: the caller logs the update before applying it (`DurableDocuments`).
 */
export function rosterUpdate(
  doc: Y.Doc,
  members: ReadonlyMap<string, Member>,
  clientID: number,
): Uint8Array | null {
  const listed = doc.getMap<unknown>(ROSTER_MAP);
  const stale = [...listed.keys()].filter((id) => !members.has(id));
  // Compared as written: no parsing, and a value that cannot be read is replaced once, not at
  // every reconcile.
  const changed = [...members.values()].filter(
    (member) => listed.get(member.id) !== encodeRosterValue(member),
  );
  if (stale.length === 0 && changed.length === 0) return null;
  // A copy with this writer's id: its clock continues from the document's state, and the
  // update holds only what the transaction adds.
  const copy = new Y.Doc({ gc: false });
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  // Set after the state is in: Yjs gives a document a new id when a remote update carries its
  // own, and the state may hold this writer's earlier changes.
  copy.clientID = clientID;
  const map = copy.getMap<unknown>(ROSTER_MAP);
  // The transaction's own update: its items and only its deletions (a diff against the state
  // vector would carry the document's whole delete history every time).
  let update: Uint8Array | null = null;
  copy.on('update', (made: Uint8Array) => {
    update = made;
  });
  copy.transact(() => {
    for (const id of stale) map.delete(id);
    for (const member of changed) map.set(member.id, encodeRosterValue(member));
  });
  copy.destroy();
  return update;
}
