import { type ApiAnswer, apiRequest, errorOf } from '../apiRequest';
import { type KeyValueStore, readJson, writeJson } from './KeyValueStore';

/** What a paired tablet keeps: its credential and what it learned at pairing. */
export interface DeviceCredential {
  readonly deviceId: string;
  readonly deviceSecret: string;
  readonly siteId: string;
  readonly name: string;
}

/** The server refused this device's credential: it was revoked; pair again. */
export class DeviceRevokedError extends Error {
  override name = 'DeviceRevokedError';
}

/**
 * No access token now, for a reason that says nothing about this tablet (a proxy's error page,
 * `bad-origin` from a misconfigured proxy, a 5xx, the network, a timeout): the credential is
 * kept, the kiosk keeps recording offline, and asking again after `retryInMs` may work.
 */
export class TokenUnavailableError extends Error {
  override name = 'TokenUnavailableError';
  /** How long this tablet waits before it asks the server again, ms. */
  readonly retryInMs: number;

  constructor(message: string, retryInMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.retryInMs = retryInMs;
  }
}

/**
 * The tablet's site is archived (`site-archived` from the token endpoint): it takes no check-ins
 * there, keeps its credential and what it holds, and asks again after `retryInMs` in case the
 * site is restored.
 */
export class SiteArchivedError extends TokenUnavailableError {
  override name = 'SiteArchivedError';
}

/**
 * The token endpoint's error codes that mean this credential will never work again, and the
 * only answers that make a tablet forget it (see `POST /api/devices/token` in sync-server/api.ts
 * and `DeviceRegistry.authenticate`): `revoked` (staff removed the device) and
 * `bad-device-credential` (no device with this id and secret). Everything else, `bad-origin`
 * included, is a reason to try again later, never to unpair.
 */
export const CREDENTIAL_REFUSALS: readonly string[] = ['revoked', 'bad-device-credential'];

/** Pairing failed: the code is unknown, used, expired, or too many attempts were made. */
export class PairingError extends Error {
  override name = 'PairingError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const KEY = 'headcount.device';
/** Renew the access token this long before it expires, ms. */
const RENEW_BEFORE_MS = 60_000;
/** A token request unanswered after this long is given up (a hung proxy), ms; default 10 s. */
const TOKEN_TIMEOUT_MS = 10_000;
/**
 * After a failed token request the tablet waits before asking again, ms: 2 s, doubling, at most
 * 30 s (a gym's 30 tablets must not hammer a proxy or a restarting server, and a fixed proxy is
 * used again within half a minute). A `Retry-After` from the server lengthens it, to 5 min.
 */
const RETRY = { firstMs: 2_000, maxMs: 30_000, retryAfterMaxMs: 5 * 60_000 };
/**
 * While the site is archived the tablet asks again after 30 s, doubling, at most 5 min: an
 * archive lasts days or for good, so asking seldom costs nothing, and a restored site's tablets
 * deliver what they hold within five minutes.
 */
const ARCHIVED_RETRY = { firstMs: 30_000, maxMs: 5 * 60_000 };

/**
 * The tablet's identity: pairs with a one-time code, keeps the device credential, and turns it
 * into short-lived access tokens for the sync provider's `token` function (called on every
 * connect and on the server's renewal requests). Tokens never go into URLs.
 *
 * The credential is forgotten only when the token endpoint itself answers that this device is
 * revoked or unknown (`CREDENTIAL_REFUSALS`): an unpaired tablet stops recording check-ins, so a
 * proxy's mistake must never look like a revocation.
 */
export class DeviceAuth {
  private readonly baseUrl: string;
  private readonly store: KeyValueStore;
  /** The build this tablet runs, told to the server and to staff. */
  readonly appVersion: string;
  private readonly timeoutMs: number;
  private readonly retry: { firstMs: number; maxMs: number };
  private readonly archivedRetry: { firstMs: number; maxMs: number };
  private cached: { token: string; expiresAt: number } | null = null;
  /** The token request in flight: every document asks at once when the socket opens. */
  private inFlight: Promise<string> | null = null;
  /** Token requests failed in a row, and when the next may be sent (ms since the epoch). */
  private failures = 0;
  private notBefore = 0;
  /** The last answer was that the site is archived. */
  private archived = false;

  constructor(options: {
    baseUrl: string;
    store: KeyValueStore;
    appVersion: string;
    /** Gives up an unanswered token request after this long, ms (default 10 s). */
    timeoutMs?: number;
    /** Waits between failed token requests, ms (default 2 s doubling to 30 s). */
    retry?: { firstMs: number; maxMs: number };
    /** Waits between token requests while the site is archived, ms (default 30 s to 5 min). */
    archivedRetry?: { firstMs: number; maxMs: number };
  }) {
    this.baseUrl = options.baseUrl;
    this.store = options.store;
    this.appVersion = options.appVersion;
    this.timeoutMs = options.timeoutMs ?? TOKEN_TIMEOUT_MS;
    this.retry = options.retry ?? RETRY;
    this.archivedRetry = options.archivedRetry ?? ARCHIVED_RETRY;
  }

  get credential(): DeviceCredential | null {
    return readJson<DeviceCredential>(this.store, KEY);
  }

