import { afterEach, describe, expect, inject, it } from 'vitest';
import { page } from 'vitest/browser';
import type { Member } from '../../../shared/siteDoc';
import { memoryStore } from '../../device/KeyValueStore';
import { DashboardController } from '../DashboardController';
import { StaffSession } from '../StaffSession';
import './hc-live-view';

const serverUrl = inject('serverUrl');
const accounts = inject('accounts');

// The server lives for the whole run and other files check people in and out at the same time:
// each test makes its own members and looks for them, and compares numbers before and after.
const running: DashboardController[] = [];

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
  const view = document.createElement('hc-live-view');
  view.controller = controller;
  controller.addEventListener('change', () => view.revision++);
  document.body.append(view);
  await view.updateComplete;
  return view;
}

const run = Math.random().toString(36).slice(2, 7);
const randomIndex = (n: number) => Math.floor(Math.random() * n);
let serial = 0;
/** A member no other test knows, with a made-up surname that a name search finds alone. */
function newMember(first: string): Member {
  serial += 1;
  const letters = Array.from({ length: 8 }, () => 'abcdefghijklmnopqrstuvwxyz'[randomIndex(26)]);
  return {
    id: `live-${run}-${serial}`,
    name: `${first} Q${letters.join('')}`,
    codes: [],
    status: 'active',
    validUntil: null,
  };
}

const isIn = (controller: DashboardController, memberId: string) =>
  controller.stats?.currentlyIn.some((p) => p.memberId === memberId) ?? false;

const text = (element: Element | null | undefined) =>
  element?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

/** The value of the tile whose label starts with `label`. */
function tileValue(view: HTMLElement, label: string): string {
  const tiles = Array.from(view.shadowRoot?.querySelectorAll('.tile') ?? []);
  const tile = tiles.find((t) => text(t.querySelector('.label')).startsWith(label));
  return text(tile?.querySelector('.value'));
}

const currentTile = (view: HTMLElement) => view.shadowRoot?.querySelector('.tile.current');

