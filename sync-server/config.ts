import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isSiteId } from '../shared/docName';
import { isValidTimeZone } from '../shared/localTime';
import { parseTrustProxy, type TrustProxy } from './http/clientAddress';
import { SCHEMA_PATTERN } from './storage/Sql';
import { readTlsFiles, type TlsFiles, TlsFilesError } from './tlsFiles';

/**
 * Server configuration, from the environment only, validated at start. A bad value is a
 * `ConfigError` naming the variable; `main.ts` prints its one line and exits non-zero.
 */
export interface Config {
  /** TCP port for HTTP and websockets. `PORT`, default 8080. */
  readonly port: number;
  /** Interface to listen on. `HOST`, default 0.0.0.0 (every interface: tablets are on the LAN). */
  readonly host: string;
  /**
   * Where the signing key lives, and the SQLite database when there is no DATABASE_URL.
   * `DATA_DIR`, default ./data.
   */
  readonly dataDir: string;
  /**
   * PostgreSQL holding documents, the update log, accounts, devices and the record, shared by
   * every instance: `DATABASE_URL` (`postgres://user:password@host:5432/database`); default none,
   * meaning SQLite in DATA_DIR (one instance).
   */
  readonly databaseUrl: string | null;
  /** The PostgreSQL schema Headcount's tables live in (created if missing). `DATABASE_SCHEMA`, default `headcount`. */
  readonly databaseSchema: string;
  /**
   * Redis through which instances on one database relay each other's live updates and
   * awareness: `REDIS_URL` (`redis://[user:password@]host:6379`, `rediss://` for TLS); only with
   * DATABASE_URL. Default none: one instance, nothing relayed.
   */
  readonly redisUrl: string | null;
  /** Site created on first start. `SITE_ID` (lower-case slug), default `main`. */
  readonly siteId: string;
  /** Its time zone. `SITE_TIME_ZONE` (IANA), default the machine's zone. */
  readonly siteTimeZone: string;
  /**
   * Other origins allowed to open websockets and call the API (with CORS) from a browser, besides
   * PUBLIC_URL or the server's own. `ALLOWED_ORIGINS`, comma-separated; default none.
   */
  readonly allowedOrigins: readonly string[];
  /**
   * The origin(s) browsers reach the server at, e.g. `https://gym.example` (the proxy's, behind
   * one): what Origin checks compare with. `PUBLIC_URL`, comma-separated; default none, meaning
   * the server's own origins (localhost, its name and interface addresses at PORT).
   */
  readonly publicUrls: readonly string[];
  /**
   * Proxies whose `X-Forwarded-For/-Proto/-Host` are believed. `TRUST_PROXY`: a hop count (only
   * with HOST on loopback) or addresses and CIDR ranges, comma-separated; default none.
   */
  readonly trustProxy: TrustProxy | null;
  /**
   * PEM certificate (chain after it) and private key: the port serves HTTPS and WSS, and the
   * files are re-read when they change or on SIGHUP. `TLS_CERT` and `TLS_KEY`; default plain HTTP.
   */
  readonly tls: TlsFiles | null;
  /** Ed25519 private key (PKCS#8 PEM). `SIGNING_KEY`; default a key file created in DATA_DIR. */
  readonly signingKey: string | null;
  /** Largest websocket message accepted, bytes. `MAX_MESSAGE_BYTES`, default 1 MiB. */
  readonly maxMessageBytes: number;
  /**
   * Open websockets per client address, authenticated or not: a ceiling only (authenticated
   * sockets are limited per device and account, unauthenticated ones separately; SocketGate.ts).
   * `MAX_CONNECTIONS_PER_IP`, default 512: a gym's devices share its NAT address, and 30 tablets
   * and 50 phones with reloads and second tabs must fit with room to spare.
   */
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

/** TLS_CERT and TLS_KEY together, readable and belonging to each other; null when both unset. */
function tlsFiles(certFile: string, keyFile: string): TlsFiles | null {
  if (certFile === '' && keyFile === '') return null;
  if (keyFile === '') throw new ConfigError('TLS_KEY', 'must be set with TLS_CERT (the key file)');
  if (certFile === '')
    throw new ConfigError('TLS_CERT', 'must be set with TLS_KEY (the certificate file)');
  const files = { certFile: resolve(certFile), keyFile: resolve(keyFile) };
  try {
    readTlsFiles(files);
  } catch (error) {
    if (error instanceof TlsFilesError) throw new ConfigError(error.variable, error.message);
    throw error;
  }
  return files;
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
  /** A comma-separated list of origins; a URL with only `/` after its origin counts as one. */
  const origins = (name: string): string[] =>
    text(name, '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '')
      .map((origin) => {
        let parsed: URL | null = null;
        try {
          parsed = new URL(origin);
        } catch {
          parsed = null;
        }
        const exact = parsed && (parsed.origin === origin || `${parsed.origin}/` === origin);
        if (!parsed || !exact || parsed.origin === 'null') {
          throw new ConfigError(
            name,
            `${JSON.stringify(origin)} is not an origin like https://gym.example`,
          );
        }
        return parsed.origin;
      });
  const allowedOrigins = origins('ALLOWED_ORIGINS');
  const publicUrls = origins('PUBLIC_URL');
  let trustProxy: TrustProxy | null;
  try {
    trustProxy = parseTrustProxy(text('TRUST_PROXY', ''), host);
  } catch (error) {
    throw new ConfigError('TRUST_PROXY', (error as Error).message);
  }
  const tls = tlsFiles(text('TLS_CERT', ''), text('TLS_KEY', ''));
  const databaseUrl = text('DATABASE_URL', '') || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\/[^\s]+$/.test(databaseUrl)) {
    // The value may hold a password: it is never echoed.
    throw new ConfigError(
      'DATABASE_URL',
      'must be a URL like postgres://user:password@host:5432/db',
    );
  }
  const databaseSchema = text('DATABASE_SCHEMA', 'headcount');
  if (!SCHEMA_PATTERN.test(databaseSchema)) {
    throw new ConfigError(
      'DATABASE_SCHEMA',
      `must be a lower-case identifier like "headcount", got ${JSON.stringify(databaseSchema)}`,
    );
  }
  const redisUrl = text('REDIS_URL', '') || null;
  if (redisUrl !== null) {
    // The value may hold a password: it is never echoed.
    let parsed: URL | null = null;
    try {
      parsed = new URL(redisUrl);
    } catch {
      parsed = null;
    }
    if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol) || parsed.hostname === '') {
      throw new ConfigError(
        'REDIS_URL',
        'must be a URL like redis://:password@host:6379 (rediss:// for TLS)',
      );
    }
    if (databaseUrl === null) {
      throw new ConfigError(
        'REDIS_URL',
        'needs DATABASE_URL: instances that relay each other share one PostgreSQL',
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
    publicUrls,
    trustProxy,
    tls,
    port,
    host,
    dataDir,
    databaseUrl,
    databaseSchema,
    redisUrl,
    siteId,
    siteTimeZone,
    allowedOrigins,
    signingKey,
    maxMessageBytes: integer('MAX_MESSAGE_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxConnectionsPerIp: integer('MAX_CONNECTIONS_PER_IP', 512, 1, 100_000),
    accessTokenTtl: integer('ACCESS_TOKEN_TTL', 900, 30, 86_400),
    logLevel,
  };
}
