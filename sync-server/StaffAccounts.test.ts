import { describe, expect, it } from 'vitest';
import { AccountError, REFRESH_TTL_MS, StaffAccounts } from './StaffAccounts';
import { claimSetupCode, createSetupCode, isSetupCode } from './setupCode';
import { testDatabases } from './testing/testDatabase';

const openDatabase = testDatabases();
const password = 'long enough password';

async function accountsWithLee() {
  const db = await openDatabase();
  const staff = new StaffAccounts(db);
  const lee = await staff.create({ username: 'lee', password, role: 'staff', siteId: 'riverside' });
  return { db, staff, lee };
}

describe('StaffAccounts', () => {
  it('rotates a refresh credential once, even when two rotations run at the same moment', async () => {
    const { staff, lee } = await accountsWithLee();
    const refresh = await staff.issueRefresh(lee.id);
    const results = await Promise.all([
      staff.rotateRefresh(refresh),
      staff.rotateRefresh(refresh),
      staff.rotateRefresh(refresh),
    ]);
    const rotated = results.filter((r) => r !== null);
    expect(rotated).toHaveLength(1);
    expect(rotated[0]?.member).toEqual(lee);
    expect(await staff.rotateRefresh(refresh)).toBeNull();
    // The new one works, once.
    const next = rotated[0]?.refresh as string;
    expect(await staff.rotateRefresh(next)).toMatchObject({ member: lee });
    expect(await staff.rotateRefresh(next)).toBeNull();
  });

  it('refuses an expired or revoked refresh credential, and that of a disabled account', async () => {
    const { db, staff, lee } = await accountsWithLee();
    const now = Date.now();
    const old = await staff.issueRefresh(lee.id, now - REFRESH_TTL_MS);
    expect(await staff.rotateRefresh(old, now)).toBeNull();
    const ended = await staff.issueRefresh(lee.id, now);
    await staff.revokeRefresh(ended, now);
    expect(await staff.rotateRefresh(ended, now)).toBeNull();
    const disabled = await staff.issueRefresh(lee.id, now);
    await db.run('update staff set disabled_at = ? where id = ?', [now, lee.id]);
    expect(await staff.rotateRefresh(disabled, now)).toBeNull();
    expect(await staff.get(lee.id)).toBeNull();
  });

  it('signs in under any spelling of a username, and refuses a wrong password', async () => {
    const { staff, lee } = await accountsWithLee();
    expect(await staff.signIn('\u00a0ＬＥＥ ', password)).toEqual(lee);
    expect(await staff.signIn('lee', `${password}!`)).toBeNull();
    expect(await staff.signIn('nobody', password)).toBeNull();
    expect(staff.passwordChecks).toBe(3);
  });

  it('refuses a taken username, also when two requests create it at the same moment', async () => {
    const { staff } = await accountsWithLee();
    await expect(
      staff.create({ username: 'LEE', password, role: 'viewer', siteId: 'riverside' }),
    ).rejects.toThrow(AccountError);
    const results = await Promise.allSettled([
      staff.create({ username: 'sam', password, role: 'staff', siteId: 'riverside' }),
      staff.create({ username: 'sam', password, role: 'viewer', siteId: 'riverside' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(AccountError);
    expect(await staff.count()).toBe(2);
  });

  it('lists a site’s accounts and every admin, by username', async () => {
    const { staff } = await accountsWithLee();
    await staff.create({ username: 'boss', password, role: 'admin', siteId: null });
    await staff.create({ username: 'far', password, role: 'staff', siteId: 'hilltop' });
    expect((await staff.listFor('riverside')).map((m) => m.username)).toEqual(['boss', 'lee']);
  });

  it('makes one first admin from a setup code used by two requests at the same moment', async () => {
    const db = await openDatabase();
    const staff = new StaffAccounts(db);
    const code = await createSetupCode(db);
    expect(await isSetupCode(db, code.toLowerCase())).toBe(true);
    const claim = async (tx: Parameters<typeof claimSetupCode>[0]) => {
      if (!(await claimSetupCode(tx, code))) throw new Error('code already used');
    };
    const results = await Promise.allSettled([
      staff.create({ username: 'first', password, role: 'admin', siteId: null }, claim),
      staff.create({ username: 'second', password, role: 'admin', siteId: null }, claim),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await staff.count()).toBe(1);
    expect(await isSetupCode(db, code)).toBe(false);
  });

  it('keeps the setup code when the account it was for is refused', async () => {
    const db = await openDatabase();
    const staff = new StaffAccounts(db);
    const code = await createSetupCode(db);
    await db.run(
      "insert into staff (id, site_id, username, password_hash, role, created_at) values ('x', null, 'taken', 'h', 'admin', 0)",
    );
    // Taken after the first check (by another request meanwhile): the insert is refused.
    const create = staff.create(
      { username: 'racer', password, role: 'admin', siteId: null },
      async (tx) => {
        expect(await claimSetupCode(tx, code)).toBe(true);
        await tx.run("update staff set username = 'racer' where id = 'x'");
      },
    );
    await expect(create).rejects.toThrow(AccountError);
    expect(await isSetupCode(db, code)).toBe(true);
  });
});
