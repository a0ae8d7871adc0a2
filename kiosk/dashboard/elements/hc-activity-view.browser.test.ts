import { afterEach, describe, expect, inject, it } from 'vitest';
import { page } from 'vitest/browser';
import type { Member } from '../../../shared/siteDoc';
import { apiRequest } from '../../apiRequest';
import { DeviceAuth } from '../../device/DeviceAuth';
import { memoryStore, writeJson } from '../../device/KeyValueStore';
import { KioskController } from '../../KioskController';
import { DashboardController } from '../DashboardController';
import { StaffSession } from '../StaffSession';
import './hc-activity-view';

const serverUrl = inject('serverUrl');
const accounts = inject('accounts');

// The server lives for the whole run and other files write to the same day at the same time:
// each test makes its own members and looks only at their entries.
const running: { stop(): void }[] = [];

afterEach(() => {
  document.body.replaceChildren();
  for (const controller of running.splice(0)) controller.stop();
});

/** A dashboard on its own "phone" (its own storage), signed in as `role` and live. */
async function signedIn(role: 'staff' | 'viewer' = 'staff'): Promise<DashboardController> {
  const store = memoryStore();
  const controller = new DashboardController({
    baseUrl: serverUrl,
    store,
    session: new StaffSession({ baseUrl: serverUrl, store }),
  });
  running.push(controller);
  await controller.signIn(accounts[role].username, accounts[role].password);
  await expect.poll(() => controller.status.live, { timeout: 10_000 }).toBe(true);
  return controller;
}

/** The screen as the app shows it: a new revision on every change of the controller. */
async function mount(controller: DashboardController) {
  const view = document.createElement('hc-activity-view');
  view.controller = controller;
  controller.addEventListener('change', () => view.revision++);
  document.body.append(view);
  await view.updateComplete;
  return view;
}

/** A tablet paired just for this test, under its own name, started and in sync. */
async function newKiosk(desk: DashboardController, name: string): Promise<KioskController> {
  const code = await desk.api('POST', '/api/pairing-codes', { name });
  const paired = await apiRequest(serverUrl, 'POST', '/api/devices/pair', {
    body: { code: code.body.code, appVersion: 'test' },
  });
  expect(paired.status).toBe(200);
  const store = memoryStore();
  writeJson(store, 'headcount.device', paired.body);
  const auth = new DeviceAuth({ baseUrl: serverUrl, store, appVersion: 'test' });
  const kiosk = new KioskController({ baseUrl: serverUrl, auth, store });
  running.push(kiosk);
  await kiosk.start();
  return kiosk;
}

const run = Math.random().toString(36).slice(2, 7);
const randomIndex = (n: number) => Math.floor(Math.random() * n);
let serial = 0;
/** A member no other test knows, with a made-up surname of letters only. */
function newMember(first: string): Member {
  serial += 1;
  const letters = Array.from({ length: 8 }, () => 'abcdefghijklmnopqrstuvwxyz'[randomIndex(26)]);
  return {
    id: `activity-${run}-${serial}`,
    name: `${first} Q${letters.join('')}`,
    codes: [],
    status: 'active',
    validUntil: null,
  };
}

const text = (element: Element | null | undefined) =>
  element?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

/** The feed's lines (newest first, without their buttons) that mention one of `members`. */
function feedLines(view: HTMLElement, members: readonly Member[]): string[] {
  const items = view.shadowRoot?.querySelectorAll('ol[aria-label="Newest first"] > li > span');
  return Array.from(items ?? [], text).filter((line) => members.some((m) => line.includes(m.name)));
}

/** The audit list's lines that mention `member`. */
function auditLines(view: HTMLElement, member: Member): string[] {
  const lists = view.shadowRoot?.querySelectorAll('section') ?? [];
  const audit = Array.from(lists).find(
    (s) => text(s.querySelector('h2')) === 'Corrections by staff',
  );
  return Array.from(audit?.querySelectorAll('li') ?? [], text).filter((l) =>
    l.includes(member.name),
  );
}

const isIn = (controller: DashboardController, memberId: string) =>
  controller.stats?.currentlyIn.some((p) => p.memberId === memberId) ?? false;

