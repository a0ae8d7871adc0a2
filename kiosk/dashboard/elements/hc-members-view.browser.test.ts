import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import {
  cleanUpAfterEach,
  mountScreen,
  signedInDashboard,
  uniqueIdAndSurname,
  uniqueMember,
} from '../testing/dashboards';
import './hc-members-view';

// The roster lives for the whole run and other files add members at the same time: each test
// makes members with ids and names no one else uses, and looks only at those.
cleanUpAfterEach();

/** The add form, filled in as a person at the desk would. */
async function fillAddForm(fields: { id: string; name: string; codes?: string }) {
  await page.getByRole('button', { name: 'Add member' }).click();
  const form = page.getByRole('form', { name: 'Add member' });
  await form.getByLabelText('Member number').fill(fields.id);
  await form.getByLabelText('Name').fill(fields.name);
  if (fields.codes !== undefined) await form.getByLabelText('Card codes').fill(fields.codes);
  return form;
}

describe('hc-members-view', () => {
  it('adds a member from the form and lists them', async () => {
    const desk = await signedInDashboard();
    await mountScreen('hc-members-view', desk);
    const { id, surname } = uniqueIdAndSurname();
    const name = `Ana ${surname}`;

    const form = await fillAddForm({ id, name, codes: '0451042; 0451043' });
    await form.getByLabelText('Status').selectOptions('frozen');
    await form.getByLabelText('Valid until').fill('2031-12-31');
    await form.getByRole('button', { name: 'Save' }).click();

    await expect.element(page.getByRole('status')).toHaveTextContent(`Saved ${name}.`);
    await expect.element(form).not.toBeInTheDocument();
    expect(desk.members.get(id)).toEqual({
      id,
      name,
      codes: ['0451042', '0451043'],
      status: 'frozen',
      validUntil: '2031-12-31',
    });
    await page.getByLabelText('Search by name, number or card').fill(surname);
    const list = page.getByRole('list', { name: 'Members' });
    await expect.element(list.getByText(name, { exact: true })).toBeVisible();
    await expect
      .element(list.getByText(`${id} · frozen, until 2031-12-31 · 2 card(s)`))
      .toBeVisible();
  });

  it('refuses an invalid member with the reason and writes nothing', async () => {
    const desk = await signedInDashboard();
    await mountScreen('hc-members-view', desk);
    const { id, surname } = uniqueIdAndSurname();
    const codes = Array.from({ length: 11 }, (_, i) => `card-${i}`).join('; ');

    const form = await fillAddForm({ id, name: `Bob ${surname}`, codes });
    await form.getByRole('button', { name: 'Save' }).click();

    await expect
      .element(form.getByRole('alert'))
      .toHaveTextContent('Cannot save: codes must be up to 10 strings of 1–64 characters.');
    expect(desk.members.has(id)).toBe(false);
    // The form stays open with what was typed, to be corrected.
    await expect.element(form.getByLabelText('Member number')).toHaveValue(id);
  });

  it('refuses a member number that is taken and leaves its member as it was', async () => {
    const desk = await signedInDashboard();
    const existing = uniqueMember('Cem');
    desk.putMember(existing);
    await mountScreen('hc-members-view', desk);

    const form = await fillAddForm({ id: existing.id, name: 'Someone Else' });
    await form.getByRole('button', { name: 'Save' }).click();

    await expect
      .element(form.getByRole('alert'))
      .toHaveTextContent(`Member number ${existing.id} is taken by ${existing.name}.`);
    expect(desk.members.get(existing.id)).toEqual(existing);
  });

  it('edits a member: the number stays, the rest changes', async () => {
    const desk = await signedInDashboard();
    const member = uniqueMember('Dee', { codes: ['dee-card'] });
    desk.putMember(member);
    await mountScreen('hc-members-view', desk);
    await page.getByLabelText('Search by name, number or card').fill(member.id);

    await page.getByRole('button', { name: `Edit ${member.name}` }).click();
    const form = page.getByRole('form', { name: `Edit ${member.name}` });
    await expect.element(form.getByLabelText('Member number')).toHaveValue(member.id);
    await expect.element(form.getByLabelText('Member number')).toHaveAttribute('readonly');
    await expect.element(form.getByLabelText('Card codes')).toHaveValue('dee-card');
    const renamed = `Deedee ${member.name.split(' ')[1]}`;
    await form.getByLabelText('Name').fill(renamed);
    await form.getByLabelText('Status').selectOptions('expired');
    await form.getByRole('button', { name: 'Save' }).click();

    await expect.element(page.getByRole('status')).toHaveTextContent(`Saved ${renamed}.`);
    expect(desk.members.get(member.id)).toEqual({ ...member, name: renamed, status: 'expired' });
    await expect.element(page.getByText(`${member.id} · expired · 1 card(s)`)).toBeVisible();
  });

  it('previews a CSV import with its bad lines and writes nothing until "Import N members"', async () => {
    const desk = await signedInDashboard();
    const changed = uniqueMember('Eli');
    desk.putMember(changed);
    await mountScreen('hc-members-view', desk);
    const fresh = [uniqueIdAndSurname(), uniqueIdAndSurname()];
    const csv = [
      'id,name,status,valid_until,codes',
      `${fresh[0]?.id},Fay ${fresh[0]?.surname},active,,fay-card`,
      `${changed.id},Eli Renamed,frozen,,`,
      `${fresh[1]?.id},Gus ${fresh[1]?.surname},paused,,`,
      `${fresh[1]?.id}x,Hal ${fresh[1]?.surname},,2030-02-30,`,
    ].join('\n');
    const file = new File([csv], 'roster.csv', { type: 'text/csv' });

    await page.getByLabelText('Import members from a CSV file').upload(file);

    const preview = page.getByRole('region', { name: 'Import from roster.csv: preview' });
    await expect.element(preview).toHaveTextContent('1 new, 1 changed, 0 already up to date.');
    await expect.element(preview).toHaveTextContent('2 line(s) cannot be imported:');
    const problems = page.getByRole('list', { name: 'Lines with problems' }).getByRole('listitem');
    expect(problems.elements().map((li) => li.textContent?.trim())).toEqual([
      'Line 4: status "paused" is not one of active, frozen, expired',
      'Line 5: valid_until "2030-02-30" is not a day of the calendar',
    ]);
    await expect.element(preview).toHaveTextContent('Nothing is imported until you confirm.');
    // Previewing wrote nothing.
    expect(desk.members.has(fresh[0]?.id ?? '')).toBe(false);
    expect(desk.members.get(changed.id)).toEqual(changed);

    await page.getByRole('button', { name: 'Import 2 members' }).click();

    await expect.element(preview).not.toBeInTheDocument();
    await expect.element(page.getByRole('status')).toHaveTextContent('Imported: 1 new, 1 changed.');
    expect(desk.members.get(fresh[0]?.id ?? '')).toMatchObject({
      name: `Fay ${fresh[0]?.surname}`,
      codes: ['fay-card'],
    });
    expect(desk.members.get(changed.id)).toMatchObject({ name: 'Eli Renamed', status: 'frozen' });
    expect(desk.members.has(fresh[1]?.id ?? '')).toBe(false);
  });

  it('drops a previewed import on Cancel', async () => {
    const desk = await signedInDashboard();
    await mountScreen('hc-members-view', desk);
    const { id, surname } = uniqueIdAndSurname();
    const file = new File([`id,name\n${id},Ivy ${surname}\n`], 'one.csv', { type: 'text/csv' });

    await page.getByLabelText('Import members from a CSV file').upload(file);
    const preview = page.getByRole('region', { name: 'Import from one.csv: preview' });
    await expect.element(preview).toHaveTextContent('1 new, 0 changed');
    await preview.getByRole('button', { name: 'Cancel' }).click();

    await expect.element(preview).not.toBeInTheDocument();
    expect(desk.members.has(id)).toBe(false);
  });

  it('shows a viewer the roster with nothing to add, import or edit', async () => {
    const desk = await signedInDashboard();
    const member = uniqueMember('Jo');
    desk.putMember(member);
    const viewer = await signedInDashboard('viewer');
    await expect.poll(() => viewer.members.has(member.id), { timeout: 10_000 }).toBe(true);
    await mountScreen('hc-members-view', viewer);

    await page.getByLabelText('Search by name, number or card').fill(member.id);
    await expect.element(page.getByText(member.name, { exact: true })).toBeVisible();
    expect(page.getByRole('button', { name: 'Add member' }).query()).toBeNull();
    expect(page.getByLabelText('Import members from a CSV file').query()).toBeNull();
    expect(page.getByRole('button', { name: /^Edit / }).elements()).toEqual([]);
    await expect.element(page.getByRole('button', { name: 'Export CSV' })).toBeVisible();
  });
});
