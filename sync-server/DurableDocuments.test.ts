import type {
  afterHandleMessagePayload,
  beforeSyncPayload,
  beforeUnloadDocumentPayload,
  onLoadDocumentPayload,
  onStoreDocumentPayload,
} from '@hocuspocus/server';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type RawEntry, readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { memberIdOf } from '../shared/entryCodec';
import { localDayOf } from '../shared/localTime';
import { DocumentStore } from './DocumentStore';
import { DurableDocuments } from './DurableDocuments';
import { type Database, PostgresDatabase, SqliteDatabase } from './database';
import { closeAfterEach } from './testing/closeAfterEach';
import { schemaFor, TEST_ENGINE, testDatabases } from './testing/testDatabase';
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
const openDatabase = testDatabases();

const count = async (t: TestServer, table: string) =>
  ((await t.server.db.get<{ n: number }>(`select count(*) as n from ${table}`)) as { n: number }).n;
const logged = (t: TestServer) => count(t, 'document_updates');
const recorded = (t: TestServer) => count(t, 'events');
const storedState = async (t: TestServer): Promise<Y.Doc> => {
  const doc = new Y.Doc();
  const state = await t.server.documents.fetch(name);
  if (state) Y.applyUpdate(doc, state);
  return doc;
};

/** The database a test server on `dir` uses (after it has closed): its file, or its schema. */
async function serverDatabase(dir: string): Promise<Database> {
  if (TEST_ENGINE === 'sqlite') return SqliteDatabase.open(dir);
  return PostgresDatabase.open({ url: process.env.DATABASE_URL as string, schema: schemaFor(dir) });
}

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
    // Well inside the store's debounce: the state is not stored yet, the log holds it.
    expect(readEntries(await storedState(t), today)).toHaveLength(0);
    expect(await logged(t)).toBeGreaterThan(0);
    expect(readEntries((await t.server.documents.load(name)) as Y.Doc, today)).toHaveLength(1);
  });

  it('[R2][I3] stores a document that never rests within seconds, so the record follows a busy door', async () => {
    const { t, kiosk, c } = await kioskOnToday();
    // A check-in every 250 ms: the door never rests for the store's 1 s. With Hocuspocus's own
    // cadence (2 s after the last update, at most 10 s) the record would hear of nothing for 10 s,
    // 40 check-ins; STORE_CADENCE stores at most 3 s after the first, about 12 check-ins.
    let written = 0;
    while (written < 40 && (await recorded(t)) === 0) {
      kioskCheckIn(c.doc, kiosk.deviceId, `M${written}`);
      written++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(await recorded(t)).toBeGreaterThan(0);
    // A slow machine writes fewer check-ins in the same seconds: this bound only gets easier.
    expect(written).toBeLessThan(28);
  });

  it('[W5][R3] leaves the state alone at a store while the log is small, and folds the log in when the last client leaves', async () => {
    // The test closes this kiosk itself: that is what it is about.
    const { t, kiosk, c } = await kioskOnToday({ closedByTest: true });
    for (const m of ['M1', 'M2', 'M3']) kioskCheckIn(c.doc, kiosk.deviceId, m);
    await until(() => !c.provider.hasUnsyncedChanges, 'the acknowledgements');
    t.server.hocuspocus.flushPendingStores();
    // The store ran (the record follows every store), but the log still holds the updates.
    await until(async () => (await recorded(t)) === 3, 'the record to follow the store');
    expect(await logged(t)).toBeGreaterThan(0);
    expect(readEntries(await storedState(t), today)).toHaveLength(0);
    c.destroy();
    await until(async () => (await logged(t)) === 0, 'the log to be folded');
    expect(readEntries(await storedState(t), today)).toHaveLength(3);
    // The record has followed that version of the state: a restart rebuilds nothing ([R2]).
    await until(() => t.server.hocuspocus.getDocumentsCount() === 0, 'the unload');
    await t.server.records.settled();
    const marks = (await t.server.db.get(
      'select d.version as stored, m.version as followed from documents d join record_marks m using (name) where name = ?',
      [name],
    )) as { stored: number; followed: number };
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
    await until(
      async () => (await logged(t)) === 0,
      'the log to be folded while the kiosk is still connected',
    );
    expect(readEntries(await storedState(t), today)).toHaveLength(2400);
  });

  it('[W5] folds a log a crash left behind into the documents and the record at start', async () => {
    const setup = await startTestServer();
    const dir = setup.dir;
    await setup.close();
    // What a process killed between acknowledging and storing leaves: log rows, no state.
    const db = await serverDatabase(dir);
    const writer = new Y.Doc();
    const updates: Uint8Array[] = [];
    writer.on('update', (update: Uint8Array) => updates.push(update));
    kioskCheckIn(writer, 'front', 'M1');
    kioskCheckIn(writer, 'front', 'M2');
    const store = new DocumentStore(db);
    for (const update of updates) await store.append(name, update);
    await db.close();

    const t = await startTestServer({}, dir);
    open.push(t);
    expect(await logged(t)).toBe(0);
    expect(readEntries(await storedState(t), today)).toHaveLength(2);
    // The record of those days is rebuilt in the background once the server is up ([R2]).
    await t.server.records.settled();
    const events = await t.server.db.all('select member_id from events order by member_id');
    expect(events).toEqual([{ member_id: 'M1' }, { member_id: 'M2' }]);
  });

  it('drops items whose origins never arrived when it loads a document', async () => {
    const store = new DocumentStore(await openDatabase());
    const writer = new Y.Doc();
    kioskCheckIn(writer, 'front', 'M1');
    const before = Y.encodeStateVector(writer);
    kioskCheckIn(writer, 'front', 'M2');
    // Only the second entry reaches the log: it waits for the first, which never comes.
    await store.append(name, Y.encodeStateAsUpdate(writer, before));
    const loaded = (await store.load(name)) as Y.Doc;
    expect(loaded.store.pendingStructs).toBeNull();
    expect(readEntries(loaded, today)).toEqual([]);
  });

  describe('while appends and folds interleave', () => {
    it('[W5] keeps in the log an update whose append returned after a later one was applied and folded', async () => {
      const h = await harness();
      const [a, b] = [h.update('front', 'M1'), h.update('back', 'M2')];
      // A's row is written first (the lower seq) but its append returns last, as a commit can on
      // PostgreSQL; B is applied and folded meanwhile.
      const returned = gate();
      h.store.appendGates.push(returned.wait);
      const syncingA = h.sync(a);
      await h.sync(b);
      h.handled(b);
      await h.unload();
      expect(await h.store.updatesOf(name)).toHaveLength(1);
      expect(await h.storedEntries()).toEqual(['M1', 'M2']);
      returned.open();
      await syncingA;
      h.handled(a);
      await h.unload();
      expect(await h.store.updatesOf(name)).toEqual([]);
      expect(await h.storedEntries()).toEqual(['M1', 'M2']);
    });

    it('[W5] keeps in the log an update applied while a fold is being written, which its state lacks', async () => {
      const h = await harness();
      const c = h.update('front', 'M1');
      await h.sync(c);
      const writing = gate();
      h.store.compactGates.push(writing.wait);
      const folding = h.unload();
      // Applied after the fold encoded the state (it waits at the gate), before it is written.
      await new Promise((resolve) => setImmediate(resolve));
      h.handled(c);
      writing.open();
      await folding;
      expect(await h.store.updatesOf(name)).toHaveLength(1);
      expect(await h.storedEntries()).toEqual(['M1']);
      await h.unload();
      expect(await h.store.updatesOf(name)).toEqual([]);
      expect(readEntries(await h.stateOnly(), today).map(memberOf)).toEqual(['M1']);
    });

    it('[W5] folds a document one fold after the other, so an older state never overwrites a newer one', async () => {
      const h = await harness();
      const [a, b] = [h.update('front', 'M1'), h.update('back', 'M2')];
      await h.sync(a);
      h.handled(a);
      const writing = gate();
      h.store.compactGates.push(writing.wait);
      const first = h.store_();
      await h.sync(b);
      h.handled(b);
      const second = h.unload();
      writing.open();
      await Promise.all([first, second]);
      expect(await h.store.updatesOf(name)).toEqual([]);
      expect(
        readEntries(await h.stateOnly(), today)
          .map(memberOf)
          .sort(),
      ).toEqual(['M1', 'M2']);
    });
  });
});

