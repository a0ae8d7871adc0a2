import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { describe, expect, inject, it } from 'vitest';
import * as Y from 'yjs';
import { type RawEntry, readEntries } from '../shared/checkinsDoc';
import { deriveDay } from '../shared/deriveDay';
import { checkinsDocName } from '../shared/docName';
import { eventIdFromBytes } from '../shared/eventId';
import { addDays, dayWindow, localDayOf } from '../shared/localTime';
import type { Member } from '../shared/member';
import type { DashboardController } from './dashboard/DashboardController';
import {
  cleanUpAfterEach,
  isCheckedIn,
  kioskWith,
  newTestSite,
  pairKioskDevice,
  signedInDashboard,
  uniqueIdAndSurname,
  uniqueName,
} from './dashboard/testing/dashboards';
import { DeviceAuth } from './device/DeviceAuth';
import { memoryStore, writeJson } from './device/KeyValueStore';
import { ServerClock } from './device/ServerClock';
import { type KioskClock, KioskController } from './KioskController';

const serverUrl = inject('serverUrl');
const kiosk = inject('kiosk');
/** An address where no server answers: a tablet offline. */
const UNREACHABLE = 'http://127.0.0.1:9';

cleanUpAfterEach();

/**
 * An admin's dashboard switched to a site made for this test, and a tablet paired there: sites
 * are archived only when no other test uses them.
 */
async function kioskOfNewSite() {
  const admin = await signedInDashboard('admin');
  const site = await newTestSite(admin, 'Club');
  await admin.switchSite(site.id);
  const credential = await pairKioskDevice(admin, uniqueName('Door'));
  expect(credential.siteId).toBe(site.id);
  const archive = async (action: 'archive' | 'restore') =>
    expect((await admin.api('POST', `/api/sites/${site.id}/${action}`)).status).toBe(200);
  return { admin, site, credential, archive };
}

/**
 * An active member of `homeSite` no other test knows, admitted there only unless `changes` say
 * otherwise, with a card code made of their member number.
 */
function newMember(firstName: string, homeSite: string, changes: Partial<Member> = {}): Member {
  const { id, surname } = uniqueIdAndSurname();
  return {
    id,
    name: `${firstName} ${surname}`,
    codes: [`card-${id}`],
    status: 'active',
    validUntil: null,
    homeSite,
    access: 'home',
    ...changes,
  };
}

/**
 * Adds or changes `member` on the server through the API, as staff do ([M4]): the server lists
 * them in the roster documents of the sites that admit them ([D7]). An import of one line (the
 * same server path as `PUT /api/members/:id`, which the server's CORS answer does not allow
 * from the test page's origin yet).
 */
async function saveMember(admin: DashboardController, member: Member): Promise<void> {
  const rows = [{ line: 2, member }];
  const answer = await admin.api('POST', '/api/members/import', { rows, apply: true });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body).toMatchObject({ errors: [], applied: true });
}

/**
 * Entries the server holds for one document, read through a fresh provider; with `run`, only
 * those mentioning it (other test files write into the same real days at the same time).
 */
async function entriesOnServer(day: string, run?: string): Promise<number> {
  return (await rawEntriesOnServer(day, run)).length;
}

/** The raw entries the server holds for one day (those mentioning `run`, with `run`). */
async function rawEntriesOnServer(day: string, run?: string): Promise<RawEntry[]> {
  const socket = new HocuspocusProviderWebsocket({ url: serverUrl.replace('http', 'ws') });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: checkinsDocName('riverside', day),
    document: doc,
    token: async () => kiosk.token,
  });
  provider.attach();
  await new Promise<void>((resolve) => provider.on('synced', () => resolve()));
  const entries = readEntries(doc, day).filter(
    (entry) => run === undefined || JSON.stringify(entry.value).includes(run),
  );
  provider.destroy();
  socket.destroy();
  return entries;
}

/** A controller for the paired test tablet, on a clock the test moves. */
function pairedKiosk(now: () => number, store = memoryStore()): KioskController {
  const clock: KioskClock = {
    now: () => ({ at: now(), deviceTime: now(), trusted: true }),
    sync: async () => ({
      sample: { offsetMs: 0, roundTripMs: 0, measuredAt: now() },
      correction: null,
    }),
    noteRecorded: () => {},
    onJump: () => () => {},
    checkForJump: () => false,
  };
  return pairedKioskOn(clock, store);
}

