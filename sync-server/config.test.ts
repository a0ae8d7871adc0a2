import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

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