/** A promise a test resolves when it chooses. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** A store whose appends (once their row is written) and compacts (before) wait for gates. */
class GatedStore extends DocumentStore {
  readonly appendGates: Promise<void>[] = [];
  readonly compactGates: Promise<void>[] = [];

  override async append(documentName: string, update: Uint8Array): Promise<number> {
    const seq = await super.append(documentName, update);
    await this.appendGates.shift();
    return seq;
  }

  override async compact(
    documentName: string,
    state: Uint8Array,
    folded: readonly number[],
  ): Promise<void> {
    await this.compactGates.shift();
    await super.compact(documentName, state, folded);
  }
}

const memberOf = (entry: RawEntry) => memberIdOf(entry.value);

/**
 * DurableDocuments driven as Hocuspocus drives it, on today's document: `sync` is a message's
 * beforeSync, `handled` applies its update and runs afterHandleMessage (each connection handles
 * one message at a time, so one connection per update), `store_` and `unload` are the store and
 * unload hooks (a store always folds here: no minimum log size).
 */
async function harness() {
  const store = new GatedStore(await openDatabase());
  const durable = new DurableDocuments({ documents: store, minLogBytes: 0 });
  const doc = new Y.Doc();
  await durable.onLoadDocument({
    documentName: name,
    document: doc,
  } as unknown as onLoadDocumentPayload);
  const connections = new Map<Uint8Array, object>();
  return {
    store,
    update(deviceId: string, memberId: string): Uint8Array {
      const writer = new Y.Doc();
      kioskCheckIn(writer, deviceId, memberId);
      const update = Y.encodeStateAsUpdate(writer);
      connections.set(update, { readOnly: false });
      return update;
    },
    sync(update: Uint8Array): Promise<void> {
      return durable.beforeSync({
        type: 2,
        payload: update,
        document: doc,
        documentName: name,
        connection: connections.get(update),
      } as unknown as beforeSyncPayload);
    },
    handled(update: Uint8Array): void {
      Y.applyUpdate(doc, update);
      void durable.afterHandleMessage({
        connection: connections.get(update),
      } as unknown as afterHandleMessagePayload);
    },
    store_(): Promise<void> {
      return durable.onStoreDocument({
        documentName: name,
        document: doc,
      } as unknown as onStoreDocumentPayload);
    },
    unload(): Promise<void> {
      return durable.beforeUnloadDocument({
        documentName: name,
        document: doc,
      } as unknown as beforeUnloadDocumentPayload);
    },
    /** Members of the entries stored: the state and the log, as a load reads them. */
    async storedEntries(): Promise<string[]> {
      return readEntries((await store.load(name)) as Y.Doc, today)
        .map(memberOf)
        .sort();
    },
    /** The stored state alone, without the log. */
    async stateOnly(): Promise<Y.Doc> {
      const state = new Y.Doc();
      const stored = await store.fetch(name);
      if (stored) Y.applyUpdate(state, stored);
      return state;
    },
  };
}
