import { chmodSync, mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../sync-server/testing/rawHttp';
import {
  selfSignedCertificate,
  type TestCertificate,
} from '../sync-server/testing/selfSignedCertificate';
import {
  freePort,
  staffToken,
  startTestServer,
  type TestServer,
} from '../sync-server/testing/testServer';
import { type HeldUpgrade, holdUpgrade } from './heldUpgrade';
import { deployFile, hasNginx, type RunningProxy, startNginx } from './proxies';

/**
 * `deploy/nginx.conf` as written, on loopback ports with a test certificate, in front of a
 * real server with TRUST_PROXY=127.0.0.1 and PUBLIC_URL=https://gym.example: http:// is
 * redirected, HTTPS answers carry HSTS (nginx's X-Forwarded-Proto is believed), websockets are
 * upgraded through it, and the server sees each client's own address.
 */
let dir: string;
let httpPort: number;
let tlsPort: number;
let certificate: TestCertificate;
let server: TestServer;
let nginx: RunningProxy | null = null;
const logLines: Record<string, unknown>[] = [];

/** A GET through nginx over HTTPS from `localAddress`, as a browser at gym.example would. */
function get(path: string, localAddress: string): Promise<{ status: number; hsts?: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: tlsPort,
        path,
        localAddress,
        servername: 'gym.example',
        ca: certificate.cert,
        headers: { host: 'gym.example' },
        agent: false,
      },
      (answer) => {
        answer.resume();
        const hsts = answer.headers['strict-transport-security'];
        resolve({ status: answer.statusCode ?? 0, ...(hsts ? { hsts } : {}) });
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

// Skipped only where nginx is missing, with a message saying so; CI has it.
describe.skipIf(!hasNginx())('behind nginx', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headcount-nginx-'));
    // nginx's workers run as another user when started by root: they must reach their files.
    chmodSync(dir, 0o755);
    httpPort = await freePort();
    tlsPort = await freePort();
    certificate = selfSignedCertificate(dir, ['gym.example']);
    const log = pino(
      { level: 'info' },
      { write: (line: string) => logLines.push(JSON.parse(line)) },
    );
    server = await startTestServer(
      { TRUST_PROXY: '127.0.0.1', PUBLIC_URL: 'https://gym.example' },
      dir,
      { log },
    );
    const site = deployFile('nginx.conf', [
      ['listen 80;', `listen 127.0.0.1:${httpPort};`],
      ['listen [::]:80;', ''],
      ['listen 443 ssl http2;', `listen 127.0.0.1:${tlsPort} ssl http2;`],
      ['listen [::]:443 ssl http2;', ''],
      ['/etc/letsencrypt/live/gym.example/fullchain.pem', certificate.certFile],
      ['/etc/letsencrypt/live/gym.example/privkey.pem', certificate.keyFile],
      ['proxy_pass http://127.0.0.1:8080;', `proxy_pass http://127.0.0.1:${server.server.port};`],
    ]);
    nginx = await startNginx(
      dir,
      site,
      async () => (await get('/healthz', '127.0.0.1')).status === 200,
    );
  }, 60_000);

  afterAll(async () => {
    await nginx?.close();
    await server?.close();
  });

  it('redirects http:// to https://, and passes the protocol on so HSTS is sent', async () => {
    const plain = await rawRequest(httpPort, '/kiosk', { headers: { Host: 'gym.example' } });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe('https://gym.example/kiosk');
    expect(await get('/healthz', '127.0.0.3')).toEqual({ status: 200, hsts: 'max-age=31536000' });
  });

  it('upgrades websockets with the PUBLIC_URL origin, and the server sees each client’s own address', async () => {
    const held: HeldUpgrade[] = [];
    const through = async (localAddress: string, headers: Record<string, string>) => {
      const upgrade = await holdUpgrade(tlsPort, {
        localAddress,
        headers: { Host: 'gym.example', ...headers },
        tls: { ca: certificate.cert, servername: 'gym.example' },
      });
      held.push(upgrade);
      return upgrade.status;
    };
    try {
      expect(await through('127.0.0.3', { Origin: 'https://gym.example' })).toBe(101);
      // A page elsewhere cannot, even when Host (here passed on by nginx) names it.
      expect(
        await through('127.0.0.4', {
          Origin: 'https://evil.example',
          'X-Forwarded-For': '203.0.113.9',
        }),
      ).toBe(403);
    } finally {
      for (const upgrade of held) upgrade.release();
    }
    const refusals = logLines
      .filter((line) => line.msg === 'websocket refused')
      .map((line) => `${line.reason} ${line.address}`);
    expect(refusals).toEqual(['bad-origin 127.0.0.4']);
    // The API through nginx, signed in: an authenticated write from the proxied origin works.
    const { token } = await staffToken(server);
    const answer = await new Promise<number>((resolve, reject) => {
      const outgoing = request(
        {
          host: '127.0.0.1',
          port: tlsPort,
          path: '/api/pairing-codes',
          method: 'POST',
          localAddress: '127.0.0.3',
          servername: 'gym.example',
          ca: certificate.cert,
          agent: false,
          headers: {
            host: 'gym.example',
            origin: 'https://gym.example',
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(JSON.stringify({ name: 'Side door' }));
    });
    expect(answer).toBe(200);
  });
});
