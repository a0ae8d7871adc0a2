import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type {
  ApiError,
  ChainVisitsAnswer,
  MemberAnswer,
  MemberImportAnswer,
  MembersAnswer,
  SessionAnswer,
} from '../shared/apiProtocol';
import { chainRosterDocName, checkinsDocName, rosterDocName, siteDocName } from '../shared/docName';
import { addDays, localDayOf } from '../shared/localTime';
import type { Member } from '../shared/member';
import { encodeRosterValue, ROSTER_MAP, readRosterDoc, rosterShard } from '../shared/rosterDoc';
import { LEGACY_MEMBERS_MAP } from '../shared/siteDoc';
import { admin as cli } from './testing/adminCli';
import { closeAfterEach } from './testing/closeAfterEach';
import {
  activeMember,
  type Client,
  connect,
  kioskCheckIn,
  putMembers,
  SITE,
  sendRawUpdate,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';

const open = closeAfterEach();
const PASSWORD = 'correct horse battery';
const HARBOUR = 'harbour';

async function server(dir?: string): Promise<TestServer> {
  const t = await startTestServer({}, dir);
  open.push(t);
  await t.server.sites.create({ id: HARBOUR, name: 'Harbour', timeZone: 'UTC' });
  return t;
}

async function signIn(
  t: TestServer,
  role: 'admin' | 'staff' | 'viewer',
  siteId: string | null = SITE,
): Promise<string> {
  const username = `${role}-${Math.random().toString(36).slice(2, 8)}`;
  await t.server.staff.create({ username, password: PASSWORD, role, siteId });
  const answer = await t.api<SessionAnswer>('POST', '/api/session', {
    username,
    password: PASSWORD,
  });
  expect(answer.status).toBe(200);
  return answer.body.accessToken;
}

/** A tablet paired to `siteId` by an admin, with its access token. */
async function kioskOf(
  t: TestServer,
  siteId: string,
): Promise<{ token: string; deviceId: string }> {
  const admin = await signIn(t, 'admin', null);
  const code = await t.api<{ code: string }>(
    'POST',
    '/api/pairing-codes',
    { name: 'Door', siteId },
    admin,
  );
  const paired = await t.api<{ deviceId: string; deviceSecret: string }>(
    'POST',
    '/api/devices/pair',
    {
      code: code.body.code,
    },
  );
  const access = await t.api<{ accessToken: string }>('POST', '/api/devices/token', paired.body);
  return { token: access.body.accessToken, deviceId: paired.body.deviceId };
}

/** A kiosk of `siteId` reading one roster document. */
async function kioskReading(t: TestServer, siteId: string, name: string): Promise<Client> {
  const kiosk = await kioskOf(t, siteId);
  const client = connect(t, name, kiosk.token);
  expect(await client.outcome).toMatchObject({ ok: true, scope: 'readonly' });
  return client;
}

function listed(doc: Y.Doc): Map<string, Member> {
  const members = new Map<string, Member>();
  readRosterDoc(doc, members);
  return members;
}

const ana = activeMember('M1', 'Ana Lima', ['0451']);
const rosterOf = (member: Member, site = member.homeSite) =>
  rosterDocName(site, rosterShard(member.id));

describe('members of a chain', () => {
  it('[M4][M6][D7] puts a member saved by staff into the roster a kiosk holds, and every change after', async () => {
    const t = await server();
    const staff = await signIn(t, 'staff');
    const kiosk = await kioskReading(t, SITE, rosterOf(ana));
    const saved = await t.api<MemberAnswer>('PUT', `/api/members/${ana.id}`, ana, staff);
    expect(saved.status).toBe(200);
    expect(saved.body.member).toEqual(ana);
    await until(() => listed(kiosk.doc).has(ana.id), 'the member on the kiosk');
    const frozen = { ...ana, status: 'frozen' as const };
    expect((await t.api('PUT', `/api/members/${ana.id}`, frozen, staff)).status).toBe(200);
    await until(() => listed(kiosk.doc).get(ana.id)?.status === 'frozen', 'the status change');
    kiosk.destroy();
  });

  it('[M5][D7] lists an every-site member in the chain roster, and a listed-site member at that site only', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    const everywhere = { ...activeMember('M2', 'Bo'), access: 'all' as const };
    const listedAt = { ...activeMember('M3', 'Cy'), access: [HARBOUR] };
    const chain = await kioskReading(t, HARBOUR, chainRosterDocName(rosterShard('M2')));
    const harbour = await kioskReading(t, HARBOUR, rosterOf(listedAt, HARBOUR));
    for (const member of [everywhere, listedAt])
      expect((await t.api('PUT', `/api/members/${member.id}`, member, admin)).status).toBe(200);
    await until(() => listed(chain.doc).has('M2'), 'the every-site member in the chain roster');
    await until(() => listed(harbour.doc).has('M3'), "the listed member in harbour's roster");
    expect(listed(harbour.doc).has('M2')).toBe(false);
    // Access taken back: the member leaves harbour's roster ([M6]).
    const home = { ...listedAt, access: 'home' as const };
    expect((await t.api('PUT', '/api/members/M3', home, admin)).status).toBe(200);
    await until(() => !listed(harbour.doc).has('M3'), "the member gone from harbour's roster");
    for (const c of [chain, harbour]) c.destroy();
  });

  it("[D7] refuses a kiosk another site's roster, and keeps rosters free of what devices write", async () => {
    const t = await server();
    await putMembers(t, [ana]);
    const other = await kioskOf(t, HARBOUR);
    const stranger = connect(t, rosterOf(ana), other.token);
    expect(await stranger.outcome).toEqual({ ok: false, reason: 'wrong-site' });
    stranger.destroy();
    // A kiosk of the site writes a member of its own into its roster: dropped, never relayed.
    const kiosk = await kioskReading(t, SITE, rosterOf(ana));
    await until(() => listed(kiosk.doc).has(ana.id), 'the roster on the kiosk');
    const forged = new Y.Doc();
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(kiosk.doc));
    forged.getMap(ROSTER_MAP).set('EVIL', encodeRosterValue({ ...ana, id: 'EVIL', codes: ['x'] }));
    forged.getMap(ROSTER_MAP).set(ana.id, encodeRosterValue({ ...ana, codes: ['stolen'] }));
    sendRawUpdate(
      kiosk,
      rosterOf(ana),
      Y.encodeStateAsUpdate(forged, Y.encodeStateVector(kiosk.doc)),
    );
    const watcher = await kioskReading(t, SITE, rosterOf(ana));
    await until(() => listed(watcher.doc).has(ana.id), 'a second reader synced');
    // A change the server makes after it still arrives: the forged one never did.
    await putMembers(t, [{ ...ana, name: 'Ana L.' }]);
    await until(() => listed(watcher.doc).get(ana.id)?.name === 'Ana L.', 'the next change');
    expect(listed(watcher.doc).has('EVIL')).toBe(false);
    expect(listed(watcher.doc).get(ana.id)?.codes).toEqual(['0451']);
    const held = t.server.hocuspocus.documents.get(rosterOf(ana)) as Y.Doc;
    expect(listed(held).has('EVIL')).toBe(false);
    for (const c of [kiosk, watcher]) c.destroy();
  });

  it('[M1][M2][M4] previews an import without writing, imports it, and imports it again as unchanged', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    await putMembers(t, [ana]);
    const rows = [
      { line: 2, member: { ...activeMember('M5', 'Di', ['77']), homeSite: HARBOUR } },
      { line: 3, member: { ...ana, name: 'Ana Lima-Souza' } },
      { line: 4, member: { ...activeMember('M6', 'Ed'), homeSite: 'atlantis' } },
      { line: 5, member: activeMember('M7', 'Flo', ['0451']) },
      { line: 6, member: { ...activeMember('M8', 'Gus'), status: 'paused' } },
      { line: 7, member: activeMember('M5', 'Di again') },
    ];
    const preview = await t.api<MemberImportAnswer>(
      'POST',
      '/api/members/import',
      { rows, apply: false },
      admin,
    );
    expect(preview.body).toEqual({
      added: 1,
      changed: 1,
      unchanged: 0,
      errors: [
        { line: 4, reason: 'home site atlantis: no such site' },
        { line: 5, reason: 'card code "0451" belongs to member M1' },
        { line: 6, reason: 'status is "paused"' },
        { line: 7, reason: 'member M5 is already on line 2' },
      ],
      applied: false,
    });
    expect(await t.server.members.get('M5')).toBeNull();
    const applied = await t.api<MemberImportAnswer>(
      'POST',
      '/api/members/import',
      { rows, apply: true },
      admin,
    );
    expect(applied.body).toMatchObject({ added: 1, changed: 1, applied: true });
    expect((await t.server.members.get('M5'))?.homeSite).toBe(HARBOUR);
    const again = await t.api<MemberImportAnswer>(
      'POST',
      '/api/members/import',
      { rows, apply: true },
      admin,
    );
    expect(again.body).toMatchObject({ added: 0, changed: 0, unchanged: 2 });
  });

  it('[M1][M4] imports thousands of members at once, and finds each one and its code again', async () => {
    // More than one lookup's and one write's worth of rows (MemberDirectory's chunks).
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    const many = Array.from({ length: 2_345 }, (_, i) =>
      activeMember(`BULK-${i}`, `Member ${i}`, [`C${i}`, `Q${i}`]),
    );
    const rows = many.map((member, i) => ({ line: i + 2, member }));
    const applied = await t.api<MemberImportAnswer>(
      'POST',
      '/api/members/import',
      { rows, apply: true },
      admin,
    );
    expect(applied.body).toMatchObject({ added: 2_345, changed: 0, errors: [] });
    expect(await t.server.members.list()).toHaveLength(2_345);
    const again = await t.api<MemberImportAnswer>(
      'POST',
      '/api/members/import',
      { rows, apply: true },
      admin,
    );
    expect(again.body).toMatchObject({ added: 0, changed: 0, unchanged: 2_345 });
    // The last member's code, and one from the middle, are found as taken.
    const taken = await t.api<MemberImportAnswer>(
      'POST',
      '/api/members/import',
      {
        rows: [
          { line: 2, member: activeMember('NEW-1', 'New One', ['Q2344']) },
          { line: 3, member: activeMember('NEW-2', 'New Two', ['C1000']) },
        ],
        apply: false,
      },
      admin,
    );
    expect(taken.body.errors).toEqual([
      { line: 2, reason: 'card code "Q2344" belongs to member BULK-2344' },
      { line: 3, reason: 'card code "C1000" belongs to member BULK-1000' },
    ]);
  });

  it('[M4] lets staff change only members of their own site, and shows them the members their site admits', async () => {
    const t = await server();
    const harbourStaff = await signIn(t, 'staff', HARBOUR);
    const visitor = { ...activeMember('M9', 'Hal'), access: [HARBOUR] };
    await putMembers(t, [ana, visitor]);
    const refused = await t.api<ApiError>(
      'PUT',
      `/api/members/${ana.id}`,
      { ...ana, status: 'frozen' },
      harbourStaff,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(
      `member number ${ana.id} is taken by a member of another site`,
    );
    const moved = await t.api<ApiError>(
      'PUT',
      '/api/members/M10',
      activeMember('M10', 'Ivy'),
      harbourStaff,
    );
    expect(moved.body.error.message).toBe('staff of harbour keep members of harbour only');
    expect((await t.server.members.get(ana.id))?.status).toBe('active');
    const upgraded = await t.api<ApiError>(
      'PUT',
      '/api/members/M9',
      { ...visitor, homeSite: HARBOUR, access: 'all' },
      await signIn(t, 'staff', HARBOUR),
    );
    expect(upgraded.status).toBe(400);
    const riversideStaff = await signIn(t, 'staff');
    const widened = await t.api<ApiError>(
      'PUT',
      `/api/members/${ana.id}`,
      { ...ana, access: 'all' },
      riversideStaff,
    );
    expect(widened.body.error.message).toBe(
      'only an admin changes where a member may check in (now: home)',
    );
    const renamed = await t.api(
      'PUT',
      `/api/members/${ana.id}`,
      { ...ana, name: 'Ana L.' },
      riversideStaff,
    );
    expect(renamed.status).toBe(200);
    const shown = await t.api<MembersAnswer>('GET', '/api/members', undefined, harbourStaff);
    expect(shown.body.members.map((m) => m.id)).toEqual(['M9']);
    const viewer = await signIn(t, 'viewer');
    const write = await t.api('PUT', '/api/members/M11', activeMember('M11', 'Jo'), viewer);
    expect(write.status).toBe(403);
  });

  it("[C6] counts a member's visit at another club as an away visit, by home site", async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    await putMembers(t, [{ ...ana, access: 'all' }, activeMember('M2', 'Bo')]);
    const harbourKiosk = await kioskOf(t, HARBOUR);
    const homeKiosk = await kioskOf(t, SITE);
    const harbourDay = connect(
      t,
      checkinsDocName(HARBOUR, localDayOf(Date.now(), 'UTC')),
      harbourKiosk.token,
    );
    const homeDay = connect(
      t,
      checkinsDocName(SITE, localDayOf(Date.now(), ZONE)),
      homeKiosk.token,
    );
    await Promise.all([harbourDay.outcome, homeDay.outcome]);
    kioskCheckIn(harbourDay.doc, harbourKiosk.deviceId, ana.id);
    kioskCheckIn(homeDay.doc, homeKiosk.deviceId, ana.id);
    kioskCheckIn(homeDay.doc, homeKiosk.deviceId, 'M2');
    const day = localDayOf(Date.now(), 'UTC');
    const range = `from=${addDays(day, -1)}&to=${addDays(day, 1)}`;
    const report = async () =>
      (await t.api<ChainVisitsAnswer>('GET', `/api/reports/chain?${range}`, undefined, admin)).body;
    await until(async () => (await report()).total.visits === 3, 'the three visits in the record');
    const answer = await report();
    expect(answer.total).toEqual({ visits: 3, members: 2, awayVisits: 1 });
    expect(answer.sites.find((row) => row.siteId === HARBOUR)).toMatchObject({
      visits: 1,
      members: 1,
      awayVisits: 1,
      byHome: [{ homeSite: SITE, visits: 1 }],
    });
    expect(answer.sites.find((row) => row.siteId === SITE)).toMatchObject({
      visits: 2,
      awayVisits: 0,
    });
    const staff = await signIn(t, 'staff');
    expect((await t.api('GET', `/api/reports/chain?${range}`, undefined, staff)).status).toBe(403);
    for (const c of [harbourDay, homeDay]) c.destroy();
  });

  it('[M5][D7] refuses "home" and "all" as site ids, which access lists could not name', async () => {
    const t = await server();
    const admin = await signIn(t, 'admin', null);
    for (const id of ['home', 'all']) {
      const answer = await t.api<ApiError>(
        'POST',
        '/api/sites',
        { id, name: id, timeZone: 'UTC' },
        admin,
      );
      expect(answer.status).toBe(400);
    }
    // Home access is not a listed site named "home".
    const name = rosterDocName('home', rosterShard(ana.id));
    expect((await t.server.members.forRoster(name)).size).toBe(0);
    await putMembers(t, [ana]);
    expect((await t.server.members.forRoster(name)).size).toBe(0);
  });

  it('[M6][D7] brings an open roster in line within one sweep when members change behind its back', async () => {
    const t = await startTestServer({}, undefined, { limits: { sweepMs: 200 } });
    open.push(t);
    const kiosk = await kioskReading(t, SITE, rosterOf(ana));
    // Written straight into the table (as another instance or a tool would): no refresh, no signal.
    await t.server.members.write([{ before: null, after: ana }]);
    await until(() => listed(kiosk.doc).has(ana.id), 'the sweep to list the member');
    kiosk.destroy();
  });

  it("[M1][M4] imports a CSV file from the admin CLI: a preview first, then into a running server's rosters", async () => {
    const t = await startTestServer({}, undefined, { limits: { sweepMs: 200 } });
    open.push(t);
    await t.server.sites.create({ id: HARBOUR, name: 'Harbour', timeZone: 'UTC' });
    const kiosk = await kioskReading(t, HARBOUR, chainRosterDocName(rosterShard('M7')));
    const file = join(t.dir, 'members.csv');
    writeFileSync(
      file,
      'id,name,status,codes,home_site,access\nM7,Gus Far,active,777,harbour,all\nM8,Hal,gold,,,\n',
    );
    const preview = await cli(t.dir, ['import-members', file]);
    expect(preview.stdout).toContain('Line 3: status');
    expect(preview.stdout).toContain(
      '1 new, 0 changed, 0 unchanged, 1 not imported. Nothing written',
    );
    expect(await t.server.members.get('M7')).toBeNull();
    const applied = await cli(t.dir, ['import-members', file, '--apply']);
    expect(applied.code).toBe(0);
    await until(
      () => listed(kiosk.doc).has('M7'),
      "the imported member on a running server's kiosk",
    );
    const exported = await cli(t.dir, ['export-members', '--site', HARBOUR]);
    expect(exported.stdout.startsWith('\ufeff')).toBe(true);
    expect(exported.stdout.trim().split(/\r?\n/)).toEqual([
      'id,name,status,valid_until,codes,home_site,access',
      'M7,Gus Far,active,,777,harbour,all',
    ]);
    kiosk.destroy();
  });

  it('[D7] lists a member written while no roster was open (a crash between the two) at the next load', async () => {
    const t = await server();
    // The table changed, the documents were not told.
    await t.server.members.write([{ before: null, after: ana }]);
    const kiosk = await kioskReading(t, SITE, rosterOf(ana));
    await until(() => listed(kiosk.doc).has(ana.id), 'the member listed as the roster loads');
    kiosk.destroy();
  });

  it('[D7] moves the members a site document held before rosters into the table, once', async () => {
    const t = await server();
    // An older version's site document, as its staff wrote it, and no note of a move yet.
    const doc = new Y.Doc();
    doc.getMap(LEGACY_MEMBERS_MAP).set('M20', {
      v: 1,
      id: 'M20',
      name: 'Old Timer',
      codes: ['0451'],
      status: 'active',
      validUntil: null,
    });
    await t.server.documents.store(siteDocName(SITE), Y.encodeStateAsUpdate(doc));
    await t.server.db.run('delete from legacy_rosters');
    expect(await t.server.members.get('M20')).toBeNull();
    await t.close();
    const dir = t.dir;
    const third = await server(dir);
    expect(await third.server.members.get('M20')).toEqual({
      id: 'M20',
      name: 'Old Timer',
      codes: ['0451'],
      status: 'active',
      validUntil: null,
      homeSite: SITE,
      access: 'home',
    });
    // Once: a member removed from the table is not brought back by the next start.
    await third.server.db.run("delete from members where id = 'M20'");
    await third.close();
    const fourth = await server(dir);
    expect(await fourth.server.members.get('M20')).toBeNull();
  });
});
