import { afterEach, describe, expect, it } from 'vitest';
import { PAIRING_LIMITS, PairingLimits } from './PairingLimits';
import { apiFrom } from './testing/fromAddress';
import {
  metricsText,
  staffToken,
  startTestServer,
  type TestServer,
  until,
} from './testing/testServer';

const open: TestServer[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

async function server(pairing: Partial<typeof PAIRING_LIMITS> = {}): Promise<TestServer> {
  const t = await startTestServer({}, undefined, { limits: { pairing } });
  open.push(t);
  return t;
}

/** A fresh pairing code, as staff make one on the dashboard. */
async function newCode(t: TestServer): Promise<string> {
  const { token } = await staffToken(t);
  const made = await t.api<{ code: string }>('POST', '/api/pairing-codes', { name: 'Door' }, token);
  return made.body.code;
}

const pair = (t: TestServer, code: string, from = '127.0.0.1') =>
  apiFrom(t, from, 'POST', '/api/devices/pair', { code, appVersion: 'test' });

describe('pairing limits', () => {
  it("holds up a good code behind the same address for seconds at most after a staffer's typos", async () => {
    const t = await server();
    const good = await newCode(t);
    // Typos on one tablet: the first ones do not hold anyone up.
    for (let i = 0; i < 3; i++) expect((await pair(t, 'ABCD-EFGH')).status).toBe(403);
    const other = await newCode(t);
    expect((await pair(t, other)).status).toBe(200);
    // Ten more (the old limit blocked the whole gym for 10 minutes after ten).
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await pair(t, 'ABCD-EFGH')).status);
    expect(statuses.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
    expect(statuses).toContain(429);
    // Another tablet behind the same NAT, with the right code: in within the backoff (1 s).
    const typed = Date.now();
    await until(async () => (await pair(t, good)).status === 200, 'the good code paired', 5_000);
    expect(Date.now() - typed).toBeLessThan(PAIRING_LIMITS.address.baseMs + 1_000);
  });

  it('caps wrong codes across all addresses, and pairing resumes when the budget drains', async () => {
    const t = await server({ global: { capacity: 12, drainMs: 2_000 } });
    const good = await newCode(t);
    // Three addresses, four wrong codes each: under each address's own backoff (5 free).
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4'])
      for (let i = 0; i < 4; i++) expect((await pair(t, 'WXYZ-2345', from)).status).toBe(403);
    // A fourth address has never failed, yet the server-wide budget is spent.
    const refused = await pair(t, good, '127.0.0.5');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^[12]$/);
    expect(await metricsText(t)).toMatch(
      /headcount_auth_refusals_total\{reason="too-many-attempts"\} 1\b/,
    );
    await until(async () => (await pair(t, good, '127.0.0.5')).status === 200, 'paired', 5_000);
  });
});

describe('what counts as a wrong code', () => {
  it('takes a code typed in fullwidth characters, lower case, without its dash as the same code', async () => {
    const t = await server();
    const code = await newCode(t);
    const fullwidth = [...code.toLowerCase().replace('-', '')]
      .map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))
      .join('');
    expect((await pair(t, fullwidth)).status).toBe(200);
  });
});

describe('what guessing a pairing code gets in a day', () => {
  it('checks at most 1 000 an hour sustained however many addresses guess (README)', () => {
    const limits = new PairingLimits();
    const day = 24 * 3_600_000;
    let checked = 0;
    for (let now = 0, i = 0; now < day; now += 500, i++) {
      const attempt = limits.begin(`198.51.${(i >> 8) & 255}.${i & 255}`, now);
      if ('waitMs' in attempt) continue;
      checked++;
      attempt.fail(now);
    }
    // README: 1 000 in hand, then 1 000 an hour.
    expect(checked).toBeLessThanOrEqual(1_000 + 24_000 + 1);
    // 25 000 guesses at a 31^8 code space with ten live codes: about 3 × 10^-7 a day.
    expect((checked * 10) / 31 ** 8).toBeLessThan(3e-7);
  });
});
