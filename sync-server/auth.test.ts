import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { recordEvent } from '../shared/checkinsDoc';
import { checkinsDocName, siteDocName } from '../shared/docName';
import { newEventId } from '../shared/eventId';
import { localDayOf } from '../shared/localTime';
import { readSettings, writeSettings } from '../shared/siteDoc';
import {
  connect,
  forgeToken,
  metricsText,
  pairKiosk,
  SITE,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';
import { AUDIENCE, ISSUER } from './tokens';

let t: TestServer;
const today = localDayOf(Date.now(), ZONE);
const checkins = checkinsDocName(SITE, today);
const site = siteDocName(SITE);

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

async function refusal(token: string | null, name = checkins): Promise<string> {
  const client = connect(t, name, token);
  const outcome = await client.outcome;
  client.destroy();
  return outcome.ok ? `accepted (${outcome.scope})` : outcome.reason;
}

describe('authentication', () => {
  it('refuses a connection without a token', async () => {
    expect(await refusal(null)).toBe('no-token');
  });

  it('refuses garbage', async () => {
    expect(await refusal('not.a.jwt')).toBe('malformed-token');
  });

  it('refuses a token signed with another key', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const token = await new SignJWT({ role: 'staff', site: SITE })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('someone')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    expect(await refusal(token)).toBe('bad-signature');
  });

  it('refuses an unsigned token (alg none)', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ role: 'admin', site: null, sub: 'x', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 600 })}.`;
    expect(await refusal(token)).toBe('bad-algorithm');
  });

  it('refuses an expired token, one not yet valid, and one for another audience', async () => {
    const { id } = await staffToken(t);
    const claims = { role: 'staff', site: SITE };
    const past = Math.floor(Date.now() / 1000) - 3600;
    expect(
      await refusal(
        await forgeToken(t, claims, (j) =>
          j
            .setSubject(id)
            .setIssuedAt(past)
            .setExpirationTime(past + 60),
        ),
      ),
    ).toBe('expired');
    expect(
      await refusal(await forgeToken(t, claims, (j) => j.setSubject(id).setNotBefore('1h'))),
    ).toBe('not-yet-valid');
    expect(
      await refusal(
        await forgeToken(t, claims, (j) => j.setSubject(id).setAudience('another-service')),
      ),
    ).toBe('wrong-audience');
  });

  it("refuses another site's documents and names that are not documents", async () => {
    const { token } = await staffToken(t);
    expect(await refusal(token, checkinsDocName('harbour', today))).toBe('wrong-site');
    expect(await refusal(token, 'notes/secret')).toBe('unknown-document');
  });

  it('counts every refusal in /metrics by its reason', async () => {
    const metrics = await metricsText(t);
    for (const reason of [
      'no-token',
      'malformed-token',
      'bad-signature',
      'bad-algorithm',
      'expired',
      'wrong-site',
    ]) {
      expect(metrics).toMatch(
        new RegExp(`headcount_auth_refusals_total\\{reason="${reason}"\\} [1-9]`),
      );
    }
  });

  it('refuses a revoked device, even with an unexpired token', async () => {
    const kiosk = await pairKiosk(t);
    expect(await refusal(kiosk.token)).toBe('accepted (read-write)');
    await t.server.devices.revoke(kiosk.deviceId);
    expect(await refusal(kiosk.token)).toBe('revoked');
  });
});

describe('authorisation: each role gets exactly its scope', () => {
  it('gives a kiosk read-write check-ins and a read-only site document', async () => {
    const { token } = await pairKiosk(t);
    expect(await refusal(token, checkins)).toBe('accepted (read-write)');
    expect(await refusal(token, site)).toBe('accepted (readonly)');
  });

  it('gives staff read-write on both, a viewer read-only on both, an admin every site', async () => {
    const staff = await staffToken(t, 'staff');
    const viewer = await staffToken(t, 'viewer');
    const admin = await staffToken(t, 'admin');
    for (const name of [checkins, site]) {
      expect(await refusal(staff.token, name)).toBe('accepted (read-write)');
      expect(await refusal(viewer.token, name)).toBe('accepted (readonly)');
    }
    await t.server.sites.create({ id: 'harbour', name: 'Harbour', timeZone: 'UTC' });
    expect(await refusal(admin.token, siteDocName('harbour'))).toBe('accepted (read-write)');
    // [C1] A site nobody created is nobody's, an admin's neither.
    expect(await refusal(admin.token, siteDocName('nowhere'))).toBe('unknown-document');
  });

  it('neither persists nor relays what a kiosk writes into its site document', async () => {
    const kiosk = await pairKiosk(t);
    const staff = await staffToken(t);
    const watcher = connect(t, site, staff.token);
    const writer = connect(t, site, kiosk.token);
    await Promise.all([watcher.outcome, writer.outcome]);
    writeSettings(writer.doc, { capacity: 7 });
    // A legitimate write after it proves the channel works and gives the bad one time to land.
    const marker = connect(t, site, staff.token);
    await marker.outcome;
    writeSettings(marker.doc, { closingTime: '21:00' });
    await until(
      () => readSettings(watcher.doc).settings.closingTime === '21:00',
      'the staff write to arrive',
    );
    expect(readSettings(watcher.doc).settings.capacity).toBeNull();
    const stored = t.server.hocuspocus.documents.get(site);
    expect(stored?.getMap('settings').has('capacity')).toBe(false);
    for (const c of [watcher, writer, marker]) c.destroy();
  });

  it('neither persists nor relays what a viewer writes', async () => {
    const viewer = await staffToken(t, 'viewer');
    const kiosk = await pairKiosk(t);
    const watcher = connect(t, checkins, kiosk.token);
    const writer = connect(t, checkins, viewer.token);
    await Promise.all([watcher.outcome, writer.outcome]);
    const at = Date.now();
    recordEvent(
      writer.doc,
      { role: 'staff', id: viewer.id },
      { kind: 'checkOutAll' },
      { id: newEventId(at), at, clockTrusted: true, method: 'staff' },
    );
    recordEvent(
      watcher.doc,
      { role: 'kiosk', id: kiosk.deviceId },
      { kind: 'checkIn', memberId: 'M1' },
      { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
    );
    await until(
      () => writer.doc.share.has(`kiosk:${kiosk.deviceId}`),
      'the kiosk write to reach the viewer',
    );
    expect(watcher.doc.share.has(`staff:${viewer.id}`)).toBe(false);
    expect(t.server.hocuspocus.documents.get(checkins)?.share.has(`staff:${viewer.id}`)).toBe(
      false,
    );
    for (const c of [watcher, writer]) c.destroy();
  });
});

describe('live token renewal', () => {
  it('asks a live connection for a fresh token before the old one expires, and keeps it open', async () => {
    const short = await startTestServer({ ACCESS_TOKEN_TTL: '30' });
    try {
      const { id } = await staffToken(short);
      let calls = 0;
      const client = connect(short, checkins, async () => {
        calls++;
        return short.server.tokens.issue({ role: 'staff', siteId: SITE, subject: id });
      });
      expect((await client.outcome).ok).toBe(true);
      // Renewal is asked for half-way through a 30 s token.
      await until(() => calls >= 2, 'a token renewal request', 25_000);
      const doc = new Y.Doc();
      const second = connect(
        short,
        checkins,
        await short.server.tokens.issue({ role: 'staff', siteId: SITE, subject: id }),
        doc,
      );
      await second.outcome;
      expect(client.provider.isAuthenticated).toBe(true);
      client.destroy();
      second.destroy();
    } finally {
      await short.close();
    }
  }, 40_000);
});
