import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { type CuttableProxy, startCuttableProxy } from '../e2e/cuttableProxy';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { memberIdOf } from '../shared/entryCodec';
import { localDayOf } from '../shared/localTime';
import { closeAfterEach } from './testing/closeAfterEach';
import { TEST_ENGINE } from './testing/testDatabase';
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

const open = closeAfterEach();
const proxies: CuttableProxy[] = [];
afterEach(async () => {
  for (const proxy of proxies.splice(0)) await proxy.close();
});

/** The members of the entries a document holds, sorted (a duplicate would show twice). */
function membersIn(doc: Y.Doc | null | undefined, day: string): string[] {
  if (!doc) return [];
  return readEntries(doc, day)
    .map((entry) => memberIdOf(entry.value))
    .sort();
}

async function ready(t: TestServer): Promise<number> {
  return (await fetch(`http://127.0.0.1:${t.server.port}/readyz`)).status;
}

// "Accepted" on PostgreSQL means: its row in the update log is committed ([W5]). This file is
// about PostgreSQL going away, so it runs in the `postgres` project only.
describe.runIf(TEST_ENGINE === 'postgres')('PostgreSQL unavailable for a while', () => {
  it('[W5] acknowledges nothing it could not log, says so in /readyz, and takes it all, once, when PostgreSQL is back', async () => {
    const upstream = new URL(process.env.DATABASE_URL ?? '');
    const proxy = await startCuttableProxy(Number(upstream.port || 5432));
    proxies.push(proxy);
    upstream.host = `127.0.0.1:${proxy.port}`;
    const t = await startTestServer({ DATABASE_URL: upstream.toString() });
    open.push(t);
    const kiosk = await pairKiosk(t);
    const today = localDayOf(Date.now(), ZONE);
    const name = checkinsDocName(SITE, today);
    const tablet = connect(t, name, kiosk.token);
    open.push(tablet);
    expect(await tablet.outcome).toMatchObject({ ok: true });
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M1');
    await until(() => !tablet.provider.hasUnsyncedChanges, 'M1 to be acknowledged');

    proxy.cut();
    await until(async () => (await ready(t)) === 503, '/readyz to say the database is gone');
    const closesBefore = tablet.closes.length;
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M2');
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M3');
    // The server could not log them: it closes the tablet's connection instead of acknowledging.
    await until(
      () => tablet.closes.length > closesBefore,
      'the server to close the connection it could not log for',
      15_000,
    );
    expect(tablet.provider.hasUnsyncedChanges).toBe(true);
    expect(membersIn(t.server.hocuspocus.documents.get(name), today)).not.toContain('M2');

    proxy.restore();
    await until(async () => (await ready(t)) === 200, '/readyz to say ready again', 15_000);
    await until(
      () => !tablet.provider.hasUnsyncedChanges,
      'the tablet to deliver what it kept',
      20_000,
    );
    expect(membersIn(t.server.hocuspocus.documents.get(name), today)).toEqual(['M1', 'M2', 'M3']);

    // And what the server acknowledged is in PostgreSQL: a restart on the same data holds it, once.
    tablet.destroy();
    await t.close();
    const again = await startTestServer({}, t.dir);
    open.push(again);
    expect(membersIn(await again.server.documents.load(name), today)).toEqual(['M1', 'M2', 'M3']);
  }, 90_000);
});
