import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isSiteId } from '../shared/docName';
import { isValidTimeZone } from '../shared/localTime';

/**
 * Server configuration, from the environment only, validated at start. A bad value is a
 * `ConfigError` naming the variable; `main.ts` prints its one line and exits non-zero.
 */
export interface Config {
  /** TCP port for HTTP and websockets. `PORT`, default 8080. */
  readonly port: number;
  /** Interface to listen on. `HOST`, default 0.0.0.0 (every interface: tablets are on the LAN). */
  readonly host: string;
  /** Where the SQLite database and the signing key live. `DATA_DIR`, default ./data. */
  readonly dataDir: string;
  /** Site created on first start. `SITE_ID` (lower-case slug), default `main`. */
  readonly siteId: string;
  /** Its time zone. `SITE_TIME_ZONE` (IANA), default the machine's zone. */
  readonly siteTimeZone: string;
  /**
   * Origins allowed to open websockets and call the API from a browser. `ALLOWED_ORIGINS`,
   * comma-separated; default empty, meaning only the server's own origin (the request's Host).
   */
  readonly allowedOrigins: readonly string[];
  /** Ed25519 private key (PKCS#8 PEM). `SIGNING_KEY`; default a key file created in DATA_DIR. */
  readonly signingKey: string | null;
  /** Largest websocket message accepted, bytes. `MAX_MESSAGE_BYTES`, default 1 MiB. */
  readonly maxMessageBytes: number;
  /** Open websockets allowed per client address. `MAX_CONNECTIONS_PER_IP`, default 64. */
  readonly maxConnectionsPerIp: number;
  /** Access token lifetime, seconds. `ACCESS_TOKEN_TTL`, default 900 (15 minutes). */
  readonly accessTokenTtl: number;
  /** `LOG_LEVEL`: fatal, error, warn, info, debug, silent. Default info. */
  readonly logLevel: string;
  /**
   * Bearer token `/metrics` asks for on the main port. `METRICS_TOKEN`, at least 16 characters;
   * default none, and then the main port does not serve metrics at all.
   */
  readonly metricsToken: string | null;
  /**
   * A second, plain-HTTP listener that serves only `/metrics`, without a token, for a
   * Prometheus on the same machine or network. `METRICS_ADDRESS` as `host:port`; default none.
   */
  readonly metricsAddress: { readonly host: string; readonly port: number } | null;
}

export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/**
 * Creates `dir` if needed, one level at a time: Node 20's recursive mkdirSync spins forever
 * under pseudo file systems such as /proc instead of failing.
 */
function ensureWritableDirectory(dir: string): void {
  const fail = (why: string): never => {
    throw new ConfigError('DATA_DIR', `${dir} is not a writable directory (${why})`);
  };
  const missing: string[] = [];
  let existing = dir;
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) fail('no existing parent');
    missing.unshift(existing);
    existing = parent;
  }
  try {
    if (!statSync(existing).isDirectory()) fail(`${existing} is not a directory`);
    accessSync(existing, constants.W_OK | constants.R_OK);
    for (const level of missing) mkdirSync(level);
    accessSync(dir, constants.W_OK | constants.R_OK);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    fail((error as NodeJS.ErrnoException).code ?? 'error');
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `host:port` (IPv6 hosts in brackets), or null when empty; a ConfigError otherwise. */
function addressOf(raw: string): { host: string; port: number } | null {
  if (raw === '') return null;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError(
      'METRICS_ADDRESS',
      `must be host:port like 127.0.0.1:9464, got ${JSON.stringify(raw)}`,
    );
  }
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const text = (name: string, fallback: string): string => {
    const value = env[name];
    return value === undefined || value === '' ? fallback : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ConfigError(
        name,
        `must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
      );
    }
    return Number(raw);
  };

  const port = integer('PORT', 8080, 0, 65535);
  const host = text('HOST', '0.0.0.0');
  const dataDir = resolve(text('DATA_DIR', './data'));
  ensureWritableDirectory(dataDir);
  const siteId = text('SITE_ID', 'main');
  if (!isSiteId(siteId)) {
    throw new ConfigError(
      'SITE_ID',
      `must be a lower-case slug like "riverside", got ${JSON.stringify(siteId)}`,
    );
  }
  const siteTimeZone = text(
    'SITE_TIME_ZONE',
    Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  );
  if (!isValidTimeZone(siteTimeZone)) {
    throw new ConfigError(
      'SITE_TIME_ZONE',
      `unknown time zone ${JSON.stringify(siteTimeZone)} (use an IANA name like Europe/Amsterdam)`,
    );
  }
  const allowedOrigins = text('ALLOWED_ORIGINS', '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of allowedOrigins) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = null;
    }
    if (!parsed || parsed.origin !== origin) {
      throw new ConfigError(
        'ALLOWED_ORIGINS',
        `${JSON.stringify(origin)} is not an origin like https://gym.example`,
      );
    }
  }
  const signingKey = env.SIGNING_KEY ? env.SIGNING_KEY.replace(/\\n/g, '\n') : null;
  if (signingKey !== null && !signingKey.includes('BEGIN PRIVATE KEY')) {
    throw new ConfigError('SIGNING_KEY', 'must be an Ed25519 private key in PKCS#8 PEM form');
  }
  const logLevel = text('LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const metricsToken = text('METRICS_TOKEN', '') || null;
  if (metricsToken !== null && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters, without spaces');
  }
  const metricsAddress = addressOf(text('METRICS_ADDRESS', ''));
  return {
    metricsToken,
    metricsAddress,
    port,
    host,
    dataDir,
    siteId,
    siteTimeZone,
    allowedOrigins,
    signingKey,
    maxMessageBytes: integer('MAX_MESSAGE_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxConnectionsPerIp: integer('MAX_CONNECTIONS_PER_IP', 64, 1, 100_000),
    accessTokenTtl: integer('ACCESS_TOKEN_TTL', 900, 30, 86_400),
    logLevel,
  };
}
