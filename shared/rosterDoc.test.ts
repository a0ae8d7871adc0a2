import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseDocName, ROSTER_SHARDS } from './docName';
import type { Member } from './member';
import {
  decodeRosterValue,
  encodeRosterValue,
  ROSTER_MAP,
  readRosterDoc,
  rosterDocNames,
  rosterDocsOf,
  rosterShard,
  rosterUpdate,
} from './rosterDoc';

const ana: Member = {
  id: 'M1',
  name: 'Ana Lima',
  codes: ['0451'],
  status: 'active',
  validUntil: null,
  homeSite: 'riverside',
  access: 'home',
};

function read(doc: Y.Doc): Map<string, Member> {
  const members = new Map<string, Member>();
  readRosterDoc(doc, members);
  return members;
}

describe('roster documents', () => {
  it('[D7] shards member ids the same way everywhere, within 16 shards', () => {
    expect(rosterShard('M1')).toBe(rosterShard('M1'));
    // Frozen values: a change here would move every member to another document.
    expect(['M1', 'M2', 'ana', ''].map(rosterShard)).toEqual([11, 14, 5, 5]);
    fc.assert(
      fc.property(fc.string(), (id) => {
        const shard = rosterShard(id);
        return Number.isInteger(shard) && shard >= 0 && shard < ROSTER_SHARDS;
      }),
    );
  });

  it('[D7][M5] lists a member in the chain roster, or in each admitting site', () => {
    const shard = rosterShard('M1');
    expect(rosterDocsOf(ana)).toEqual([`roster/riverside/${shard}`]);
    expect(rosterDocsOf({ ...ana, access: 'all' })).toEqual([`chain-roster/${shard}`]);
    expect(rosterDocsOf({ ...ana, access: ['harbour', 'riverside'] })).toEqual([
      `roster/riverside/${shard}`,
      `roster/harbour/${shard}`,
    ]);
    for (const name of rosterDocNames('riverside')) expect(parseDocName(name)).not.toBeNull();
    expect(rosterDocNames('riverside')).toHaveLength(2 * ROSTER_SHARDS);
  });

  it('[D7] reads back what it encodes, and refuses values it cannot read', () => {
    expect(decodeRosterValue('M1', encodeRosterValue(ana))).toEqual(ana);
    expect(decodeRosterValue('M1', { name: 'object' })).toBe('not a roster value');
    expect(decodeRosterValue('M1', '{oops')).toBe('not a roster value');
    expect(decodeRosterValue('M1', JSON.stringify([2, 'Ana']))).toBe('unsupported roster value');
    const bad = JSON.stringify([1, 'Ana', [], 'gold', null, 'riverside', 'home']);
    expect(decodeRosterValue('M1', bad)).toMatch(/status/);
  });

  it('[D7] reads a document with bad values, keeping the good ones and reporting the rest', () => {
    const doc = new Y.Doc();
    doc.getMap(ROSTER_MAP).set('M1', encodeRosterValue(ana));
    doc.getMap(ROSTER_MAP).set('M2', 42);
    const members = new Map<string, Member>();
    expect(readRosterDoc(doc, members)).toEqual([
      { where: 'members.M2', detail: 'not a roster value' },
    ]);
    expect([...members.keys()]).toEqual(['M1']);
  });

  it('[D7] makes the update that brings a replica in line, and nothing when it is', () => {
    const server = new Y.Doc();
    const device = new Y.Doc();
    const bo = { ...ana, id: 'M2', name: 'Bo' };
    const first = rosterUpdate(
      server,
      new Map([
        [ana.id, ana],
        [bo.id, bo],
      ]),
      7,
    );
    expect(first).not.toBeNull();
    // Not applied by rosterUpdate: the caller logs it first.
    expect(read(server).size).toBe(0);
    Y.applyUpdate(server, first as Uint8Array);
    Y.applyUpdate(device, first as Uint8Array);
    const frozen = { ...ana, status: 'frozen' as const };
    const second = rosterUpdate(server, new Map([[frozen.id, frozen]]), 7) as Uint8Array;
    Y.applyUpdate(server, second);
    Y.applyUpdate(device, second);
    expect([...read(device).values()]).toEqual([frozen]);
    expect(rosterUpdate(server, new Map([[frozen.id, frozen]]), 7)).toBeNull();
    // One writer id, its clock continuing: the state vector holds one client.
    expect(Y.decodeStateVector(Y.encodeStateVector(server)).size).toBe(1);
  });

  it('[D7] keeps each update small however many changes the document has seen', () => {
    const server = new Y.Doc();
    const members = new Map<string, Member>();
    for (let i = 0; i < 300; i++) members.set(`M${i}`, { ...ana, id: `M${i}` });
    Y.applyUpdate(server, rosterUpdate(server, members, 7) as Uint8Array);
    // Scattered changes and removals leave a long delete history in the document.
    for (let i = 0; i < 300; i += 2) {
      if (i % 4 === 0) members.delete(`M${i}`);
      else members.set(`M${i}`, { ...ana, id: `M${i}`, status: 'frozen' });
      Y.applyUpdate(server, rosterUpdate(server, members, 7) as Uint8Array);
    }
    members.set('M1', { ...ana, id: 'M1', name: 'Changed' });
    const one = rosterUpdate(server, members, 7) as Uint8Array;
    expect(one.length).toBeLessThan(200);
  });
});
