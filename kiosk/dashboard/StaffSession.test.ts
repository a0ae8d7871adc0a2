import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SITE, startTestServer, type TestServer } from '../../sync-server/testing/testServer';
import { memoryStore } from '../device/KeyValueStore';
import { SignedOutError, StaffSession } from './StaffSession';

let t: TestServer;
let base: string;
const PASSWORD = 'correct horse battery';

describe('StaffSession', () => {
  beforeAll(async () => {
    // The shortest token lifetime: every token is "due for renewal" at once.
    t = await startTestServer({ ACCESS_TOKEN_TTL: '30' });
    base = t.wsUrl.replace('ws', 'http');
    await t.server.staff.create({
      username: 'desk',
      password: PASSWORD,
      role: 'staff',
      siteId: SITE,
    });
    await t.server.staff.create({
      username: 'owner',
      password: PASSWORD,
      role: 'admin',
      siteId: null,
    });
  });

  afterAll(() => t.close());

  it('signs in, keeps only the refresh credential, and names the site to show', async () => {
    const store = memoryStore();
    const session = new StaffSession({ baseUrl: base, store });
    expect(await session.signIn('desk', PASSWORD)).toMatchObject({
      username: 'desk',
      role: 'staff',
      siteId: SITE,
    });
    const stored = store.getItem('headcount.staff-session') ?? '';
    expect(stored).toContain('refreshToken');
    expect(stored).not.toContain('accessToken');
    // An admin belongs to every site: the dashboard shows the server's default one.
    const admin = new StaffSession({ baseUrl: base, store: memoryStore() });
    expect((await admin.signIn('owner', PASSWORD)).siteId).toBe(SITE);
  });

  it('refuses a wrong password with the server’s reason', async () => {
    const session = new StaffSession({ baseUrl: base, store: memoryStore() });
    await expect(session.signIn('desk', 'not the password')).rejects.toMatchObject({
      name: 'SignInError',
      code: 'bad-credentials',
    });
  });

  it('refreshes silently when the token is due, rotating the refresh credential', async () => {
    const store = memoryStore();
    const session = new StaffSession({ baseUrl: base, store });
    await session.signIn('desk', PASSWORD);
    const before = store.getItem('headcount.staff-session');
    const token = await session.token();
    expect((await t.api('GET', '/api/devices', undefined, token)).status).toBe(200);
    expect(store.getItem('headcount.staff-session')).not.toBe(before);
  });

  it('ends the session on the server at sign-out, so its refresh credential is refused', async () => {
    const store = memoryStore();
    const session = new StaffSession({ baseUrl: base, store });
    await session.signIn('desk', PASSWORD);
    const { refreshToken } = JSON.parse(store.getItem('headcount.staff-session') ?? '{}');
    await session.signOut();
    expect(session.staff).toBeNull();
    await expect(session.token()).rejects.toBeInstanceOf(SignedOutError);
    expect((await t.api('POST', '/api/session/refresh', { refreshToken })).status).toBe(401);
  });
});
