import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest, rawUpgrade } from '../testing/rawHttp';
import { startTestServer, type TestServer } from '../testing/testServer';
import { ownOrigins } from './AcceptedOrigins';

/**
 * The Origin check on API writes and websocket upgrades compares with PUBLIC_URL, or without it
 * with the server's own origins — never with the request's Host, which the client writes
 * (issue 10: `Origin: http://evil.example` with `Host: evil.example` used to pass).
 */
let t: TestServer | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const SIGN_IN = JSON.stringify({ username: 'nobody', password: 'not the password' });

/** The error code of a sign-in sent with these headers, byte for byte. */
async function signInCode(headers: Record<string, string>): Promise<string> {
  const answer = await rawRequest((t as TestServer).server.port, '/api/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: SIGN_IN,
  });
  return (JSON.parse(answer.body.toString()) as { error: { code: string } }).error.code;
}

async function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return (await rawUpgrade((t as TestServer).server.port, { headers })).status;
}

describe('the Origin check', () => {
  it('refuses a foreign Origin that names itself in Host, on an API write and a websocket upgrade', async () => {
    t = await startTestServer();
    const forged = { Origin: 'http://evil.example', Host: 'evil.example' };
    expect(await signInCode(forged)).toBe('bad-origin');
    expect(await upgradeStatus(forged)).toBe(403);
    // The same with the port a page of that origin would put in both.
    const withPort = { Origin: 'http://evil.example:8080', Host: 'evil.example:8080' };
    expect(await signInCode(withPort)).toBe('bad-origin');
    expect(await upgradeStatus(withPort)).toBe(403);
  });

  it('accepts the server’s own origins without PUBLIC_URL, whatever Host says', async () => {
    t = await startTestServer();
    const port = t.server.port;
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
    const own = [
      `http://127.0.0.1:${port}`,
      `http://localhost:${port}`,
      ...(lan ? [`http://${lan}:${port}`] : []),
    ];
    for (const origin of own) {
      const headers = { Origin: origin, Host: 'evil.example' };
      expect(await signInCode(headers), origin).toBe('bad-credentials');
      expect(await upgradeStatus(headers), origin).toBe(101);
    }
    expect(t.server.acceptedOrigins).toEqual(expect.arrayContaining(own));
    // Another scheme or port is another origin.
    for (const origin of [`https://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`]) {
      expect(await signInCode({ Origin: origin }), origin).toBe('bad-origin');
      expect(await upgradeStatus({ Origin: origin }), origin).toBe(403);
    }
  });

  it('with PUBLIC_URL accepts that origin and ALLOWED_ORIGINS, and no longer the direct address', async () => {
    t = await startTestServer({
      PUBLIC_URL: 'https://gym.example/',
      ALLOWED_ORIGINS: 'https://app.gym.example',
    });
    const port = t.server.port;
    expect(t.server.acceptedOrigins).toEqual(['https://gym.example', 'https://app.gym.example']);
    for (const origin of ['https://gym.example', 'https://app.gym.example']) {
      expect(await signInCode({ Origin: origin }), origin).toBe('bad-credentials');
      expect(await upgradeStatus({ Origin: origin }), origin).toBe(101);
    }
    for (const origin of [
      `http://127.0.0.1:${port}`,
      'http://gym.example',
      'https://evil.example',
    ]) {
      const headers = { Origin: origin, Host: new URL(origin).host };
      expect(await signInCode(headers), origin).toBe('bad-origin');
      expect(await upgradeStatus(headers), origin).toBe(403);
    }
  });

  it('lets clients without an Origin through (they are not browsers: tokens decide)', async () => {
    t = await startTestServer();
    expect(await signInCode({})).toBe('bad-credentials');
    expect(await upgradeStatus({})).toBe(101);
  });
});

describe('ownOrigins', () => {
  it('writes origins as browsers send them: no default port, IPv6 in brackets', () => {
    const https = ownOrigins({ scheme: 'https', port: 443, host: '0.0.0.0' });
    expect(https).toEqual(expect.arrayContaining(['https://localhost', 'https://127.0.0.1']));
    expect(https).toContain('https://[::1]');
    const named = ownOrigins({ scheme: 'http', port: 8080, host: 'gym.lan' });
    expect(named).toEqual(expect.arrayContaining(['http://gym.lan:8080', 'http://localhost:8080']));
    expect(named.every((origin) => new URL(origin).origin === origin)).toBe(true);
  });
});
