import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionAnswer } from '../../shared/apiProtocol';
import { checkinsDocName } from '../../shared/docName';
import type { CreatedWebhookAnswer } from '../../shared/integrationProtocol';
import { localDayOf } from '../../shared/localTime';
import { admin as cli } from '../testing/adminCli';
import { startServerProcess } from '../testing/serverProcess';
import {
  type Client,
  connect,
  freePort,
  kioskCheckIn,
  SITE,
  type TestServer,
  until,
  ZONE,
} from '../testing/testServer';
import { webhookReceiver } from './testing/webhookReceiver';

/**
 * A delivery survives the sender's death ([I3]): a server process killed with SIGKILL while a
 * receiver holds its request sends the same delivery again after a restart, and marks it done
 * only when the receiver says 2xx. Receivers dedupe by `webhook-id`.
 */
const children: ChildProcess[] = [];
const clients: Client[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const close of closers.splice(0)) await close();
});

async function api<T>(port: number, method: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return (await response.json()) as T;
}

describe('webhook deliveries across a crash [I3]', () => {
  it('[I3] a delivery cut off by kill -9 is sent again after the restart, with the same webhook-id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headcount-webhook-crash-'));
    const port = await freePort();
    let hanging = true;
    const hook = await webhookReceiver(() => (hanging ? 'hang' : 204));
    closers.push(hook.close);
    let child = await startServerProcess(dir, port, children);
    expect(
      (await cli(dir, ['create-admin', '--username', 'boss'], 'correct horse battery')).code,
    ).toBe(0);
    const session = await api<SessionAnswer>(port, 'POST', '/api/session', {
      username: 'boss',
      password: 'correct horse battery',
    });
    const admin = session.accessToken;
    const made = await api<CreatedWebhookAnswer>(
      port,
      'POST',
      '/api/integrations/webhooks',
      { url: hook.url, events: ['check-in'], privateNetwork: true },
      admin,
    );
    expect(made.secret).toMatch(/^whsec_/);
    const code = await api<{ code: string }>(
      port,
      'POST',
      '/api/pairing-codes',
      { name: 'Door' },
      admin,
    );
    const paired = await api<{ deviceId: string; deviceSecret: string }>(
      port,
      'POST',
      '/api/devices/pair',
      { code: code.code, appVersion: 'test' },
    );
    const token = await api<{ accessToken: string }>(port, 'POST', '/api/devices/token', paired);
    const server = { wsUrl: `ws://127.0.0.1:${port}` } as Pick<TestServer, 'wsUrl'>;
    const door = connect(
      server,
      checkinsDocName(SITE, localDayOf(Date.now(), ZONE)),
      token.accessToken,
    );
    clients.push(door);
    await door.outcome;
    kioskCheckIn(door.doc, paired.deviceId, 'B-1');
    await until(() => hook.received.length === 1, 'the delivery held by the receiver', 30_000);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    hanging = false;
    child = await startServerProcess(dir, port, children);
    await until(() => hook.received.length === 2, 'the delivery sent again', 30_000);
    const [first, again] = hook.received;
    expect(again?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(again?.body).toBe(first?.body);
    // Marked done now: a further restart sends nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const exitedAgain = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exitedAgain;
    await startServerProcess(dir, port, children);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hook.received).toHaveLength(2);
  }, 120_000);
});
