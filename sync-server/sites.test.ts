import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type {
  ApiError,
  OverviewAnswer,
  SessionAnswer,
  SiteAnswer,
  SitesAnswer,
} from '../shared/apiProtocol';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName, siteDocName } from '../shared/docName';
import { memberIdOf } from '../shared/entryCodec';
import { localDayOf } from '../shared/localTime';
import { writeSettings } from '../shared/siteDoc';
import { admin } from './testing/adminCli';
import { closeAfterEach } from './testing/closeAfterEach';
import {
  connect,
  kioskCheckIn,
  SITE,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';

const open = closeAfterEach();
const PASSWORD = 'correct horse battery';
const HILLTOP = { id: 'hilltop', name: 'Hilltop Club', timeZone: 'America/New_York' };

async function server(): Promise<TestServer> {
  const t = await startTestServer();
  open.push(t);
  return t;
}

/** Signs in through the API as a new account; returns its session. */
async function signIn(
  t: TestServer,
  role: 'admin' | 'staff' | 'viewer',
  siteId: string | null = SITE,
): Promise<SessionAnswer> {
  const username = `${role}-${Math.random().toString(36).slice(2, 8)}`;
  await t.server.staff.create({ username, password: PASSWORD, role, siteId });
  const answer = await t.api<SessionAnswer>('POST', '/api/session', {
    username,
    password: PASSWORD,
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** Pairs a tablet for the site of `staffToken`'s session (an admin's: the site it shows). */
async function pairFor(t: TestServer, token: string, name: string) {
  const code = await t.api<{ code: string }>('POST', '/api/pairing-codes', { name }, token);
  expect(code.status).toBe(200);
  const paired = await t.api<{ deviceId: string; deviceSecret: string; siteId: string }>(
    'POST',
    '/api/devices/pair',
    { code: code.body.code, appVersion: 'test' },
  );
  const access = await t.api<{ accessToken: string }>('POST', '/api/devices/token', {
    deviceId: paired.body.deviceId,
    deviceSecret: paired.body.deviceSecret,
  });
  return { ...paired.body, token: access.body.accessToken };
}

const membersIn = (t: TestServer, name: string, day: string) => {
  const doc = t.server.hocuspocus.documents.get(name);
  return doc ? readEntries(doc, day).map((entry) => memberIdOf(entry.value)) : [];
};

describe('sites', () => {
  it('[C1] lets an admin create a second site, with its name and time zone in its settings', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    const created = await t.api<SiteAnswer>('POST', '/api/sites', HILLTOP, admin.accessToken);
    expect(created.status).toBe(201);
    expect(created.body.site).toEqual({ ...HILLTOP, archived: false, role: 'admin' });
    const listed = await t.api<SitesAnswer>('GET', '/api/sites', undefined, admin.accessToken);
    expect(listed.body.sites.map((site) => site.id)).toEqual(['hilltop', SITE]);
    const doc = await t.server.documents.load(siteDocName('hilltop'));
    expect(doc?.getMap('settings').toJSON()).toMatchObject({
      name: 'Hilltop Club',
      timeZone: 'America/New_York',
    });
    // A new sign-in can switch to it.
    expect((await signIn(t, 'admin', null)).sites.map((site) => site.id)).toContain('hilltop');
  });

  it('[C1] refuses to create a site for anyone but an admin, and says what is wrong with bad input', async () => {
    const t = await server();
    const staff = await signIn(t, 'staff');
    const admin = await signIn(t, 'admin', null);
    expect((await t.api('POST', '/api/sites', HILLTOP, staff.accessToken)).status).toBe(403);
    expect((await t.api('POST', '/api/sites', HILLTOP)).status).toBe(401);
    const bad = async (body: unknown) =>
      (await t.api<ApiError>('POST', '/api/sites', body, admin.accessToken)).body.error;
    expect(await bad({ ...HILLTOP, id: 'Hill Top' })).toMatchObject({ code: 'invalid' });
    expect(await bad({ ...HILLTOP, id: '../riverside' })).toMatchObject({ code: 'invalid' });
    expect(await bad({ ...HILLTOP, timeZone: 'Mars/Olympus' })).toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('timeZone'),
    });
    expect(await bad({ ...HILLTOP, id: SITE })).toMatchObject({ code: 'site-exists' });
    // The existing site is untouched by the refused duplicate.
    expect(t.server.sites.get(SITE)?.timeZone).toBe(ZONE);
    // A staff member sees only their own site.
    const mine = await t.api<SitesAnswer>('GET', '/api/sites', undefined, staff.accessToken);
    expect(mine.body.sites.map((site) => site.id)).toEqual([SITE]);
  });

  it('[C1][C3] pairs a tablet at the new site after switching to it, and the tablet checks in there and nowhere else', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    await t.api('POST', '/api/sites', HILLTOP, admin.accessToken);
    const switched = await t.api<SessionAnswer>('POST', '/api/session/refresh', {
      refreshToken: admin.refreshToken,
      siteId: 'hilltop',
    });
    expect(switched.body.siteId).toBe('hilltop');
    const kiosk = await pairFor(t, switched.body.accessToken, 'Hilltop door');
    expect(kiosk.siteId).toBe('hilltop');

    const day = localDayOf(Date.now(), HILLTOP.timeZone);
    const name = checkinsDocName('hilltop', day);
    const tablet = connect(t, name, kiosk.token);
    open.push(tablet);
    expect(await tablet.outcome).toMatchObject({ ok: true });
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M1');
    await until(() => membersIn(t, name, day).includes('M1'), 'the check-in at hilltop');

    // The other site's documents, under every name it might try: refused.
    const riversideDay = localDayOf(Date.now(), ZONE);
    for (const other of [
      checkinsDocName(SITE, riversideDay),
      siteDocName(SITE),
      `checkins/hilltop/../${SITE}/${riversideDay}`,
      `site/${SITE}/`,
      `checkins/${SITE.toUpperCase()}/${riversideDay}`,
    ]) {
      const probe = connect(t, other, kiosk.token);
      open.push(probe);
      const outcome = await probe.outcome;
      expect(outcome.ok, other).toBe(false);
      probe.destroy();
    }
  });

  it('[C3] keeps a staff member on their own site when a refresh asks for another, and keeps the session', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    await t.api('POST', '/api/sites', HILLTOP, admin.accessToken);
    const staff = await signIn(t, 'staff');
    const refreshed = await t.api<SessionAnswer>('POST', '/api/session/refresh', {
      refreshToken: staff.refreshToken,
      siteId: 'hilltop',
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.siteId).toBe(SITE);
    expect(refreshed.body.sites.map((site) => site.id)).toEqual([SITE]);
    // Its token opens nothing at hilltop.
    const probe = connect(t, siteDocName('hilltop'), refreshed.body.accessToken);
    open.push(probe);
    expect(await probe.outcome).toEqual({ ok: false, reason: 'wrong-site' });
  });

  it('[C1] treats a document of a site that does not exist as nobody’s, even an admin’s', async () => {
    const t = await server();
    const { token } = await staffToken(t, 'admin');
    const probe = connect(t, siteDocName('nowhere'), token);
    open.push(probe);
    expect(await probe.outcome).toEqual({ ok: false, reason: 'unknown-document' });
    expect(await t.server.documents.fetch(siteDocName('nowhere'))).toBeNull();
  });

  it('[C1] lists a site under the name its settings give it', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    const settings = connect(t, siteDocName(SITE), admin.accessToken);
    open.push(settings);
    await settings.outcome;
    writeSettings(settings.doc, { name: 'Riverside Fitness' });
    const named = async () =>
      (await t.api<SitesAnswer>('GET', '/api/sites', undefined, admin.accessToken)).body.sites[0]
        ?.name;
    await until(async () => (await named()) === 'Riverside Fitness', 'the new name in the list');
    // And it stays so once the document is stored and closed.
    settings.destroy();
    await until(() => !t.server.hocuspocus.documents.has(siteDocName(SITE)), 'the unload');
    expect(await named()).toBe('Riverside Fitness');
    await t.server.sites.load();
    expect(t.server.sites.get(SITE)?.name).toBe('Riverside Fitness');
  });

  it('[C2] refuses an archived site’s tablet what it recorded offline, with a reason, keeps what it accepted, and takes the rest once restored', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    const kiosk = await pairFor(t, admin.accessToken, 'Front door');
    const day = localDayOf(Date.now(), ZONE);
    const name = checkinsDocName(SITE, day);
    const tablet = connect(t, name, kiosk.token);
    open.push(tablet);
    await tablet.outcome;
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M1');
    await until(() => !tablet.provider.hasUnsyncedChanges, 'M1 acknowledged');
    const { doc } = tablet;
    tablet.destroy();

    const archived = await t.api<SiteAnswer>(
      'POST',
      `/api/sites/${SITE}/archive`,
      undefined,
      admin.accessToken,
    );
    expect(archived.body.site.archived).toBe(true);
    // Recorded while offline, sent after the archive: refused with the reason, not taken.
    kioskCheckIn(doc, kiosk.deviceId, 'M2');
    const late = connect(t, name, kiosk.token, doc);
    open.push(late);
    expect(await late.outcome).toEqual({ ok: false, reason: 'site-archived' });
    const token = await t.api<ApiError>('POST', '/api/devices/token', {
      deviceId: kiosk.deviceId,
      deviceSecret: kiosk.deviceSecret,
    });
    expect(token).toMatchObject({ status: 403, body: { error: { code: 'site-archived' } } });
    late.destroy();
    // What was accepted stays readable; staff read only, nobody writes.
    const reader = connect(t, name, admin.accessToken);
    open.push(reader);
    expect(await reader.outcome).toEqual({ ok: true, scope: 'readonly' });
    expect(readEntries(reader.doc, day).map((entry) => memberIdOf(entry.value))).toEqual(['M1']);
    reader.destroy();

    await t.api('POST', `/api/sites/${SITE}/restore`, undefined, admin.accessToken);
    const fresh = await t.api<{ accessToken: string }>('POST', '/api/devices/token', {
      deviceId: kiosk.deviceId,
      deviceSecret: kiosk.deviceSecret,
    });
    const back = connect(t, name, fresh.body.accessToken, doc);
    open.push(back);
    expect(await back.outcome).toMatchObject({ ok: true });
    await until(() => membersIn(t, name, day).includes('M2'), 'M2 delivered after the restore');
    expect(membersIn(t, name, day).sort()).toEqual(['M1', 'M2']);
  });

  it('[C2] closes an archived site’s open sockets at once, and refuses a pairing code for it', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    const kiosk = await pairFor(t, admin.accessToken, 'Front door');
    const tablet = connect(t, checkinsDocName(SITE, localDayOf(Date.now(), ZONE)), kiosk.token);
    open.push(tablet);
    await tablet.outcome;
    await t.api('POST', `/api/sites/${SITE}/archive`, undefined, admin.accessToken);
    await until(() => tablet.closes.length > 0, 'the tablet’s socket to close');
    expect(tablet.closes[0]).toEqual({ code: 1013, reason: 'site-archived' });
    const code = await t.api<ApiError>('POST', '/api/pairing-codes', {}, admin.accessToken);
    expect(code).toMatchObject({ status: 403, body: { error: { code: 'site-archived' } } });
    expect(
      (await t.api<ApiError>('POST', '/api/sites/nowhere/archive', undefined, admin.accessToken))
        .body.error.code,
    ).toBe('no-such-site');
  });
});

