import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { recordEvent } from '../../shared/checkinsDoc';
import { checkinsDocName } from '../../shared/docName';
import { newEventId } from '../../shared/eventId';
import type { CreatedApiKeyAnswer, WebhooksAnswer } from '../../shared/integrationProtocol';
import { addDays, dayWindow, instantAt, localDayOf } from '../../shared/localTime';
import { closeAfterEach } from '../testing/closeAfterEach';
import { connect, kioskCheckIn, pairKiosk, SITE, until, ZONE } from '../testing/testServer';
import { type Received, receiversClosedAfterEach } from './testing/webhookReceiver';
import {
  DELIVERED,
  kioskDoor,
  payloadOf,
  registerEndpoint as register,
  webhookServer,
} from './testing/webhookServer';

const open = closeAfterEach();
const receiver = receiversClosedAfterEach();

function checkOut(doc: Y.Doc, deviceId: string, memberId: string, at: number): string {
  const id = newEventId(at);
  recordEvent(
    doc,
    { role: 'kiosk', id: deviceId },
    { kind: 'checkOut', memberId },
    { id, at, clockTrusted: true, method: 'qr' },
  );
  return id;
}

const headersOf = (item: Received) => item.headers as Record<string, string>;

describe('webhooks [I3]', () => {
  it('[I3] a check-in that reaches the server is delivered, signed the Standard Webhooks way, with its real time', async () => {
    const { t, admin } = await webhookServer(open);
    const hook = await receiver();
    const made = await register(t, admin, hook.url);
    expect(made.status).toBe(201);
    expect(made.body.secret).toMatch(/^whsec_/);
    const door = await kioskDoor(t, open);
    // Recorded offline an hour ago (or at the start of today), reaching the server only now.
    const at = Math.max(
      dayWindow(localDayOf(Date.now(), ZONE), ZONE).start,
      Date.now() - 3_600_000,
    );
    const id = kioskCheckIn(door.doc, door.deviceId, 'B-1', at);
    await until(() => hook.received.length === 1, 'one delivery', DELIVERED);
    const [item] = hook.received as [Received];
    const verified = new Webhook(made.body.secret).verify(item.body, headersOf(item));
    expect(verified).toEqual(payloadOf(item));
    const forged = new Webhook(`whsec_${Buffer.from('x'.repeat(32)).toString('base64')}`);
    expect(() => forged.verify(item.body, headersOf(item))).toThrow();
    expect(item.headers['webhook-id']).toBe(`kiosk:${door.deviceId}/${id}`);
    expect(payloadOf(item)).toMatchObject({
      type: 'check-in.v1',
      timestamp: new Date(at).toISOString(),
      data: { eventId: id, siteId: SITE, memberId: 'B-1', at, writer: `kiosk:${door.deviceId}` },
    });
    const list = () => t.api<WebhooksAnswer>('GET', '/api/integrations/webhooks', undefined, admin);
    // The receiver has the request before the sender has its answer and marks it delivered.
    await until(
      async () => (await list()).body.endpoints[0]?.pending === 0,
      'the delivery marked',
      DELIVERED,
    );
    const listed = await list();
    expect(listed.body.endpoints[0]).toMatchObject({ lastStatus: 'HTTP 204', pending: 0 });
    expect(JSON.stringify(listed.body)).not.toContain(made.body.secret);
  });

  it('[I3] retries a failing receiver and keeps each member in order; a restart tells nothing again', async () => {
    const { t, admin } = await webhookServer(open);
    // The check-in fails three times: the member's check-out must wait for it; B-2 need not.
    let checkIn = '';
    let failures = 0;
    const hook = await receiver((item) =>
      payloadOf(item).data.eventId === checkIn && failures++ < 3 ? 503 : 200,
    );
    await register(t, admin, hook.url);
    const door = await kioskDoor(t, open);
    const now = Date.now();
    checkIn = newEventId(now - 60_000);
    recordEvent(
      door.doc,
      { role: 'kiosk', id: door.deviceId },
      { kind: 'checkIn', memberId: 'B-1' },
      { id: checkIn, at: now - 60_000, clockTrusted: true, method: 'qr' },
    );
    const out = checkOut(door.doc, door.deviceId, 'B-1', now - 30_000);
    const other = kioskCheckIn(door.doc, door.deviceId, 'B-2', now - 20_000);
    await until(() => hook.received.length >= 6, 'three failures and three deliveries', DELIVERED);
    const order = hook.received.map((item) => payloadOf(item).data.eventId);
    expect(order.filter((id) => id !== other)).toEqual([checkIn, checkIn, checkIn, checkIn, out]);
    expect(order.filter((id) => id === other)).toHaveLength(1);
    const rows = await t.server.db.all<{ state: string; attempts: number }>(
      'select state, attempts from webhook_deliveries order by seq',
    );
    expect(rows.every((row) => row.state === 'delivered')).toBe(true);
    // The record rebuilt from the documents holds the same events: nothing is queued again.
    await t.server.db.run('delete from record_marks');
    await t.server.records.catchUp();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hook.received.length).toBe(6);
  });

  it('[I3] an endpoint failing for longer than the give-up time is paused, shown so, and resumed', async () => {
    const { t, admin } = await webhookServer(open, { giveUpAfterMs: 500 });
    let failing = true;
    const hook = await receiver(() => (failing ? 500 : 204));
    const made = await register(t, admin, hook.url);
    const door = await kioskDoor(t, open);
    kioskCheckIn(door.doc, door.deviceId, 'B-1', Date.now() - 1000);
    const id = made.body.endpoint.id;
    const listed = () =>
      t.api<WebhooksAnswer>('GET', '/api/integrations/webhooks', undefined, admin);
    await until(
      async () => (await listed()).body.endpoints[0]?.pausedAt !== null,
      'the endpoint paused',
      DELIVERED,
    );
    const paused = (await listed()).body.endpoints[0];
    expect(paused).toMatchObject({ failed: 1, lastStatus: 'HTTP 500' });
    expect(paused?.pauseReason).toMatch(/failed for over a day/);
    // While paused, events wait; resumed, they go.
    failing = false;
    const before = hook.received.length;
    const waiting = kioskCheckIn(door.doc, door.deviceId, 'B-2');
    await until(
      async () => (await listed()).body.endpoints[0]?.pending === 1,
      'one waiting',
      DELIVERED,
    );
    expect(hook.received.length).toBe(before);
    const resumed = await t.api(
      'PATCH',
      `/api/integrations/webhooks/${id}`,
      { paused: false },
      admin,
    );
    expect(resumed.status).toBe(200);
    await until(
      () => hook.received.some((item) => payloadOf(item).data.eventId === waiting),
      'the waiting delivery',
      DELIVERED,
    );
  });
});

