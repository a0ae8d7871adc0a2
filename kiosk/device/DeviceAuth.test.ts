import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkinsDocName } from '../../shared/docName';
import { localDayOf } from '../../shared/localTime';
import {
  connect,
  SITE,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from '../../sync-server/testing/testServer';
import {
  CREDENTIAL_REFUSALS,
  DeviceAuth,
  type DeviceCredential,
  DeviceRevokedError,
  PairingError,
  SiteArchivedError,
  TokenUnavailableError,
} from './DeviceAuth';
import { type KeyValueStore, memoryStore } from './KeyValueStore';

let t: TestServer;
let base: string;

/**
 * A misconfigured reverse proxy in front of nothing: a real HTTP server on port 0 that answers
 * the token endpoint with whatever `answer` does (error pages, resets, silence).
 */
let proxy: Server;
let proxyBase: string;
let answer: (request: IncomingMessage, response: ServerResponse) => void = () => {};
let requests = 0;

beforeAll(async () => {
  t = await startTestServer();
  base = t.wsUrl.replace('ws', 'http');
  proxy = createServer((request, response) => {
    requests += 1;
    // Read the body first, as a proxy does, so a reset is not mistaken for an early answer.
    request.resume();
    request.on('end', () => answer(request, response));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyBase = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await t.close();
});

async function code(name = 'Front door'): Promise<string> {
  const { token } = await staffToken(t);
  return (await t.api<{ code: string }>('POST', '/api/pairing-codes', { name }, token)).body.code;
}

/** A store holding the credential of a tablet paired with the real server. */
async function pairedStore(): Promise<{ store: KeyValueStore; credential: DeviceCredential }> {
  const store = memoryStore();
  const auth = new DeviceAuth({ baseUrl: base, store, appVersion: 'x' });
  await auth.pair(await code());
  return { store, credential: auth.credential as DeviceCredential };
}

const send =
  (status: number, type: string | null, body: string, headers: Record<string, string> = {}) =>
  (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(status, { ...(type ? { 'content-type': type } : {}), ...headers });
    response.end(body);
  };
const html = (title: string) => `<!doctype html><html><body><h1>${title}</h1></body></html>`;

/** What a misconfigured or failing proxy answers instead of the server. */
const misbehaviours: [string, (request: IncomingMessage, response: ServerResponse) => void][] = [
  [
    '403 bad-origin (a proxy that rewrites Host or Origin)',
    send(
      403,
      'application/json; charset=utf-8',
      JSON.stringify({
        error: { code: 'bad-origin', message: 'this origin may not call the API' },
      }),
    ),
  ],
  ['403 with an HTML page', send(403, 'text/html', html('403 Forbidden'))],
  ['403 with a JSON body that is not an error', send(403, 'application/json', '"forbidden"')],
  ['401 with an unrelated code', send(401, 'application/json', '{"error":{"code":"no-token"}}')],
  ['404 from a wrong path prefix', send(404, 'text/html', html('404 Not Found'))],
  ['400 invalid', send(400, 'application/json', '{"error":{"code":"invalid","message":"x"}}')],
  ['429 too many requests', send(429, 'application/json', '{"error":{"code":"too-many"}}')],
  ['502 bad gateway with no body', send(502, null, '')],
  ['503 with an HTML page', send(503, 'text/html', html('503 Service Unavailable'))],
  ['504 gateway timeout', send(504, 'text/plain', 'upstream timed out')],
  ['500 with a JSON revoked code', send(500, 'application/json', '{"error":{"code":"revoked"}}')],
  ['403 revoked as HTML', send(403, 'text/html', html('revoked'))],
  ['200 that is not JSON', send(200, 'text/html', html('Welcome to nginx!'))],
  ['200 JSON without a token', send(200, 'application/json', '{"ok":true}')],
  ['200 JSON that does not parse', send(200, 'application/json', '{"accessToken":')],
  ['a connection reset', (request) => request.socket.resetAndDestroy()],
  ['a proxy that never answers', () => {}],
  [
    'headers and then silence',
    (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"accessToken":"');
    },
  ],
];

describe('DeviceAuth', () => {
  it('pairs with a code typed by staff, learns site and name, and syncs with its tokens', async () => {
    const auth = new DeviceAuth({ baseUrl: base, store: memoryStore(), appVersion: '0.1.0' });
    const credential = await auth.pair((await code()).toLowerCase());
    expect(credential).toMatchObject({ siteId: SITE, name: 'Front door' });
    const client = connect(t, checkinsDocName(SITE, localDayOf(Date.now(), ZONE)), auth.token);
    expect(await client.outcome).toEqual({ ok: true, scope: 'read-write' });
    client.destroy();
    expect((await t.server.devices.get(credential.deviceId))?.appVersion).toBe('0.1.0');
  });

  it('says why pairing failed', async () => {
    const auth = new DeviceAuth({ baseUrl: base, store: memoryStore(), appVersion: 'x' });
    await expect(auth.pair('ZZZZ-ZZZZ')).rejects.toThrow(PairingError);
    expect(auth.credential).toBeNull();
  });

  it('unpairs only on the codes the server uses for a revoked or unknown device', () => {
    expect(CREDENTIAL_REFUSALS).toEqual(['revoked', 'bad-device-credential']);
  });

  it.each(misbehaviours)(
    'keeps its credential after %s, and says to try again later',
    async (_what, behaviour) => {
      const { store, credential } = await pairedStore();
      answer = behaviour;
      const before = requests;
      const auth = new DeviceAuth({ baseUrl: proxyBase, store, appVersion: 'x', timeoutMs: 300 });
      const error = await auth.token().then(
        () => null,
        (e: unknown) => e,
      );
      expect(requests).toBe(before + 1);
      expect(error).toBeInstanceOf(TokenUnavailableError);
      expect((error as TokenUnavailableError).retryInMs).toBeGreaterThan(0);
      expect(auth.credential).toEqual(credential);

      // The same credential still works once the server is reached, and the real refusal unpairs.
      const direct = new DeviceAuth({ baseUrl: base, store, appVersion: 'x' });
      expect(await direct.token()).toMatch(/\S{20}/);
      const { token: staff } = await staffToken(t);
      const revoked = await t.api(
        'DELETE',
        `/api/devices/${credential.deviceId}`,
        undefined,
        staff,
      );
      expect(revoked.status).toBe(200);
      direct.dropToken();
      await expect(direct.token()).rejects.toThrow(DeviceRevokedError);
      expect(direct.credential).toBeNull();
    },
  );

  it('forgets its credential and says so plainly once revoked', async () => {
    const { store, credential } = await pairedStore();
    const { token: staff } = await staffToken(t);
    await t.api('DELETE', `/api/devices/${credential.deviceId}`, undefined, staff);
    const fresh = new DeviceAuth({ baseUrl: base, store, appVersion: 'x' });
    await expect(fresh.token()).rejects.toThrow('removed by staff');
    expect(fresh.credential).toBeNull();
  });

  it('forgets a credential the server does not know (wrong secret, unknown device)', async () => {
    for (const wrong of [
      (c: DeviceCredential) => ({ ...c, deviceSecret: `${c.deviceSecret}x` }),
      (c: DeviceCredential) => ({ ...c, deviceId: '00000000-0000-4000-8000-000000000000' }),
    ]) {
      const { store, credential } = await pairedStore();
      store.setItem('headcount.device', JSON.stringify(wrong(credential)));
      const auth = new DeviceAuth({ baseUrl: base, store, appVersion: 'x' });
      await expect(auth.token()).rejects.toThrow(DeviceRevokedError);
      expect(auth.credential).toBeNull();
    }
  });

  it('[C2] keeps its credential while its site is archived, asks again seldom, and gets tokens once restored', async () => {
    const { token: admin } = await staffToken(t, 'admin');
    const siteId = `archived-${crypto.randomUUID().slice(0, 8)}`;
    const created = await t.api(
      'POST',
      '/api/sites',
      { id: siteId, name: 'Closed', timeZone: ZONE },
      admin,
    );
    expect(created.status).toBe(201);
    const pairing = await t.api<{ code: string }>(
      'POST',
      '/api/pairing-codes',
      { name: 'Door', siteId },
      admin,
    );
    const store = memoryStore();
    const paired = new DeviceAuth({ baseUrl: base, store, appVersion: 'x' });
    const credential = await paired.pair(pairing.body.code);
    expect(credential.siteId).toBe(siteId);
    expect((await t.api('POST', `/api/sites/${siteId}/archive`, undefined, admin)).status).toBe(
      200,
    );
    const auth = new DeviceAuth({
      baseUrl: base,
      store,
      appVersion: 'x',
      archivedRetry: { firstMs: 300, maxMs: 1000 },
    });
    const failure = () =>
      auth.token().then(
        () => {
          throw new Error('got a token');
        },
        (e: unknown) => e,
      );

    const first = await failure();
    expect(first).toBeInstanceOf(SiteArchivedError);
    expect(first).toBeInstanceOf(TokenUnavailableError);
    expect((first as SiteArchivedError).retryInMs).toBeGreaterThan(200);
    expect(auth.credential).toEqual(credential);
    // Within the wait it still says why, without asking.
    expect(await failure()).toBeInstanceOf(SiteArchivedError);
    await until(
      async () => ((await failure()) as SiteArchivedError).retryInMs > 400,
      'a longer second wait',
      3000,
    );
    expect(auth.credential).toEqual(credential);

    expect((await t.api('POST', `/api/sites/${siteId}/restore`, undefined, admin)).status).toBe(
      200,
    );
    await until(async () => (await auth.token().catch(() => null)) !== null, 'a token', 3000);
  });

  it('asks once for every document that needs a token at the same moment', async () => {
    const { store } = await pairedStore();
    answer = send(502, null, '');
    const before = requests;
    const auth = new DeviceAuth({ baseUrl: proxyBase, store, appVersion: 'x' });
    const errors = await Promise.all(
      [auth.token(), auth.token(), auth.token()].map((p) => p.catch((e: unknown) => e)),
    );
    expect(requests).toBe(before + 1);
    for (const error of errors) expect(error).toBeInstanceOf(TokenUnavailableError);
  });

  it('backs off between failed requests, doubling, and follows Retry-After', async () => {
    const { store, credential } = await pairedStore();
    answer = send(503, 'text/html', html('down'));
    const before = requests;
    const auth = new DeviceAuth({
      baseUrl: proxyBase,
      store,
      appVersion: 'x',
      retry: { firstMs: 200, maxMs: 1000 },
    });
    const failure = () =>
      auth.token().then(
        () => {
          throw new Error('got a token');
        },
        (e: TokenUnavailableError) => e,
      );
    const first = await failure();
    expect(first.retryInMs).toBeGreaterThan(100);
    // Within the wait the server is not asked at all.
    const early = await failure();
    expect(early).toBeInstanceOf(TokenUnavailableError);
    expect(requests).toBe(before + 1);
    await until(async () => (await failure()).retryInMs > 250, 'a longer second wait', 3000);
    expect(requests).toBe(before + 2);

    answer = send(503, 'text/html', html('down'), { 'retry-after': '7' });
    await until(async () => (await failure()).retryInMs === 7000, 'the server asked again', 3000);
    expect(requests).toBe(before + 3);
    expect(auth.credential).toEqual(credential);
  });
});
