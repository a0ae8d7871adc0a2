import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import type {
  ApiError,
  MemberAnswer,
  MembersAnswer,
  SessionAnswer,
} from '../../shared/apiProtocol';
import { rosterDocName, siteDocName } from '../../shared/docName';
import type {
  ApiKeysAnswer,
  CreatedApiKeyAnswer,
  MemberSyncAnswer,
} from '../../shared/integrationProtocol';
import type { ApiKeyScope } from '../../shared/integrations';
import type { Member } from '../../shared/member';
import { readRosterDoc, rosterShard } from '../../shared/rosterDoc';
import { admin as cli } from '../testing/adminCli';
import { closeAfterEach } from '../testing/closeAfterEach';
import { TEST_ENGINE } from '../testing/testDatabase';
import {
  activeMember,
  connect,
  pairKiosk,
  SITE,
  startTestServer,
  type TestServer,
  until,
} from '../testing/testServer';

const open = closeAfterEach();
const PASSWORD = 'correct horse battery';

async function server(options: Parameters<typeof startTestServer>[2] = {}): Promise<TestServer> {
  const t = await startTestServer({}, undefined, options);
  open.push(t);
  return t;
}

async function signIn(t: TestServer, role: 'admin' | 'staff', siteId: string | null = SITE) {
  const username = `${role}-${Math.random().toString(36).slice(2, 8)}`;
  await t.server.staff.create({ username, password: PASSWORD, role, siteId });
  const answer = await t.api<SessionAnswer>('POST', '/api/session', {
    username,
    password: PASSWORD,
  });
  expect(answer.status).toBe(200);
  return answer.body.accessToken;
}

async function makeKey(t: TestServer, scopes: ApiKeyScope[], name = 'Billing sync') {
  const admin = await signIn(t, 'admin', null);
  const made = await t.api<CreatedApiKeyAnswer>(
    'POST',
    '/api/integrations/keys',
    { name, scopes },
    admin,
  );
  expect(made.status).toBe(201);
  return { ...made.body, admin };
}

const member = (id: string, name: string, codes: string[] = []): Member =>
  activeMember(id, name, codes);