describe('a burst [I3]', () => {
  it('[I3] a burst of check-ins is delivered once each, not again by a look that overlapped its delivery', async () => {
    const { t, admin } = await webhookServer(open);
    const hook = await receiver();
    await register(t, admin, hook.url, { events: ['check-in'] });
    const door = await kioskDoor(t, open);
    const now = Date.now();
    const ids = new Set<string>();
    door.doc.transact(() => {
      for (let i = 0; i < 300; i++)
        ids.add(kioskCheckIn(door.doc, door.deviceId, `S-${i}`, now - 300 + i));
    });
    await until(
      () => new Set(hook.received.map((item) => item.headers['webhook-id'])).size === 300,
      'all 300 delivered',
      DELIVERED,
    );
    // Whatever was in flight has settled: the sender polls every 50 ms here.
    await until(
      async () =>
        (await t.server.db.all("select seq from webhook_deliveries where state = 'pending'"))
          .length === 0,
      'nothing pending',
      DELIVERED,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hook.received).toHaveLength(300);
  }, 40_000);
});

describe('visits that close by themselves [I3]', () => {
  it('[I3] [V7] a visit nobody closed is told once, at the moment it closed by itself', async () => {
    const { t, admin } = await webhookServer(open);
    const hook = await receiver();
    // Made after the visit closed, but told of its check-in, which reaches the server now.
    await register(t, admin, hook.url, { events: ['check-in', 'visit-auto-closed'] });
    const kiosk = await pairKiosk(t);
    const yesterday = addDays(localDayOf(Date.now(), ZONE), -1);
    const door = connect(t, checkinsDocName(SITE, yesterday), kiosk.token);
    open.push(door);
    await door.outcome;
    // Noon yesterday: the default longest stay (4 h) closed it at 16:00 yesterday.
    const start = instantAt(yesterday, 12 * 60, ZONE);
    const id = kioskCheckIn(door.doc, kiosk.deviceId, 'B-1', start);
    await until(() => hook.received.length === 2, 'the check-in and its closing told', DELIVERED);
    const [checkIn, item] = hook.received as [Received, Received];
    expect(payloadOf(checkIn).type).toBe('check-in.v1');
    expect(item.headers['webhook-id']).toBe(`kiosk:${kiosk.deviceId}/${id}#auto-closed`);
    expect(payloadOf(item)).toMatchObject({
      type: 'visit-auto-closed.v1',
      timestamp: new Date(start + 240 * 60_000).toISOString(),
      data: { memberId: 'B-1', day: yesterday, detail: { visitStart: start } },
    });
    // Later scans find it again and queue nothing new.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(hook.received).toHaveLength(2);
  });
});

