import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';
import { selfSignedCertificate } from './testing/selfSignedCertificate';

const dir = mkdtempSync(join(tmpdir(), 'headcount-config-'));

function problemWith(env: Record<string, string>): string | undefined {
  try {
    loadConfig({ DATA_DIR: dir, ...env });
    return undefined;
  } catch (error) {
    return error instanceof ConfigError ? error.variable : `unexpected ${String(error)}`;
  }
}

describe('loadConfig', () => {
  it('has working defaults', () => {
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      siteId: 'main',
      allowedOrigins: [],
      maxMessageBytes: 1048576,
    });
  });

  it('names the variable of every bad value', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(problemWith({ PORT: 'abc' })).toBe('PORT');
    expect(problemWith({ PORT: '70000' })).toBe('PORT');
    expect(problemWith({ DATA_DIR: join(file, 'sub') })).toBe('DATA_DIR');
    expect(problemWith({ SITE_ID: 'Main Gym' })).toBe('SITE_ID');
    expect(problemWith({ SITE_TIME_ZONE: 'Mars/Olympus' })).toBe('SITE_TIME_ZONE');
    expect(problemWith({ ALLOWED_ORIGINS: 'gym.example' })).toBe('ALLOWED_ORIGINS');
    expect(problemWith({ SIGNING_KEY: 'hunter2' })).toBe('SIGNING_KEY');
    expect(problemWith({ LOG_LEVEL: 'loud' })).toBe('LOG_LEVEL');
    expect(problemWith({ MAX_MESSAGE_BYTES: '-1' })).toBe('MAX_MESSAGE_BYTES');
    expect(problemWith({ METRICS_TOKEN: 'short' })).toBe('METRICS_TOKEN');
    expect(problemWith({ METRICS_ADDRESS: '9464' })).toBe('METRICS_ADDRESS');
    expect(problemWith({ METRICS_ADDRESS: 'localhost:99999' })).toBe('METRICS_ADDRESS');
    expect(loadConfig({ DATA_DIR: dir, METRICS_ADDRESS: '[::1]:9464' }).metricsAddress).toEqual({
      host: '::1',
      port: 9464,
    });
  });

  it('takes PostgreSQL from DATABASE_URL, and never repeats the URL (it holds a password) in its error', () => {
    expect(loadConfig({ DATA_DIR: dir })).toMatchObject({
      databaseUrl: null,
      databaseSchema: 'headcount',
    });
    const url = 'postgres://gym:s3cret@db.internal:5432/headcount';
    expect(
      loadConfig({ DATA_DIR: dir, DATABASE_URL: url, DATABASE_SCHEMA: 'gym_a' }),
    ).toMatchObject({ databaseUrl: url, databaseSchema: 'gym_a' });
    expect(problemWith({ DATABASE_URL: 'mysql://gym:s3cret@db/headcount' })).toBe('DATABASE_URL');
    expect(problemWith({ DATABASE_SCHEMA: 'Gym-A' })).toBe('DATABASE_SCHEMA');
    expect(problemWith({ DATABASE_SCHEMA: 'a; drop schema public' })).toBe('DATABASE_SCHEMA');
    try {
      loadConfig({ DATA_DIR: dir, DATABASE_URL: 'postgres://gym:s3cret@ db/x' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it('takes REDIS_URL only beside DATABASE_URL, and never repeats it (it may hold a password)', () => {
    const database = 'postgres://gym@db.internal:5432/headcount';
    expect(loadConfig({ DATA_DIR: dir }).redisUrl).toBeNull();
    const url = 'redis://:s3cret@cache.internal:6379';
    expect(loadConfig({ DATA_DIR: dir, DATABASE_URL: database, REDIS_URL: url }).redisUrl).toBe(
      url,
    );
    expect(problemWith({ REDIS_URL: url })).toBe('REDIS_URL');
    for (const bad of ['cache.internal:6379', 'http://:s3cret@cache', 'redis://:s3cret@ cache']) {
      try {
        loadConfig({ DATA_DIR: dir, DATABASE_URL: database, REDIS_URL: bad });
        expect.unreachable();
      } catch (error) {
        expect((error as ConfigError).variable).toBe('REDIS_URL');
        expect((error as Error).message).not.toContain('s3cret');
      }
    }
  });

  it('names TLS_CERT or TLS_KEY when the files cannot serve HTTPS', () => {
    const tlsDir = mkdtempSync(join(tmpdir(), 'headcount-config-tls-'));
    const gym = selfSignedCertificate(tlsDir, ['gym.test'], 'gym');
    const other = selfSignedCertificate(tlsDir, ['other.test'], 'other');
    const message = (env: Record<string, string>) => {
      try {
        loadConfig({ DATA_DIR: dir, ...env });
        return 'no error';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(loadConfig({ DATA_DIR: dir, TLS_CERT: gym.certFile, TLS_KEY: gym.keyFile }).tls).toEqual(
      { certFile: gym.certFile, keyFile: gym.keyFile },
    );
    expect(loadConfig({ DATA_DIR: dir }).tls).toBeNull();
    expect(problemWith({ TLS_CERT: gym.certFile })).toBe('TLS_KEY');
    expect(problemWith({ TLS_KEY: gym.keyFile })).toBe('TLS_CERT');
    expect(message({ TLS_CERT: join(tlsDir, 'missing.crt'), TLS_KEY: gym.keyFile })).toMatch(
      /^TLS_CERT: cannot read .*missing.crt \(ENOENT\)$/,
    );
    expect(problemWith({ TLS_CERT: gym.keyFile, TLS_KEY: gym.keyFile })).toBe('TLS_CERT');
    expect(problemWith({ TLS_CERT: gym.certFile, TLS_KEY: gym.certFile })).toBe('TLS_KEY');
    expect(message({ TLS_CERT: gym.certFile, TLS_KEY: other.keyFile })).toMatch(
      /^TLS_KEY: .*other.key is not the key of the certificate in .*gym.crt$/,
    );
  });

  it('reads TRUST_PROXY and PUBLIC_URL, and names them when they are wrong', () => {
    const config = loadConfig({
      DATA_DIR: dir,
      TRUST_PROXY: '127.0.0.1, 10.0.0.0/8',
      PUBLIC_URL: 'https://gym.example/, https://door.gym.example:8443',
    });
    expect(config.trustProxy).toEqual({ addresses: ['127.0.0.1', '10.0.0.0/8'] });
    expect(config.publicUrls).toEqual(['https://gym.example', 'https://door.gym.example:8443']);
    expect(loadConfig({ DATA_DIR: dir, HOST: '127.0.0.1', TRUST_PROXY: '1' }).trustProxy).toEqual({
      hops: 1,
    });
    expect(problemWith({ TRUST_PROXY: 'yes' })).toBe('TRUST_PROXY');
    expect(problemWith({ TRUST_PROXY: '10.0.0.0/40' })).toBe('TRUST_PROXY');
    // A hop count on every interface would let any client name its own address.
    expect(problemWith({ TRUST_PROXY: '1' })).toBe('TRUST_PROXY');
    expect(problemWith({ PUBLIC_URL: 'gym.example' })).toBe('PUBLIC_URL');
    expect(problemWith({ PUBLIC_URL: 'https://gym.example/kiosk' })).toBe('PUBLIC_URL');
  });

  it('makes the server exit non-zero with one line naming the variable', async () => {
    const run = promisify(execFile);
    const failure = await run(process.execPath, ['--import', 'tsx', 'sync-server/main.ts'], {
      env: { ...process.env, PORT: 'abc', DATA_DIR: dir },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect('code' in failure ? failure.code : 0).toBe(1);
    expect(failure.stdout).toBe('');
    expect(failure.stderr.trim().split('\n')).toEqual([
      'Configuration error: PORT: must be a whole number from 0 to 65535, got "abc"',
    ]);
  }, 20_000);
});