describe('API keys [I1]', () => {
  it('[I1] a key made by an admin is shown once, kept only as a hash, and works as a bearer', async () => {
    const t = await server();
    const { key, info, admin } = await makeKey(t, ['members:read']);
    expect(key).toMatch(/^hck_/);
    const listed = await t.api<ApiKeysAnswer>('GET', '/api/integrations/keys', undefined, admin);
    expect(listed.body.keys.map((k) => k.id)).toEqual([info.id]);
    expect(JSON.stringify(listed.body)).not.toContain(key.slice(-20));
    const rows = await t.server.db.all<Record<string, unknown>>('select * from api_keys');
    expect(JSON.stringify(rows)).not.toContain(key.slice(-43));
    const read = await t.api<MembersAnswer>('GET', '/api/members', undefined, key);
    expect(read.status).toBe(200);
  });

  it('[I1] a key works only where its scope is asked for, and never on staff-only routes', async () => {
    const t = await server();
    const { key } = await makeKey(t, ['members:read']);
    const write = await t.api<ApiError>('PUT', '/api/members/M1', member('M1', 'Ana'), key);
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('missing-scope');
    for (const [method, path] of [
      ['GET', '/api/integrations/keys'],
      ['GET', '/api/accounts'],
      ['GET', '/api/devices'],
      ['POST', '/api/pairing-codes'],
    ] as const) {
      const answer = await t.api<ApiError>(method, path, method === 'POST' ? {} : undefined, key);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.code).toBe('missing-scope');
    }
  });

  it('[I1] a wrong, malformed or revoked key is refused, the revoked one at its next request', async () => {
    const t = await server();
    const { key, info, admin } = await makeKey(t, ['members:read']);
    const wrong = `${key.slice(0, -4)}AAAA`;
    for (const bad of [wrong, 'hck_nothing', `${key}x`]) {
      const answer = await t.api<ApiError>('GET', '/api/members', undefined, bad);
      expect(answer.status, bad).toBe(401);
      expect(answer.body.error.code).toBe('bad-api-key');
    }
    expect((await t.api('GET', '/api/members', undefined, key)).status).toBe(200);
    const revoked = await t.api('DELETE', `/api/integrations/keys/${info.id}`, undefined, admin);
    expect(revoked.status).toBe(200);
    const after = await t.api<ApiError>('GET', '/api/members', undefined, key);
    expect(after.status).toBe(401);
    const listed = await t.api<ApiKeysAnswer>('GET', '/api/integrations/keys', undefined, admin);
    expect(listed.body.keys[0]?.revokedAt).toEqual(expect.any(Number));
  });

  it('[I1] a key never opens a document, not even with every scope', async () => {
    const t = await server();
    const { key } = await makeKey(t, ['members:read', 'members:write', 'visits:read', 'webhooks']);
    for (const name of [siteDocName(SITE), rosterDocName(SITE, 0)]) {
      const client = connect(t, name, key);
      open.push(client);
      expect(await client.outcome).toMatchObject({ ok: false });
    }
  });

  it('[I1] the admin CLI makes, lists and revokes keys, printing the secret once', async () => {
    const t = await server();
    const made = await cli(t.dir, ['create-api-key', '--name', 'Door', '--scope', 'visits:read']);
    expect(made.code).toBe(0);
    const key = made.stdout.trim();
    expect((await t.api('GET', '/api/reports/peak-hours', undefined, key)).status).toBe(200);
    const listed = await cli(t.dir, ['list-api-keys']);
    expect(listed.stdout).toContain('Door  visits:read  active');
    expect(listed.stdout).not.toContain(key.slice(-43));
    const id = listed.stdout.split(' ')[0] as string;
    expect((await cli(t.dir, ['revoke-api-key', id])).code).toBe(0);
    expect((await t.api('GET', '/api/reports/peak-hours', undefined, key)).status).toBe(401);
    const bad = await cli(t.dir, ['create-api-key', '--name', 'x', '--scope', 'root']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: scopes: one or more of/);
  });

  it('[I1] no key id starts with a dash, which the CLI would read as an option', async () => {
    const t = await server();
    const { admin } = await makeKey(t, ['members:read']);
    for (let i = 0; i < 200; i++) {
      const made = await t.api<CreatedApiKeyAnswer>(
        'POST',
        '/api/integrations/keys',
        { name: `k${i}`, scopes: ['members:read'] },
        admin,
      );
      expect(made.body.info.id).not.toMatch(/^-/);
    }
  });

  it('[I1] a staff member cannot make keys, and a key cannot make or revoke keys', async () => {
    const t = await server();
    const staff = await signIn(t, 'staff');
    const refused = await t.api<ApiError>(
      'POST',
      '/api/integrations/keys',
      { name: 'mine', scopes: ['members:read'] },
      staff,
    );
    expect(refused.status).toBe(403);
    const { key, info } = await makeKey(t, ['members:write', 'webhooks']);
    const byKey = await t.api('DELETE', `/api/integrations/keys/${info.id}`, undefined, key);
    expect(byKey.status).toBe(403);
  });

  it('[I1] each key has its own rate limit: one key looping never slows another', async () => {
    const t = await server({ limits: { apiKeyRate: { capacity: 3, drainMs: 600_000 } } });
    const first = await makeKey(t, ['members:read'], 'looping');
    const second = await makeKey(t, ['members:read'], 'quiet');
    for (let i = 0; i < 3; i++)
      expect((await t.api('GET', '/api/members', undefined, first.key)).status).toBe(200);
    const limited = await t.api<ApiError>('GET', '/api/members', undefined, first.key);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('too-many-attempts');
    expect((await t.api('GET', '/api/members', undefined, second.key)).status).toBe(200);
  });

  it('[I1] every use is logged with the key name and id, never the secret', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const t = await server({ log: pino({ level: 'info' }, sink) });
    const { key, info } = await makeKey(t, ['members:read'], 'Door system');
    await t.api('GET', '/api/members', undefined, key);
    await until(() => lines.some((line) => line.includes('api key used')), 'the use logged');
    const used = lines.map((line) => JSON.parse(line)).find((l) => l.msg === 'api key used');
    expect(used).toMatchObject({
      apiKey: 'Door system',
      keyId: info.id,
      method: 'GET',
      route: '/api/members',
      status: 200,
    });
    const secret = key.slice(-43);
    expect(lines.join('\n')).not.toContain(secret);
  });
});

// Two instances on one PostgreSQL schema: a key revoked through one is refused by the other.
describe.runIf(TEST_ENGINE === 'postgres')('API keys on several instances [I1]', () => {
  it('[I1] a key revoked on one instance is refused by the other at its next request', async () => {
    const a = await server();
    const b = await startTestServer({}, a.dir);
    open.push(b);
    const { key, info, admin } = await makeKey(a, ['members:read']);
    expect((await b.api('GET', '/api/members', undefined, key)).status).toBe(200);
    expect(
      (await a.api('DELETE', `/api/integrations/keys/${info.id}`, undefined, admin)).status,
    ).toBe(200);
    const after = await b.api<ApiError>('GET', '/api/members', undefined, key);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('bad-api-key');
  });
});

describe('the OpenAPI document [I1]–[I3]', () => {
  it('describes every integration route with an example of its body or answer', async () => {
    const t = await server();
    const doc = (await (
      await fetch(`http://127.0.0.1:${t.server.port}/api/openapi.json`)
    ).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths).filter(([path]) =>
      /^\/api\/(integrations|members:sync|public)/.test(path),
    );
    expect(routes.length).toBeGreaterThanOrEqual(6);
    for (const [path, operations] of routes)
      for (const [method, operation] of Object.entries(operations)) {
        if (method === 'delete') continue;
        expect(JSON.stringify(operation), `${method} ${path}`).toMatch(/"examples?":/);
      }
  });
});