describe('webhook addresses [I4]', () => {
  it('[I4] refuses plain http elsewhere, and private-network endpoints from API keys', async () => {
    const { t, admin } = await webhookServer(open);
    const http = await register(t, admin, 'http://example.com/hook', {
      events: ['check-in'],
      privateNetwork: true,
    });
    expect(http.status).toBe(400);
    expect(http.body.error.code).toBe('bad-webhook-url');
    const unconfirmed = await register(t, admin, 'http://127.0.0.1:9/hook', {
      events: ['check-in'],
      privateNetwork: false,
    });
    expect(unconfirmed.status).toBe(400);
    const key = await t.api<CreatedApiKeyAnswer>(
      'POST',
      '/api/integrations/keys',
      { name: 'door', scopes: ['webhooks'] },
      admin,
    );
    const byKey = await register(t, key.body.key, 'http://127.0.0.1:9/hook', {
      events: ['check-in'],
      privateNetwork: true,
    });
    expect(byKey.status).toBe(403);
    const publicByKey = await register(t, key.body.key, 'https://hooks.example.com/x', {
      events: ['check-in'],
      privateNetwork: false,
    });
    expect(publicByKey.status).toBe(201);
    // A key sees only what it registered.
    await register(t, admin, 'https://other.example.com/x', {
      events: ['check-in'],
      privateNetwork: false,
    });
    const seen = await t.api<WebhooksAnswer>(
      'GET',
      '/api/integrations/webhooks',
      undefined,
      key.body.key,
    );
    expect(seen.body.endpoints.map((e) => e.url)).toEqual(['https://hooks.example.com/x']);
  });

  it('[I4] never reaches a non-public address unless told, and never follows a redirect', async () => {
    const { t, admin } = await webhookServer(open);
    const internal = await receiver();
    const redirecting = await receiver(() => ({ redirect: internal.url }));
    // https to this machine without "private network": the address is refused at connect.
    const port = new URL(internal.url).port;
    const sneaky = await register(t, admin, `https://localhost:${port}/hooks`, {
      events: ['check-in'],
      privateNetwork: false,
    });
    expect(sneaky.status).toBe(201);
    await register(t, admin, redirecting.url);
    const door = await kioskDoor(t, open);
    kioskCheckIn(door.doc, door.deviceId, 'B-1');
    await until(
      () => redirecting.received.length >= 1,
      'the redirecting receiver asked',
      DELIVERED,
    );
    const listed = async () =>
      (await t.api<WebhooksAnswer>('GET', '/api/integrations/webhooks', undefined, admin)).body
        .endpoints;
    await until(
      async () => (await listed()).every((e) => e.lastStatus !== null),
      'both endpoints attempted',
      DELIVERED,
    );
    const [toLocal, toRedirect] = await listed();
    expect(toLocal?.lastStatus).toMatch(/webhooks may not reach/);
    expect(toRedirect?.lastStatus).toBe('HTTP 302 (redirects are not followed)');
    expect(internal.received).toEqual([]);
  });
});