  async pair(code: string): Promise<DeviceCredential> {
    const { status, body } = await this.post('/api/devices/pair', {
      code,
      appVersion: this.appVersion,
    });
    if (status !== 200) {
      const { code: reason, message } = errorOf({ status, body, text: '' });
      throw new PairingError(reason, message);
    }
    const credential = body as unknown as DeviceCredential;
    writeJson(this.store, KEY, {
      deviceId: credential.deviceId,
      deviceSecret: credential.deviceSecret,
      siteId: credential.siteId,
      name: credential.name,
    });
    this.cached = null;
    this.failures = 0;
    this.notBefore = 0;
    return credential;
  }

  /**
   * A valid access token. Throws `DeviceRevokedError` (and forgets the credential) only when the
   * server says this device is revoked or unknown; `SiteArchivedError` while its site is
   * archived; `TokenUnavailableError` for anything else.
   */
  readonly token = async (): Promise<string> => {
    if (this.cached && this.cached.expiresAt - RENEW_BEFORE_MS > Date.now())
      return this.cached.token;
    const credential = this.credential;
    if (!credential) throw new DeviceRevokedError('this tablet is not paired');
    const wait = this.notBefore - Date.now();
    if (wait > 0) {
      const message = `no access token: asking the server again in ${Math.ceil(wait / 1000)} s`;
      throw this.archived
        ? new SiteArchivedError(`the site is archived; ${message}`, wait)
        : new TokenUnavailableError(message, wait);
    }
    this.inFlight ??= this.requestToken(credential).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  };

  /** Forgets the access token in memory: the next `token()` asks the server for a new one. */
  dropToken(): void {
    this.cached = null;
  }

  forget(): void {
    this.store.removeItem(KEY);
    this.cached = null;
  }

  private async requestToken(credential: DeviceCredential): Promise<string> {
    let answer: { status: number; text: string; json: boolean; retryAfter: string | null };
    try {
      const response = await fetch(new URL('/api/devices/token', this.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          deviceId: credential.deviceId,
          deviceSecret: credential.deviceSecret,
          appVersion: this.appVersion,
        }),
        // Covers reading the body too: a proxy that sends headers and then hangs is given up.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      answer = {
        status: response.status,
        text: await response.text(),
        json: response.headers.get('content-type')?.includes('json') ?? false,
        retryAfter: response.headers.get('retry-after'),
      };
    } catch (error) {
      // Offline, connection refused or reset, DNS, TLS, or no answer in time.
      throw this.unavailable(
        `the server could not be reached (${describeError(error)})`,
        null,
        error,
      );
    }
    const body = answer.json ? parseObject(answer.text) : null;
    if (answer.status === 200) {
      const accessToken = body?.accessToken;
      const expiresIn = body?.expiresIn;
      if (typeof accessToken !== 'string' || accessToken === '' || typeof expiresIn !== 'number')
        throw this.unavailable('the answer was not an access token', answer.retryAfter);
      this.failures = 0;
      this.notBefore = 0;
      this.archived = false;
      this.cached = { token: accessToken, expiresAt: Date.now() + expiresIn * 1000 };
      return accessToken;
    }
    const error = body?.error as { code?: unknown; message?: unknown } | undefined;
    const code = typeof error?.code === 'string' ? error.code : null;
    if (
      (answer.status === 401 || answer.status === 403) &&
      CREDENTIAL_REFUSALS.includes(code ?? '')
    ) {
      const now = this.credential;
      // Paired again while this request was out: the refusal was for the old credential.
      if (now && now.deviceSecret !== credential.deviceSecret) return this.requestToken(now);
      this.forget();
      throw new DeviceRevokedError(
        code === 'revoked'
          ? 'this tablet was removed by staff: pair it again'
          : 'the server does not know this tablet: pair it again',
      );
    }
    if ((answer.status === 401 || answer.status === 403) && code === 'site-archived') {
      const wait = this.backoff(this.archivedRetry, answer.retryAfter);
      this.archived = true;
      throw new SiteArchivedError(
        `the site is archived: no check-ins are taken; keeping this tablet's credential and what it holds, asking again in ${Math.ceil(wait / 1000)} s`,
        wait,
      );
    }
    throw this.unavailable(
      `the server answered ${answer.status}${code === null ? '' : ` ${code}`}`,
      answer.retryAfter,
    );
  }

  /** Counts a failed token request, sets the wait before the next, and says so. */
  private unavailable(
    why: string,
    retryAfter: string | null,
    cause?: unknown,
  ): TokenUnavailableError {
    const wait = this.backoff(this.retry, retryAfter);
    this.archived = false;
    return new TokenUnavailableError(
      `no access token: ${why}; keeping this tablet's credential, asking again in ${Math.ceil(wait / 1000)} s`,
      wait,
      { cause },
    );
  }

  /** Counts a failed token request and sets, and returns, the wait before the next, ms. */
  private backoff(retry: { firstMs: number; maxMs: number }, retryAfter: string | null): number {
    this.failures += 1;
    const backoff = Math.min(retry.maxMs, retry.firstMs * 2 ** (this.failures - 1));
    // Up to a quarter less, at random: tablets that failed together do not retry together.
    const jittered = Math.round(backoff * (1 - Math.random() * 0.25));
    const wait = Math.max(jittered, retryAfterMs(retryAfter));
    this.notBefore = Date.now() + wait;
    return wait;
  }

  private post(path: string, body: unknown): Promise<ApiAnswer> {
    return apiRequest(this.baseUrl, 'POST', path, { body });
  }
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** A `Retry-After` in seconds (the form our server and proxies send), ms; 0 when absent. */
function retryAfterMs(header: string | null): number {
  const seconds = header === null ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds > 0
    ? Math.min(seconds * 1000, RETRY.retryAfterMaxMs)
    : 0;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
