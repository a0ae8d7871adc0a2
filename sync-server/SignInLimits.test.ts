import { afterEach, describe, expect, it } from 'vitest';
import { type SIGN_IN_LIMITS, SignInLimits } from './SignInLimits';
import { apiFrom } from './testing/fromAddress';
import { startTestServer, type TestServer, until } from './testing/testServer';

const open: TestServer[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

const PASSWORD = 'long enough password';

/** A server with one account, `boss`, and the sign-in limits given. */
async function serverWithBoss(signIn: Partial<typeof SIGN_IN_LIMITS> = {}): Promise<TestServer> {
  const t = await startTestServer({}, undefined, { limits: { signIn } });
  open.push(t);
  await t.server.staff.create({
    username: 'boss',
    password: PASSWORD,
    role: 'admin',
    siteId: null,
  });
  return t;
}

const signIn = (t: TestServer, username: string, password: string, from = '127.0.0.1') =>
  apiFrom(t, from, 'POST', '/api/session', { username, password });

describe('sign-in limits against a guesser', () => {
  it('checks at most four of 200 concurrent wrong guesses at one account', async () => {
    const t = await serverWithBoss();
    const before = t.server.staff.passwordChecks;
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => signIn(t, 'boss', `guess number ${i}`)),
    );
    const checked = t.server.staff.passwordChecks - before;
    // One in the lane of addresses that never failed, then the three free ones of this address's
    // lane; every other guess was refused before its hash ran.
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(4);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(checked);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(200 - checked);
    const refused = answers.find((a) => a.status === 429);
    expect(refused?.headers['retry-after']).toMatch(/^\d+$/);
    // The owner, elsewhere, is not held up at all.
    expect((await signIn(t, 'boss', PASSWORD, '127.0.0.2')).status).toBe(200);
  });

  it('counts Unicode-padded, upper-case and fullwidth spellings of a username as one account', async () => {
    const t = await serverWithBoss();
    await expect(
      t.server.staff.create({
        username: '\u00a0ＢＯＳＳ\u3000',
        password: PASSWORD,
        role: 'staff',
        siteId: 'riverside',
      }),
    ).rejects.toThrow(/boss is taken/);
    const spellings = ['boss\u2003', ' BOSS', 'ｂｏｓｓ', '\u00a0Boss\u3000', 'boss\u200b', 'boss'];
    const before = t.server.staff.passwordChecks;
    const statuses: number[] = [];
    for (const username of [...spellings, ...spellings])
      statuses.push((await signIn(t, username, 'a wrong guess')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429, 429]);
    expect(t.server.staff.passwordChecks - before).toBe(4);
    // And each spelling is the account: the right password works under any of them.
    expect((await signIn(t, 'ｂｏｓｓ\u2003', PASSWORD, '127.0.0.2')).status).toBe(200);
  });

  it("does not let a guesser behind the gym's address lock the owner out beyond the cap", async () => {
    const capMs = 400;
    const t = await serverWithBoss({
      account: { free: 3, baseMs: 100, capMs, forgetMs: 60_000 },
    });
    // Twelve wrong guesses, as fast as the limits allow: the backoff climbs to its cap (and
    // without the cap, would be at 100 ms × 2^8 = 25.6 s).
    let guesses = 0;
    let refusals = 0;
    let elsewhere = 0;
    const giveUpAt = Date.now() + 20_000;
    while (guesses < 12 && Date.now() < giveUpAt) {
      const answer = await signIn(t, 'boss', `guess ${guesses}`);
      if (answer.status === 401) guesses++;
      else refusals++;
      // An honest phone at another address signs in at once, mid-attack.
      if (elsewhere === 0 && refusals > 0)
        elsewhere = (await signIn(t, 'boss', PASSWORD, '127.0.0.2')).status;
    }
    expect(elsewhere).toBe(200);
    expect(refusals).toBeGreaterThan(0);
    // The owner behind the same address: refused for at most the cap after the last guess.
    const stopped = Date.now();
    await until(
      async () => (await signIn(t, 'boss', PASSWORD)).status === 200,
      'the owner signed in from the same address',
      5_000,
    );
    // The cap, and the time the hash of the right password takes on a busy machine.
    expect(Date.now() - stopped).toBeLessThan(capMs + 1_500);
  }, 30_000);
});

describe('what a guesser gets in a day', () => {
  const day = 24 * 3_600_000;
  // README: at the cap, one guess a minute per lane.
  const perLane = 1_440;
  /** Wrong guesses checked in a day of trying every second, from `addressOf(i)`. */
  const checkedInADay = (addressOf: (i: number) => string) => {
    const limits = new SignInLimits();
    let checked = 0;
    for (let now = 0, i = 0; now < day; now += 1_000, i++) {
      const attempt = limits.begin('boss', addressOf(i), now);
      if ('waitMs' in attempt) continue;
      checked++;
      attempt.fail(now + 50);
    }
    return checked;
  };
  const fresh = (i: number) => `198.51.${(i >> 8) & 255}.${i & 255}`;

  it('gives one address at most one guess a minute at an account (README)', () => {
    expect(checkedInADay(() => '203.0.113.7')).toBeLessThanOrEqual(perLane + 20);
  });

  it('gives a guesser with a new address for every guess no more', () => {
    expect(checkedInADay(fresh)).toBeLessThanOrEqual(perLane + 20);
  });

  it('gives a guesser using both lanes at most two a minute: 2 880 a day (README)', () => {
    const both = checkedInADay((i) => (i % 2 === 0 ? '203.0.113.7' : fresh(i)));
    expect(both).toBeGreaterThan(perLane);
    expect(both).toBeLessThanOrEqual(2 * perLane + 20);
  });
});
