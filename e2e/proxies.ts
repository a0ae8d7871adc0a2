import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../sync-server/testing/testServer';

/**
 * Debian's Caddy and nginx for the end-to-end tests of `deploy/` (`apt-get install caddy nginx`;
 * CI installs them). CADDY_PATH and NGINX_PATH override the paths. Where one is missing its test
 * is skipped with a message, except in CI, where it must run.
 */
export const CADDY_PATH = process.env.CADDY_PATH ?? '/usr/bin/caddy';
export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

function present(path: string, name: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI) throw new Error(`End-to-end proxy tests need ${name} at ${path}`);
  console.warn(
    `\n  End-to-end test of deploy/ SKIPPED: no ${name} at ${path}. Install it (apt-get install ${name}).\n`,
  );
  return false;
}

export const hasCaddy = () => present(CADDY_PATH, 'caddy');
export const hasNginx = () => present(NGINX_PATH, 'nginx');

/**
 * A file of `deploy/` with `replacements` made, each of which must match exactly once: when the
 * file changes so that a replacement no longer applies, the test says so instead of testing
 * something else.
 */
export function deployFile(name: string, replacements: [string, string][]): string {
  let text = readFileSync(new URL(`../deploy/${name}`, import.meta.url), 'utf8');
  for (const [from, to] of replacements) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`deploy/${name}: expected "${from}" once, found ${count}`);
    text = text.replace(from, to);
  }
  return text;
}

export interface RunningProxy {
  /** Everything it printed so far. */
  readonly output: () => string;
  close(): Promise<void>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): RunningProxy {
  const child: ChildProcess = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return {
    output: () => output,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * `caddy run` with `siteBlocks` under test-only global options: no admin endpoint, Caddy's
 * data (its local CA) in `dir`, never the system's trust store, no redirect listener on :80.
 * Resolves once `ready()` holds.
 */
export async function startCaddy(
  dir: string,
  siteBlocks: string,
  ready: () => Promise<boolean>,
): Promise<RunningProxy & { readonly rootCertificate: string }> {
  const storage = join(dir, 'caddy-data');
  const caddyfile = join(dir, 'Caddyfile');
  writeFileSync(
    caddyfile,
    `{\n\tadmin off\n\tskip_install_trust\n\tauto_https disable_redirects\n\tstorage file_system ${storage}\n}\n\n${siteBlocks}`,
  );
  const caddy = run(CADDY_PATH, ['run', '--config', caddyfile, '--adapter', 'caddyfile'], {
    ...process.env,
    HOME: dir,
    XDG_DATA_HOME: join(dir, 'xdg-data'),
    XDG_CONFIG_HOME: join(dir, 'xdg-config'),
  });
  await until(
    () => ready().catch(() => false),
    `Caddy to serve (its output: ${caddy.output().slice(-500)})`,
    20_000,
  );
  return {
    ...caddy,
    rootCertificate: join(storage, 'pki', 'authorities', 'local', 'root.crt'),
  };
}

/**
 * nginx in the foreground with `serverBlocks` in a minimal main configuration whose pid file,
 * logs and temporary files are in `dir`. Resolves once `ready()` holds.
 */
export async function startNginx(
  dir: string,
  serverBlocks: string,
  ready: () => Promise<boolean>,
): Promise<RunningProxy> {
  const conf = join(dir, 'nginx.conf');
  const temp = (name: string) => `${name}_temp_path ${join(dir, `${name}-temp`)};`;
  writeFileSync(
    conf,
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'nginx-error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${join(dir, 'nginx-access.log')};`,
      `  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}`,
      serverBlocks,
      '}',
    ].join('\n'),
  );
  const nginx = run(NGINX_PATH, ['-c', conf, '-e', join(dir, 'nginx-error.log')], process.env);
  await until(
    () => ready().catch(() => false),
    `nginx to serve (its output: ${nginx.output().slice(-500)})`,
    20_000,
  );
  return nginx;
}
