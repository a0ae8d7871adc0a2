import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import { DocumentStore } from './DocumentStore';
import { openDatabase } from './database';
import { closeAfterEach } from './testing/closeAfterEach';
import {
  connect,
  kioskCheckIn,
  pairKiosk,
  SITE,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';

const today = localDayOf(Date.now(), ZONE);
const name = checkinsDocName(SITE, today);
const open = closeAfterEach();

const logged = (t: TestServer) =>
  (t.server.db.prepare('select count(*) as n from document_updates').get() as { n: number }).n;
const recorded = (t: TestServer) =>
  (t.server.db.prepare('select count(*) as n from events').get() as { n: number }).n;
const storedState = (t: TestServer): Y.Doc => {
  const doc = new Y.Doc();
  const state = t.server.documents.fetch(name);
  if (state) Y.applyUpdate(doc, state);
  return doc;
};

/** A server and a paired kiosk connected to today's document, both closed after the test. */
async function kioskOnToday(options: { closedByTest?: boolean } = {}) {
  const t = await startTestServer();
  open.push(t);
  const kiosk = await pairKiosk(t);
  const c = connect(t, name, kiosk.token);
  if (!options.closedByTest) open.push(c);
  await c.outcome;
  return { t, kiosk, c };
}

describe('DurableDocuments', () => {
  it('[W5] has an update in its log by the time the writer hears it was accepted', async () => {
    const { t, kiosk, c } = await kioskOnToday();
    kioskCheckIn(c.doc, kiosk.deviceId, 'M1');
    await until(() => !c.provider.hasUnsyncedChanges, 'the acknowledgement');
    // Well inside the 2 s store debounce: the state is not stored yet, the log holds it.
    expect(readEntries(storedState(t), today)).toHaveLength(0);
    expect(logged(t)).toBeGreaterThan(0);
    expect(readEntries(t.server.documents.load(name) as Y.Doc, today)).toHaveLength(1);
  });

  it('[W5][R3] leaves the state alone at a store while the log is small, and folds the log in when the last client leaves', async () => {
    // The test closes this kiosk itself: that is what it is about.
    const { t, kiosk, c } = await kioskOnToday({ closedByTest: true });
    for (const m of ['M1', 'M2', 'M3']) kioskCheckIn(c.doc, kiosk.deviceId, m);
    await until(() => !c.provider.hasUnsyncedChanges, 'the acknowledgements');
    t.server.hocuspocus.flushPendingStores();
    // The store ran (the record follows every store), but the log still holds the updates.
    await until(() => recorded(t) === 3, 'the record to follow the store');
    expect(logged(t)).toBeGreaterThan(0);
    expect(readEntries(storedState(t), today)).toHaveLength(0);
    c.destroy();
    await until(() => logged(t) === 0, 'the log to be folded');
    expect(readEntries(storedState(t), today)).toHaveLength(3);
    // The record has followed that version of the state: a restart rebuilds nothing ([R2]).
    await until(() => t.server.hocuspocus.getDocumentsCount() === 0, 'the unload');
    await t.server.records.settled();
    const marks = t.server.db
      .prepare(
        'select d.version as stored, m.version as followed from documents d join record_marks m using (name) where name = ?',
      )
      .get(name) as { stored: number; followed: number };
    expect(marks.followed).toBe(marks.stored);
  });

  it('[W5][R3] folds the log into the state at a store once the log has grown past 64 KiB', async () => {
    const { t, kiosk, c } = await kioskOnToday();
    // About 15 KB per batch of 400 check-ins.
    for (let batch = 0; batch < 6; batch++) {
      c.doc.transact(() => {
        for (let i = 0; i < 400; i++) kioskCheckIn(c.doc, kiosk.deviceId, `M${batch}-${i}`);
      });
    }
    await until(() => !c.provider.hasUnsyncedChanges, 'the acknowledgements');
    t.server.hocuspocus.flushPendingStores();
    await until(() => logged(t) === 0, 'the log to be folded while the kiosk is still connected');
    expect(readEntries(storedState(t), today)).toHaveLength(2400);
  });

  it('[W5] folds a log a crash left behind into the documents and the record at start', async () => {
    const setup = await startTestServer();
    const dir = setup.dir;
    await setup.close();
    // What a process killed between acknowledging and storing leaves: log rows, no state.
    const db = openDatabase(dir);
    const writer = new Y.Doc();
    const updates: Uint8Array[] = [];
    writer.on('update', (update: Uint8Array) => updates.push(update));
    kioskCheckIn(writer, 'front', 'M1');
    kioskCheckIn(writer, 'front', 'M2');
    const store = new DocumentStore(db);
    for (const update of updates) store.append(name, update);
    db.close();

    const t = await startTestServer({}, dir);
    open.push(t);
    expect(logged(t)).toBe(0);
    expect(readEntries(storedState(t), today)).toHaveLength(2);
    // The record of those days is rebuilt in the background once the server is up ([R2]).
    await t.server.records.settled();
    const events = t.server.db.prepare('select member_id from events order by member_id').all();
    expect(events).toEqual([{ member_id: 'M1' }, { member_id: 'M2' }]);
  });

  it('drops items whose origins never arrived when it loads a document', () => {
    const store = new DocumentStore(openDatabase(':memory:'));
    const writer = new Y.Doc();
    kioskCheckIn(writer, 'front', 'M1');
    const before = Y.encodeStateVector(writer);
    kioskCheckIn(writer, 'front', 'M2');
    // Only the second entry reaches the log: it waits for the first, which never comes.
    store.append(name, Y.encodeStateAsUpdate(writer, before));
    const loaded = store.load(name) as Y.Doc;
    expect(loaded.store.pendingStructs).toBeNull();
    expect(readEntries(loaded, today)).toEqual([]);
  });
});
