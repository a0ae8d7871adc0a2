import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { encodedSize, shapeOfUpdate } from './updateShape';

/** Captures the update a change to `doc` produces. */
function updateOf(doc: Y.Doc, change: () => void): Uint8Array {
  let captured: Uint8Array = new Uint8Array();
  const listener = (update: Uint8Array) => {
    captured = update;
  };
  doc.on('update', listener);
  change();
  doc.off('update', listener);
  return captured;
}

describe('shapeOfUpdate', () => {
  it('names the top-level array of appended entries, also when they follow known items', () => {
    const client = new Y.Doc();
    const server = new Y.Doc();
    const first = updateOf(client, () => client.getArray('kiosk:a').push([[1]]));
    expect(shapeOfUpdate(server, first).items.map((i) => i.container)).toEqual(['kiosk:a']);
    Y.applyUpdate(server, first);
    const second = updateOf(client, () => client.getArray('kiosk:a').push([[2]]));
    expect(shapeOfUpdate(server, second).items).toMatchObject([
      { container: 'kiosk:a', mapKey: null, content: 'any' },
    ]);
  });

  it('leaves the place of an item open while its origin has not arrived, naming whose it is', () => {
    const client = new Y.Doc();
    const server = new Y.Doc();
    updateOf(client, () => client.getArray('kiosk:a').push([[1]]));
    const later = updateOf(client, () => client.getArray('kiosk:a').push([[2]]));
    expect(shapeOfUpdate(server, later).items).toMatchObject([
      { container: undefined, pendingOn: client.clientID, client: client.clientID },
    ]);
  });

  it('leaves out what the document already holds, also inside a merged struct', () => {
    const client = new Y.Doc();
    const server = new Y.Doc();
    const first = updateOf(client, () => client.getArray('kiosk:a').push([[1], [2]]));
    Y.applyUpdate(server, first);
    expect(shapeOfUpdate(server, first).items).toEqual([]);
    client.getArray('kiosk:a').push([[3]]);
    // The whole state: entries 1 and 2 are held, 3 is new.
    const whole = Y.encodeStateAsUpdate(client);
    expect(shapeOfUpdate(server, whole).items).toMatchObject([
      { container: 'kiosk:a', values: [[3]], length: 1 },
    ]);
  });

  it('measures values as Yjs stores them', () => {
    expect(encodedSize([1, new Uint8Array(16), 0, 'M1', 0, true, 1])).toBeLessThan(40);
    expect(encodedSize('x'.repeat(3000))).toBeGreaterThan(3000);
  });

  it('sees map entries, nested types, deletions and the size of values', () => {
    const server = new Y.Doc();
    const doc = new Y.Doc();
    const map = updateOf(doc, () => doc.getMap('kiosk:a').set('k', 'v'));
    expect(shapeOfUpdate(server, map).items[0]).toMatchObject({
      container: 'kiosk:a',
      mapKey: 'k',
    });
    const nested = new Y.Doc();
    const nestedUpdate = updateOf(nested, () =>
      nested.transact(() => {
        const inner = new Y.Array();
        nested.getArray('kiosk:a').push([inner]);
        inner.push(['x']);
      }),
    );
    expect(shapeOfUpdate(server, nestedUpdate).items.map((i) => [i.container, i.content])).toEqual([
      ['kiosk:a', 'other'],
      [null, 'any'],
    ]);
    const list = new Y.Doc();
    const big = updateOf(list, () => list.getArray('kiosk:b').push(['x'.repeat(10_000)]));
    expect(encodedSize(shapeOfUpdate(server, big).items[0]?.values[0])).toBeGreaterThan(10_000);
    const deletion = updateOf(list, () => list.getArray('kiosk:b').delete(0, 1));
    expect(shapeOfUpdate(server, deletion).deletes).toBe(true);
    expect(shapeOfUpdate(server, big).deletes).toBe(false);
  });

  it('refuses bytes that are not an update', () => {
    expect(() => shapeOfUpdate(new Y.Doc(), new Uint8Array([200, 1, 2]))).toThrow(
      /not a Yjs update/,
    );
  });
});
