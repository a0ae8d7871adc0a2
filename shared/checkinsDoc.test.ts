import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readEntries, readEntriesSince, recordEvent, watchEntries } from './checkinsDoc';
import { DayLedger } from './DayLedger';
import { deriveDay } from './deriveDay';
import { encodeEntry } from './entryCodec';
import { newEventId } from './eventId';
import { clock, TEST_CONFIG, TEST_DAY } from './testing/entries';

const front = { role: 'kiosk', id: 'front' } as const;

function checkIn(
  doc: Y.Doc,
  memberId: string,
  time: string,
  writer: { role: 'kiosk' | 'staff'; id: string } = front,
): string {
  const at = clock(time);
  const id = newEventId(at);
  recordEvent(
    doc,
    writer,
    { kind: 'checkIn', memberId },
    { id, at, clockTrusted: true, method: 'keypad' },
  );
  return id;
}

/** Sends everything `from` has to `to`, as a network would: one binary update. */
function sync(from: Y.Doc, to: Y.Doc): void {
  Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
}

describe('checkinsDoc', () => {
  it("[D4] appends to the writer's own array and reads entries with keys every replica agrees on", () => {
    const a = new Y.Doc();
    checkIn(a, 'ana', '10:00');
    checkIn(a, 'bo', '10:05', { role: 'staff', id: 'lee' });
    const b = new Y.Doc();
    sync(a, b);
    expect(a.share.has('kiosk:front')).toBe(true);
    expect(a.share.has('staff:lee')).toBe(true);
    const keys = (doc: Y.Doc) =>
      readEntries(doc, TEST_DAY)
        .map((e) => e.key)
        .sort();
    expect(keys(b)).toEqual(keys(a));
    expect(keys(a)).toHaveLength(2);
  });

  it('[S8] the watcher hands over exactly what each transaction added and deleted', () => {
    const kiosk = new Y.Doc();
    const dashboard = new Y.Doc();
    const ledger = new DayLedger(TEST_CONFIG);
    const batches: number[] = [];
    watchEntries(dashboard, TEST_DAY, (added, removed) => {
      batches.push(added.length);
      ledger.add(added);
      ledger.remove(removed);
    });
    checkIn(kiosk, 'ana', '10:00');
    sync(kiosk, dashboard);
    checkIn(kiosk, 'bo', '10:05');
    checkIn(kiosk, 'cy', '10:06');
    sync(kiosk, dashboard);
    expect(batches).toEqual([1, 2]);
    const now = clock('11:00');
    expect(ledger.stats(now)).toEqual(
      deriveDay(TEST_CONFIG, readEntries(dashboard, TEST_DAY), now).stats,
    );
    expect(ledger.stats(now).visitsToday).toBe(3);
  });

  it('[S7] keeps entries of two documents apart even when their Yjs ids are equal', () => {
    const yesterday = new Y.Doc();
    const today = new Y.Doc();
    yesterday.clientID = 7;
    today.clientID = 7;
    const at = clock('23:00', -1);
    recordEvent(
      yesterday,
      front,
      { kind: 'checkIn', memberId: 'ana' },
      { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
    );
    checkIn(today, 'bo', '10:00');
    const entries = [...readEntries(yesterday, '2026-03-09'), ...readEntries(today, TEST_DAY)];
    const forward = deriveDay(TEST_CONFIG, entries, clock('11:00'));
    expect(forward).toEqual(deriveDay(TEST_CONFIG, [...entries].reverse(), clock('11:00')));
    expect(forward.visits.map((v) => v.memberId)).toEqual(['ana', 'bo']);
  });

  it('[D5] forgets an entry a client deleted, on every replica', () => {
    const kiosk = new Y.Doc();
    const dashboard = new Y.Doc();
    const ledger = new DayLedger(TEST_CONFIG);
    watchEntries(dashboard, TEST_DAY, (added, removed) => {
      ledger.add(added);
      ledger.remove(removed);
    });
    checkIn(kiosk, 'ana', '10:00');
    checkIn(kiosk, 'bo', '10:05');
    sync(kiosk, dashboard);
    kiosk.getArray('kiosk:front').delete(0, 1);
    sync(kiosk, dashboard);
    const now = clock('11:00');
    expect(ledger.stats(now).currentlyIn.map((p) => p.memberId)).toEqual(['bo']);
    expect(ledger.stats(now)).toEqual(
      deriveDay(TEST_CONFIG, readEntries(dashboard, TEST_DAY), now).stats,
    );
  });

  it('[E5][D4] derives a document full of bad data without throwing and lists every bad entry', () => {
    const bad = new Y.Doc();
    const good = checkIn(bad, 'ana', '10:00');
    const at = clock('10:10');
    const array = bad.getArray<unknown>('kiosk:front');
    array.push([
      'a string',
      42,
      null,
      { id: 'object-shaped' },
      [1, new Uint8Array(3), 0, 'bo', 0, true, 0],
      [
        1,
        encodeEntry(
          { kind: 'checkIn', memberId: 'x' },
          { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
        )[1],
        7,
        'bo',
        0,
        true,
        0,
      ],
      [
        1,
        encodeEntry(
          { kind: 'checkIn', memberId: 'x' },
          { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
        )[1],
        0,
        'y'.repeat(200_000),
        0,
        true,
        0,
      ],
      [3, 'from the future'],
    ]);
    array.push([new Y.Map()]);
    bad.getMap('kiosk:side').set('k', 'map on a kiosk name');
    bad.getMap('members').set('M1', { name: 'roster in the wrong document' });
    bad.getText('notes').insert(0, 'hi');
    const kioskWritingVoid = encodeEntry(
      {
        kind: 'void',
        targetId: good,
        targetWriter: { role: 'kiosk', id: 'front' },
        reason: 'sneaky',
      },
      { id: newEventId(at), at, clockTrusted: true, method: 'keypad' },
    );
    bad.getArray('kiosk:front').push([kioskWritingVoid]);

    const replica = new Y.Doc();
    sync(bad, replica);
    const result = deriveDay(TEST_CONFIG, readEntries(replica, TEST_DAY), clock('11:00'));
    expect(result.stats.visitsToday).toBe(1);
    expect(result.stats.currentlyIn.map((p) => p.memberId)).toEqual(['ana']);
    const codes = result.problems.map((p) => p.code).sort();
    expect(codes).toEqual([
      'malformed',
      'malformed',
      'malformed',
      'malformed',
      'malformed',
      'malformed',
      'misplaced',
      'misplaced',
      'misplaced',
      'misplaced',
      'misplaced',
      'not-permitted',
      'unknown-kind',
      'unsupported-version',
    ]);
    expect(result.stats.problemCount).toBe(codes.length);
    for (const problem of result.problems) expect(problem.detail.length).toBeLessThan(120);
  });
});

describe('readEntriesSince', () => {
  it('returns only the entries after a state vector, also inside merged pushes', () => {
    const doc = new Y.Doc();
    checkIn(doc, 'a', '10:00');
    checkIn(doc, 'b', '10:01');
    checkIn(doc, 'c', '10:02');
    const acknowledged = Y.encodeStateVector(doc);
    checkIn(doc, 'd', '10:03');
    checkIn(doc, 'e', '10:04');
    const since = readEntriesSince(doc, TEST_DAY, acknowledged);
    expect(since.map((e) => (e.value as unknown[])[3])).toEqual(['d', 'e']);
    expect(readEntriesSince(doc, TEST_DAY, Y.encodeStateVector(doc))).toEqual([]);
    expect(readEntriesSince(doc, TEST_DAY, Y.encodeStateVector(new Y.Doc()))).toHaveLength(5);
  });
});
