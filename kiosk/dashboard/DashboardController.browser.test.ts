import { describe, expect, inject, it } from 'vitest';
import type { Member } from '../../shared/siteDoc';
import { DeviceAuth } from '../device/DeviceAuth';
import { type KeyValueStore, memoryStore, writeJson } from '../device/KeyValueStore';
import { KioskController } from '../KioskController';
import { DashboardController } from './DashboardController';
import { StaffSession } from './StaffSession';

const serverUrl = inject('serverUrl');
const kiosk = inject('kiosk');
const accounts = inject('accounts');

/** A dashboard on its own "phone" (its own storage), signed in as `role`. */
async function signedIn(
  role: 'staff' | 'viewer',
  options: { store?: KeyValueStore; storagePrefix?: string } = {},
): Promise<DashboardController> {
  const store = options.store ?? memoryStore();
  const controller = new DashboardController({
    baseUrl: serverUrl,
    store,
    session: new StaffSession({ baseUrl: serverUrl, store }),
    ...(options.storagePrefix ? { storagePrefix: options.storagePrefix } : {}),
  });
  await controller.signIn(accounts[role].username, accounts[role].password);
  await expect.poll(() => controller.status.live, { timeout: 10_000 }).toBe(true);
  return controller;
}

function pairedKiosk(): KioskController {
  const store = memoryStore();
  writeJson(store, 'headcount.device', {
    deviceId: kiosk.deviceId,
    deviceSecret: kiosk.deviceSecret,
    siteId: 'riverside',
    name: 'Front door',
  });
  const auth = new DeviceAuth({ baseUrl: serverUrl, store, appVersion: 'test' });
  return new KioskController({ baseUrl: serverUrl, auth, store });
}

let serial = 0;
function newMember(name: string): Member {
  return {
    id: `dash-${Date.now().toString(36)}-${++serial}`,
    name,
    codes: [],
    status: 'active',
    validUntil: null,
  };
}

const isIn = (controller: DashboardController, memberId: string) =>
  controller.stats?.currentlyIn.some((p) => p.memberId === memberId) ?? false;

describe('DashboardController', () => {
  it('shows a check-in at a kiosk live, with the member name from the roster', async () => {
    const desk = await signedIn('staff');
    const member = newMember('Ana Lima');
    desk.putMember(member);
    const door = pairedKiosk();
    await door.start();
    await expect.poll(() => door.search('ana lim').length, { timeout: 10_000 }).toBeGreaterThan(0);
    const visitsBefore = desk.stats?.visitsToday ?? 0;

    door.scan(member.id, 'keypad');

    await expect.poll(() => isIn(desk, member.id), { timeout: 10_000 }).toBe(true);
    expect(desk.stats?.visitsToday).toBe(visitsBefore + 1);
    expect(desk.stats?.feed[0]).toMatchObject({
      memberId: member.id,
      name: 'Ana Lima',
      outcome: 'visit-start',
      writer: { role: 'kiosk', id: kiosk.deviceId },
    });
    // The kiosk announces what it still has to deliver: nothing, once the server has it.
    await expect.poll(() => desk.kioskPending().get(kiosk.deviceId), { timeout: 10_000 }).toBe(0);
    door.stop();
    await expect
      .poll(() => desk.kioskPending().has(kiosk.deviceId), { timeout: 10_000 })
      .toBe(false);
    desk.stop();
  });

  it('[V10] a void on one dashboard takes the visit out of the numbers on another', async () => {
    const first = await signedIn('staff');
    const second = await signedIn('staff');
    const member = newMember('Bob Stone');
    first.putMember(member);
    const checkIn = first.checkIn(member.id);
    await expect.poll(() => isIn(second, member.id), { timeout: 10_000 }).toBe(true);
    const visits = second.stats?.visitsToday ?? 0;

    first.voidEvent(checkIn, 'wrong member');

    await expect.poll(() => isIn(second, member.id), { timeout: 10_000 }).toBe(false);
    expect(second.stats?.visitsToday).toBe(visits - 1);
    const voided = second.stats?.feed.find((item) => item.id === checkIn);
    expect(voided?.voided).toBe(true);
    expect(second.events().find((e) => e.kind === 'void' && e.targetId === checkIn)).toMatchObject({
      reason: 'wrong member',
      writer: { role: 'staff' },
    });
    first.stop();
    second.stop();
  });

  it('checks everyone out at closing, on every dashboard', async () => {
    const desk = await signedIn('staff');
    const other = await signedIn('staff');
    const a = newMember('Cem Kaya');
    const b = newMember('Dee Park');
    desk.putMembers([a, b]);
    desk.checkIn(a.id);
    desk.checkIn(b.id);
    await expect.poll(() => isIn(other, a.id) && isIn(other, b.id), { timeout: 10_000 }).toBe(true);

    desk.checkOutEveryone();

    await expect.poll(() => other.stats?.currentlyIn.length, { timeout: 10_000 }).toBe(0);
    desk.stop();
    other.stop();
  });

  it('[B2] lets a viewer read everything and change nothing', async () => {
    const viewer = await signedIn('viewer');
    expect(viewer.canEdit).toBe(false);
    expect(viewer.stats).not.toBeNull();
    expect(() => viewer.checkIn('anyone')).toThrow(/viewer/);
    expect(() => viewer.saveSettings({ name: 'Hacked' })).toThrow(/viewer/);
    const answer = await viewer.api('POST', '/api/pairing-codes', { name: 'Sneaky' });
    expect(answer.status).toBe(403);
    viewer.stop();
  });

  it('[B1] keeps showing what it has, "as of" the last sync, when the connection drops', async () => {
    const desk = await signedIn('staff');
    const asOf = desk.status.asOf as number;
    expect(asOf).toBeGreaterThan(0);
    desk.stop();
    expect(desk.status).toMatchObject({ live: false, asOf: expect.any(Number) });
    expect(desk.status.asOf).toBeGreaterThanOrEqual(asOf);
  });

  it('forgets the session and the stored documents on sign-out', async () => {
    // Its own database names: other test files' dashboards in this browser keep theirs.
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const desk = await signedIn('staff', { storagePrefix: prefix });
    const stored = async () =>
      (await indexedDB.databases()).filter((d) => d.name?.startsWith(`${prefix}:`)).length;
    expect(await stored()).toBeGreaterThan(0);
    await desk.signOut();
    expect(desk.staff).toBeNull();
    expect(desk.status.asOf).toBeNull();
    await expect.poll(stored).toBe(0);
  });

  it('follows a sign-out in another tab of the same browser', async () => {
    const store = memoryStore();
    const prefix = `test-dashboard-${crypto.randomUUID()}`;
    const here = await signedIn('staff', { store, storagePrefix: prefix });
    const otherTab = await signedIn('staff', { store, storagePrefix: prefix });
    await otherTab.signOut();
    // The browser tells other tabs that storage changed.
    window.dispatchEvent(new StorageEvent('storage', { key: 'headcount.staff-session' }));
    expect(here.staff).toBeNull();
    expect(here.stats).toBeNull();
    expect(here.status).toMatchObject({ live: false, asOf: null });
  });
});
