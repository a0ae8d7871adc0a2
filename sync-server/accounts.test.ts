import { describe, expect, it } from 'vitest';
import type {
  AccountInfo,
  AccountsAnswer,
  ApiError,
  SessionAnswer,
  SetupCodeAnswer,
} from '../shared/apiProtocol';
import { siteDocName } from '../shared/docName';
import { admin } from './testing/adminCli';
import { closeAfterEach } from './testing/closeAfterEach';
import { connect, SITE, startTestServer, type TestServer, until } from './testing/testServer';

const open = closeAfterEach();
const PASSWORD = 'correct horse battery';

async function server(): Promise<{ t: TestServer; admin: SessionAnswer }> {
  const t = await startTestServer();
  open.push(t);
  await t.server.staff.create({
    username: 'boss',
    password: PASSWORD,
    role: 'admin',
    siteId: null,
  });
  const admin = await t.api<SessionAnswer>('POST', '/api/session', {
    username: 'boss',
    password: PASSWORD,
  });
  return { t, admin: admin.body };
}

async function invite(
  t: TestServer,
  token: string,
  body: { username: string; role: string; siteId?: string },
) {
  return t.api<SetupCodeAnswer & ApiError>('POST', '/api/accounts', body, token);
}

const signIn = (t: TestServer, username: string, password = PASSWORD) =>
  t.api<SessionAnswer & ApiError>('POST', '/api/session', { username, password });

describe('accounts', () => {
  it('[C5] makes an account with a set-up code; its person chooses a password with it once, and is signed in', async () => {
    const { t, admin } = await server();
    const made = await invite(t, admin.accessToken, {
      username: 'Kim',
      role: 'staff',
      siteId: SITE,
    });
    expect(made.status).toBe(201);
    expect(made.body.account).toMatchObject({
      username: 'kim',
      role: 'staff',
      siteId: SITE,
      setupPending: true,
      disabledAt: null,
    });
    expect(made.body.setupCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    // No password yet: no sign-in, whatever is typed.
    expect((await signIn(t, 'kim', '')).status).toBe(400);
    expect((await signIn(t, 'kim', 'set-up-pending')).status).toBe(401);
    const set = await t.api<SessionAnswer>('POST', '/api/accounts/setup', {
      code: made.body.setupCode.toLowerCase().replace(/-/g, ' '),
      password: PASSWORD,
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ siteId: SITE, staff: { username: 'kim', role: 'staff' } });
    expect((await signIn(t, 'kim')).status).toBe(200);
    // Once only.
    const again = await t.api<ApiError>('POST', '/api/accounts/setup', {
      code: made.body.setupCode,
      password: 'another long password',
    });
    expect(again).toMatchObject({ status: 403, body: { error: { code: 'bad-setup-link' } } });
    expect((await signIn(t, 'kim')).status).toBe(200);
  });

  it('[C5] lets only admins manage accounts, and says what is wrong with bad input', async () => {
    const { t, admin } = await server();
    const made = await invite(t, admin.accessToken, {
      username: 'kim',
      role: 'staff',
      siteId: SITE,
    });
    await t.api('POST', '/api/accounts/setup', { code: made.body.setupCode, password: PASSWORD });
    const staff = (await signIn(t, 'kim')).body;
    expect((await t.api('GET', '/api/accounts', undefined, staff.accessToken)).status).toBe(403);
    expect((await invite(t, staff.accessToken, { username: 'eve', role: 'admin' })).status).toBe(
      403,
    );
    expect((await t.api('GET', '/api/accounts')).status).toBe(401);
    const bad = async (body: { username: string; role: string; siteId?: string }) =>
      (await invite(t, admin.accessToken, body)).body.error;
    expect(await bad({ username: 'lee', role: 'staff' })).toMatchObject({ code: 'invalid' });
    expect(await bad({ username: 'lee', role: 'staff', siteId: 'nowhere' })).toMatchObject({
      code: 'invalid',
    });
    expect(await bad({ username: 'lee', role: 'owner', siteId: SITE })).toMatchObject({
      code: 'invalid',
    });
    expect(await bad({ username: 'k', role: 'staff', siteId: SITE })).toMatchObject({
      code: 'invalid',
    });
    expect(await bad({ username: 'KIM', role: 'viewer', siteId: SITE })).toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('taken'),
    });
    const wrongCode = await t.api<ApiError>('POST', '/api/accounts/setup', {
      code: 'AAAA-BBBB-CCCC',
      password: PASSWORD,
    });
    expect(wrongCode.body.error.code).toBe('bad-setup-link');
    const listed = await t.api<AccountsAnswer>(
      'GET',
      '/api/accounts',
      undefined,
      admin.accessToken,
    );
    expect(listed.body.accounts.map((a: AccountInfo) => a.username)).toEqual(['boss', 'kim']);
  });

  it('[C4] disabling an account ends its session and closes its sockets at once; enabling lets it sign in again', async () => {
    const { t, admin } = await server();
    const made = await invite(t, admin.accessToken, {
      username: 'kim',
      role: 'staff',
      siteId: SITE,
    });
    await t.api('POST', '/api/accounts/setup', { code: made.body.setupCode, password: PASSWORD });
    const kim = (await signIn(t, 'kim')).body;
    const desk = connect(t, siteDocName(SITE), kim.accessToken);
    open.push(desk);
    await desk.outcome;
    const id = made.body.account.id;
    const disabled = await t.api<{ account: AccountInfo }>(
      'POST',
      `/api/accounts/${id}/disable`,
      undefined,
      admin.accessToken,
    );
    expect(disabled.body.account.disabledAt).not.toBeNull();
    await until(() => desk.closes.length > 0, 'the desk socket to close');
    expect(desk.closes[0]).toEqual({ code: 4403, reason: 'revoked' });
    expect(
      (await t.api('POST', '/api/session/refresh', { refreshToken: kim.refreshToken })).status,
    ).toBe(401);
    expect((await signIn(t, 'kim')).status).toBe(401);
    // Its access token, still within its lifetime, opens nothing.
    const probe = connect(t, siteDocName(SITE), kim.accessToken);
    open.push(probe);
    expect(await probe.outcome).toEqual({ ok: false, reason: 'revoked' });
    await t.api('POST', `/api/accounts/${id}/enable`, undefined, admin.accessToken);
    expect((await signIn(t, 'kim')).status).toBe(200);
  });

  it('[C4] a role change ends the sessions made with the old role', async () => {
    const { t, admin } = await server();
    const made = await invite(t, admin.accessToken, {
      username: 'kim',
      role: 'staff',
      siteId: SITE,
    });
    await t.api('POST', '/api/accounts/setup', { code: made.body.setupCode, password: PASSWORD });
    const kim = (await signIn(t, 'kim')).body;
    const changed = await t.api<{ account: AccountInfo }>(
      'PATCH',
      `/api/accounts/${made.body.account.id}`,
      { role: 'viewer', siteId: SITE },
      admin.accessToken,
    );
    expect(changed.body.account.role).toBe('viewer');
    const probe = connect(t, siteDocName(SITE), kim.accessToken);
    open.push(probe);
    expect(await probe.outcome).toEqual({ ok: false, reason: 'revoked' });
    // Signed in again, as a viewer: read only.
    const viewer = (await signIn(t, 'kim')).body;
    const reader = connect(t, siteDocName(SITE), viewer.accessToken);
    open.push(reader);
    expect(await reader.outcome).toEqual({ ok: true, scope: 'readonly' });
  });

  it('[C4][C5] a reset stops the old password now and gives a new code; deleting removes the account', async () => {
    const { t, admin } = await server();
    const made = await invite(t, admin.accessToken, {
      username: 'kim',
      role: 'staff',
      siteId: SITE,
    });
    await t.api('POST', '/api/accounts/setup', { code: made.body.setupCode, password: PASSWORD });
    const id = made.body.account.id;
    const reset = await t.api<SetupCodeAnswer>(
      'POST',
      `/api/accounts/${id}/reset`,
      undefined,
      admin.accessToken,
    );
    expect(reset.body.account.setupPending).toBe(true);
    expect((await signIn(t, 'kim')).status).toBe(401);
    // The first code stays used; the new one works.
    expect(
      (
        await t.api('POST', '/api/accounts/setup', {
          code: made.body.setupCode,
          password: 'a new long password',
        })
      ).status,
    ).toBe(403);
    await t.api('POST', '/api/accounts/setup', {
      code: reset.body.setupCode,
      password: 'a new long password',
    });
    expect((await signIn(t, 'kim', 'a new long password')).status).toBe(200);
    expect(
      (await t.api('DELETE', `/api/accounts/${id}`, undefined, admin.accessToken)).status,
    ).toBe(200);
    expect((await signIn(t, 'kim', 'a new long password')).status).toBe(401);
    expect(
      (await t.api('DELETE', `/api/accounts/${id}`, undefined, admin.accessToken)).status,
    ).toBe(404);
  });

  it('[C4] never locks the chain out: the last admin cannot be disabled, demoted or deleted', async () => {
    const { t, admin } = await server();
    const me = admin.staff.id;
    for (const [method, path, body] of [
      ['POST', `/api/accounts/${me}/disable`, undefined],
      ['PATCH', `/api/accounts/${me}`, { role: 'staff', siteId: SITE }],
      ['DELETE', `/api/accounts/${me}`, undefined],
    ] as const) {
      const answer = await t.api<ApiError>(method, path, body, admin.accessToken);
      expect(answer).toMatchObject({ status: 409, body: { error: { code: 'last-admin' } } });
    }
    expect((await signIn(t, 'boss')).status).toBe(200);
  });
});

