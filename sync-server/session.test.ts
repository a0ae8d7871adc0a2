import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { admin } from './testing/adminCli';
import { staffToken, startTestServer, type TestServer } from './testing/testServer';

const open: TestServer[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

async function server(dir?: string): Promise<TestServer> {
  const t = await startTestServer({}, dir);
  open.push(t);
  return t;
}

/** A server with one staff account, `lee`. */
async function serverWithLee(): Promise<TestServer> {
  const t = await server();
  await t.server.staff.create({
    username: 'lee',
    password: 'long enough password',
    role: 'staff',
    siteId: 'riverside',
  });
  return t;
}

describe('staff sign-in', () => {
  it('creates the first admin with the one-time setup code, once', async () => {
    const t = await server();
    expect(t.server.setupCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const wrong = await t.api('POST', '/api/setup', {
      code: 'AAAA-AAAA-AAAA-AAAA',
      username: 'boss',
      password: 'long enough password',
    });
    expect(wrong.status).toBe(403);
    const made = await t.api('POST', '/api/setup', {
      code: t.server.setupCode,
      username: 'boss',
      password: 'long enough password',
    });
    expect(made.body).toMatchObject({ staff: { username: 'boss', role: 'admin' } });
    const again = await t.api('POST', '/api/setup', {
      code: t.server.setupCode,
      username: 'boss2',
      password: 'long enough password',
    });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'already-set-up' } } });
  });

  it('signs in, refreshes with a rotating credential, and signs out', async () => {
    const t = await serverWithLee();
    const signedIn = await t.api<{ accessToken: string; refreshToken: string }>(
      'POST',
      '/api/session',
      { username: 'Lee', password: 'long enough password' },
    );
    expect(signedIn.status).toBe(200);
    const devices = await t.api('GET', '/api/devices', undefined, signedIn.body.accessToken);
    expect(devices.status).toBe(200);
    const refreshed = await t.api<{ refreshToken: string }>('POST', '/api/session/refresh', {
      refreshToken: signedIn.body.refreshToken,
    });
    expect(refreshed.status).toBe(200);
    expect(
      (await t.api('POST', '/api/session/refresh', { refreshToken: signedIn.body.refreshToken }))
        .status,
    ).toBe(401);
    await t.api('POST', '/api/session/end', { refreshToken: refreshed.body.refreshToken });
    expect(
      (await t.api('POST', '/api/session/refresh', { refreshToken: refreshed.body.refreshToken }))
        .status,
    ).toBe(401);
  });

  it('rate-limits repeated wrong passwords', async () => {
    const t = await serverWithLee();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await t.api('POST', '/api/session', { username: 'lee', password: 'guess' })).status,
      );
    // One in the account's lane for addresses that never failed, three free in this address's
    // lane, then a wait of 1 s doubling to 60 s (SignInLimits.test.ts).
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    expect(
      (await t.api('POST', '/api/session', { username: 'lee', password: 'long enough password' }))
        .status,
    ).toBe(429);
  }, 20_000);

  it('answers bad request bodies with a clear error', async () => {
    const t = await server();
    const response = await fetch(`${t.wsUrl.replace('ws', 'http')}/api/session`, {
      method: 'POST',
      body: '{not json',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'bad-json', message: 'the body must be a JSON object' },
    });
    expect((await t.api('POST', '/api/session', { username: 42 })).body).toMatchObject({
      error: { code: 'invalid' },
    });
  });
});

describe('admin CLI', () => {
  it('creates an admin who can then sign in, and issues pairing codes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headcount-cli-'));
    const created = await admin(
      dir,
      ['create-admin', '--username', 'boss'],
      'long enough password',
    );
    expect(created).toMatchObject({ code: 0, stdout: 'Created admin boss.\n' });
    const short = await admin(dir, ['create-staff', '--username', 'kim'], 'short');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('password: at least 10 characters');
    const code = await admin(dir, ['pairing-code', '--name', 'Side door']);
    const typed = /([A-Z2-9]{4}-[A-Z2-9]{4})/.exec(code.stdout)?.[1];
    const t = await server(dir);
    // An admin belongs to every site; the dashboard opens on the server's default one.
    expect(
      (await t.api('POST', '/api/session', { username: 'boss', password: 'long enough password' }))
        .body,
    ).toMatchObject({ staff: { role: 'admin', siteId: null }, siteId: 'riverside' });
    expect((await t.api('POST', '/api/devices/pair', { code: typed })).body).toMatchObject({
      name: 'Side door',
      siteId: 'riverside',
    });
  }, 30_000);

  it('refuses the printed setup code once an admin was made with the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headcount-setup-'));
    const t = await server(dir);
    const code = t.server.setupCode as string;
    expect(
      (await admin(dir, ['create-admin', '--username', 'boss'], 'long enough password')).code,
    ).toBe(0);
    const attempt = await t.api('POST', '/api/setup', {
      code,
      username: 'intruder',
      password: 'long enough password',
    });
    expect(attempt.status).toBe(409);
    expect(await t.server.staff.count()).toBe(1);
    await t.close();
    open.splice(open.indexOf(t), 1);
    // No code is printed (or kept) at the next start either.
    expect((await server(dir)).server.setupCode).toBeNull();
  }, 30_000);

  it('names the accounts of a site for the audit list, and nothing more about them', async () => {
    const t = await serverWithLee();
    await t.server.staff.create({
      username: 'owner',
      password: 'long enough password',
      role: 'admin',
      siteId: null,
    });
    await t.server.staff.create({
      username: 'elsewhere',
      password: 'long enough password',
      role: 'staff',
      siteId: 'hilltop',
    });
    const token = await staffToken(t, 'viewer');
    const { status, body } = await t.api<{ staff: Record<string, unknown>[] }>(
      'GET',
      '/api/staff',
      undefined,
      token.token,
    );
    expect(status).toBe(200);
    const names = body.staff.map((s) => s.username);
    expect(names).toEqual(expect.arrayContaining(['lee', 'owner']));
    expect(names).not.toContain('elsewhere');
    for (const account of body.staff)
      expect(Object.keys(account).sort()).toEqual(['id', 'role', 'username']);
    expect((await t.api('GET', '/api/staff')).status).toBe(401);
  });
});
