import type { SessionAnswer, SiteSummary, StaffRole } from '../../shared/apiProtocol';
import { type ApiAnswer, apiRequest, errorOf } from '../apiRequest';
import { type KeyValueStore, readJson, writeJson } from '../device/KeyValueStore';

export type { SiteSummary, StaffRole };

/** Who is signed in, as the server described them at sign-in or at the last refresh. */
export interface StaffIdentity {
  readonly id: string;
  readonly username: string;
  /** The account's role at `siteId`. */
  readonly role: StaffRole;
  /**
   * The site this dashboard shows and its access token is for: the one last chosen on this
   * phone (kept across reloads), else the server's choice at sign-in.
   */
  readonly siteId: string;
}

/** The server no longer accepts this session: the person must sign in again. */
export class SignedOutError extends Error {
  override name = 'SignedOutError';
}

/** Sign-in failed; `code` is the server's machine-readable reason (bad-credentials, …). */
export class SignInError extends Error {
  override name = 'SignInError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * The server would not switch to a site (`code`: `wrong-site` when the account may not open
 * it): the session is on the site the server chose instead ([S3]), `StaffSession.staff` says
 * which.
 */
export class SiteSwitchError extends Error {
  override name = 'SiteSwitchError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const KEY = 'headcount.staff-session';
/** Renew the access token this long before it expires, ms. */
const RENEW_BEFORE_MS = 60_000;
/** Web Lock around refreshing: a refresh credential is single use, and tabs share it. */
const REFRESH_LOCK = 'headcount-staff-refresh';

interface Stored {
  readonly refreshToken: string;
  readonly staff: StaffIdentity;
  /** Every site the account may switch to (absent in a session stored before sites). */
  readonly sites?: readonly SiteSummary[];
}

/**
 * A staff member's session on a phone: signs in with username and password, keeps only the
 * rotating refresh credential (in `store`), and turns it into short-lived access tokens for the
 * sync provider and the API. The access token lives in memory only; nothing goes into a URL.
 */
export class StaffSession {
  private readonly baseUrl: string;
  private readonly store: KeyValueStore;
  private cached: { token: string; expiresAt: number } | null = null;
  private refreshing: Promise<string> | null = null;

  constructor(options: { baseUrl: string; store: KeyValueStore }) {
    this.baseUrl = options.baseUrl;
    this.store = options.store;
  }

  /** The signed-in person, or null. Known offline too, so the dashboard opens without a network. */
  get staff(): StaffIdentity | null {
    return readJson<Stored>(this.store, KEY)?.staff ?? null;
  }

  /** Every site the account may switch to, as the server last listed them (known offline). */
  get sites(): readonly SiteSummary[] {
    return readJson<Stored>(this.store, KEY)?.sites ?? [];
  }

  /** Keeps a newer list of the account's sites (`GET /api/sites`) with the session. */
  keepSites(sites: readonly SiteSummary[]): void {
    const stored = readJson<Stored>(this.store, KEY);
    if (stored) writeJson(this.store, KEY, { ...stored, sites } satisfies Stored);
  }

  /** True for the storage key this session lives under (a `storage` event from another tab). */
  isSessionKey(key: string | null): boolean {
    return key === KEY || key === null;
  }

  async signIn(username: string, password: string): Promise<StaffIdentity> {
    const { status, body } = await this.post('/api/session', { username, password });
    if (status !== 200) {
      const { code, message } = errorOf({ status, body, text: '' });
      throw new SignInError(code, message);
    }
    return this.keep(body as unknown as SessionAnswer);
  }

  /**
   * Chooses the account's password with the one-time set-up code an admin was given ([C5]), and
   * signs in: the server answers exactly as a sign-in does. Throws `SignInError` with the
   * server's code: `bad-setup-link` (unknown, used or expired), `invalid` (password too short),
   * `too-many-attempts` (its message says how long to wait: a cross-origin page cannot read
   * `Retry-After`); a network error offline.
   */
  async setUp(code: string, password: string): Promise<StaffIdentity> {
    const { status, body } = await this.post('/api/accounts/setup', { code, password });
    if (status !== 200) {
      const { code: reason, message } = errorOf({ status, body, text: '' });
      throw new SignInError(reason, message);
    }
    return this.keep(body as unknown as SessionAnswer);
  }

