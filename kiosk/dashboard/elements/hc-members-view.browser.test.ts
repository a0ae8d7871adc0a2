import { afterEach, describe, expect, it, vi } from 'vitest';
import { page } from 'vitest/browser';
import type { Member } from '../../../shared/member';
import type { DashboardController } from '../DashboardController';
import {
  addMembers,
  cleanUpAfterEach,
  mountScreen,
  newTestSite,
  signedInDashboard,
  TEST_SITE,
  textOf,
  uniqueIdAndSurname,
  uniqueMember,
} from '../testing/dashboards';
import './hc-members-view';

// The members live for the whole run and other files add members at the same time: each test
// makes members with ids and names no one else uses, and looks only at those.
cleanUpAfterEach();
afterEach(() => {
  vi.restoreAllMocks();
});

/** The add form, filled in as a person at the desk would. */
async function fillAddForm(fields: { id: string; name: string; codes?: string }) {
  await page.getByRole('button', { name: 'Add member' }).click();
  const form = page.getByRole('form', { name: 'Add member' });
  await form.getByLabelText('Member number').fill(fields.id);
  await form.getByLabelText('Name').fill(fields.name);
  if (fields.codes !== undefined) await form.getByLabelText('Card codes').fill(fields.codes);
  return form;
}

/** The member as the server has it now, asked as `controller`'s account (not its roster). */
async function onServer(controller: DashboardController, id: string): Promise<Member | undefined> {
  return (await controller.exportMembers()).find((m) => m.id === id);
}

/** A CSV file as the file picker hands it over. */
const csvFile = (name: string, ...lines: string[]) =>
  new File([lines.join('\n')], name, { type: 'text/csv' });

/** The text of the CSV that the next export hands to the browser as a download. */
function nextDownload(): Promise<string> {
  return new Promise((resolve) => {
    const create = URL.createObjectURL.bind(URL);
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      void (blob as Blob).text().then(resolve);
      return create(blob);
    });
  });
}

