import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import type { Member } from '../../../shared/member';
import {
  addMembers,
  checkedInMembers,
  cleanUpAfterEach,
  isCheckedIn,
  mountScreen,
  signedInDashboard,
  textOf,
  uniqueMember,
  viewerSeeingCheckIn,
} from '../testing/dashboards';
import './hc-live-view';
import './hc-activity-view';
import { ShowScreenEvent } from './ShowScreenEvent';

// The server lives for the whole run and other files check people in and out at the same time:
// each test makes its own members and looks for them, and compares numbers before and after.
cleanUpAfterEach();

/** The value of the tile whose label starts with `label`. */
function tileValue(view: HTMLElement, label: string): string {
  const tiles = Array.from(view.shadowRoot?.querySelectorAll('.tile') ?? []);
  const tile = tiles.find((t) => textOf(t.querySelector('.label')).startsWith(label));
  return textOf(tile?.querySelector('.value'));
}

const currentTile = (view: HTMLElement) => view.shadowRoot?.querySelector('.tile.current');

describe('hc-live-view', () => {
  it("shows today's numbers in tiles as the controller derives them", async () => {
    const desk = await signedInDashboard();
    const view = await mountScreen('hc-live-view', desk);
    // Other files check people in meanwhile: the tiles and the controller agree once rendered.
    const shown = () =>
      ['Currently in', 'Visits today', 'Unique members', 'Peak so far'].map((l) =>
        tileValue(view, l),
      );
    const derived = () => {
      const stats = desk.stats;
      return stats
        ? [
            stats.currentlyIn.length,
            stats.visitsToday,
            stats.uniqueMembersToday,
            stats.peak.count,
          ].map(String)
        : null;
    };
    await expect.poll(() => JSON.stringify(shown()) === JSON.stringify(derived())).toBe(true);
    expect(tileValue(view, 'Average stay')).toMatch(/^(—|under a minute|\d+ min|\d+ h \d+ min)$/);
    await expect.element(page.getByRole('heading', { name: 'Occupancy today' })).toBeVisible();
    expect(view.shadowRoot?.querySelector('hc-occupancy-chart')).not.toBeNull();
  });

  it('checks a member in from the name search, lists them as in and counts the visit', async () => {
    const desk = await signedInDashboard();
    const member = uniqueMember('Ines');
    await addMembers(desk, member);
    const view = await mountScreen('hc-live-view', desk);
    const visitsBefore = Number(tileValue(view, 'Visits today'));
    const surname = member.name.split(' ')[1] ?? '';

    await page.getByLabelText('Member name or number').fill(surname.toLowerCase());
    const checkIn = page.getByRole('button', { name: `Check in ${member.name}` });
    await expect.element(checkIn).toBeVisible();
    await expect.element(page.getByText(`${member.id} · active`)).toBeVisible();
    await checkIn.click();

    await expect.poll(() => isCheckedIn(desk, member.id), { timeout: 10_000 }).toBe(true);
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
    const desk = await signedInDashboard();
    const [leaving, staying] = await checkedInMembers(desk, 'Lea', 'Sam');
    await mountScreen('hc-live-view', desk);
    const checkOut = page.getByRole('button', { name: `Check out ${leaving.name}` });

    await checkOut.click();

    await expect.poll(() => isCheckedIn(desk, leaving.id), { timeout: 10_000 }).toBe(false);
    await expect.element(checkOut).not.toBeInTheDocument();
    await expect.element(page.getByText(leaving.name, { exact: true })).not.toBeInTheDocument();
    await expect
      .element(page.getByRole('button', { name: `Check out ${staying.name}` }))
      .toBeVisible();
    expect(isCheckedIn(desk, staying.id)).toBe(true);
    desk.checkOut(staying.id);
  });

  it('[S9] warns "⚠ Busy" from 80 % of capacity and "⛔ Nearly full" from 90 %, in words', async () => {
    const desk = await signedInDashboard();
    const capacityBefore = desk.settings.capacity;
    const mine: Member[] = [];
    /** Checks in new members until `count` people are in. */
    const fillTo = (count: number) => {
      const missing = count - (desk.stats?.currentlyIn.length ?? 0);
      // Counted by id, roster or not: no wait for the server between counting and checking in.
      const more = Array.from({ length: Math.max(0, missing) }, () => uniqueMember('Fay'));
      for (const member of more) desk.checkIn(member.id);
      mine.push(...more);
    };
    try {
      const view = await mountScreen('hc-live-view', desk);
      const label = () => textOf(currentTile(view)?.querySelector('.label'));
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
    const desk = await signedInDashboard();
    const [a, b] = await checkedInMembers(desk, 'Cem', 'Dee');
    await mountScreen('hc-live-view', desk);
    const checkOutAlls = () => desk.events().filter((e) => e.kind === 'checkOutAll').length;
    const allBefore = checkOutAlls();
    const ask = page.getByRole('button', { name: 'Check everyone out…' });

    await ask.click();
    const confirm = page.getByRole('group', { name: 'Confirm check everyone out' });
    await expect.element(confirm).toHaveTextContent(/Check out all \d+ people now\?/);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect.element(confirm).not.toBeInTheDocument();
    expect(checkOutAlls()).toBe(allBefore);
    expect(isCheckedIn(desk, a.id) && isCheckedIn(desk, b.id)).toBe(true);

    await ask.click();
    await confirm.getByRole('button', { name: 'Check everyone out', exact: true }).click();

    await expect
      .poll(() => isCheckedIn(desk, a.id) || isCheckedIn(desk, b.id), { timeout: 10_000 })
      .toBe(false);
    expect(checkOutAlls()).toBeGreaterThan(allBefore);
    await expect.element(confirm).not.toBeInTheDocument();
    await expect
      .element(page.getByRole('button', { name: `Check out ${a.name}` }))
      .not.toBeInTheDocument();
  });

  it('shows a viewer the numbers and who is in, with nothing to change', async () => {
    const { desk, viewer, member } = await viewerSeeingCheckIn('Vic');
    const view = await mountScreen('hc-live-view', viewer);

    await expect.element(page.getByText(member.name, { exact: true })).toBeVisible();
    expect(tileValue(view, 'Currently in')).toBe(String(viewer.stats?.currentlyIn.length));
    expect(page.getByLabelText('Member name or number').query()).toBeNull();
    expect(page.getByRole('button', { name: /^Check (in|out) / }).elements()).toEqual([]);
    expect(page.getByRole('button', { name: 'Check everyone out…' }).query()).toBeNull();
    desk.checkOut(member.id);
  });

  it('[S6] lists the newest ten events under the numbers, worded as the Activity screen words them', async () => {
    const desk = await signedInDashboard();
    const names = ['Ava', 'Ben', 'Cy', 'Dot', 'Eli', 'Flo', 'Gus', 'Hal', 'Ivy', 'Jo', 'Kit'];
    const members = await checkedInMembers(desk, ...names);
    const live = await mountScreen('hc-live-view', desk);
    const activity = await mountScreen('hc-activity-view', desk);
    const latest = () => linesOf(live, 'ol[aria-label="Latest first"] > li');
    // The feed's own lines, without the buttons Activity puts beside them.
    const feed = () => linesOf(activity, 'ol[aria-label="Newest first"] > li > span');

    await expect
      .poll(() =>
        latest().some((line) => line.startsWith(`✓ ${members.at(-1)?.name} checked in · `)),
      )
      .toBe(true);
    await expect.poll(() => latest().length === 10 && feed().length > 10).toBe(true);
    await expect
      .poll(() => JSON.stringify(latest()) === JSON.stringify(feed().slice(0, 10)))
      .toBe(true);
    for (const member of members) desk.checkOut(member.id);
  });

  it('asks for the Activity screen with "All activity"', async () => {
    const desk = await signedInDashboard();
    await mountScreen('hc-live-view', desk);
    const asked: string[] = [];
    const listen = (event: ShowScreenEvent) => asked.push(event.screen);
    document.body.addEventListener(ShowScreenEvent.type, listen);
    try {
      await page.getByRole('button', { name: 'All activity' }).click();
    } finally {
      document.body.removeEventListener(ShowScreenEvent.type, listen);
    }
    expect(asked).toEqual(['activity']);
  });
});

/** The text of the rows `selector` finds in `view`, as a person reads them. */
function linesOf(view: HTMLElement, selector: string): string[] {
  return Array.from(view.shadowRoot?.querySelectorAll(selector) ?? [], textOf);
}