describe('Member sync [I2]', () => {
  async function syncing() {
    const t = await server();
    const { key } = await makeKey(t, ['members:read', 'members:write']);
    const sync = (body: unknown) =>
      t.api<MemberSyncAnswer & ApiError>('POST', '/api/members:sync', body, key);
    return { t, key, sync };
  }

  it('[I2] a bulk sync upserts by id, answers each bad record with its index, and a second identical call changes nothing', async () => {
    const { t, sync } = await syncing();
    const body = {
      members: [
        member('B-1', 'Ana Lima', ['0451']),
        { ...member('B-2', 'Ben Ode'), status: 'gold' },
        member('B-3', 'Cy Park', ['0451']),
        member('B-4', 'Di Ross'),
        { ...member('B-5', 'Ed Vance'), status: undefined },
        { id: 'B-6', name: 'Flo Wu' },
      ],
    };
    const first = await sync(body);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      added: 2,
      changed: 0,
      unchanged: 0,
      removed: 0,
      applied: true,
    });
    expect(first.body.errors).toEqual([
      { index: 1, in: 'members', reason: 'status is "gold"' },
      { index: 2, in: 'members', reason: expect.stringContaining('card code "0451"') },
      // A field left out is named as missing (a billing system's mapping forgot it).
      { index: 4, in: 'members', reason: 'status is missing' },
      { index: 5, in: 'members', reason: 'codes is missing' },
    ]);
    const again = await sync(body);
    expect(again.body).toMatchObject({ added: 0, changed: 0, unchanged: 2, removed: 0 });
    expect((await t.server.members.list()).map((m) => m.id)).toEqual(['B-1', 'B-4']);
  });

  it('[I2] nothing is deleted unless the call names it, and a removal reaches the kiosks', async () => {
    const { t, sync } = await syncing();
    await sync({ members: [member('B-1', 'Ana Lima'), member('B-2', 'Ben Ode')] });
    const shard = rosterShard('B-2');
    const kiosk = await pairKiosk(t);
    const roster = connect(t, rosterDocName(SITE, shard), kiosk.token);
    open.push(roster);
    await roster.outcome;
    await until(() => listed(roster.doc).has('B-2'), 'the kiosk lists B-2');
    const partial = await sync({ members: [member('B-1', 'Ana Lima')] });
    expect(partial.body.removed).toBe(0);
    expect((await t.server.members.list()).map((m) => m.id)).toEqual(['B-1', 'B-2']);
    const removing = await sync({ members: [], remove: ['B-2', 'nobody'] });
    expect(removing.body).toMatchObject({ removed: 1, errors: [] });
    expect((await t.server.members.list()).map((m) => m.id)).toEqual(['B-1']);
    await until(() => !listed(roster.doc).has('B-2'), 'the kiosk no longer lists B-2');
    const twice = await sync({ members: [], remove: ['B-2'] });
    expect(twice.body.removed).toBe(0);
  });

  it('[I2] a dry run writes nothing, and a member both synced and removed is refused in remove', async () => {
    const { t, sync } = await syncing();
    const dry = await sync({ members: [member('B-1', 'Ana Lima')], dryRun: true });
    expect(dry.body).toMatchObject({ added: 1, applied: false });
    expect(await t.server.members.list()).toEqual([]);
    const both = await sync({ members: [member('B-1', 'Ana Lima')], remove: ['B-1'] });
    expect(both.body.errors).toEqual([
      { index: 0, in: 'remove', reason: 'member B-1 is also in members' },
    ]);
    expect((await t.server.members.list()).map((m) => m.id)).toEqual(['B-1']);
  });

  it('[I2] PUT by the billing id upserts one member with a key; staff and kiosks cannot bulk sync', async () => {
    const { t, key, sync } = await syncing();
    const put = await t.api<MemberAnswer>('PUT', '/api/members/B-9', member('B-9', 'Ed Moss'), key);
    expect(put.status).toBe(200);
    expect(put.body.member.name).toBe('Ed Moss');
    const staff = await signIn(t, 'staff');
    const byStaff = await t.api('POST', '/api/members:sync', { members: [] }, staff);
    expect(byStaff.status).toBe(403);
    const kiosk = await pairKiosk(t);
    const byKiosk = await t.api('POST', '/api/members:sync', { members: [] }, kiosk.token);
    expect(byKiosk.status).toBe(401);
    expect((await sync({ members: 'all' })).status).toBe(400);
  });
});

function listed(doc: Y.Doc): Map<string, Member> {
  const members = new Map<string, Member>();
  readRosterDoc(doc, members);
  return members;
}
