import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SITE,
  staffToken,
  startTestServer,
  type TestServer,
  ZONE,
} from '../../sync-server/testing/testServer';
import { memoryStore } from '../device/KeyValueStore';
import { SignedOutError, SiteSwitchError, StaffSession } from './StaffSession';

let t: TestServer;
let base: string;
const PASSWORD = 'correct horse battery';
/** A second site, made by an admin through the API in `beforeAll`. */
const HILLTOP = 'hilltop';

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
    const { token } = await staffToken(t, 'admin');
    const created = await t.api(
      'POST',
      '/api/sites',
      { id: HILLTOP, name: 'Hilltop', timeZone: 'America/New_York' },
      token,
    );
    expect(created.status).toBe(201);
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

  it('lists the sites an admin may switch to, and only its own for a staff account', async () => {
    const admin = new StaffSession({ baseUrl: base, store: memoryStore() });
    await admin.signIn('owner', PASSWORD);
    expect(admin.sites.map((site) => site.id).sort()).toEqual([HILLTOP, SITE]);
    expect(admin.sites.find((site) => site.id === HILLTOP)).toEqual({
      id: HILLTOP,
      name: 'Hilltop',
      timeZone: 'America/New_York',
      archived: false,
      role: 'admin',
    });
    const desk = new StaffSession({ baseUrl: base, store: memoryStore() });
    await desk.signIn('desk', PASSWORD);
    expect(desk.sites).toEqual([
      { id: SITE, name: expect.any(String), timeZone: ZONE, archived: false, role: 'staff' },
    ]);
  });

  it('[C3] switches site with a refresh, and keeps to that site on every later refresh and reload', async () => {
    const store = memoryStore();
    const session = new StaffSession({ baseUrl: base, store });
    await session.signIn('owner', PASSWORD);
    expect(session.staff?.siteId).toBe(SITE);

    expect(await session.switchSite(HILLTOP)).toMatchObject({ siteId: HILLTOP, role: 'admin' });
    const token = await session.token();
    // The API answers about the site the token is for: Riverside's desk account is not Hilltop's.
    const names = await t.api<{ staff: { username: string }[] }>(
      'GET',
      '/api/staff',
      undefined,
      token,
    );
    expect(names.status).toBe(200);
    expect(names.body.staff.map((account) => account.username)).not.toContain('desk');

    // The next start of the dashboard on this phone: a new session object on the same store.
    const reloaded = new StaffSession({ baseUrl: base, store });
    expect(reloaded.staff?.siteId).toBe(HILLTOP);
    reloaded.dropToken();
    await reloaded.token();
    expect(reloaded.staff?.siteId).toBe(HILLTOP);
  });

  it('[C3] stays signed in on its own site when asked for a site the account may not open', async () => {
    const store = memoryStore();
    const session = new StaffSession({ baseUrl: base, store });
    await session.signIn('desk', PASSWORD);

    await expect(session.switchSite(HILLTOP)).rejects.toBeInstanceOf(SiteSwitchError);

    expect(session.staff).toMatchObject({ username: 'desk', siteId: SITE });
    expect((await t.api('GET', '/api/devices', undefined, await session.token())).status).toBe(200);
  });

  it('fails to switch offline and stays on the site it was on', async () => {
    const store = memoryStore();
    await new StaffSession({ baseUrl: base, store }).signIn('owner', PASSWORD);
    const before = store.getItem('headcount.staff-session');
    const offline = new StaffSession({ baseUrl: 'http://127.0.0.1:9', store });

    await expect(offline.switchSite(HILLTOP)).rejects.toBeInstanceOf(TypeError);

    expect(offline.staff?.siteId).toBe(SITE);
    expect(store.getItem('headcount.staff-session')).toBe(before);
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
