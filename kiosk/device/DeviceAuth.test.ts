import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkinsDocName } from '../../shared/docName';
import { localDayOf } from '../../shared/localTime';
import {
  connect,
  SITE,
  staffToken,
  startTestServer,
  type TestServer,
  ZONE,
} from '../../sync-server/testing/testServer';
import { DeviceAuth, DeviceRevokedError, PairingError } from './DeviceAuth';
import { memoryStore } from './KeyValueStore';

let t: TestServer;
let base: string;
beforeAll(async () => {
  t = await startTestServer();
  base = t.wsUrl.replace('ws', 'http');
});
afterAll(() => t.close());

async function code(name = 'Front door'): Promise<string> {
  const { token } = await staffToken(t);
  return (await t.api<{ code: string }>('POST', '/api/pairing-codes', { name }, token)).body.code;
}

describe('DeviceAuth', () => {
  it('pairs with a code typed by staff, learns site and name, and syncs with its tokens', async () => {
    const auth = new DeviceAuth({ baseUrl: base, store: memoryStore(), appVersion: '0.1.0' });
    const credential = await auth.pair((await code()).toLowerCase());
    expect(credential).toMatchObject({ siteId: SITE, name: 'Front door' });
    const client = connect(t, checkinsDocName(SITE, localDayOf(Date.now(), ZONE)), auth.token);
    expect(await client.outcome).toEqual({ ok: true, scope: 'read-write' });
    client.destroy();
    expect(t.server.devices.get(credential.deviceId)?.appVersion).toBe('0.1.0');
  });

  it('says why pairing failed', async () => {
    const auth = new DeviceAuth({ baseUrl: base, store: memoryStore(), appVersion: 'x' });
    await expect(auth.pair('ZZZZ-ZZZZ')).rejects.toThrow(PairingError);
    expect(auth.credential).toBeNull();
  });

  it('forgets its credential and says so plainly once revoked', async () => {
    const store = memoryStore();
    const auth = new DeviceAuth({ baseUrl: base, store, appVersion: 'x' });
    const { deviceId } = await auth.pair(await code());
    t.server.devices.revoke(deviceId);
    const fresh = new DeviceAuth({ baseUrl: base, store, appVersion: 'x' });
    await expect(fresh.token()).rejects.toThrow(DeviceRevokedError);
    expect(fresh.credential).toBeNull();
  });
});
