import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiError } from '../../shared/apiProtocol';
import { recordEvent } from '../../shared/checkinsDoc';
import { checkinsDocName, rosterDocName, siteDocName } from '../../shared/docName';
import { encodeEntry } from '../../shared/entryCodec';
import { newEventId } from '../../shared/eventId';
import type {
  CreatedApiKeyAnswer,
  MemberSyncAnswer,
  WebhookEndpointInfo,
  WebhookPayload,
  WebhooksAnswer,
} from '../../shared/integrationProtocol';
import type { ApiKeyScope } from '../../shared/integrations';
import { localDayOf } from '../../shared/localTime';
import type { Member } from '../../shared/member';
import { admin as cli } from '../testing/adminCli';
import { closeAfterEach } from '../testing/closeAfterEach';
import {
  activeMember,
  connect,
  kioskCheckIn,
  pairKiosk,
  SITE,
  staffToken,
  type TestServer,
  until,
  ZONE,
} from '../testing/testServer';
import { type Received, receiversClosedAfterEach } from './testing/webhookReceiver';
import {
  DELIVERED,
  kioskDoor,
  payloadOf,
  registerEndpoint as register,
  webhookServer,
} from './testing/webhookServer';
import { addressAllowed } from './webhookUrl';

/*
 * Attacks on the integrations ([I1]–[I4]): each test asserts the SAFE behaviour, against a real
 * server, real sockets and real receivers. A test that fails here is a finding.
 */

const open = closeAfterEach();
const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const closer of closers.splice(0)) await closer.close();
});
const receiver = receiversClosedAfterEach();
const ALL_SCOPES: ApiKeyScope[] = ['members:read', 'members:write', 'visits:read', 'webhooks'];

async function makeKey(t: TestServer, admin: string, scopes: ApiKeyScope[], name = 'machine') {
  const made = await t.api<CreatedApiKeyAnswer>(
    'POST',
    '/api/integrations/keys',
    { name, scopes },
    admin,
  );
  expect(made.status).toBe(201);
  return made.body;
}

/** Any request, any headers; the status and the body as text. */
async function raw(
  t: TestServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`http://127.0.0.1:${t.server.port}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

async function endpoints(t: TestServer, token: string): Promise<WebhookEndpointInfo[]> {
  const listed = await t.api<WebhooksAnswer>('GET', '/api/integrations/webhooks', undefined, token);
  return listed.body.endpoints;
}

/** An HTTP server answering every request with `status` and a Location to `location`. */
async function redirector(status: number, location: string): Promise<{ url: string }> {
  const server: Server = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(status, { location }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks` };
}

