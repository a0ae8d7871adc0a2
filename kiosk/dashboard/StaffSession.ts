import type { SessionAnswer, StaffRole } from '../../shared/apiProtocol';
import { type ApiAnswer, apiRequest, errorOf } from '../apiRequest';
import { type KeyValueStore, readJson, writeJson } from '../device/KeyValueStore';

export type { StaffRole };

/** Who is signed in, as the server described them at sign-in. */
export interface StaffIdentity {
  readonly id: string;
  readonly username: string;
  readonly role: StaffRole;
  /** The site this dashboard shows (an admin's is the server's default site). */
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

const KEY = 'headcount.staff-session';
/** Renew the access token this long before it expires, ms. */
const RENEW_BEFORE_MS = 60_000;
/** Web Lock around refreshing: a refresh credential is single use, and tabs share it. */
const REFRESH_LOCK = 'headcount-staff-refresh';

interface Stored {
  readonly refreshToken: string;
  readonly staff: StaffIdentity;
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

  private async refresh(): Promise<string> {
    const run = async (): Promise<string> => {
      // Another tab may have refreshed while this one waited for the lock: read the store again.
      const stored = readJson<Stored>(this.store, KEY);
      if (!stored) throw new SignedOutError('not signed in');
      const { status, body } = await this.post('/api/session/refresh', {
        refreshToken: stored.refreshToken,
      });
      if (status === 401) {
        // A tab that refreshed after our read rotated the credential: use its new one once.
        const now = readJson<Stored>(this.store, KEY);
        if (now && now.refreshToken !== stored.refreshToken) return run();
        this.forget();
        throw new SignedOutError('the session ended: sign in again');
      }
      if (status !== 200) throw new Error(`token refresh failed: ${status}`);
      this.keep(body as unknown as SessionAnswer);
      return (this.cached as { token: string }).token;
    };
    const locks = globalThis.navigator?.locks;
    return locks ? locks.request(REFRESH_LOCK, run) : run();
  }

  private keep(answer: SessionAnswer): StaffIdentity {
    const siteId = answer.staff.siteId ?? answer.siteId;
    if (!siteId) throw new SignInError('no-site', 'this account has no site to show');
    const staff: StaffIdentity = {
      id: answer.staff.id,
      username: answer.staff.username,
      role: answer.staff.role,
      siteId,
    };
    writeJson(this.store, KEY, { refreshToken: answer.refreshToken, staff } satisfies Stored);
    this.cached = { token: answer.accessToken, expiresAt: Date.now() + answer.expiresIn * 1000 };
    return staff;
  }

  private post(path: string, body: unknown): Promise<ApiAnswer> {
    return apiRequest(this.baseUrl, 'POST', path, { body });
  }
}