describe('an archived site, whoever archived it', () => {
  it('[C2] refuses the next write of a connection opened before the archive, and loses nothing accepted', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    const kiosk = await pairFor(t, admin.accessToken, 'Front door');
    const day = localDayOf(Date.now(), ZONE);
    const name = checkinsDocName(SITE, day);
    const tablet = connect(t, name, kiosk.token);
    open.push(tablet);
    await tablet.outcome;
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M1');
    await until(() => !tablet.provider.hasUnsyncedChanges, 'M1 acknowledged');
    // Archived without closing anything (as another instance's archive looks here at first).
    await t.server.sites.setArchived(SITE, true);
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M2');
    await until(() => tablet.closes.length > 0, 'the refusal');
    expect(tablet.closes[0]).toEqual({ code: 1013, reason: 'site-archived' });
    const held = t.server.hocuspocus.documents.get(name) ?? (await t.server.documents.load(name));
    expect(readEntries(held ?? new Y.Doc(), day).map((entry) => memberIdOf(entry.value))).toEqual([
      'M1',
    ]);
    expect(tablet.provider.hasUnsyncedChanges).toBe(true);
  });

  it('[C2] closes the sockets of a site a reload finds archived (the CLI, another instance)', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    const kiosk = await pairFor(t, admin.accessToken, 'Front door');
    const tablet = connect(t, checkinsDocName(SITE, localDayOf(Date.now(), ZONE)), kiosk.token);
    open.push(tablet);
    await tablet.outcome;
    await t.server.db.run('update sites set archived_at = ? where id = ?', [Date.now(), SITE]);
    await t.server.sites.load();
    await until(() => tablet.closes.length > 0, 'the socket to close');
    expect(tablet.closes[0]).toEqual({ code: 1013, reason: 'site-archived' });
  });

  it('[C2] pairs no tablet with a code made before the site was archived', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    const code = await t.api<{ code: string }>('POST', '/api/pairing-codes', {}, admin.accessToken);
    await t.api('POST', `/api/sites/${SITE}/archive`, undefined, admin.accessToken);
    const paired = await t.api<ApiError>('POST', '/api/devices/pair', { code: code.body.code });
    expect(paired.status).toBe(403);
    expect(await t.server.devices.list(null)).toEqual([]);
  });
});