/** A TCP listener on every loopback address (IPv4 and IPv6) that counts who connects. */
async function trap(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  closers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

const member = (id: string, name = `Member ${id}`, codes: string[] = []): Member =>
  activeMember(id, name, codes);

describe('attacks on API key scopes [I1]', () => {
  /** The only routes a key may use, per scope: those whose `requires` names the scope. */
  const SCOPED: Record<string, ApiKeyScope> = {
    'GET /api/members': 'members:read',
    'PUT /api/members/{memberId}': 'members:write',
    'POST /api/members:sync': 'members:write',
    'GET /api/members/{memberId}/visits': 'visits:read',
    'GET /api/reports/visits': 'visits:read',
    'GET /api/reports/chain': 'visits:read',
    'GET /api/reports/peak-hours': 'visits:read',
    'GET /api/integrations/webhooks': 'webhooks',
    'POST /api/integrations/webhooks': 'webhooks',
    'PATCH /api/integrations/webhooks/{id}': 'webhooks',
    'DELETE /api/integrations/webhooks/{id}': 'webhooks',
  };

  it('[I1] no route of the OpenAPI document takes a key outside its scopes', async () => {
    const { t, admin } = await webhookServer(open);
    const readOnly = (await makeKey(t, admin, ['members:read'])).key;
    const everything = (await makeKey(t, admin, ALL_SCOPES)).key;
    const spec = JSON.parse((await raw(t, 'GET', '/api/openapi.json')).text) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase(), path })),
    );
    expect(routes.length).toBeGreaterThan(20);
    const escalations: string[] = [];
    for (const { method, path } of routes) {
      const route = `${method} ${path}`;
      const concrete = path.replace(/\{[^}]+\}/g, SITE);
      const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
      const anonymous = await raw(t, method, concrete, {}, body);
      const refusedToAnyone = anonymous.status === 401 || anonymous.status === 403;
      for (const [label, key, scopes] of [
        ['members:read', readOnly, ['members:read']],
        ['every scope', everything, ALL_SCOPES],
      ] as const) {
        const answer = await raw(t, method, concrete, { authorization: `Bearer ${key}` }, body);
        const allowed =
          SCOPED[route] !== undefined && (scopes as ApiKeyScope[]).includes(SCOPED[route]);
        // A route that refuses anonymous callers must refuse the key too (401/403, before the
        // body is even read), unless it names one of the key's scopes.
        if (refusedToAnyone && !allowed && answer.status !== 401 && answer.status !== 403)
          escalations.push(`${label}: ${route} answered ${answer.status}`);
      }
    }
    expect(escalations).toEqual([]);
  });

  it('[I1] a key opens no document of any kind, with every scope, as token or as the socket query', async () => {
    const { t, admin } = await webhookServer(open);
    const { key } = await makeKey(t, admin, ALL_SCOPES);
    for (const name of [
      siteDocName(SITE),
      rosterDocName(SITE, 0),
      checkinsDocName(SITE, localDayOf(Date.now(), ZONE)),
    ]) {
      const client = connect(t, name, key);
      open.push(client);
      expect(await client.outcome, name).toMatchObject({ ok: false });
    }
  });

  it('[I1] staff, viewers and kiosks reach neither key nor webhook management', async () => {
    const { t } = await webhookServer(open);
    const staff = (await staffToken(t, 'staff')).token;
    const viewer = (await staffToken(t, 'viewer')).token;
    const kiosk = (await pairKiosk(t)).token;
    for (const token of [staff, viewer, kiosk])
      for (const [method, path, body] of [
        ['GET', '/api/integrations/keys', undefined],
        ['POST', '/api/integrations/keys', { name: 'x', scopes: ['members:read'] }],
        ['DELETE', '/api/integrations/keys/abc', undefined],
        ['GET', '/api/integrations/webhooks', undefined],
        [
          'POST',
          '/api/integrations/webhooks',
          { url: 'https://a.example/x', events: ['check-in'] },
        ],
        ['PATCH', '/api/integrations/webhooks/ep_x', { paused: false }],
        ['DELETE', '/api/integrations/webhooks/ep_x', undefined],
      ] as const) {
        const answer = await t.api(method, path, body, token);
        expect([401, 403], `${method} ${path}`).toContain(answer.status);
      }
  });

  it('[I1] malformed, re-cased, padded, JWT-shaped and oversized credentials are all refused', async () => {
    const { t, admin } = await webhookServer(open);
    const { key } = await makeKey(t, admin, ['members:read']);
    const [, id, secret] = /^hck_(.{12})_(.{43})$/.exec(key) as unknown as [string, string, string];
    const headers = [
      `Bearer HCK_${id}_${secret}`,
      `Bearer Hck_${id}_${secret}`,
      `bearer ${key}`,
      `BEARER ${key}`,
      `Bearer  ${key}`,
      `Bearer\t${key}`,
      `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
      key,
      `Bearer ${key},Bearer ${key}`,
      `Bearer hck_${id}_${secret.toUpperCase()}`,
      `Bearer hck_${id}_${secret.slice(0, 42)}`,
      `Bearer hck_${id}_${secret}A`,
      `Bearer hck_${id}__${secret}`,
      `Bearer hck_${id.slice(0, 11)}_${secret}`,
      `Bearer hck_${'A'.repeat(12)}_${secret}`,
      `Bearer hck_eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.`,
      `Bearer hck_${id}_${secret}.${secret}`,
      `Bearer hck_${'a'.repeat(12)}_${'b'.repeat(43)}`,
      `Bearer hck_${'x'.repeat(12_000)}`,
    ];
    for (const authorization of headers) {
      const answer = await raw(t, 'GET', '/api/members', { authorization });
      expect([401, 403], authorization.slice(0, 80)).toContain(answer.status);
    }
    // Far over Node's header limit: refused before any route runs.
    const huge = await raw(t, 'GET', '/api/members', {
      authorization: `Bearer hck_${'x'.repeat(70_000)}`,
    }).catch(() => ({ status: 431 }));
    expect(huge.status).toBeGreaterThanOrEqual(400);
    expect((await raw(t, 'GET', '/api/members', { authorization: `Bearer ${key}` })).status).toBe(
      200,
    );
  });

  it('[I1] a key row edited to hold unknown scopes grants only the known ones; garbage grants nothing', async () => {
    const { t, admin } = await webhookServer(open);
    const made = await makeKey(t, admin, ['members:read']);
    await t.server.db.run('update api_keys set scopes = ? where id = ?', [
      JSON.stringify(['admin', '*', 'members:read', 'members:write ']),
      made.info.id,
    ]);
    expect((await t.api('GET', '/api/members', undefined, made.key)).status).toBe(200);
    const write = await t.api('PUT', '/api/members/M1', member('M1'), made.key);
    expect(write.status).toBe(403);
    expect((await t.api('GET', '/api/integrations/keys', undefined, made.key)).status).toBe(403);
    await t.server.db.run('update api_keys set scopes = ? where id = ?', [
      '{"0":"x"',
      made.info.id,
    ]);
    expect((await t.api('GET', '/api/members', undefined, made.key)).status).toBe(403);
  });

  it('[I1] a key revoked with the CLI while the server runs is refused at once, and what it registered stops', async () => {
    const { t, admin } = await webhookServer(open);
    const made = await makeKey(t, admin, ['members:read', 'webhooks']);
    const hook = await register(t, made.key, 'https://hooks.example.com/x', {
      privateNetwork: false,
    });
    expect(hook.status).toBe(201);
    expect((await t.api('GET', '/api/members', undefined, made.key)).status).toBe(200);
    expect((await cli(t.dir, ['revoke-api-key', made.info.id])).code).toBe(0);
    expect((await t.api('GET', '/api/members', undefined, made.key)).status).toBe(401);
    // The HTTP revoke pauses the key's endpoints; the CLI revoke must do the same, or a leaked
    // key's data feed outlives its revocation.
    const [endpoint] = await endpoints(t, admin);
    expect(endpoint?.pausedAt).not.toBeNull();
  });
});

describe('attacks on API key rate limits [I1]', () => {
  it('[I1] guesses at a key never use up that key: its owner keeps working', async () => {
    const { t, admin } = await webhookServer(
      open,
      {},
      { apiKeyRate: { capacity: 3, drainMs: 600_000 } },
    );
    const made = await makeKey(t, admin, ['members:read']);
    expect((await t.api('GET', '/api/members', undefined, made.key)).status).toBe(200);
    for (let i = 0; i < 50; i++) {
      const guess = `hck_${made.info.id}_${Buffer.alloc(32, i).toString('base64url')}`;
      expect([401, 429]).toContain((await t.api('GET', '/api/members', undefined, guess)).status);
    }
    expect((await t.api('GET', '/api/members', undefined, made.key)).status).toBe(200);
  });

  it('[I1] a right key used for the first time from an address that guessed is not refused', async () => {
    const { t, admin } = await webhookServer(open);
    const fresh = await makeKey(t, admin, ['members:read']);
    for (let i = 0; i < 50; i++) {
      const guess = `hck_${'A'.repeat(12)}_${Buffer.alloc(32, i).toString('base64url')}`;
      expect([401, 429]).toContain((await t.api('GET', '/api/members', undefined, guess)).status);
    }
    // Behind one proxy or NAT, a billing system shares its address with whoever floods it.
    expect((await t.api('GET', '/api/members', undefined, fresh.key)).status).toBe(200);
  });

  it('[I1] a flood of bad keys from one address is slowed down, as failed sign-ins are', async () => {
    const { t, admin } = await webhookServer(open);
    await makeKey(t, admin, ['members:read']);
    let limited = 0;
    // More bad guesses than a good key may even make in a burst (API_KEY_RATE: 600).
    for (let i = 0; i < 700 && limited === 0; i++) {
      // Ids unknown to the guesser: guesses at a live key's id are still checked (a primary-key
      // read each), so that its owner behind the same address keeps working.
      const guessedId = Buffer.alloc(9, i % 251).toString('base64url');
      const guess = `hck_${guessedId}_${Buffer.alloc(32, i % 251).toString('base64url')}`;
      const answer = await t.api('GET', '/api/members', undefined, guess);
      if (answer.status === 429) limited++;
      else expect(answer.status).toBe(401);
    }
    expect(limited, 'no 429 after 700 wrong keys from one address').toBeGreaterThan(0);
  }, 60_000);
});

describe('attacks on webhook management with keys [I1] [I4]', () => {
  it('[I4] a key sees, changes and deletes only its own endpoints, and never their secrets', async () => {
    const { t, admin } = await webhookServer(open);
    const a = await makeKey(t, admin, ['webhooks'], 'a');
    const b = await makeKey(t, admin, ['webhooks'], 'b');
    const ofA = await register(t, a.key, 'https://a.example.com/x', { privateNetwork: false });
    const ofAdmin = await register(t, admin, 'https://admin.example.com/x', {
      privateNetwork: false,
    });
    expect(ofA.status).toBe(201);
    for (const target of [ofA.body.endpoint.id, ofAdmin.body.endpoint.id]) {
      expect(
        (await t.api('PATCH', `/api/integrations/webhooks/${target}`, { paused: true }, b.key))
          .status,
      ).toBe(404);
      expect(
        (await t.api('DELETE', `/api/integrations/webhooks/${target}`, undefined, b.key)).status,
      ).toBe(404);
    }
    // An admin paused A's endpoint by hand: A may not even see the admin's one, let alone resume it.
    await t.api(
      'PATCH',
      `/api/integrations/webhooks/${ofAdmin.body.endpoint.id}`,
      { paused: true },
      admin,
    );
    expect(
      (
        await t.api(
          'PATCH',
          `/api/integrations/webhooks/${ofAdmin.body.endpoint.id}`,
          { paused: false },
          a.key,
        )
      ).status,
    ).toBe(404);
    expect(await endpoints(t, b.key)).toEqual([]);
    expect((await endpoints(t, a.key)).map((e) => e.id)).toEqual([ofA.body.endpoint.id]);
    const everything = JSON.stringify([await endpoints(t, admin), await endpoints(t, a.key)]);
    expect(everything).not.toContain(ofA.body.secret);
    expect(everything).not.toContain(ofAdmin.body.secret);
    expect(everything).not.toContain('whsec_');
  });

  it('[I4] a key may register neither plain http nor a private-network endpoint, however spelled', async () => {
    const { t, admin } = await webhookServer(open);
    const { key } = await makeKey(t, admin, ['webhooks']);
    for (const [url, privateNetwork] of [
      ['http://127.0.0.1:9/x', true],
      ['http://127.0.0.1:9/x', false],
      ['http://localhost:9/x', false],
      ['HTTP://localhost:9/x', false],
      ['http://[::1]:9/x', false],
      ['ftp://example.com/x', false],
      ['file:///etc/passwd', false],
      ['javascript:alert(1)', false],
      ['https://user:pw@example.com/x', false],
      ['https://[fe80::1%25lo]/x', false],
    ] as const) {
      const answer = await register(t, key, url, { privateNetwork: privateNetwork });
      expect([400, 403], url).toContain(answer.status);
    }
    const json = await t.api(
      'POST',
      '/api/integrations/webhooks',
      { url: 'https://a.example.com/', events: ['check-in'], privateNetwork: 'true' },
      key,
    );
    expect(json.status).toBe(400);
  });

  it('[I4] a key cannot take every endpoint slot of the chain: an admin can still register one', async () => {
    const { t, admin } = await webhookServer(open);
    const { key } = await makeKey(t, admin, ['webhooks']);
    let made = 0;
    for (let i = 0; i < 60; i++) {
      const answer = await register(t, key, `https://hooks${i}.example.com/x`, {
        privateNetwork: false,
      });
      if (answer.status !== 201) break;
      made++;
    }
    expect(made).toBeGreaterThan(0);
    const byAdmin = await register(t, admin, 'https://billing.example.com/x', {
      privateNetwork: false,
    });
    expect(byAdmin.status, `a key made ${made} endpoints first`).toBe(201);
  });
});

