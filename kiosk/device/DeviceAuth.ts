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

/**
 * The tablet's identity: pairs with a one-time code, keeps the device credential, and turns it
 * into short-lived access tokens for the sync provider's `token` function (called on every
 * connect and on the server's renewal requests). Tokens never go into URLs.
 */
export class DeviceAuth {
  private readonly baseUrl: string;
  private readonly store: KeyValueStore;
  /** The build this tablet runs, told to the server and to staff. */
  readonly appVersion: string;
  private cached: { token: string; expiresAt: number } | null = null;

  constructor(options: { baseUrl: string; store: KeyValueStore; appVersion: string }) {
    this.baseUrl = options.baseUrl;
    this.store = options.store;
    this.appVersion = options.appVersion;
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
    return credential;
  }

  /** A valid access token; throws `DeviceRevokedError` (and forgets the credential) if revoked. */
  readonly token = async (): Promise<string> => {
    if (this.cached && this.cached.expiresAt - RENEW_BEFORE_MS > Date.now())
      return this.cached.token;
    const credential = this.credential;
    if (!credential) throw new DeviceRevokedError('this tablet is not paired');
    const { status, body } = await this.post('/api/devices/token', {
      deviceId: credential.deviceId,
      deviceSecret: credential.deviceSecret,
      appVersion: this.appVersion,
    });
    if (status === 403) {
      this.forget();
      throw new DeviceRevokedError('this tablet was removed by staff: pair it again');
    }
    if (status !== 200) throw new Error(`token request failed: ${status}`);
    const { accessToken, expiresIn } = body as { accessToken: string; expiresIn: number };
    this.cached = { token: accessToken, expiresAt: Date.now() + expiresIn * 1000 };
    return accessToken;
  };

  /** Forgets the access token in memory: the next `token()` asks the server for a new one. */
  dropToken(): void {
    this.cached = null;
  }

  forget(): void {
    this.store.removeItem(KEY);
    this.cached = null;
  }

  private post(path: string, body: unknown): Promise<ApiAnswer> {
    return apiRequest(this.baseUrl, 'POST', path, { body });
  }
}
