import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawAnswer, rawRequest } from '../testing/rawHttp';
import { startTestServer, type TestServer } from '../testing/testServer';
import { securityHeaders } from './securityHeaders';

let t: TestServer;
const ALLOWED = 'https://app.gym.example';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'headcount-headers-'));
  const root = join(dir, 'dist');
  mkdirSync(join(root, 'kiosk', 'dashboard'), { recursive: true });
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'kiosk', 'index.html'), '<h1>kiosk</h1>');
  writeFileSync(join(root, 'kiosk', 'dashboard', 'index.html'), '<h1>dashboard</h1>');
  writeFileSync(join(root, 'assets', 'app-1234abcd.js'), 'export {}');
  t = await startTestServer({ ALLOWED_ORIGINS: ALLOWED }, dir, { distDir: root });
});
afterAll(() => t.close());

/** The CSP as directive → sources. */
function policy(answer: RawAnswer): Record<string, string[]> {
  const header = answer.headers['content-security-policy'] ?? '';
  return Object.fromEntries(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name as string, sources]),
  );
}

function expectSecurityHeaders(answer: RawAnswer, what: string, host = '127.0.0.1'): void {
  expect(policy(answer), what).toEqual({
    'default-src': ["'self'"],
    'script-src': ["'self'", "'wasm-unsafe-eval'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'", `ws://${host}`, `wss://${host}`],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  });
  expect(answer.headers['x-frame-options'], what).toBe('DENY');
  expect(answer.headers['referrer-policy'], what).toBe('no-referrer');
  expect(answer.headers['x-content-type-options'], what).toBe('nosniff');
  expect(answer.headers['permissions-policy'], what).toMatch(
    /^camera=\((self)?\), microphone=\(\)/,
  );
  // Plain HTTP: HSTS would be ignored at best, and pin a LAN name to HTTPS at worst.
  expect(answer.headers['strict-transport-security'], what).toBeUndefined();
}

describe('security headers', () => {
  it('are on every kind of answer: API, errors, pages, files, health, metrics, preflight', async () => {
    const port = t.server.port;
    const badJson = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' };
    const answers: [string, Promise<RawAnswer>, number][] = [
      ['API 200', rawRequest(port, '/api/time'), 200],
      ['API 401', rawRequest(port, '/api/devices'), 401],
      ['API 400', rawRequest(port, '/api/session', badJson), 400],
      ['API 404', rawRequest(port, '/api/nothing'), 404],
      ['API 405', rawRequest(port, '/api/time', { method: 'DELETE' }), 405],
      ['bad URL', rawRequest(port, '/%'), 400],
      ['file 404', rawRequest(port, '/nothing.js'), 404],
      ['page', rawRequest(port, '/kiosk'), 200],
      ['dashboard', rawRequest(port, '/dashboard'), 200],
      ['redirect', rawRequest(port, '/'), 302],
      ['asset', rawRequest(port, '/assets/app-1234abcd.js'), 200],
      ['healthz', rawRequest(port, '/healthz'), 200],
      ['readyz', rawRequest(port, '/readyz'), 200],
      ['metrics without its token', rawRequest(port, '/metrics'), 401],
      [
        'CORS preflight',
        rawRequest(port, '/api/session', {
          method: 'OPTIONS',
          headers: { Origin: ALLOWED, 'Access-Control-Request-Method': 'POST' },
        }),
        204,
      ],
    ];
    for (const [what, answer, status] of answers) {
      expect((await answer).status, what).toBe(status);
      expectSecurityHeaders(await answer, what);
    }
  });

  it('allow the camera on the kiosk page only', async () => {
    for (const path of ['/kiosk', '/kiosk/', '/kiosk/index.html']) {
      const answer = await rawRequest(t.server.port, path);
      expect(answer.headers['permissions-policy'], path).toMatch(/^camera=\(self\),/);
    }
    for (const path of ['/dashboard', '/kiosk/dashboard/index.html', '/api/time', '/healthz']) {
      const answer = await rawRequest(t.server.port, path);
      expect(answer.headers['permissions-policy'], path).toMatch(/^camera=\(\),/);
    }
  });

  it('name the websocket of the host asked for, and nothing for a host that is not a name', async () => {
    const named = await rawRequest(t.server.port, '/kiosk', {
      headers: { Host: 'gym.example:8443' },
    });
    expectSecurityHeaders(named, 'a named host', 'gym.example:8443');
    const forged = await rawRequest(t.server.port, '/kiosk', {
      headers: { Host: "evil.example; script-src 'unsafe-inline'" },
    });
    expect(policy(forged)['connect-src']).toEqual(["'self'", "'self'"]);
    expect(policy(forged)['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'"]);
  });

  it('add HSTS only to an answer served over HTTPS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headcount-tls-'));
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
        ...['-nodes', '-days', '1', '-subj', '/CN=gym.test'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    const app = Fastify({
      https: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    });
    await securityHeaders(app);
    app.get('/', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as { port: number };
      const hsts = await new Promise<string | undefined>((resolve, reject) => {
        httpsRequest({ port, host: '127.0.0.1', path: '/', rejectUnauthorized: false }, (res) => {
          resolve(res.headers['strict-transport-security']);
          res.resume();
        })
          .on('error', reject)
          .end();
      });
      expect(hsts).toBe('max-age=31536000');
    } finally {
      await app.close();
    }
  });
});
