import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import type { Member } from '../../../shared/member';
import {
  addMembers,
  checkedInMembers,
  cleanUpAfterEach,
  isCheckedIn,
  mountScreen,
  pairedTestKiosk,
  signedInDashboard,
  textOf,
  uniqueMember,
  uniqueName,
  viewerSeeingCheckIn,
} from '../testing/dashboards';
import './hc-activity-view';

// The server lives for the whole run and other files write to the same day at the same time:
// each test makes its own members and looks only at their entries.
cleanUpAfterEach();

/** The feed's lines (newest first, without their buttons) that mention one of `members`. */
function feedLines(view: HTMLElement, members: readonly Member[]): string[] {
  const items = view.shadowRoot?.querySelectorAll('ol[aria-label="Newest first"] > li > span');
  return Array.from(items ?? [], textOf).filter((line) =>
    members.some((m) => line.includes(m.name)),
  );
}

/** The audit list's lines that mention `member`. */
function auditLines(view: HTMLElement, member: Member): string[] {
  const lists = view.shadowRoot?.querySelectorAll('section') ?? [];
  const audit = Array.from(lists).find(
    (s) => textOf(s.querySelector('h2')) === 'Corrections by staff',
  );
  return Array.from(audit?.querySelectorAll('li') ?? [], textOf).filter((l) =>
    l.includes(member.name),
  );
}

describe('hc-activity-view', () => {
  it('lists the day newest first: check-ins, check-outs with their stay, and who did each', async () => {
    const desk = await signedInDashboard();
    const [ana, bob] = await checkedInMembers(desk, 'Ana', 'Bob');
    desk.checkOut(ana.id);
    const view = await mountScreen('hc-activity-view', desk);

    await expect
      .poll(() => feedLines(view, [ana, bob]).map((line) => line.replace(/ · .*/, '')))
      .toEqual([
        `→ ${ana.name} checked out, stayed under a minute`,
        `✓ ${bob.name} checked in`,
        `✓ ${ana.name} checked in`,
      ]);
    for (const line of feedLines(view, [ana, bob]))
      expect(line).toMatch(/ · \d{1,2}:\d{2}( [AP]M)? · you/);
    // Desk corrections are also listed for the audit.
    expect(auditLines(view, ana).map((l) => l.replace(/^.* · you /, ''))).toEqual([
      `checked out ${ana.name}`,
      `checked in ${ana.name}`,
    ]);
    desk.checkOut(bob.id);
  });

  it('names the kiosk a check-in came from', async () => {
    const desk = await signedInDashboard();
    const kioskName = uniqueName('Side gate');
    const door = await pairedTestKiosk(desk, kioskName);
    const member = uniqueMember('Kim');
    await addMembers(desk, member);
    await expect.poll(() => door.search(member.name).length, { timeout: 10_000 }).toBe(1);
    door.scan(member.id, 'keypad');
    await expect.poll(() => isCheckedIn(desk, member.id), { timeout: 10_000 }).toBe(true);

    const view = await mountScreen('hc-activity-view', desk);

    await expect
      .poll(() => feedLines(view, [member]))
      .toEqual([expect.stringMatching(new RegExp(`checked in · .+ · ${kioskName}$`))]);
    desk.checkOut(member.id);
  });

  it('voids a check-in only with a reason, and lists the void with it among corrections', async () => {
    const desk = await signedInDashboard();
    const member = uniqueMember('Ines');
    await addMembers(desk, member);
    const checkIn = desk.checkIn(member.id);
    const view = await mountScreen('hc-activity-view', desk);
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
    expect(isCheckedIn(desk, member.id)).toBe(true);

    await reason.fill('scanned the wrong card');
    await submit.click();

    await expect.element(form).not.toBeInTheDocument();
    // [V10] The void names the check-in's writer as well as its id.
    expect(voids()).toMatchObject([
      { reason: 'scanned the wrong card', targetWriter: { role: 'staff', id: desk.staff?.id } },
    ]);
    await expect
      .poll(() => feedLines(view, [member]).find((l) => l.startsWith('✎')))
      .toMatch(new RegExp(`^✎ ${member.name} checked in \\(voided\\) · `));
    expect(auditLines(view, member)[0]).toMatch(
      new RegExp(
        ` · you voided ${member.name}'s check-in at \\d{1,2}:\\d{2}( [AP]M)?: “scanned the wrong card”$`,
      ),
    );
    await expect.element(open).not.toBeInTheDocument();
    // [V10] A voided check-in is no visit: the member is not in the gym any more.
    await expect.poll(() => isCheckedIn(desk, member.id), { timeout: 10_000 }).toBe(false);
  });

  it('closes the void form on Cancel without writing anything', async () => {
    const desk = await signedInDashboard();
    const member = uniqueMember('Uma');
    await addMembers(desk, member);
    const checkIn = desk.checkIn(member.id);
    await mountScreen('hc-activity-view', desk);
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
    const { desk, viewer, member } = await viewerSeeingCheckIn('Vic');
    const view = await mountScreen('hc-activity-view', viewer);

    expect(feedLines(view, [member])).toEqual([
      expect.stringMatching(new RegExp(`^✓ ${member.name} checked in · `)),
    ]);
    expect(page.getByRole('button', { name: /^Void / }).elements()).toEqual([]);
    desk.checkOut(member.id);
  });
});
