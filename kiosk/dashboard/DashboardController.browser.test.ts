import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { describe, expect, inject, it, vi } from 'vitest';
import * as Y from 'yjs';
import { MAX_IMPORT_BATCH } from '../../shared/apiProtocol';
import { recordEvent } from '../../shared/checkinsDoc';
import { checkinsDocName } from '../../shared/docName';
import { newEventId } from '../../shared/eventId';
import { eventRef } from '../../shared/eventRef';
import { apiRequest } from '../apiRequest';
import { memoryStore } from '../device/KeyValueStore';
import { ApiRefusal } from './ApiRefusal';
import {
  addMembers,
  cleanUpAfterEach,
  connectionThatHoldsOn,
  databasesUnder,
  frontDoorKiosk,
  heldAtSignInScreen,
  isCheckedIn,
  listedStore,
  memberNamed,
  newDashboard,
  newTestSite,
  signedInDashboard,
  siteItems,
  uniqueMember,
} from './testing/dashboards';

const kiosk = inject('kiosk');
const serverUrl = inject('serverUrl');

cleanUpAfterEach();

describe('DashboardController', () => {
  it('shows a check-in at a kiosk live, with the member name from the roster', async () => {
    const desk = await signedInDashboard('staff');
    const member = memberNamed('Ana Lima');
    await addMembers(desk, member);
    const door = frontDoorKiosk();
    await door.start();
    await expect.poll(() => door.search('ana lim').length, { timeout: 10_000 }).toBeGreaterThan(0);
    const visitsBefore = desk.stats?.visitsToday ?? 0;

    door.scan(member.id, 'keypad');

    await expect.poll(() => isCheckedIn(desk, member.id), { timeout: 10_000 }).toBe(true);
    expect(desk.stats?.visitsToday).toBe(visitsBefore + 1);
    // Other test files write into the same real day at the same time: find this member's item.
    expect(desk.stats?.feed.find((item) => item.memberId === member.id)).toMatchObject({
      memberId: member.id,
      name: 'Ana Lima',
      outcome: 'visit-start',
      writer: { role: 'kiosk', id: kiosk.deviceId },
    });
    // The kiosk announces what it still has to deliver: nothing, once the server has it.
    await expect
      .poll(() => desk.kioskPending().get(kiosk.deviceId)?.pending, { timeout: 10_000 })
      .toBe(0);
    // And whether its browser may clear its storage (headless Chromium keeps it best-effort).
    await expect
      .poll(() => desk.kioskPending().get(kiosk.deviceId)?.storage, { timeout: 10_000 })
      .toBe('best-effort');
    door.stop();
    await expect
      .poll(() => desk.kioskPending().has(kiosk.deviceId), { timeout: 10_000 })
      .toBe(false);
    desk.stop();
  });

  it('[S1] counts a check-in dated a moment ahead of its own clock as soon as its time comes', async () => {
    const desk = await signedInDashboard('staff');
    const member = memberNamed('Gus Ahead');
    // Another device's corrected clock runs 3 s ahead of this phone's (offsets differ).
    const socket = new HocuspocusProviderWebsocket({ url: serverUrl.replace('http', 'ws') });
    const day = desk.documents.at(-1)?.day as string;
    const doc = new Y.Doc();
    const provider = new HocuspocusProvider({
      websocketProvider: socket,
      name: checkinsDocName('riverside', day),
      document: doc,
      token: async () => kiosk.token,
    });
    provider.attach();
    const at = Date.now() + 3_000;
    recordEvent(
      doc,
      { role: 'kiosk', id: kiosk.deviceId },
      { kind: 'checkIn', memberId: member.id },
      { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
    );
    // Well before the 30 s tick: the screen recomputes when the check-in's time comes.
    await expect.poll(() => isCheckedIn(desk, member.id), { timeout: 8_000 }).toBe(true);
    provider.destroy();
    socket.destroy();
    desk.stop();
  });

  it('[V10] a void on one dashboard takes the visit out of the numbers on another', async () => {
    const first = await signedInDashboard('staff');
    const second = await signedInDashboard('staff');
    const member = memberNamed('Bob Stone');
    await addMembers(first, member);
    const checkIn = first.checkIn(member.id);
    await expect.poll(() => isCheckedIn(second, member.id), { timeout: 10_000 }).toBe(true);
    const visits = second.stats?.visitsToday ?? 0;

    // [E2] The void names the event by writer and id: here the dashboard's own staff array.
    first.voidEvent(
      eventRef({ role: 'staff', id: first.staff?.id ?? '' }, checkIn),
      'wrong member',
    );

    await expect.poll(() => isCheckedIn(second, member.id), { timeout: 10_000 }).toBe(false);
    expect(second.stats?.visitsToday).toBe(visits - 1);
    const voided = second.stats?.feed.find((item) => item.id === checkIn);
    expect(voided?.voided).toBe(true);
    expect(second.events().find((e) => e.kind === 'void' && e.targetId === checkIn)).toMatchObject({
      reason: 'wrong member',
      writer: { role: 'staff' },
      targetWriter: { role: 'staff', id: first.staff?.id },
    });
    first.stop();
    second.stop();
  });

  it('checks everyone out at closing, on every dashboard', async () => {
    const desk = await signedInDashboard('staff');
    const other = await signedInDashboard('staff');
    const a = memberNamed('Cem Kaya');
    const b = memberNamed('Dee Park');
    await addMembers(desk, a, b);
    desk.checkIn(a.id);
    desk.checkIn(b.id);
    await expect
      .poll(() => isCheckedIn(other, a.id) && isCheckedIn(other, b.id), { timeout: 10_000 })
      .toBe(true);

    desk.checkOutEveryone();

    await expect.poll(() => other.stats?.currentlyIn.length, { timeout: 10_000 }).toBe(0);
    desk.stop();
    other.stop();
  });

  it('[W5] starts a refused day again and keeps every correction made on it', async () => {
    // Recovery deletes this phone's copy of the day: its own database names.
    const desk = await signedInDashboard('staff', { storagePrefix: `w5-${crypto.randomUUID()}` });
    const other = await signedInDashboard('staff');
    const a = memberNamed('Eli Moss');
    const b = memberNamed('Flo Yuen');
    await addMembers(desk, a, b);
    desk.checkIn(a.id);
    await expect.poll(() => isCheckedIn(other, a.id), { timeout: 10_000 }).toBe(true);
    // A bug puts content where entries never go; the server refuses the update carrying it.
    desk.documents.at(-1)?.doc.getMap('staff:rogue').set('oops', 1);
    desk.checkIn(b.id);
    await expect.poll(() => isCheckedIn(other, b.id), { timeout: 15_000 }).toBe(true);
    expect(desk.documents.at(-1)?.doc.share.has('staff:rogue')).toBe(false);
    desk.stop();
    other.stop();
  });

  it('[B2] lets a viewer read everything and change nothing', async () => {
    const viewer = await signedInDashboard('viewer');
    expect(viewer.canEdit).toBe(false);
    expect(viewer.stats).not.toBeNull();
    expect(() => viewer.checkIn('anyone')).toThrow(/viewer/);
    expect(() => viewer.saveSettings({ name: 'Hacked' })).toThrow(/viewer/);
    const answer = await viewer.api('POST', '/api/pairing-codes', { name: 'Sneaky' });
    expect(answer.status).toBe(403);
    viewer.stop();
  });

  it('[M1] previews an import without writing anything; applied, its members reach every dashboard through the roster documents', async () => {
    const desk = await signedInDashboard('staff');
    const viewer = await signedInDashboard('viewer');
    const members = [uniqueMember('Ada'), uniqueMember('Bo', { codes: [crypto.randomUUID()] })];
    const rows = members.map((member, i) => ({ line: i + 2, member }));
    const onServer = async () =>
      (await desk.exportMembers()).filter((m) => members.some((n) => n.id === m.id));

    const preview = await desk.previewImport(rows);

    expect(preview).toEqual({ added: 2, changed: 0, unchanged: 0, errors: [], applied: false });
    expect(await onServer()).toEqual([]);
    expect(members.some((m) => desk.members.has(m.id))).toBe(false);

    const applied = await desk.applyImport(rows);

    expect(applied).toEqual({ added: 2, changed: 0, unchanged: 0, errors: [], applied: true });
    expect(await onServer()).toHaveLength(2);
    for (const dashboard of [desk, viewer])
      await expect
        .poll(() => members.map((m) => dashboard.members.get(m.id)), { timeout: 10_000 })
        .toEqual(members);

    // [M2] The same rows again: every member unchanged, nothing written.
    expect(await desk.applyImport(rows)).toEqual({
      added: 0,
      changed: 0,
      unchanged: 2,
      errors: [],
      applied: true,
    });
  });

  it(`sends an import of more than ${MAX_IMPORT_BATCH} rows in parts and adds up the answers`, async () => {
    const desk = await signedInDashboard('staff');
    const api = vi.spyOn(desk, 'api');
    const rows = Array.from({ length: MAX_IMPORT_BATCH + 2 }, (_, i) => ({
      line: i + 2,
      member: uniqueMember('Many'),
    }));
    // The last row is refused, and its line is the file's, whichever part carried it.
    const bad = rows.at(-1) as (typeof rows)[number];
    bad.member = { ...bad.member, homeSite: 'no-such-site' };

    const preview = await desk.previewImport(rows);

    expect(api.mock.calls.map(([method, path]) => `${method} ${path}`)).toEqual([
      'POST /api/members/import',
      'POST /api/members/import',
    ]);
    expect(preview).toMatchObject({ added: MAX_IMPORT_BATCH + 1, changed: 0, unchanged: 0 });
    expect(preview.errors).toEqual([
      { line: bad.line, reason: expect.stringContaining('no-such-site') },
    ]);
  });

  it('[M4] refuses a staff account a member of another home site, and moving one of its own there', async () => {
    const admin = await signedInDashboard('admin');
    const elsewhere = await newTestSite(admin, 'Other');
    const theirs = uniqueMember('Cai', { homeSite: elsewhere.id });
    await admin.saveMember(theirs);
    const desk = await signedInDashboard('staff');
    const ours = uniqueMember('Dov');
    await desk.saveMember(ours);

    await expect(desk.saveMember({ ...theirs, name: 'Cai Changed' })).rejects.toMatchObject({
      name: 'ApiRefusal',
      code: 'invalid',
      message: `member number ${theirs.id} is taken by a member of another site`,
    });
    await expect(desk.saveMember({ ...ours, homeSite: elsewhere.id })).rejects.toBeInstanceOf(
      ApiRefusal,
    );

    const chain = await admin.exportMembers();
    expect(chain.find((m) => m.id === theirs.id)).toEqual(theirs);
    expect(chain.find((m) => m.id === ours.id)).toEqual(ours);
  });

  it('[B1] keeps showing what it has, "as of" the last sync, when the connection drops', async () => {
    const desk = await signedInDashboard('staff');
    const asOf = desk.status.asOf as number;
    expect(asOf).toBeGreaterThan(0);
    desk.stop();
    expect(desk.status).toMatchObject({ live: false, asOf: expect.any(Number) });
    expect(desk.status.asOf).toBeGreaterThanOrEqual(asOf);
  });

  it('forgets the session and the stored documents on sign-out', async () => {
    // Its own database names: other test files' dashboards in this browser keep theirs.
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const desk = await signedInDashboard('staff', { storagePrefix: prefix });
    const stored = async () =>
      (await indexedDB.databases()).filter((d) => d.name?.startsWith(`${prefix}:`)).length;
    expect(await stored()).toBeGreaterThan(0);
    await desk.signOut();
    expect(desk.staff).toBeNull();
    expect(desk.status.asOf).toBeNull();
    await expect.poll(stored).toBe(0);
  });

  it('finishes a sign-out that another tab blocks only once that tab lets go, and asks for it meanwhile', async () => {
    const store = listedStore();
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const desk = await signedInDashboard('staff', { store, storagePrefix: prefix });
    // Items kept about the site: account names, kiosks, a correction not yet delivered.
    await desk.refreshStaff();
    await desk.refreshDevices();
    desk.checkIn(memberNamed('Hal Wren').id);
    const today = `${prefix}:${desk.documents.at(-1)?.name}`;
    expect(await databasesUnder(prefix)).toContain(today);
    const held = heldAtSignInScreen(desk, prefix, store);
    // Another tab holds today's copy open and does not answer (frozen in the background).
    const otherTab = await connectionThatHoldsOn(today);

    let finished = false;
    const signingOut = desk.signOut().then(() => {
      finished = true;
    });

    await expect.poll(() => desk.status.signingOut, { timeout: 10_000 }).toBe('blocked');
    expect(desk.staff).toBeNull();
    // Finding that tab takes a person a while: longer than any timeout would have waited (the
    // last one gave up after 5 s and showed the sign-in screen with the data still here).
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(desk.status.signingOut).toBe('blocked');
    expect(finished).toBe(false);
    expect(await databasesUnder(prefix)).toContain(today);

    otherTab.close();
    await signingOut;

    expect(desk.status.signingOut).toBeNull();
    expect(await databasesUnder(prefix)).toEqual([]);
    expect(siteItems(store)).toEqual([]);
    expect(await held()).toEqual([]);
  }, 30_000);

  it('has a second open tab of the dashboard follow a sign-out, neither showing sign-in before the copies are gone', async () => {
    const store = listedStore();
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const otherTab = await signedInDashboard('staff', { store, storagePrefix: prefix });
    const here = await signedInDashboard('staff', { store, storagePrefix: prefix });
    const heldHere = heldAtSignInScreen(here, prefix, store);
    const heldThere = heldAtSignInScreen(otherTab, prefix, store);

    // No storage event: the tabs tell each other themselves.
    await here.signOut();

    await expect
      .poll(() => otherTab.status.signingOut === null && otherTab.stats === null, {
        timeout: 10_000,
      })
      .toBe(true);
    expect(otherTab.staff).toBeNull();
    expect(otherTab.documents).toEqual([]);
    expect(await databasesUnder(prefix)).toEqual([]);
    expect(siteItems(store)).toEqual([]);
    expect(await heldHere()).toEqual([]);
    expect(await heldThere()).toEqual([]);
  });

  it('signs out offline: the copies and stored items go although the server cannot be told', async () => {
    const store = listedStore();
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const online = await signedInDashboard('staff', { store, storagePrefix: prefix });
    await online.refreshStaff();
    online.stop();
    // The phone opens again with no network: the day comes from IndexedDB.
    const offline = newDashboard({ store, storagePrefix: prefix, baseUrl: 'http://127.0.0.1:9' });
    await offline.start();
    expect(offline.stats).not.toBeNull();
    expect(offline.status.live).toBe(false);
    const held = heldAtSignInScreen(offline, prefix, store);

    await offline.signOut();

    expect(offline.staff).toBeNull();
    expect(offline.status.signingOut).toBeNull();
    expect(await databasesUnder(prefix)).toEqual([]);
    expect(siteItems(store)).toEqual([]);
    expect(await held()).toEqual([]);
  });

  it('finishes, when the page opens again, a sign-out that did not finish before it closed', async () => {
    const store = listedStore();
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const desk = await signedInDashboard('staff', { store, storagePrefix: prefix });
    const otherTab = await connectionThatHoldsOn(`${prefix}:${desk.documents.at(-1)?.name}`);
    void desk.signOut();
    await expect.poll(() => desk.status.signingOut, { timeout: 10_000 }).toBe('blocked');

    // The page is reloaded half-way: its credential is gone, its copies are not.
    const reloaded = newDashboard({ store, storagePrefix: prefix });
    expect(reloaded.staff).toBeNull();
    expect(reloaded.status.signingOut).toBe('deleting');
    const held = heldAtSignInScreen(reloaded, prefix, store);
    const starting = reloaded.start();
    otherTab.close();
    await starting;

    expect(reloaded.status.signingOut).toBeNull();
    expect(await databasesUnder(prefix)).toEqual([]);
    expect(siteItems(store)).toEqual([]);
    expect(await held()).toEqual([]);
  });

  it('follows a sign-out in another tab of the same browser', async () => {
    const store = memoryStore();
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const here = await signedInDashboard('staff', { store, storagePrefix: prefix });
    const otherTab = await signedInDashboard('staff', { store, storagePrefix: prefix });
    await otherTab.signOut();
    // The browser tells other tabs that storage changed.
    window.dispatchEvent(new StorageEvent('storage', { key: 'headcount.staff-session' }));
    expect(here.staff).toBeNull();
    expect(here.stats).toBeNull();
    expect(here.status).toMatchObject({ live: false, asOf: null });
  });

  it('forgets everything when the server has ended the session', async () => {
    const store = memoryStore();
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const first = await signedInDashboard('staff', { store, storagePrefix: prefix });
    first.stop();
    // Signed out from another device: the server no longer takes this phone's refresh credential.
    const { refreshToken } = JSON.parse(store.getItem('headcount.staff-session') ?? '{}');
    expect(
      (await apiRequest(serverUrl, 'POST', '/api/session/end', { body: { refreshToken } })).status,
    ).toBe(200);

    // The phone opens again (a reload: no access token in memory) and must refresh.
    const reopened = newDashboard({ store, storagePrefix: prefix });
    await reopened.start();
    await expect.poll(() => reopened.status.signedOut, { timeout: 10_000 }).toBe(true);
    expect(reopened.staff).toBeNull();
    await expect
      .poll(
        async () =>
          (await indexedDB.databases()).filter((d) => d.name?.startsWith(`${prefix}:`)).length,
      )
      .toBe(0);
  });

  it('names staff accounts for the audit list, and keeps the names for offline use', async () => {
    const store = memoryStore();
    const desk = await signedInDashboard('staff', { store });
    const id = desk.staff?.id as string;
    expect(desk.staffName(id)).toBeNull();
    await desk.refreshStaff();
    expect(desk.staffName(id)).toBe('desk-staff');
    desk.stop();
    // A reload with no network: the names come from what was kept.
    expect(newDashboard({ store }).staffName(id)).toBe('desk-staff');
  });

  it('forgets, at sign-out, what it kept of every site it showed, not only the last', async () => {
    const store = listedStore();
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const admin = await signedInDashboard('admin', { store, storagePrefix: prefix });
    const first = await newTestSite(admin, 'First');
    const second = await newTestSite(admin, 'Second');
    await admin.switchSite(first.id);
    const member = uniqueMember('Ida', { homeSite: first.id });
    await addMembers(admin, member);
    admin.checkIn(member.id);
    await expect
      .poll(() => admin.status.live && admin.status.pending === 0, { timeout: 10_000 })
      .toBe(true);
    await admin.switchSite(second.id);
    await expect.poll(() => admin.status.live, { timeout: 10_000 }).toBe(true);
    expect((await databasesUnder(prefix)).some((name) => name.includes(first.id))).toBe(true);

    await admin.signOut();

    expect(siteItems(store)).toEqual([]);
    expect(await databasesUnder(prefix)).toEqual([]);
  });
});
