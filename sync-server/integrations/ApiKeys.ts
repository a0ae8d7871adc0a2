import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyInfo } from '../../shared/integrationProtocol';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../shared/integrations';
import type { Sql } from '../storage/Sql';

/**
 * API keys for machine clients ([I1]): a billing system, an access door, a marketing tool. A key
 * is `hck_<id>_<secret>`: the id finds the row, and only a SHA-256 of the secret is kept (the
 * secret is 256 random bits, so a slow hash would add nothing); it is compared in constant time.
 * A key is shown once, when made. Every check reads the row, so a revoked key stops working at
 * once on every instance that shares the database.
 */
export class ApiKeys {
  private readonly db: Sql;
  /** When each key's `last_used_at` was last written: at most once a minute per key. */
  private readonly noted = new Map<string, number>();
  /** The ids of keys not revoked, as read at `liveAt` (`mayBeLive`). */
  private live: { ids: Set<string>; at: number } | null = null;

  constructor(db: Sql) {
    this.db = db;
  }

  /** A new key; its secret is in `key` and nowhere else. */
  async create(options: {
    name: string;
    scopes: readonly ApiKeyScope[];
    createdBy: string;
    now?: number;
  }): Promise<{ key: string; info: ApiKeyInfo }> {
    const name = options.name.trim();
    if (name.length === 0 || name.length > 80 || CONTROL.test(name))
      throw new ApiKeyError('name: 1–80 characters, no control characters');
    const scopes = [...new Set(options.scopes)];
    if (scopes.length === 0 || !scopes.every((scope) => API_KEY_SCOPES.includes(scope)))
      throw new ApiKeyError(`scopes: one or more of ${API_KEY_SCOPES.join(', ')}`);
    const id = keyId();
    const secret = randomBytes(32).toString('base64url');
    const now = options.now ?? Date.now();
    this.live = null;
    await this.db.run(
      `insert into api_keys (id, name, scopes, hash, created_at, created_by)
       values (?, ?, ?, ?, ?, ?)`,
      [id, name, JSON.stringify(scopes), digest(secret), now, options.createdBy],
    );
    return {
      key: `${PREFIX}${id}_${secret}`,
      info: { id, name, scopes, createdAt: now, lastUsedAt: null, revokedAt: null },
    };
  }

  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.db.all<KeyRow>('select * from api_keys order by created_at, id');
    return rows.map(infoOf);
  }

  /** Revokes a key; false when there is no such key. Revoking twice keeps the first time. */
  async revoke(id: string, now = Date.now()): Promise<boolean> {
    const row = await this.db.get<KeyRow>('select * from api_keys where id = ?', [id]);
    if (!row) return false;
    await this.db.run('update api_keys set revoked_at = coalesce(revoked_at, ?) where id = ?', [
      now,
      id,
    ]);
    return true;
  }

  /**
   * Whether `presented` names a key that was live a moment ago (read at most every 10 s): a
   * request that does may be checked even while its address is over its budget of wrong keys,
   * so a gym's systems behind one address as a guesser keep working.
   */
  async mayBeLive(presented: string, now = Date.now()): Promise<boolean> {
    const id = KEY_FORMAT.exec(presented)?.[1];
    if (id === undefined) return false;
    if (!this.live || now - this.live.at > LIVE_IDS_MS) {
      const rows = await this.db.all<{ id: string }>(
        'select id from api_keys where revoked_at is null',
      );
      this.live = { ids: new Set(rows.map((row) => row.id)), at: now };
    }
    return this.live.ids.has(id);
  }

  /**
   * The key `presented` is, if it is a live one; null for anything else (malformed, unknown,
   * wrong secret, revoked). Notes the use.
   */
  async verify(presented: string, now = Date.now()): Promise<ApiKeyInfo | null> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) return null;
    const [, id, secret] = match as unknown as [string, string, string];
    const row = await this.db.get<KeyRow>('select * from api_keys where id = ?', [id]);
    // The digest is compared even for an unknown id, so timing says nothing about which ids exist.
    const expected = Buffer.from(row?.hash ?? UNKNOWN, 'hex');
    const same = timingSafeEqual(expected, Buffer.from(digest(secret), 'hex'));
    if (!row || !same || row.revoked_at !== null) return null;
    if (now - (this.noted.get(id) ?? 0) >= NOTE_USE_MS) {
      this.noted.set(id, now);
      await this.db.run('update api_keys set last_used_at = ? where id = ?', [now, id]);
    }
    return infoOf(row);
  }
}

export class ApiKeyError extends Error {
  override name = 'ApiKeyError';
}

/** Whether `value` has the shape of an API key (it may still be wrong): not a JWT. */
export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(PREFIX);
}

interface KeyRow {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  created_at: number | string;
  revoked_at: number | string | null;
  last_used_at: number | string | null;
}

const PREFIX = 'hck_';
const KEY_FORMAT = /^hck_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;
/** A digest no secret has, compared against when the id is unknown. */
const UNKNOWN = '0'.repeat(64);
/** How long the ids of live keys are trusted, ms (`mayBeLive`). */
const LIVE_IDS_MS = 10_000;
/** How often a key's last use is written, ms: once a minute, not a write per request. */
const NOTE_USE_MS = 60_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what it finds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A key's public id: 12 base64url characters, never starting with `-` (one in 64 did, and the
 * CLI's `revoke-api-key <id>` then read it as an option).
 */
function keyId(): string {
  for (;;) {
    const id = randomBytes(9).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function infoOf(row: KeyRow): ApiKeyInfo {
  let scopes: ApiKeyScope[] = [];
  try {
    const parsed: unknown = JSON.parse(row.scopes);
    if (Array.isArray(parsed))
      scopes = parsed.filter((scope): scope is ApiKeyScope => API_KEY_SCOPES.includes(scope));
  } catch {
    // A row edited by hand into something else grants nothing.
  }
  return {
    id: row.id,
    name: row.name,
    scopes,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