describe('attacks on webhook addresses (SSRF) [I4]', () => {
  it('[I4] no spelling of this machine, metadata or unspecified addresses is ever connected to', async () => {
    const { t, admin } = await webhookServer(open);
    const internal = await trap();
    const p = internal.port;
    const publicOnly = [
      `https://localhost:${p}/x`,
      `https://127.0.0.1:${p}/x`,
      `https://127.1:${p}/x`,
      `https://0x7f000001:${p}/x`,
      `https://2130706433:${p}/x`,
      `https://0177.0.0.1:${p}/x`,
      `https://[::1]:${p}/x`,
      `https://[::ffff:127.0.0.1]:${p}/x`,
      `https://[::ffff:7f00:1]:${p}/x`,
      `https://localhost.:${p}/x`,
      `https://LOCALHOST:${p}/x`,
      `https://0.0.0.0:${p}/x`,
      `https://[::]:${p}/x`,
      `https://127.0.0.1.nip.io:${p}/x`,
    ];
    // Even when an admin says the receiver is on the gym's own network: never these.
    const never = [
      `https://0.0.0.0:${p}/x`,
      `https://[::]:${p}/x`,
      'https://169.254.169.254/latest/meta-data',
      'https://[::ffff:169.254.169.254]/latest/meta-data',
      'https://[fe80::1]/x',
    ];
    const made: string[] = [];
    for (const url of publicOnly) {
      const answer = await register(t, admin, url, { privateNetwork: false });
      if (answer.status === 201) made.push(answer.body.endpoint.id);
    }
    for (const url of never) {
      const answer = await register(t, admin, url, { privateNetwork: true });
      if (answer.status === 201) made.push(answer.body.endpoint.id);
    }
    // Refused up front: plain http to a non-loopback spelling, or to loopback without the flag.
    for (const [url, privateNetwork] of [
      [`http://0.0.0.0:${p}/x`, true],
      [`http://localhost.:${p}/x`, true],
      [`http://127.0.0.1.nip.io:${p}/x`, true],
      [`http://localhost:${p}/x`, false],
    ] as const)
      expect((await register(t, admin, url, { privateNetwork: privateNetwork })).status, url).toBe(
        400,
      );
    expect(made.length).toBeGreaterThan(10);
    const door = await kioskDoor(t, open);
    kioskCheckIn(door.doc, door.deviceId, 'B-1');
    await until(
      async () => (await endpoints(t, admin)).every((e) => e.lastStatus !== null),
      'every endpoint attempted',
      DELIVERED,
    );
    for (const endpoint of await endpoints(t, admin)) {
      expect(endpoint.lastStatus, endpoint.url).not.toMatch(/^HTTP 2/);
      expect(endpoint.lastSuccessAt, endpoint.url).toBeNull();
    }
    expect(internal.connections()).toBe(0);
  }, 40_000);

  it('[I4] the address rule refuses IPv6 spellings that embed IPv4 (compatible, NAT64, 6to4) of forbidden ranges', () => {
    const publicOnly = { privateNetwork: false, plainHttp: false };
    const local = { privateNetwork: true, plainHttp: false };
    // IPv4-compatible (deprecated ::a.b.c.d): some stacks still route them to IPv4.
    expect(addressAllowed('::7f00:1', publicOnly), '::127.0.0.1').toBe(false);
    expect(addressAllowed('::a9fe:a9fe', local), '::169.254.169.254').toBe(false);
    // NAT64 (64:ff9b::/96) and 6to4 carrying the metadata address: link-local is "never".
    expect(addressAllowed('64:ff9b::a9fe:a9fe', local), 'NAT64 169.254.169.254').toBe(false);
    expect(addressAllowed('2002:a9fe:a9fe::1', local), '6to4 169.254.169.254').toBe(false);
  });

  it('[I4] a redirect of any kind (301, 302, 303, 307, 308) to an internal receiver is never followed', async () => {
    const { t, admin } = await webhookServer(open);
    const internal = await receiver();
    for (const status of [301, 302, 303, 307, 308]) {
      const hop = await redirector(status, internal.url);
      expect((await register(t, admin, hop.url, { privateNetwork: true })).status).toBe(201);
    }
    const door = await kioskDoor(t, open);
    kioskCheckIn(door.doc, door.deviceId, 'B-1');
    await until(
      async () => (await endpoints(t, admin)).every((e) => e.lastStatus !== null),
      'every endpoint attempted',
      DELIVERED,
    );
    for (const endpoint of await endpoints(t, admin))
      expect(endpoint.lastStatus).toMatch(/^HTTP 30\d \(redirects are not followed\)$/);
    expect(internal.received).toEqual([]);
  });

  it('[I4] what a key is told of a refused address does not reveal what internal names resolve to', async () => {
    const { t, admin } = await webhookServer(open);
    const { key } = await makeKey(t, admin, ['webhooks']);
    const made = await register(t, key, 'https://localhost:9/x', { privateNetwork: false });
    expect(made.status).toBe(201);
    const door = await kioskDoor(t, open);
    kioskCheckIn(door.doc, door.deviceId, 'B-1');
    await until(
      async () => (await endpoints(t, key))[0]?.lastStatus != null,
      'the endpoint attempted',
      DELIVERED,
    );
    const [endpoint] = await endpoints(t, key);
    expect(endpoint?.lastStatus).toMatch(/may not reach/);
    // "localhost resolves to 127.0.0.1": an oracle of the gym's internal DNS for a machine key.
    expect(endpoint?.lastStatus).not.toMatch(/127\.0\.0\.1|::1/);
  });
});