describe('hc-live-view', () => {
  it("shows today's numbers in tiles as the controller derives them", async () => {
    const desk = await signedIn();
    const view = await mount(desk);
    const stats = desk.stats;
    if (!stats) throw new Error('no stats after sign-in');
    expect(tileValue(view, 'Currently in')).toBe(String(stats.currentlyIn.length));
    expect(tileValue(view, 'Visits today')).toBe(String(stats.visitsToday));
    expect(tileValue(view, 'Unique members')).toBe(String(stats.uniqueMembersToday));
    expect(tileValue(view, 'Peak so far')).toBe(String(stats.peak.count));
    expect(tileValue(view, 'Average stay')).toMatch(/^(—|\d+ min|\d+ h \d+ min)$/);
    await expect.element(page.getByRole('heading', { name: 'Occupancy today' })).toBeVisible();
    expect(view.shadowRoot?.querySelector('hc-occupancy-chart')).not.toBeNull();
  });

  it('checks a member in from the name search, lists them as in and counts the visit', async () => {
    const desk = await signedIn();
    const member = newMember('Ines');
    desk.putMember(member);
    const view = await mount(desk);
    const visitsBefore = Number(tileValue(view, 'Visits today'));
    const surname = member.name.split(' ')[1] ?? '';

    await page.getByLabelText('Member name or number').fill(surname.toLowerCase());
    const checkIn = page.getByRole('button', { name: `Check in ${member.name}` });
    await expect.element(checkIn).toBeVisible();
    await expect.element(page.getByText(`${member.id} · active`)).toBeVisible();
    await checkIn.click();

    await expect.poll(() => isIn(desk, member.id), { timeout: 10_000 }).toBe(true);
    await expect.element(page.getByLabelText('Member name or number')).toHaveValue('');
    await expect.element(checkIn).not.toBeInTheDocument();
    await expect
      .element(page.getByRole('button', { name: `Check out ${member.name}` }))
      .toBeVisible();
    await expect
      .poll(() => Number(tileValue(view, 'Visits today')))
      .toBeGreaterThanOrEqual(visitsBefore + 1);
    expect(tileValue(view, 'Visits today')).toBe(String(desk.stats?.visitsToday));
    desk.checkOut(member.id);
  });

  it('checks one person out with the button on their row and leaves the others in', async () => {
    const desk = await signedIn();
    const leaving = newMember('Lea');
    const staying = newMember('Sam');
    desk.putMembers([leaving, staying]);
    desk.checkIn(leaving.id);
    desk.checkIn(staying.id);
    await mount(desk);
    const checkOut = page.getByRole('button', { name: `Check out ${leaving.name}` });

    await checkOut.click();

    await expect.poll(() => isIn(desk, leaving.id), { timeout: 10_000 }).toBe(false);
    await expect.element(checkOut).not.toBeInTheDocument();
    await expect.element(page.getByText(leaving.name, { exact: true })).not.toBeInTheDocument();
    await expect
      .element(page.getByRole('button', { name: `Check out ${staying.name}` }))
      .toBeVisible();
    expect(isIn(desk, staying.id)).toBe(true);
    desk.checkOut(staying.id);
  });

  it('warns "⚠ Busy" from 80 % of capacity and "⛔ Nearly full" from 90 %, in words', async () => {
    const desk = await signedIn();
    const capacityBefore = desk.settings.capacity;
    const mine: Member[] = [];
    /** Checks in new members until `count` people are in. */
    const fillTo = (count: number) => {
      const missing = count - (desk.stats?.currentlyIn.length ?? 0);
      const more = Array.from({ length: Math.max(0, missing) }, () => newMember('Fay'));
      desk.putMembers(more);
      for (const member of more) desk.checkIn(member.id);
      mine.push(...more);
    };
    try {
      const view = await mount(desk);
      const label = () => text(currentTile(view)?.querySelector('.label'));
      const level = () => currentTile(view)?.className.replace(/\s*(tile|current)\s*/g, '');
      // 8k people (k more than 1 only when others left that many in): 80 % of 10k exactly.
      const k = Math.max(1, Math.ceil((desk.stats?.currentlyIn.length ?? 0) / 8));
      fillTo(8 * k);
      const at = async (capacity: number | null, expected: string) => {
        desk.saveSettings({ capacity });
        await expect.poll(label, { timeout: 10_000 }).toBe(expected);
      };

      await at(11 * k, `Currently in · 73 % of ${11 * k}`);
      expect(level()).toBe('');
      await at(10 * k, `Currently in · 80 % of ${10 * k} ⚠ Busy`);
      expect(level()).toBe('busy');
      await at(9 * k, `Currently in · 89 % of ${9 * k} ⚠ Busy`);
      fillTo(9 * k);
      await at(10 * k, `Currently in · 90 % of ${10 * k} ⛔ Nearly full`);
      expect(level()).toBe('full');
      await at(9 * k, `Currently in · 100 % of ${9 * k} ⛔ Nearly full`);
      // Without a capacity there is no share to warn about.
      await at(null, 'Currently in');
    } finally {
      desk.saveSettings({ capacity: capacityBefore });
      for (const member of mine) desk.checkOut(member.id);
    }
  });

  it('checks everyone out only after "Check everyone out…" is confirmed', async () => {
    const desk = await signedIn();
    const a = newMember('Cem');
    const b = newMember('Dee');
    desk.putMembers([a, b]);
    desk.checkIn(a.id);
    desk.checkIn(b.id);
    await mount(desk);
    const checkOutAlls = () => desk.events().filter((e) => e.kind === 'checkOutAll').length;
    const allBefore = checkOutAlls();
    const ask = page.getByRole('button', { name: 'Check everyone out…' });

    await ask.click();
    const confirm = page.getByRole('group', { name: 'Confirm check everyone out' });
    await expect.element(confirm).toHaveTextContent(/Check out all \d+ people now\?/);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect.element(confirm).not.toBeInTheDocument();
    expect(checkOutAlls()).toBe(allBefore);
    expect(isIn(desk, a.id) && isIn(desk, b.id)).toBe(true);

    await ask.click();
    await confirm.getByRole('button', { name: 'Check everyone out', exact: true }).click();

    await expect.poll(() => isIn(desk, a.id) || isIn(desk, b.id), { timeout: 10_000 }).toBe(false);
    expect(checkOutAlls()).toBeGreaterThan(allBefore);
    await expect.element(confirm).not.toBeInTheDocument();
    await expect
      .element(page.getByRole('button', { name: `Check out ${a.name}` }))
      .not.toBeInTheDocument();
  });

  it('shows a viewer the numbers and who is in, with nothing to change', async () => {
    const desk = await signedIn();
    const member = newMember('Vic');
    desk.putMember(member);
    desk.checkIn(member.id);
    const viewer = await signedIn('viewer');
    await expect.poll(() => isIn(viewer, member.id), { timeout: 10_000 }).toBe(true);
    const view = await mount(viewer);

    await expect.element(page.getByText(member.name, { exact: true })).toBeVisible();
    expect(tileValue(view, 'Currently in')).toBe(String(viewer.stats?.currentlyIn.length));
    expect(page.getByLabelText('Member name or number').query()).toBeNull();
    expect(page.getByRole('button', { name: /^Check (in|out) / }).elements()).toEqual([]);
    expect(page.getByRole('button', { name: 'Check everyone out…' }).query()).toBeNull();
    desk.checkOut(member.id);
  });
});
