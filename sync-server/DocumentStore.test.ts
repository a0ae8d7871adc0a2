import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DocumentStore } from './DocumentStore';
import { PostgresDatabase } from './database';
import { TEST_ENGINE, testDatabases } from './testing/testDatabase';

const openDb = testDatabases();
const NAME = 'checkins/riverside/2026-12-02';

/** An update adding `value` to the writer's own array, as seen by a doc at `base`'s state. */
function entry(base: Y.Doc, writer: string, value: string): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  const before = Y.encodeStateVector(doc);
  doc.getArray(writer).push([value]);
  return Y.encodeStateAsUpdate(doc, before);
}

const values = (doc: Y.Doc | null) =>
  doc ? [...doc.share.keys()].sort().flatMap((key) => doc.getArray(key).toArray()) : [];

describe('DocumentStore', () => {
  it('[W5] folds only what the state holds: an update logged meanwhile stays in the log', async () => {
    const store = new DocumentStore(await openDb());
    const doc = new Y.Doc();
    const first = entry(doc, 'kiosk:a', 'M1');
    const seq1 = await store.append(NAME, first);
    Y.applyUpdate(doc, first);
    // Logged, not applied yet (its message is still being handled).
    await store.append(NAME, entry(new Y.Doc(), 'kiosk:b', 'M2'));
    await store.compact(NAME, Y.encodeStateAsUpdate(doc), [seq1]);
    expect(values(await store.load(NAME))).toEqual(['M1', 'M2']);
  });

  // Two instances on one PostgreSQL, each with an update the other has not received yet (in
  // transit between them): each folds its own document. Neither fold may lose the other's.
  it.runIf(TEST_ENGINE === 'postgres')(
    '[W5] loses nothing when two instances fold one document, each without the other’s latest update',
    async () => {
      const a = await openDb();
      const b = await PostgresDatabase.open({
        url: process.env.DATABASE_URL ?? '',
        schema: (a as PostgresDatabase).schema,
      });
      try {
        const storeA = new DocumentStore(a);
        const storeB = new DocumentStore(b);
        const docA = new Y.Doc();
        const docB = new Y.Doc();
        const fromA = entry(docA, 'kiosk:front', 'M1');
        const fromB = entry(docB, 'kiosk:side', 'M2');
        const seqA = await storeA.append(NAME, fromA);
        const seqB = await storeB.append(NAME, fromB);
        Y.applyUpdate(docA, fromA);
        Y.applyUpdate(docB, fromB);
        await Promise.all([
          storeA.compact(NAME, Y.encodeStateAsUpdate(docA), [seqA]),
          storeB.compact(NAME, Y.encodeStateAsUpdate(docB), [seqB]),
        ]);
        expect(values(await storeA.load(NAME))).toEqual(['M1', 'M2']);
        expect(await storeA.updatesOf(NAME)).toEqual([]);
      } finally {
        await b.close();
      }
    },
  );
});
