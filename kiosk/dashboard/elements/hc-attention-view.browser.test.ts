import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { FLAG_CODES } from '../../../shared/DayLedger';
import type { Member } from '../../../shared/member';
import { formatClock } from '../../formatting';
import type { DashboardController } from '../DashboardController';
import {
  addMembers,
  cleanUpAfterEach,
  mountScreen,
  pairedTestKiosk,
  signedInDashboard,
  textOf,
  uniqueMember,
  uniqueName,
} from '../testing/dashboards';
import './hc-attention-view';

// The server lives for the whole run and other files write to the same day at the same time:
// each test makes its own members and looks only at the items that name them.
cleanUpAfterEach();

/** The items of the list (without their buttons) that name `member`. */
function itemsOf(view: HTMLElement, member: Member): string[] {
  const items = view.shadowRoot?.querySelectorAll('.group .rows > li > span') ?? [];
  return Array.from(items, textOf).filter((line) => line.includes(member.name));
}

/** A member on the roster checked out at `desk` without ever checking in ([V6]). */
async function checkedOutWithoutCheckIn(desk: DashboardController, firstName: string) {
  const member = uniqueMember(firstName);
  await addMembers(desk, member);
  const id = desk.checkOut(member.id);
  return { member, id };
}

const flaggedUnmatched = (controller: DashboardController, memberId: string) =>
  controller
    .attention()
    .flags.some((f) => f.code === 'unmatched-check-out' && f.memberId === memberId);

describe('hc-attention-view', () => {
  it('[B4] [V6] lists a check-out without a check-in by member, time and who, and voids it with a reason', async () => {
    const desk = await signedInDashboard();
    const { member, id } = await checkedOutWithoutCheckIn(desk, 'Ola');
    await expect.poll(() => flaggedUnmatched(desk, member.id), { timeout: 10_000 }).toBe(true);
    const view = await mountScreen('hc-attention-view', desk);
    const at = desk.event(`staff:${desk.staff?.id}/${id}`)?.at ?? 0;
    const time = formatClock(at, desk.settings.timeZone);

    await expect
      .poll(() => itemsOf(view, member))
      .toEqual([`${member.name} checked out without a check-in · ${time} · you`]);
    await expect
      .element(page.getByRole('heading', { name: /check-outs? without a check-in$/i }))
      .toBeVisible();

    await page.getByRole('button', { name: `Void ${member.name}'s check-out at ${time}` }).click();
    const form = page.getByRole('form', { name: 'Void this entry' });
    await form.getByLabelText('Reason').fill('   ');
    await form.getByRole('button', { name: 'Void', exact: true }).click();
    await expect.element(form.getByRole('alert')).toHaveTextContent('Say why, for the audit list.');
    await form.getByLabelText('Reason').fill('tapped the wrong member');
    await form.getByRole('button', { name: 'Void', exact: true }).click();

    // [V10] The void names the check-out by writer and id, and the flag goes with it.
    expect(desk.events().filter((e) => e.kind === 'void' && e.targetId === id)).toMatchObject([
      { reason: 'tapped the wrong member', targetWriter: { role: 'staff' } },
    ]);
    await expect.poll(() => itemsOf(view, member), { timeout: 10_000 }).toEqual([]);
  });

  it('[B4] [B2] shows a viewer the same items without anything to void', async () => {
    const desk = await signedInDashboard();
    const { member } = await checkedOutWithoutCheckIn(desk, 'Vera');
    const viewer = await signedInDashboard('viewer');
    await expect.poll(() => flaggedUnmatched(viewer, member.id), { timeout: 10_000 }).toBe(true);

    const view = await mountScreen('hc-attention-view', viewer);

    await expect
      .poll(() => itemsOf(view, member))
      .toEqual([expect.stringMatching(/ checked out without a check-in · .+ · staff/)]);
    expect(page.getByRole('button', { name: /^Void / }).elements()).toEqual([]);
  });

  it('[B4] lists again only when the counts change, not on every update of the dashboard', async () => {
    const desk = await signedInDashboard();
    const listedAt: string[] = [];
    const attention = desk.attention.bind(desk);
    desk.attention = () => {
      const stats = desk.stats;
      listedAt.push(
        [stats?.problemCount, ...FLAG_CODES.map((c) => stats?.flagCounts[c])].join('|'),
      );
      return attention();
    };
    const view = await mountScreen('hc-attention-view', desk);
    expect(listedAt.length).toBeGreaterThan(0);

    // A check-in that raises no flag updates the dashboard, but the list stays as it was.
    const quiet = uniqueMember('Quinn');
    await addMembers(desk, quiet);
    desk.checkIn(quiet.id);
    for (let i = 0; i < 5; i++) {
      view.revision++;
      await view.updateComplete;
    }
    const { member } = await checkedOutWithoutCheckIn(desk, 'Nia');

    await expect.poll(() => itemsOf(view, member), { timeout: 10_000 }).toHaveLength(1);
    // Other files' flags may change the counts meanwhile; the same counts are never listed twice.
    expect(listedAt.length).toBeGreaterThanOrEqual(2);
    expect(listedAt.filter((s, i) => s === listedAt[i - 1])).toEqual([]);
    desk.checkOut(quiet.id);
  });

  it('[B4][T5] explains a kiosk whose clock jumped 3 h: its check-ins count at the server’s time, and the list says why', async () => {
    const desk = await signedInDashboard();
    const zone = desk.settings.timeZone;
    // 3 h later before noon, earlier after it: the jumped clock stays in today.
    const hour = Number(
      new Intl.DateTimeFormat('en-GB', { hour: 'numeric', timeZone: zone }).format(Date.now()),
    );
    const jump = (hour < 12 ? 3 : -3) * 3_600_000;
    let skew = 0;
    const door = uniqueName('Door');
    const kiosk = await pairedTestKiosk(desk, door, () => Date.now() + skew);
    const members = [uniqueMember('Jo'), uniqueMember('Kit')];
    await addMembers(desk, ...members);
    await expect.poll(() => kiosk.status.online, { timeout: 10_000 }).toBe(true);
    for (const member of members) {
      const surname = member.name.split(' ')[1] ?? '';
      await expect.poll(() => kiosk.search(surname).length, { timeout: 10_000 }).toBe(1);
    }

    skew = jump;
    const from = Date.now();
    for (const member of members) kiosk.scan(member.id, 'keypad');
    const to = Date.now();

    // [S1] Both are in, since the server's time of their scans, once the correction is in.
    const since = (member: { id: string }) =>
      desk.stats?.currentlyIn.find((p) => p.memberId === member.id)?.since ?? null;
    for (const member of members) {
      await expect
        .poll(
          () => {
            const at = since(member);
            return at !== null && at >= from - 2_000 && at <= to + 2_000;
          },
          { timeout: 15_000 },
        )
        .toBe(true);
    }
    await desk.refreshDevices();
    const view = await mountScreen('hc-attention-view', desk);
    const direction = jump > 0 ? 'ahead' : 'behind';
    await expect
      .element(
        page.getByRole('heading', {
          name: `${door}'s clock was 3 h ${direction}; its 2 check-ins were moved to the server's time`,
        }),
      )
      .toBeVisible();
    expect(view.shadowRoot?.textContent).toContain(members[0]?.name);
  });
});