describe('hc-activity-view', () => {
  it('lists the day newest first: check-ins, check-outs with their stay, and who did each', async () => {
    const desk = await signedIn();
    const ana = newMember('Ana');
    const bob = newMember('Bob');
    desk.putMembers([ana, bob]);
    desk.checkIn(ana.id);
    desk.checkIn(bob.id);
    desk.checkOut(ana.id);
    const view = await mount(desk);

    await expect
      .poll(() => feedLines(view, [ana, bob]).map((line) => line.replace(/ · .*/, '')))
      .toEqual([
        `→ ${ana.name} checked out after 1 min`,
        `✓ ${bob.name} checked in`,
        `✓ ${ana.name} checked in`,
      ]);
    for (const line of feedLines(view, [ana, bob]))
      expect(line).toMatch(/ · \d{1,2}:\d{2}( [AP]M)? · desk \(you\)/);
    // Desk corrections are also listed for the audit.
    expect(auditLines(view, ana).map((l) => l.replace(/^.* · desk \(you\) /, ''))).toEqual([
      `checked out ${ana.name}`,
      `checked in ${ana.name}`,
    ]);
    desk.checkOut(bob.id);
  });

  it('names the kiosk a check-in came from', async () => {
    const desk = await signedIn();
    const kioskName = `Side gate ${run}`;
    const door = await newKiosk(desk, kioskName);
    const member = newMember('Kim');
    desk.putMember(member);
    await expect.poll(() => door.search(member.name).length, { timeout: 10_000 }).toBe(1);
    door.scan(member.id, 'keypad');
    await expect.poll(() => isIn(desk, member.id), { timeout: 10_000 }).toBe(true);

    const view = await mount(desk);

    await expect
      .poll(() => feedLines(view, [member]))
      .toEqual([expect.stringMatching(new RegExp(`checked in · .+ · ${kioskName}$`))]);
    desk.checkOut(member.id);
  });

  it('voids a check-in only with a reason, and lists the void with it among corrections', async () => {
    const desk = await signedIn();
    const member = newMember('Ines');
    desk.putMember(member);
    const checkIn = desk.checkIn(member.id);
    const view = await mount(desk);
    const voids = () => desk.events().filter((e) => e.kind === 'void' && e.targetId === checkIn);
    const open = page.getByRole('button', {
      name: new RegExp(`^Void ${member.name} checked in at `),
    });

    await open.click();
    const form = page.getByRole('form', { name: 'Void this entry' });
    const reason = form.getByLabelText('Reason');
    const submit = form.getByRole('button', { name: 'Void', exact: true });
    // Empty: the browser itself says the field is required, and nothing is written.
    let invalid = 0;
    reason.element().addEventListener('invalid', () => invalid++);
    await submit.click();
    expect(invalid).toBe(1);
    expect((reason.element() as HTMLInputElement).validity.valueMissing).toBe(true);
    // Only spaces get past the browser: the form says why it needs a reason.
    await reason.fill('   ');
    await submit.click();
    await expect.element(form.getByRole('alert')).toHaveTextContent('Say why, for the audit list.');
    expect(voids()).toEqual([]);
    expect(auditLines(view, member).filter((l) => l.includes('voided'))).toEqual([]);
    expect(isIn(desk, member.id)).toBe(true);

    await reason.fill('scanned the wrong card');
    await submit.click();

    await expect.element(form).not.toBeInTheDocument();
    expect(voids()).toMatchObject([{ reason: 'scanned the wrong card' }]);
    await expect
      .poll(() => feedLines(view, [member]).find((l) => l.startsWith('✎')))
      .toMatch(new RegExp(`^✎ ${member.name} checked in \\(voided\\) · `));
    expect(auditLines(view, member)[0]).toMatch(
      new RegExp(
        ` · desk \\(you\\) voided ${member.name}'s check-in at \\d{1,2}:\\d{2}( [AP]M)?: “scanned the wrong card”$`,
      ),
    );
    await expect.element(open).not.toBeInTheDocument();
    // [V10] A voided check-in is no visit: the member is not in the gym any more.
    await expect.poll(() => isIn(desk, member.id), { timeout: 10_000 }).toBe(false);
  });

  it('closes the void form on Cancel without writing anything', async () => {
    const desk = await signedIn();
    const member = newMember('Uma');
    desk.putMember(member);
    const checkIn = desk.checkIn(member.id);
    await mount(desk);
    const open = page.getByRole('button', {
      name: new RegExp(`^Void ${member.name} checked in at `),
    });

    await open.click();
    const form = page.getByRole('form', { name: 'Void this entry' });
    await form.getByLabelText('Reason').fill('changed my mind');
    await form.getByRole('button', { name: 'Cancel' }).click();

    await expect.element(form).not.toBeInTheDocument();
    await expect.element(open).toBeVisible();
    expect(desk.events().filter((e) => e.kind === 'void' && e.targetId === checkIn)).toEqual([]);
    desk.checkOut(member.id);
  });

  it('shows a viewer the feed without anything to void', async () => {
    const desk = await signedIn();
    const member = newMember('Vic');
    desk.putMember(member);
    desk.checkIn(member.id);
    const viewer = await signedIn('viewer');
    await expect.poll(() => isIn(viewer, member.id), { timeout: 10_000 }).toBe(true);
    const view = await mount(viewer);

    expect(feedLines(view, [member])).toEqual([
      expect.stringMatching(new RegExp(`^✓ ${member.name} checked in · `)),
    ]);
    expect(page.getByRole('button', { name: /^Void / }).elements()).toEqual([]);
    desk.checkOut(member.id);
  });
});