  /**
   * A valid access token, refreshed when due. Throws `SignedOutError` when the server refuses the
   * refresh credential (signed out elsewhere, account disabled), and a network error offline.
   */
  readonly token = async (): Promise<string> => {
    if (this.cached && this.cached.expiresAt - RENEW_BEFORE_MS > Date.now())
      return this.cached.token;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  };

  /**
   * Trades the refresh credential for a session of `siteId` (one of `sites`): from then on every
   * access token is for that site, here and after a reload. Throws a network error offline (the
   * session stays as it was), `SignedOutError` when the session ended, and `SiteSwitchError`
   * when the server answered for another site (the account may not open `siteId`).
   */
  async switchSite(siteId: string): Promise<StaffIdentity> {
    // A refresh under way rotates the credential: switch with the one it leaves.
    await this.refreshing?.catch(() => {});
    await this.refresh(siteId);
    return this.staff as StaffIdentity;
  }

  /** Ends the session on the server (when reachable) and forgets it here. */
  async signOut(): Promise<void> {
    const stored = readJson<Stored>(this.store, KEY);
    this.forget();
    if (!stored) return;
    try {
      await this.post('/api/session/end', { refreshToken: stored.refreshToken });
    } catch {
      // Offline: the credential is forgotten here and expires on the server by itself.
    }
  }

  /** Forgets the access token in memory: the next `token()` refreshes. */
  dropToken(): void {
    this.cached = null;
  }

  forget(): void {
    this.store.removeItem(KEY);
    this.cached = null;
  }

  /**
   * A new access token for the site last chosen here, or for `switchTo`. A refresh credential
   * works for every site of the account, so the site is named on every refresh: without it the
   * server would answer with the account's own (an admin's: the default one).
   */
  private async refresh(switchTo?: string): Promise<string> {
    const run = async (): Promise<string> => {
      // Another tab may have refreshed while this one waited for the lock: read the store again.
      const stored = readJson<Stored>(this.store, KEY);
      if (!stored) throw new SignedOutError('not signed in');
      const siteId = switchTo ?? stored.staff.siteId;
      const { status, body } = await this.post('/api/session/refresh', {
        refreshToken: stored.refreshToken,
        siteId,
      });
      if (status === 401) {
        // A tab that refreshed after our read rotated the credential: use its new one once.
        const now = readJson<Stored>(this.store, KEY);
        if (now && now.refreshToken !== stored.refreshToken) return run();
        this.forget();
        throw new SignedOutError('the session ended: sign in again');
      }
      if (status !== 200) throw new Error(`token refresh failed: ${status}`);
      // A site the account may no longer open is answered with one it may ([S3]): the dashboard
      // follows the identity's site.
      const staff = this.keep(body as unknown as SessionAnswer);
      if (switchTo !== undefined && staff.siteId !== switchTo)
        throw new SiteSwitchError('wrong-site', 'this account may not open that site');
      return (this.cached as { token: string }).token;
    };
    const locks = globalThis.navigator?.locks;
    return locks ? locks.request(REFRESH_LOCK, () => run()) : run();
  }

  private keep(answer: SessionAnswer): StaffIdentity {
    // The token is for `answer.siteId`; the account's own site is the answer of older servers.
    const siteId = answer.siteId || answer.staff.siteId;
    if (!siteId) throw new SignInError('no-site', 'this account has no site to show');
    const sites = answer.sites ?? [];
    const staff: StaffIdentity = {
      id: answer.staff.id,
      username: answer.staff.username,
      role: sites.find((site) => site.id === siteId)?.role ?? answer.staff.role,
      siteId,
    };
    writeJson(this.store, KEY, {
      refreshToken: answer.refreshToken,
      staff,
      sites,
    } satisfies Stored);
    this.cached = { token: answer.accessToken, expiresAt: Date.now() + answer.expiresIn * 1000 };
    return staff;
  }

  private post(path: string, body: unknown): Promise<ApiAnswer> {
    return apiRequest(this.baseUrl, 'POST', path, { body });
  }
}