describe('the chain overview', () => {
  it('[S1][S2] gives currently in and visits today at each site an account may open, and the total', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    await t.api('POST', '/api/sites', HILLTOP, admin.accessToken);
    const atHilltop = await t.api<SessionAnswer>('POST', '/api/session/refresh', {
      refreshToken: admin.refreshToken,
      siteId: 'hilltop',
    });
    const doors = [
      { site: SITE, zone: ZONE, kiosk: await pairFor(t, admin.accessToken, 'River door') },
      {
        site: 'hilltop',
        zone: HILLTOP.timeZone,
        kiosk: await pairFor(t, atHilltop.body.accessToken, 'Hill door'),
      },
    ];
    const members = { [SITE]: ['M1', 'M2'], hilltop: ['M3'] };
    for (const { site, zone, kiosk } of doors) {
      const tablet = connect(t, checkinsDocName(site, localDayOf(Date.now(), zone)), kiosk.token);
      open.push(tablet);
      await tablet.outcome;
      for (const member of members[site as keyof typeof members])
        kioskCheckIn(tablet.doc, kiosk.deviceId, member);
      await until(() => !tablet.provider.hasUnsyncedChanges, `the check-ins at ${site}`);
    }
    // The overview reads the record, which follows each store.
    t.server.hocuspocus.flushPendingStores();
    const overview = async (token: string) =>
      (await t.api<OverviewAnswer>('GET', '/api/sites/overview', undefined, token)).body;
    await until(
      async () => (await overview(admin.accessToken)).total.visitsToday === 3,
      'the record of both sites',
    );
    const all = await overview(admin.accessToken);
    expect(all.sites).toEqual([
      { id: 'hilltop', name: 'Hilltop Club', archived: false, currentlyIn: 1, visitsToday: 1 },
      { id: SITE, name: SITE, archived: false, currentlyIn: 2, visitsToday: 2 },
    ]);
    expect(all.total).toEqual({ currentlyIn: 3, visitsToday: 3 });
    // A staff member of one site sees that site only.
    const staff = await signIn(t, 'staff');
    expect((await overview(staff.accessToken)).sites.map((site) => site.id)).toEqual([SITE]);
  });
});

