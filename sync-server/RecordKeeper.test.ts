import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { recordEvent } from '../shared/checkinsDoc';
import { newEventId } from '../shared/eventId';
import { dayWindow } from '../shared/localTime';
import type { DocumentStore } from './DocumentStore';
import { openDatabase } from './database';
import { RecordKeeper } from './RecordKeeper';
import { readVisits } from './visitRecord';

const DAY = '2026-03-10';
/** No site or previous day is stored: the day is derived alone, in UTC. */
const noDocuments = { load: () => null } as unknown as DocumentStore;

describe('RecordKeeper', () => {
  it("[E2][V10] records two kiosks' check-ins that share an id as two events, and a void of one", () => {
    const db = openDatabase(':memory:');
    const keeper = new RecordKeeper({ db, documents: noDocuments, onRecorded: () => {} });
    const at = dayWindow(DAY, 'UTC').start + 10 * 3_600_000;
    const id = newEventId(at);
    const doc = new Y.Doc();
    const recording = { id, at, clockTrusted: true, method: 'qr' } as const;
    recordEvent(
      doc,
      { role: 'kiosk', id: 'front' },
      { kind: 'checkIn', memberId: 'M1' },
      recording,
    );
    recordEvent(doc, { role: 'kiosk', id: 'back' }, { kind: 'checkIn', memberId: 'M2' }, recording);
    recordEvent(doc, { role: 'kiosk', id: 'side' }, { kind: 'checkIn', memberId: 'M3' }, recording);
    recordEvent(
      doc,
      { role: 'staff', id: 'lee' },
      { kind: 'void', targetId: id, targetWriter: { role: 'kiosk', id: 'side' }, reason: 'x' },
      { id: newEventId(at + 60_000), at: at + 60_000, clockTrusted: true, method: 'staff' },
    );
    keeper.record('riverside', DAY, doc, at + 3_600_000);
    // Storing again rewrites the same rows.
    keeper.record('riverside', DAY, doc, at + 3_600_000);

    const events = db
      .prepare('select writer, id, member_id, detail from events order by writer')
      .all() as { writer: string; id: string; member_id: string; detail: string }[];
    expect(events.map((e) => [e.writer, e.id === id, e.member_id])).toEqual([
      ['kiosk:back', true, 'M2'],
      ['kiosk:front', true, 'M1'],
      ['kiosk:side', true, 'M3'],
      ['staff:lee', false, ''],
    ]);
    expect(JSON.parse(events[3]?.detail ?? '{}')).toMatchObject({
      targetId: id,
      targetWriter: 'kiosk:side',
    });
    const visits = db.prepare('select writer, id, member_id from visits order by writer').all();
    expect(visits).toEqual([
      { writer: 'kiosk:back', id, member_id: 'M2' },
      { writer: 'kiosk:front', id, member_id: 'M1' },
    ]);
    const range = { siteId: 'riverside', from: DAY, to: DAY, order: 'asc', now: at } as const;
    expect(readVisits(db, range).map((v) => [v.id, v.memberId])).toEqual([
      [id, 'M2'],
      [id, 'M1'],
    ]);
  });
});