describe('attacks on webhook deliveries [I3]', () => {
  it('[I3] a member id full of JSON, HTML and control characters is delivered verbatim, signed, under the real writer', async () => {
    const { t, admin } = await webhookServer(open);
    const hook = await receiver();
    const made = await register(t, admin, hook.url);
    const door = await kioskDoor(t, open);
    const nasty = 'x","writer":"staff:boss"}<script>alert(1)</script>\u0001\u001b\u2028';
    const id = kioskCheckIn(door.doc, door.deviceId, nasty);
    await until(() => hook.received.length >= 1, 'the delivery', DELIVERED);
    const [item] = hook.received as [Received];
    const verified = new Webhook(made.body.secret).verify(
      item.body,
      item.headers as Record<string, string>,
    ) as WebhookPayload;
    expect(verified.data).toMatchObject({
      eventId: id,
      memberId: nasty,
      writer: `kiosk:${door.deviceId}`,
    });
    expect(item.headers['webhook-id']).toBe(`kiosk:${door.deviceId}/${id}`);
  });

  it('[I3] [R1] a NUL character in a kiosk-written member id neither stops the record nor the deliveries after it', async () => {
    const { t, admin } = await webhookServer(open);
    const hook = await receiver();
    await register(t, admin, hook.url);
    const door = await kioskDoor(t, open);
    // Written raw, as a hostile client would: our encoder refuses NUL ([E5]).
    const poisoned = newEventId(Date.now() - 2_000);
    const tuple = encodeEntry(
      { kind: 'checkIn', memberId: 'NULxID' },
      { id: poisoned, at: Date.now() - 2_000, clockTrusted: true, method: 'qr' },
    ) as unknown[];
    tuple[3] = 'NUL\u0000ID';
    door.doc.getArray(`kiosk:${door.deviceId}`).push([tuple]);
    // The door is refused at the server (WriteGuard, [W2]): what it writes after waits with it.
    // Another writer's later check-in in the same day's document.
    const other = await kioskDoor(t, open);
    const later = kioskCheckIn(other.doc, other.deviceId, 'B-3');
    // The record itself ([R1]): reports, occupancy and webhooks all read it.
    await until(
      async () =>
        (await t.server.db.all('select id from visits where member_id in (?, ?)', ['B-2', 'B-3']))
          .length === 1,
      'the record holds the honest visits',
      DELIVERED,
    );
    await until(
      () =>
        [later].every((id) => hook.received.some((item) => payloadOf(item).data.eventId === id)),
      'the honest check-ins after the poisoned one delivered',
      DELIVERED,
    );
    const poisonedTold = hook.received.map(payloadOf).filter((p) => p.data.eventId === poisoned);
    // Told as it was written, or at least not at the expense of everything after it.
    expect(poisonedTold.length).toBeLessThanOrEqual(1);
  }, 40_000);

  it('[I3] a kiosk can neither write as another kiosk nor void, so it never makes the server sign such news', async () => {
    const { t, admin } = await webhookServer(open);
    const hook = await receiver();
    await register(t, admin, hook.url);
    const victim = await kioskDoor(t, open);
    const attacker = await kioskDoor(t, open);
    const honest = kioskCheckIn(victim.doc, victim.deviceId, 'B-1');
    await until(() => hook.received.length === 1, "the victim's check-in", DELIVERED);
    // Into the victim's array, from the attacker's connection: WriteGuard refuses it.
    const forged = newEventId(Date.now());
    recordEvent(
      attacker.doc,
      { role: 'kiosk', id: victim.deviceId },
      { kind: 'checkIn', memberId: 'FORGED' },
      { id: forged, at: Date.now(), clockTrusted: true, method: 'qr' },
    );
    // A void of the victim's check-in in its own array: not a kiosk's to write ([E5]).
    const voiding = newEventId(Date.now());
    const fresh = await kioskDoor(t, open);
    recordEvent(
      fresh.doc,
      { role: 'kiosk', id: fresh.deviceId },
      {
        kind: 'void',
        targetId: honest,
        targetWriter: { role: 'kiosk', id: victim.deviceId },
        reason: 'x',
      },
      { id: voiding, at: Date.now(), clockTrusted: true, method: 'qr' },
    );
    // The refused connections keep resending what was refused: a fourth door tells the time.
    const honestDoor = await kioskDoor(t, open);
    const marker = kioskCheckIn(honestDoor.doc, honestDoor.deviceId, 'MARKER');
    await until(
      () => hook.received.some((item) => payloadOf(item).data.eventId === marker),
      'a later honest check-in',
      DELIVERED,
    );
    const told = hook.received.map(payloadOf);
    expect(told.filter((p) => p.data.eventId === forged || p.data.memberId === 'FORGED')).toEqual(
      [],
    );
    expect(
      told.filter((p) => p.data.eventId === voiding || p.type.startsWith('correction')),
    ).toEqual([]);
  });

  it('[I3] a member whose delivery hangs keeps their next event waiting, and nothing answered 2xx is sent again', async () => {
    const { t, admin } = await webhookServer(open, { timeoutMs: 800 });
    let first = '';
    let hung = false;
    const hook = await receiver((item) => {
      if (payloadOf(item).data.eventId === first && !hung) {
        hung = true;
        return 'hang';
      }
      return 200;
    });
    await register(t, admin, hook.url);
    const door = await kioskDoor(t, open);
    const now = Date.now();
    first = newEventId(now - 60_000);
    recordEvent(
      door.doc,
      { role: 'kiosk', id: door.deviceId },
      { kind: 'checkIn', memberId: 'B-1' },
      { id: first, at: now - 60_000, clockTrusted: true, method: 'qr' },
    );
    const out = newEventId(now - 30_000);
    recordEvent(
      door.doc,
      { role: 'kiosk', id: door.deviceId },
      { kind: 'checkOut', memberId: 'B-1' },
      { id: out, at: now - 30_000, clockTrusted: true, method: 'qr' },
    );
    await until(
      () => hook.received.some((i) => payloadOf(i).data.eventId === out),
      'the check-out',
      DELIVERED,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const order = hook.received.map((i) => payloadOf(i).data.eventId);
    expect(order).toEqual([first, first, out]);
  });

  it('[I3] one slow endpoint never starves the others: a fast receiver hears everything well within one timeout', async () => {
    const { t, admin } = await webhookServer(open, { timeoutMs: 6_000 });
    // Endpoints that never answer: what any key can register (an https tarpit on the internet).
    for (let i = 0; i < 4; i++) await register(t, admin, (await receiver(() => 'hang')).url);
    const fast = await receiver();
    await register(t, admin, fast.url);
    const door = await kioskDoor(t, open);
    const now = Date.now();
    for (let i = 0; i < 40; i++)
      kioskCheckIn(door.doc, door.deviceId, `S-${i}`, now - 40_000 + i * 100);
    await until(() => fast.received.length >= 1, 'the first fast delivery', DELIVERED);
    const since = Date.now();
    await until(() => fast.received.length >= 40, 'all 40 at the fast receiver', 4_000).catch(
      (error: Error) => {
        throw new Error(
          `${error.message}: ${fast.received.length} of 40 after ${Date.now() - since} ms`,
        );
      },
    );
  }, 40_000);

  it('[I3] the outbox of a paused endpoint does not grow without bound: what waited past the give-up time is given up', async () => {
    const { t, admin } = await webhookServer(open, { giveUpAfterMs: 1_000 });
    const hook = await receiver();
    const made = await register(t, admin, hook.url);
    await t.api(
      'PATCH',
      `/api/integrations/webhooks/${made.body.endpoint.id}`,
      { paused: true },
      admin,
    );
    const door = await kioskDoor(t, open);
    for (let i = 0; i < 5; i++) kioskCheckIn(door.doc, door.deviceId, `P-${i}`);
    await until(
      async () => (await endpoints(t, admin))[0]?.pending === 5,
      'five waiting',
      DELIVERED,
    );
    // Far past the give-up time, still paused: nothing that old should still wait.
    await until(
      async () => (await endpoints(t, admin))[0]?.pending === 0,
      'the waiting deliveries given up while paused',
      6_000,
    );
  }, 40_000);
});

describe('attacks on member sync [I2]', () => {
  async function syncing() {
    const { t, admin } = await webhookServer(open);
    const { key } = await makeKey(t, admin, ['members:read', 'members:write']);
    const sync = (body: unknown) =>
      t.api<MemberSyncAnswer & ApiError>('POST', '/api/members:sync', body, key);
    return { t, key, admin, sync };
  }

  it('[I2] __proto__ and constructor keys neither pollute the server nor get stored', async () => {
    const { t, key } = await syncing();
    const base = JSON.stringify(member('P-1', 'Pat Proto')).slice(1);
    for (const evil of [
      `{"members":[{"__proto__":{"polluted":"yes"},${base}]}`,
      `{"members":[{"constructor":{"prototype":{"polluted":"yes"}},${base}]}`,
      `{"__proto__":{"polluted":"yes"},"members":[]}`,
    ]) {
      const answer = await raw(
        t,
        'POST',
        '/api/members:sync',
        { authorization: `Bearer ${key}` },
        evil,
      );
      expect(answer.status, evil.slice(0, 60)).toBeLessThan(500);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const stored of await t.server.members.list()) {
      expect(Object.keys(stored)).not.toContain('__proto__');
      expect(Object.keys(stored)).not.toContain('constructor');
    }
  });

  it('[I2] duplicate ids in one call write one member and answer the second with its index', async () => {
    const { t, sync } = await syncing();
    const answer = await sync({ members: [member('D-1', 'First'), member('D-1', 'Second')] });
    expect(answer.status).toBe(200);
    expect(answer.body.added).toBe(1);
    expect(answer.body.errors).toEqual([
      { index: 1, in: 'members', reason: expect.stringMatching(/D-1/) },
    ]);
    expect((await t.server.members.list()).map((m) => m.name)).toEqual(['First']);
  });

  it('[I2] oversized calls are refused whole; 10 000 removals of nobody delete nothing', async () => {
    const { t, key, sync } = await syncing();
    await sync({ members: [member('K-1')] });
    const tooMany = await sync({
      members: Array.from({ length: 10_001 }, (_, i) => member(`T-${i}`)),
    });
    expect(tooMany.status).toBe(400);
    const tooBig = await raw(
      t,
      'POST',
      '/api/members:sync',
      { authorization: `Bearer ${key}` },
      JSON.stringify({ members: [{ ...member('H-1'), name: 'x'.repeat(9 * 1024 * 1024) }] }),
    );
    expect(tooBig.status).toBe(413);
    const removing = await sync({
      members: [],
      remove: Array.from({ length: 10_000 }, (_, i) => `R-${i}`),
    });
    expect(removing.status).toBe(200);
    expect(removing.body).toMatchObject({ removed: 0, errors: [] });
    const removeTooMany = await sync({
      members: [],
      remove: Array.from({ length: 10_001 }, (_, i) => `R-${i}`),
    });
    expect(removeTooMany.status).toBe(400);
    const badId = await sync({ members: [], remove: ["K-1' or '1'='1"] });
    expect(badId.status).toBe(400);
    expect((await t.server.members.list()).map((m) => m.id)).toEqual(['K-1']);
    expect(await t.server.members.list()).toHaveLength(1);
  }, 60_000);

  it('[I2] a code of another member, and access to an unknown or archived site, are refused per record', async () => {
    const { t, sync } = await syncing();
    await t.server.sites.create({ id: 'closed', name: 'Closed', timeZone: ZONE });
    await t.server.sites.setArchived('closed', true);
    await sync({ members: [member('A-1', 'Owner', ['0001'])] });
    const answer = await sync({
      members: [
        member('A-2', 'Thief', ['0001']),
        { ...member('A-3'), access: ['nowhere'] },
        { ...member('A-4'), access: ['closed'] },
        member('A-5', 'Uses an id as code', ['A-1']),
        member('0001', 'Id is a code'),
        member('A-6'),
      ],
    });
    expect(answer.body.errors.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    expect(answer.body.added).toBe(1);
    const owner = await t.server.members.get('A-1');
    expect(owner?.codes).toEqual(['0001']);
  });

  it('[I2] two identical calls at once write once; a dry run with removals writes nothing', async () => {
    const { t, sync } = await syncing();
    const body = {
      members: Array.from({ length: 200 }, (_, i) => member(`C-${i}`, `Name ${i}`, [`9${i}`])),
    };
    const [one, two] = await Promise.all([sync(body), sync(body)]);
    expect([one.status, two.status]).toEqual([200, 200]);
    expect(one.body.added + two.body.added).toBe(200);
    expect(one.body.unchanged + two.body.unchanged).toBe(200);
    const before = JSON.stringify(await t.server.members.list());
    const dry = await sync({
      members: [member('C-0', 'Renamed'), member('NEW')],
      remove: ['C-1', 'C-2'],
      dryRun: true,
    });
    expect(dry.body).toMatchObject({ added: 1, changed: 1, removed: 2, applied: false });
    expect(JSON.stringify(await t.server.members.list())).toBe(before);
  });
});

describe('attacks on the public occupancy routes [P1]', () => {
  it('[P1] an unknown site and an existing one without a page answer alike; only the public route is open to other origins', async () => {
    const { t, admin } = await webhookServer(open);
    const unknown = await raw(t, 'GET', '/api/public/sites/no-such-site/occupancy');
    const existing = await raw(t, 'GET', `/api/public/sites/${SITE}/occupancy`);
    expect(existing.status).toBe(unknown.status);
    expect(existing.text).toBe(unknown.text);
    const busyUnknown = await raw(t, 'GET', '/busy/no-such-site');
    const busyExisting = await raw(t, 'GET', `/busy/${SITE}`);
    expect([busyExisting.status, busyExisting.text]).toEqual([
      busyUnknown.status,
      busyUnknown.text,
    ]);
    const origin = { origin: 'https://evil.example' };
    const members = await raw(t, 'GET', '/api/members', {
      ...origin,
      authorization: `Bearer ${admin}`,
    });
    expect(members.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await raw(t, 'OPTIONS', '/api/members', {
      ...origin,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(existing.text).not.toMatch(/memberId|B-\d/);
  });
});