function pairedKioskOn(clock: KioskClock, store = memoryStore()): KioskController {
  writeJson(store, 'headcount.device', {
    deviceId: kiosk.deviceId,
    deviceSecret: kiosk.deviceSecret,
    siteId: 'riverside',
    name: 'Front door',
  });
  const auth = new DeviceAuth({ baseUrl: serverUrl, store, appVersion: 'test' });
  return new KioskController({ baseUrl: serverUrl, auth, store, clock });
}

describe('KioskController', () => {
  it('opens the new day at midnight and writes a scan just after it into the new day', async () => {
    // Last midnight in Amsterdam, the site's zone: the server lets a kiosk write only recent
    // days ([W3]), so the test's days are real ones.
    const today = localDayOf(Date.now(), 'Europe/Amsterdam');
    const yesterday = addDays(today, -1);
    const midnight = dayWindow(today, 'Europe/Amsterdam').start;
    let now = midnight - 10_000;
    const controller = pairedKiosk(() => now);
    await controller.start();
    await expect.poll(() => controller.timeZone, { timeout: 10_000 }).toBe('Europe/Amsterdam');
    await expect.poll(() => controller.status.rosterComplete, { timeout: 10_000 }).toBe(true);
    // Unknown codes are recorded as denied attempts with the code: this run's are findable.
    const run = crypto.randomUUID().slice(0, 8);
    controller.scan(`first-${run}`, 'keypad');
    expect(controller.today).toBe(yesterday);

    now = midnight + 10_000;
    controller.scan(`second-${run}`, 'keypad');
    expect(controller.today).toBe(today);
    await expect.poll(() => controller.status.pending, { timeout: 10_000 }).toBe(0);
    expect(await entriesOnServer(yesterday, run)).toBe(1);
    expect(await entriesOnServer(today, run)).toBe(1);
    controller.stop();
  });

  it('recovers when the server refuses an update: starts the day again from the server and keeps every scan', async () => {
    const controller = pairedKiosk(() => Date.now());
    const day = localDayOf(Date.now(), 'Europe/Amsterdam');
    // Other tests write into today too: this test's scans carry its own tag.
    const run = crypto.randomUUID().slice(0, 8);
    await controller.start();
    // Unknown codes are recorded as denied once the tablet has had its whole roster ([K3]).
    await expect.poll(() => controller.status.rosterComplete, { timeout: 10_000 }).toBe(true);
    controller.scan(`code-1-${run}`, 'qr');
    controller.scan(`code-2-${run}`, 'qr');
    await expect.poll(() => controller.status.pending, { timeout: 10_000 }).toBe(0);

    // A bug puts content where entries never go; the server refuses the update that carries it.
    const today = controller.documents[controller.documents.length - 1];
    today?.doc.getMap('kiosk:rogue').set('oops', 1);
    controller.scan(`code-3-${run}`, 'qr');
    await expect.poll(() => controller.recoveries, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => controller.status.pending, { timeout: 10_000 }).toBe(0);
    expect(await entriesOnServer(day, run)).toBe(3);
    controller.scan(`code-4-${run}`, 'qr');
    await expect.poll(() => entriesOnServer(day, run), { timeout: 10_000 }).toBe(4);
    controller.stop();
  });

  it('shows the last sync it really had after a reload', async () => {
    const store = memoryStore();
    const controller = pairedKiosk(() => Date.now(), store);
    await controller.start();
    await expect.poll(() => controller.status.online, { timeout: 10_000 }).toBe(true);
    const synced = controller.status.lastSyncedAt as number;
    expect(Math.abs(synced - Date.now())).toBeLessThan(60_000);
    controller.stop();
    // The page reloads (offline or not): the time is kept, within the 30 s it is saved at.
    const reloaded = pairedKiosk(() => Date.now(), store).status.lastSyncedAt as number;
    expect(reloaded).toBeLessThanOrEqual(synced);
    expect(synced - reloaded).toBeLessThan(30_000);
  });

  it('[T5] dates scans at the server’s time after the tablet’s clock jumps 3 h while it runs, and says it corrected them', async () => {
    const zone = 'Europe/Amsterdam';
    const store = memoryStore();
    // 3 h later before noon, earlier after it: the jumped clock stays in today (the day's own
    // edge has its test in shared/ClockCorrections.test.ts).
    const hour = Number(
      new Intl.DateTimeFormat('en-GB', { hour: 'numeric', timeZone: zone }).format(Date.now()),
    );
    const jump = (hour < 12 ? 3 : -3) * 3_600_000;
    let skew = 0;
    const clock = new ServerClock(store, () => Date.now() + skew);
    const controller = pairedKioskOn(clock, store);
    await controller.start();
    await expect.poll(() => controller.status.online, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => clock.now().segment, { timeout: 10_000 }).toBeUndefined();

    skew = jump;
    const run = crypto.randomUUID().slice(0, 8);
    const scannedFrom = Date.now();
    for (const n of [1, 2, 3, 4]) controller.scan(`jump-${n}-${run}`, 'keypad');
    const scannedTo = Date.now();
    const day = localDayOf(Date.now(), zone);
    // The first scan saw the jump: untrusted until the measure that followed at once, whose
    // clock entry re-times all four on every replica.
    await expect
      .poll(async () => (await rawEntriesOnServer(day, run)).length, { timeout: 10_000 })
      .toBe(4);
    const recorded = await rawEntriesOnServer(day, run);
    expect(recorded.map((entry) => (entry.value as unknown[])[5])).toEqual([
      false,
      false,
      false,
      false,
    ]);
    const refs = recorded.map(
      (entry) => `kiosk:${kiosk.deviceId}/${eventIdFromBytes((entry.value as unknown[])[1])}`,
    );
    const config = {
      day,
      timeZone: zone,
      maxStayMs: 4 * 3_600_000,
      closingTime: null,
      debounceMs: 0,
    };
    const corrected = async () =>
      deriveDay(config, await rawEntriesOnServer(day), Date.now()).flags.filter(
        (flag) => flag.code === 'clock-corrected' && refs.includes(flag.ref),
      );
    await expect.poll(async () => (await corrected()).length, { timeout: 10_000 }).toBe(4);
    for (const flag of await corrected()) {
      expect(Math.abs((flag.shiftMs ?? 0) + jump)).toBeLessThan(2_000);
      expect(flag.at).toBeGreaterThanOrEqual(scannedFrom - 2_000);
      expect(flag.at).toBeLessThanOrEqual(scannedTo + 2_000);
    }
    controller.stop();
  });

  it('[C2] says its site is archived when an admin archives it while it is connected, and stays paired', async () => {
    const { credential, archive } = await kioskOfNewSite();
    const store = memoryStore();
    const tablet = kioskWith(credential, Date.now, { store });
    await tablet.start();
    await expect.poll(() => tablet.status.online, { timeout: 10_000 }).toBe(true);
    expect(tablet.status.archived).toBe(false);

    await archive('archive');

    await expect.poll(() => tablet.status.archived, { timeout: 10_000 }).toBe(true);
    expect(tablet.status).toMatchObject({ paired: true, revoked: false, online: false });
    expect(store.getItem('headcount.device')).not.toBeNull();
    // Reloaded, offline too, it still takes no check-ins.
    tablet.stop();
    expect(kioskWith(credential, Date.now, { store, baseUrl: UNREACHABLE }).status.archived).toBe(
      true,
    );
  });

  it('[C2] keeps what it recorded offline while its site is archived, and delivers it once the site is restored', async () => {
    const { admin, site, credential, archive } = await kioskOfNewSite();
    const member = newMember('Ana', credential.siteId);
    await saveMember(admin, member);
    const store = memoryStore();
    // The tablet learns the roster and the site's zone (which says the day a check-in is of:
    // they come in different documents), then goes offline and records a check-in it cannot send.
    const online = kioskWith(credential, Date.now, { store });
    await online.start();
    await expect
      .poll(() => online.search(member.name).length === 1 && online.timeZone === site.timeZone, {
        timeout: 10_000,
      })
      .toBe(true);
    online.stop();
    const offline = kioskWith(credential, Date.now, { store, baseUrl: UNREACHABLE });
    await offline.start();
    expect(offline.scan(member.id, 'keypad').decision.action).toBe('check-in');
    expect(offline.status.pending).toBe(1);
    offline.stop();
    await archive('archive');

    // Back online: refused as archived, still paired, the check-in still waiting.
    const back = kioskWith(credential, Date.now, {
      store,
      archivedRetry: { firstMs: 300, maxMs: 1_000 },
    });
    await back.start();
    await expect.poll(() => back.status.archived, { timeout: 10_000 }).toBe(true);
    expect(back.status).toMatchObject({ paired: true, revoked: false, pending: 1 });
    expect(isCheckedIn(admin, member.id)).toBe(false);

    await archive('restore');

    await expect
      .poll(() => back.status.online && back.status.pending === 0, { timeout: 15_000 })
      .toBe(true);
    expect(back.status.archived).toBe(false);
    await expect.poll(() => isCheckedIn(admin, member.id), { timeout: 10_000 }).toBe(true);
  });

  it('[K3] asks to try again and records nothing while it has never had its whole roster, and denies as unknown once it has', async () => {
    const { credential } = await kioskOfNewSite();
    const store = memoryStore();
    // Paired, and offline before any roster document arrived.
    const fresh = kioskWith(credential, Date.now, { store, baseUrl: UNREACHABLE });
    await fresh.start();
    expect(fresh.scan('no-such-card', 'wedge').decision).toEqual({ action: 'roster-loading' });
    expect(fresh.status).toMatchObject({ rosterComplete: false, pending: 0 });
    fresh.stop();

    // Online once: the whole roster arrived.
    const online = kioskWith(credential, Date.now, { store });
    await online.start();
    await expect.poll(() => online.status.online, { timeout: 10_000 }).toBe(true);
    expect(online.status.rosterComplete).toBe(true);
    online.stop();

    // Offline again, after a reload: its copy is whole, so a code it lacks is unknown.
    const reloaded = kioskWith(credential, Date.now, { store, baseUrl: UNREACHABLE });
    await reloaded.start();
    expect(reloaded.scan('no-such-card', 'wedge').decision).toMatchObject({
      action: 'deny',
      reason: 'unknown',
    });
    expect(reloaded.status.pending).toBe(1);
  });

  it('[M6] denies a member frozen on the server while the kiosk runs, without a restart', async () => {
    const { admin, site, credential } = await kioskOfNewSite();
    const member = newMember('Bea', site.id);
    await saveMember(admin, member);
    const tablet = kioskWith(credential);
    await tablet.start();
    await expect.poll(() => tablet.status.online, { timeout: 10_000 }).toBe(true);
    expect(tablet.search(member.name)).toHaveLength(1);

    // Frozen, and renamed in the same change: the new name on the kiosk says the change (one
    // roster value) has arrived, without a scan that would record something first.
    const { surname } = uniqueIdAndSurname();
    await saveMember(admin, { ...member, name: `Bea ${surname}`, status: 'frozen' });
    await expect.poll(() => tablet.search(surname).length, { timeout: 10_000 }).toBe(1);

    const result = tablet.scan(member.codes[0] as string, 'qr');
    expect(result.decision).toMatchObject({ action: 'deny', reason: 'frozen' });
    expect(result.firstName).toBe('Bea');
  });

  it('[D7] [M5] checks in by card code a member of another site admitted at every site, and denies as unknown one admitted only at home', async () => {
    const { admin, credential } = await kioskOfNewSite();
    // Members of the test site: one with access to the whole chain, one to their home only.
    const everywhere = newMember('Cleo', 'riverside', { access: 'all' });
    const homeOnly = newMember('Dan', 'riverside');
    await saveMember(admin, everywhere);
    await saveMember(admin, homeOnly);
    const tablet = kioskWith(credential);
    await tablet.start();
    // Online: the roster documents have synced, so what the kiosk does not hold it never will.
    await expect.poll(() => tablet.status.online, { timeout: 10_000 }).toBe(true);

    const welcome = tablet.scan(everywhere.codes[0] as string, 'wedge');
    expect(welcome.decision).toMatchObject({ action: 'check-in' });
    expect(welcome.firstName).toBe('Cleo');
    const away = tablet.scan(homeOnly.codes[0] as string, 'wedge');
    expect(away.decision).toMatchObject({ action: 'deny', reason: 'unknown' });
    expect(away.firstName).toBeNull();
    expect(tablet.search(homeOnly.name)).toEqual([]);
  });
});
