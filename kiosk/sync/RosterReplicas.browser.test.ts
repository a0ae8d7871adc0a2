import { afterEach, describe, expect, it } from 'vitest';
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import type { Member } from '../../shared/member';
import { encodeRosterValue, ROSTER_MAP, rosterDocsOf } from '../../shared/rosterDoc';
import { openSyncSocket } from './openSyncSocket';
import { RosterReplicas } from './RosterReplicas';

/** An address where no server answers: a tablet offline. */
const UNREACHABLE = 'http://127.0.0.1:9';
const open: { roster: RosterReplicas; close(): void }[] = [];

afterEach(async () => {
  for (const { roster, close } of open.splice(0)) {
    await roster.close();
    close();
  }
});

const member = (id: string, changes: Partial<Member> = {}): Member => ({
  id,
  name: `Member ${id}`,
  codes: [`card-${id}`],
  status: 'active',
  validUntil: null,
  homeSite: 'north',
  access: 'home',
  ...changes,
});

/** Writes `members` into this device's copies of the roster documents that list them. */
async function storeCopies(prefix: string, members: readonly Member[]): Promise<void> {
  const docs = new Map<string, Member[]>();
  for (const m of members)
    for (const name of rosterDocsOf(m)) docs.set(name, [...(docs.get(name) ?? []), m]);
  for (const [name, listed] of docs) {
    const doc = new Y.Doc();
    const persistence = new IndexeddbPersistence(`${prefix}:${name}`, doc);
    await persistence.whenSynced;
    for (const m of listed) doc.getMap(ROSTER_MAP).set(m.id, encodeRosterValue(m));
    // y-indexeddb stores each update as it comes; destroy waits for its database to close.
    await persistence.destroy();
    doc.destroy();
  }
}

/** The roster of a tablet of `siteId` that cannot reach its server. */
function offlineRoster(siteId: string, storagePrefix: string): RosterReplicas {
  const socket = openSyncSocket(UNREACHABLE);
  const roster = new RosterReplicas({
    siteId,
    socket,
    token: async () => 'no token',
    storagePrefix,
  });
  open.push({ roster, close: () => socket.destroy() });
  return roster;
}

describe('RosterReplicas', () => {
  it('[D7] holds its site’s and the chain’s members from the tablet’s copies, offline, and says so once all are read', async () => {
    const prefix = `test-${crypto.randomUUID()}`;
    const ana = member('ana');
    const ben = member('ben', { homeSite: 'south', access: 'all' });
    const cid = member('cid', { homeSite: 'south', access: ['north'] });
    const dee = member('dee', { homeSite: 'south' });
    await storeCopies(prefix, [ana, ben, cid, dee]);

    const roster = offlineRoster('north', prefix);
    let changes = 0;
    roster.addEventListener('change', () => changes++);
    await roster.loaded();

    expect([...roster.members.keys()].sort()).toEqual(['ana', 'ben', 'cid']);
    expect(roster.byCode.get('card-ben')).toEqual(ben);
    expect(roster.byCode.get('card-cid')).toEqual(cid);
    expect(roster.byCode.has('card-dee')).toBe(false);
    expect(roster.synced).toBe(false);
    // 32 documents read one after the other: the screen hears of it once, when all are read.
    expect(changes).toBe(0);
    await expect.poll(() => changes).toBe(1);
  });
});