describe('accounts from the admin CLI', () => {
  it('[C4][C5] invites, lists, disables, resets and deletes accounts, and keeps the last admin', async () => {
    const { t } = await server();
    await t.close();
    const invited = await admin(t.dir, ['invite-staff', '--username', 'kim', '--role', 'viewer']);
    expect(invited.code).toBe(0);
    const code = /Set-up code: ([A-Z2-9-]{14})/.exec(invited.stdout)?.[1];
    expect(code).toBeDefined();
    expect((await admin(t.dir, ['list-staff'])).stdout).toContain(
      `kim  viewer  ${SITE}  set-up pending`,
    );
    expect((await admin(t.dir, ['disable-staff', 'KIM'])).code).toBe(0);
    expect((await admin(t.dir, ['list-staff'])).stdout).toContain(
      'kim  viewer  riverside  disabled',
    );
    const last = await admin(t.dir, ['disable-staff', 'boss']);
    expect(last).toMatchObject({ code: 1, stderr: expect.stringContaining('last admin') });
    expect((await admin(t.dir, ['reset-staff', 'kim'])).stdout).toMatch(/New set-up code/);
    expect((await admin(t.dir, ['delete-staff', 'kim'])).code).toBe(0);
    expect((await admin(t.dir, ['list-staff'])).stdout).not.toContain('kim');
    expect((await admin(t.dir, ['delete-staff', 'nobody'])).code).toBe(1);
  }, 60_000);
});