describe('sites from the admin CLI', () => {
  it('[C1][C2] creates, lists, archives and restores sites, and says what is wrong with bad input', async () => {
    const t = await server();
    await t.close();
    const created = await admin(t.dir, [
      'create-site',
      '--site',
      'hilltop',
      '--name',
      'Hilltop Club',
      '--time-zone',
      'America/New_York',
    ]);
    expect(created).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Created site hilltop'),
    });
    const again = await admin(t.dir, [
      'create-site',
      '--site',
      'hilltop',
      '--name',
      'X',
      '--time-zone',
      'UTC',
    ]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('already') });
    const badZone = await admin(t.dir, [
      'create-site',
      '--site',
      'dune',
      '--name',
      'D',
      '--time-zone',
      'Mars/Olympus',
    ]);
    expect(badZone).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('unknown time zone'),
    });
    expect((await admin(t.dir, ['archive-site', 'hilltop'])).code).toBe(0);
    const listed = await admin(t.dir, ['list-sites']);
    expect(listed.stdout).toContain('hilltop  Hilltop Club  America/New_York  archived');
    expect(listed.stdout).toContain(`${SITE}  ${SITE}  ${ZONE}`);
    expect((await admin(t.dir, ['restore-site', 'hilltop'])).code).toBe(0);
    expect((await admin(t.dir, ['archive-site', 'nowhere'])).code).toBe(1);
    // A typo in --site creates nothing ([C1]).
    const typo = await admin(t.dir, ['pairing-code', '--site', 'hiltop']);
    expect(typo).toMatchObject({ code: 1, stderr: expect.stringContaining('no site hiltop') });
    expect((await admin(t.dir, ['list-sites'])).stdout).not.toContain('hiltop');
    // A server started on the same data has the site, with its document.
    const back = await startTestServer({}, t.dir);
    open.push(back);
    expect(back.server.sites.get('hilltop')).toMatchObject({
      name: 'Hilltop Club',
      archivedAt: null,
    });
    expect(await back.server.documents.fetch(siteDocName('hilltop'))).not.toBeNull();
  }, 60_000);
});
