import { describe, expect, it } from 'vitest';
import { testDatabases } from '../testing/testDatabase';
import { numberedPlaceholders } from './Sql';

const openDb = testDatabases();

describe('the SQL port', () => {
  it('numbers placeholders for PostgreSQL in order', () => {
    expect(numberedPlaceholders('select ? where a = ? and b in (?, ?)')).toBe(
      'select $1 where a = $2 and b in ($3, $4)',
    );
  });

  it('gives back milliseconds, counts and bytes as they went in', async () => {
    const db = await openDb();
    const at = Date.UTC(2026, 11, 2, 10, 30);
    const state = new Uint8Array([0, 1, 2, 255]);
    await db.run('insert into documents (name, state, updated_at) values (?, ?, ?)', [
      'site/riverside',
      state,
      at,
    ]);
    const row = await db.get<{ state: Buffer; updated_at: number; version: number }>(
      'select state, updated_at, version from documents where name = ?',
      ['site/riverside'],
    );
    expect(row?.updated_at).toBe(at);
    expect(row?.version).toBe(0);
    expect(new Uint8Array(row?.state ?? [])).toEqual(state);
    const count = await db.get<{ n: number }>('select count(*) as n from documents');
    expect(count).toEqual({ n: 1 });
  });

  it('rolls a transaction back when its work throws, and commits it when it resolves', async () => {
    const db = await openDb();
    const insert = 'insert into meta (key, value) values (?, ?)';
    await expect(
      db.transaction(async (tx) => {
        await tx.run(insert, ['a', '1']);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await db.transaction(async (tx) => {
      await tx.run(insert, ['b', '2']);
      await tx.transaction(async (inner) => inner.run(insert, ['c', '3']));
    });
    expect(await db.all('select key from meta order by key')).toEqual([{ key: 'b' }, { key: 'c' }]);
  });

  it('keeps a query from outside a transaction out of it: it sees only what was committed', async () => {
    const db = await openDb();
    let release = (): void => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transaction = db.transaction(async (tx) => {
      await tx.run("insert into meta (key, value) values ('inside', 'x')");
      await held;
      throw new Error('rolled back');
    });
    // Issued while the transaction is open: it must neither join it nor see its row.
    const outside = db.run("insert into meta (key, value) values ('outside', 'y')");
    const seen = db.all<{ key: string }>('select key from meta');
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await expect(transaction).rejects.toThrow('rolled back');
    await outside;
    expect((await seen).map((row) => row.key)).not.toContain('inside');
    expect(await db.all('select key from meta')).toEqual([{ key: 'outside' }]);
  });
});