describe('hc-members-view', () => {
  it('[M4] adds a member of its own site from the form, and lists them once the roster has them', async () => {
    const desk = await signedInDashboard();
    await mountScreen('hc-members-view', desk);
    const { id, surname } = uniqueIdAndSurname();
    const name = `Ana ${surname}`;

    const form = await fillAddForm({ id, name, codes: '0451042; 0451043' });
    await form.getByLabelText('Status').selectOptions('frozen');
    await form.getByLabelText('Valid until').fill('2031-12-31');
    // Staff keep members of their own site, and only an admin changes where a member may check
    // in: both are said, neither is offered.
    await expect.element(form.getByText('Home site:')).toBeVisible();
    expect(form.getByRole('combobox', { name: /^Home site/ }).query()).toBeNull();
    const access = form.getByText('Where they may check in:');
    await expect.element(access).toBeVisible();
    expect(textOf(access.element().parentElement)).toBe(
      `Where they may check in: only at ${desk.currentSite?.name} (an admin changes this)`,
    );
    expect(form.getByRole('radio').elements()).toEqual([]);
    await form.getByRole('button', { name: 'Save' }).click();

    await expect.element(page.getByRole('status')).toHaveTextContent(`Saved ${name}.`);
    await expect.element(form).not.toBeInTheDocument();
    const saved: Member = {
      id,
      name,
      codes: ['0451042', '0451043'],
      status: 'frozen',
      validUntil: '2031-12-31',
      homeSite: TEST_SITE,
      access: 'home',
    };
    await expect.poll(() => desk.members.get(id), { timeout: 10_000 }).toEqual(saved);
    await page.getByLabelText('Search by name, number or card').fill(surname);
    const list = page.getByRole('list', { name: 'Members' });
    await expect.element(list.getByText(name, { exact: true })).toBeVisible();
    await expect
      .element(list.getByText(`${id} · frozen, until 2031-12-31 · 2 card(s)`, { exact: true }))
      .toBeVisible();
  });

  it('refuses an invalid member with the reason and sends nothing', async () => {
    const desk = await signedInDashboard();
    await mountScreen('hc-members-view', desk);
    const { id, surname } = uniqueIdAndSurname();
    const codes = Array.from({ length: 11 }, (_, i) => `card-${i}`).join('; ');

    const form = await fillAddForm({ id, name: `Bob ${surname}`, codes });
    await form.getByRole('button', { name: 'Save' }).click();

    await expect
      .element(form.getByRole('alert'))
      .toHaveTextContent(
        'Cannot save: codes must be up to 10 strings of 1–64 characters, without control characters.',
      );
    expect(await onServer(desk, id)).toBeUndefined();
    // The form stays open with what was typed, to be corrected.
    await expect.element(form.getByLabelText('Member number')).toHaveValue(id);
  });

  it('refuses a member number that is taken and leaves its member as it was', async () => {
    const desk = await signedInDashboard();
    const existing = uniqueMember('Cem');
    await addMembers(desk, existing);
    await mountScreen('hc-members-view', desk);

    const form = await fillAddForm({ id: existing.id, name: 'Someone Else' });
    await form.getByRole('button', { name: 'Save' }).click();

    await expect
      .element(form.getByRole('alert'))
      .toHaveTextContent(`Member number ${existing.id} is taken by ${existing.name}.`);
    expect(await onServer(desk, existing.id)).toEqual(existing);
  });

  it('[M4] shows the server refusing a card code another member holds, next to the form', async () => {
    const desk = await signedInDashboard();
    const holder = uniqueMember('Cy', { codes: [`card-${crypto.randomUUID()}`] });
    await addMembers(desk, holder);
    await mountScreen('hc-members-view', desk);
    const { id, surname } = uniqueIdAndSurname();

    const form = await fillAddForm({ id, name: `Di ${surname}`, codes: holder.codes[0] });
    await form.getByRole('button', { name: 'Save' }).click();

    await expect
      .element(form.getByRole('alert'))
      .toHaveTextContent(`Not saved: card code "${holder.codes[0]}" is already in use.`);
    await expect.element(form.getByLabelText('Member number')).toHaveValue(id);
    expect(await onServer(desk, id)).toBeUndefined();
  });

  it('edits a member: the number stays, the rest changes', async () => {
    const desk = await signedInDashboard();
    const member = uniqueMember('Dee', { codes: [`dee-${crypto.randomUUID()}`] });
    await addMembers(desk, member);
    await mountScreen('hc-members-view', desk);
    await page.getByLabelText('Search by name, number or card').fill(member.id);

    await page.getByRole('button', { name: `Edit ${member.name}` }).click();
    const form = page.getByRole('form', { name: `Edit ${member.name}` });
    await expect.element(form.getByLabelText('Member number')).toHaveValue(member.id);
    await expect.element(form.getByLabelText('Member number')).toHaveAttribute('readonly');
    await expect.element(form.getByLabelText('Card codes')).toHaveValue(member.codes[0]);
    const renamed = `Deedee ${member.name.split(' ')[1]}`;
    await form.getByLabelText('Name').fill(renamed);
    await form.getByLabelText('Status').selectOptions('expired');
    await form.getByRole('button', { name: 'Save' }).click();

    await expect.element(page.getByRole('status')).toHaveTextContent(`Saved ${renamed}.`);
    await expect
      .poll(() => desk.members.get(member.id), { timeout: 10_000 })
      .toEqual({ ...member, name: renamed, status: 'expired' });
    await expect.element(page.getByText(`${member.id} · expired · 1 card(s)`)).toBeVisible();
  });

  it('[M4] shows a staff account that a member of another site is not theirs to save, and changes nothing', async () => {
    const admin = await signedInDashboard('admin');
    const elsewhere = await newTestSite(admin, 'Elsewhere');
    const theirs = uniqueMember('Gil', { homeSite: elsewhere.id });
    expect((await admin.applyImport([{ line: 2, member: theirs }])).added).toBe(1);
    const desk = await signedInDashboard();
    await mountScreen('hc-members-view', desk);

    // The desk does not list them (this site does not admit them), so the number looks free.
    const form = await fillAddForm({ id: theirs.id, name: 'Gil Taken' });
    await form.getByRole('button', { name: 'Save' }).click();

    await expect
      .element(form.getByRole('alert'))
      .toHaveTextContent(
        `Not saved: member number ${theirs.id} is taken by a member of another site.`,
      );
    await expect.element(form.getByLabelText('Name')).toHaveValue('Gil Taken');
    expect((await admin.exportMembers(elsewhere.id)).find((m) => m.id === theirs.id)).toEqual(
      theirs,
    );
  });

  it('[M4] [M5] lets an admin choose the home site and the sites a member may use', async () => {
    const admin = await signedInDashboard('admin');
    const harbour = await newTestSite(admin, 'Harbour');
    await mountScreen('hc-members-view', admin);
    const { id, surname } = uniqueIdAndSurname();
    const name = `Hal ${surname}`;

    const form = await fillAddForm({ id, name });
    await form.getByRole('combobox', { name: /^Home site/ }).selectOptions(harbour.id);
    await form.getByRole('radio', { name: 'At their home site and the sites chosen here' }).click();
    await form.getByRole('checkbox', { name: admin.currentSite?.name }).click();
    await form.getByRole('button', { name: 'Save' }).click();

    await expect.element(page.getByRole('status')).toHaveTextContent(`Saved ${name}.`);
    const saved = { homeSite: harbour.id, access: [TEST_SITE] };
    expect(await onServer(admin, id)).toMatchObject(saved);
    // Admitted here as well ([M5]): listed with the home it has.
    await expect.poll(() => admin.members.get(id), { timeout: 10_000 }).toMatchObject(saved);
    await page.getByLabelText('Search by name, number or card').fill(surname);
    await expect
      .element(page.getByText(`${id} · active · home: ${harbour.name}`, { exact: true }))
      .toBeVisible();

    // Home only at Harbour: saved, and the screen says why this site no longer lists them.
    await page.getByRole('button', { name: `Edit ${name}` }).click();
    const edit = page.getByRole('form', { name: `Edit ${name}` });
    await edit.getByRole('radio', { name: 'Only at their home site' }).click();
    await edit.getByRole('button', { name: 'Save' }).click();

    await expect
      .element(page.getByRole('status'))
      .toHaveTextContent(
        `Saved ${name}. Their home is ${harbour.name} and they may not check in here`,
      );
    await expect.poll(() => admin.members.has(id), { timeout: 10_000 }).toBe(false);
    expect(await onServer(admin, id)).toMatchObject({ homeSite: harbour.id, access: 'home' });
  });

  it('[M1] previews a CSV import with the file\'s bad lines and the server\'s, and writes nothing until "Import N members"', async () => {
    const desk = await signedInDashboard();
    const changed = uniqueMember('Eli', { codes: [`eli-${crypto.randomUUID()}`] });
    const holder = uniqueMember('Cy', { codes: [`cy-${crypto.randomUUID()}`] });
    await addMembers(desk, changed, holder);
    await mountScreen('hc-members-view', desk);
    const fresh = [uniqueIdAndSurname(), uniqueIdAndSurname(), uniqueIdAndSurname()];
    const file = csvFile(
      'roster.csv',
      'id,name,status,valid_until,codes',
      `${fresh[0]?.id},Fay ${fresh[0]?.surname},active,,fay-${fresh[0]?.id}`,
      `${changed.id},Eli Renamed,frozen,,${changed.codes[0]}`,
      `${fresh[1]?.id},Gus ${fresh[1]?.surname},paused,,`,
      // A code the chain already gives another member: only the server knows ([M4]).
      `${fresh[2]?.id},Ike ${fresh[2]?.surname},,,${holder.codes[0]}`,
      `${fresh[1]?.id}x,Hal ${fresh[1]?.surname},,2030-02-30,`,
    );

    await page.getByLabelText('Import members from a CSV file').upload(file);

    const preview = page.getByRole('region', { name: 'Import from roster.csv: preview' });
    await expect.element(preview).toHaveTextContent('1 new, 1 changed, 0 already up to date.');
    await expect.element(preview).toHaveTextContent('3 line(s) cannot be imported:');
    const problems = page.getByRole('list', { name: 'Lines with problems' }).getByRole('listitem');
    expect(problems.elements().map((li) => li.textContent?.trim())).toEqual([
      'Line 4: status "paused" is not one of active, frozen, expired',
      `Line 5: card code "${holder.codes[0]}" is already in use`,
      'Line 6: valid_until "2030-02-30" is not a day of the calendar',
    ]);
    await expect.element(preview).toHaveTextContent('Nothing is imported until you confirm.');
    await expect
      .element(preview)
      .toHaveTextContent('The file has no home_site column: its members belong to');
    // The preview wrote nothing: not on the server, not on the roster.
    expect(await onServer(desk, fresh[0]?.id ?? '')).toBeUndefined();
    expect(await onServer(desk, changed.id)).toEqual(changed);
    expect(desk.members.get(changed.id)).toEqual(changed);

    await page.getByRole('button', { name: 'Import 2 members' }).click();

    await expect.element(preview).not.toBeInTheDocument();
    await expect
      .element(page.getByRole('status'))
      .toHaveTextContent('Imported: 1 new, 1 changed. 3 line(s) were left out.');
    // The members arrive through the roster documents the server wrote ([D7]).
    await expect
      .poll(() => desk.members.get(fresh[0]?.id ?? ''), { timeout: 10_000 })
      .toMatchObject({ name: `Fay ${fresh[0]?.surname}`, homeSite: TEST_SITE, access: 'home' });
    await expect
      .poll(() => desk.members.get(changed.id), { timeout: 10_000 })
      .toMatchObject({ name: 'Eli Renamed', status: 'frozen' });
    expect(await onServer(desk, fresh[1]?.id ?? '')).toBeUndefined();
    expect(await onServer(desk, fresh[2]?.id ?? '')).toBeUndefined();

    // [M2] The same file again changes nothing.
    await page.getByLabelText('Import members from a CSV file').upload(file);
    await expect.element(preview).toHaveTextContent('0 new, 0 changed, 2 already up to date.');
    await expect.element(page.getByRole('button', { name: 'Import 0 members' })).toBeDisabled();
  });

  it('drops a previewed import on Cancel', async () => {
    const desk = await signedInDashboard();
    await mountScreen('hc-members-view', desk);
    const { id, surname } = uniqueIdAndSurname();

    await page
      .getByLabelText('Import members from a CSV file')
      .upload(csvFile('one.csv', 'id,name', `${id},Ivy ${surname}`));
    const preview = page.getByRole('region', { name: 'Import from one.csv: preview' });
    await expect.element(preview).toHaveTextContent('1 new, 0 changed');
    await preview.getByRole('button', { name: 'Cancel' }).click();

    await expect.element(preview).not.toBeInTheDocument();
    expect(await onServer(desk, id)).toBeUndefined();
  });

  it('shows a viewer the members with nothing to add, import or edit, and exports what the site admits', async () => {
    const desk = await signedInDashboard();
    const member = uniqueMember('Jo');
    await addMembers(desk, member);
    const viewer = await signedInDashboard('viewer');
    await expect.poll(() => viewer.members.has(member.id), { timeout: 10_000 }).toBe(true);
    await mountScreen('hc-members-view', viewer);

    await page.getByLabelText('Search by name, number or card').fill(member.id);
    await expect.element(page.getByText(member.name, { exact: true })).toBeVisible();
    expect(page.getByRole('button', { name: 'Add member' }).query()).toBeNull();
    expect(page.getByLabelText('Import members from a CSV file').query()).toBeNull();
    expect(page.getByRole('button', { name: /^Edit / }).elements()).toEqual([]);
    // Only admins choose what to export.
    expect(page.getByLabelText('Export').query()).toBeNull();
    const download = nextDownload();
    await page.getByRole('button', { name: 'Export CSV' }).click();

    const csv = await download;
    expect(csv.split('\r\n')[0]).toBe('id,name,status,valid_until,codes,home_site,access');
    expect(csv).toContain(`\r\n${member.id},${member.name},active,,,${TEST_SITE},home`);
    await expect.element(page.getByRole('status')).toHaveTextContent(/^Exported \d+ members?\.$/);
  });

  it('[M4] lets an admin export the whole chain or the members of the site shown', async () => {
    const admin = await signedInDashboard('admin');
    const elsewhere = await newTestSite(admin, 'Export');
    const here = uniqueMember('Kai');
    const there = uniqueMember('Lou', { homeSite: elsewhere.id });
    await addMembers(admin, here);
    // Not admitted here, so not on this dashboard's roster to wait for.
    expect((await admin.applyImport([{ line: 2, member: there }])).added).toBe(1);
    await mountScreen('hc-members-view', admin);

    let download = nextDownload();
    await page.getByRole('button', { name: 'Export CSV' }).click();
    let csv = await download;
    expect(csv).toContain(`\r\n${here.id},`);
    expect(csv).toContain(`\r\n${there.id},`);

    vi.restoreAllMocks();
    await page.getByLabelText('Export').selectOptions(`Members of ${admin.currentSite?.name}`);
    download = nextDownload();
    await page.getByRole('button', { name: 'Export CSV' }).click();
    csv = await download;
    expect(csv).toContain(`\r\n${here.id},`);
    expect(csv).not.toContain(`\r\n${there.id},`);
  });
});
