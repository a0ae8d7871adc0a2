/**
 * What the before/after benchmarks share (`serverUpdates.ts`, `httpEdge.ts`): a git worktree of
 * an older commit that runs with this checkout's node_modules, and a version's server as its own
 * process with a first admin, a staff token and paired kiosks, made through that version's own
 * CLI and HTTP API.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SITE = 'riverside';
export const ZONE = 'Europe/Amsterdam';
const PASSWORD = 'correct horse battery staple';
/** This checkout: the "after" tree. */
export const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat times (100 on Linux as a rule). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time of a process so far, milliseconds (all its threads). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1000) / CLOCK_TICKS;
}

/**
 * A worktree of `commit` that runs with this checkout's node_modules: every package linked
 * (Vite's and tsx's caches stay apart), plus the direct dependencies that commit had and this
 * checkout no longer installs (fetched with `npm pack` at the version of that commit's lockfile;
 * npm's cache serves later runs). `restore` puts back files the commit lacks, from another commit.
 */
export function prepareWorktree(
  commit: string,
  restore: Record<string, string> = {},
): { root: string; remove: () => void } {
  const parent = mkdtempSync(join(tmpdir(), 'headcount-before-'));
  const root = join(parent, 'tree');
  execFileSync('git', ['worktree', 'add', '--detach', root, commit], { cwd: repo, stdio: 'pipe' });
  const remove = () => {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: repo, stdio: 'pipe' });
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  };
  try {
    for (const [file, from] of Object.entries(restore)) {
      if (existsSync(join(root, file))) continue;
      const text = execFileSync('git', ['show', `${from}:${file}`], {
        cwd: repo,
        encoding: 'utf8',
      });
      writeFileSync(join(root, file), text);
    }
    const modules = join(root, 'node_modules');
    linkModules(join(repo, 'node_modules'), modules);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    for (const name of Object.keys(manifest.dependencies)) {
      if (existsSync(join(modules, name))) continue;
      const version = lock.packages[`node_modules/${name}`]?.version;
      if (!version) throw new Error(`${commit} needs ${name}, which its lockfile does not pin`);
      fetchPackage(name, version, parent, join(modules, name));
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { root, remove };
}

function linkModules(ours: string, modules: string): void {
  mkdirSync(modules);
  for (const entry of readdirSync(ours)) {
    if (entry === '.vite' || entry === '.cache') continue;
    if (entry.startsWith('@') && lstatSync(join(ours, entry)).isDirectory()) {
      // A real scope folder, so that a missing package of the scope can be added to it.
      mkdirSync(join(modules, entry));
      for (const inner of readdirSync(join(ours, entry)))
        symlinkSync(join(ours, entry, inner), join(modules, entry, inner));
    } else symlinkSync(join(ours, entry), join(modules, entry));
  }
}

function fetchPackage(name: string, version: string, work: string, into: string): void {
  const packed = join(work, 'packed');
  mkdirSync(packed, { recursive: true });
  const [info] = JSON.parse(
    execFileSync(
      'npm',
      ['pack', `${name}@${version}`, '--json', '--prefer-offline', '--pack-destination', packed],
      { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  ) as { filename: string }[];
  const unpacked = join(packed, name.replace('/', '+'));
  mkdirSync(unpacked, { recursive: true });
  execFileSync('tar', [
    '-xzf',
    join(packed, (info as { filename: string }).filename),
    '-C',
    unpacked,
  ]);
  mkdirSync(dirname(into), { recursive: true });
  cpSync(join(unpacked, 'package'), into, { recursive: true });
}

export interface RunningVersion {
  /** The first process (the current one, after a `restart`). */
  readonly child: ChildProcess;
  readonly port: number;
  readonly http: string;
  readonly ws: string;
  readonly staffToken: string;
  /** The paired kiosks, each with an access token and its site. */
  readonly kiosks: readonly { deviceId: string; token: string; siteId: string }[];
  /** The accounts asked for with `staff`, signed in, in the order given. */
  readonly staff: readonly { username: string; siteId: string; token: string }[];
  /** When the first of the access tokens above expires, ms since the epoch. */
  readonly tokensValidUntil: number;
  /**
   * Starts another instance of the same server (same DATA_DIR and environment, its own port
   * and `env` on top): with DATABASE_URL and REDIS_URL, a second instance of one deployment.
   * Stopped by its own `stop`, or by this one's.
   */
  peer(env?: Record<string, string>): Promise<ServerProcess>;
  /**
   * `kill -9` of the first process and a start of it again on the same port and data; resolves
   * once it answers /readyz. `child` is the new process from then on.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** One server process of a version. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly ws: string;
  stop(): Promise<void>;
}

/** The `stop` of every server started and not stopped yet: what a bench's Ctrl-C handler ends. */
export const runningVersions = new Set<() => Promise<void>>();

export interface VersionOptions {
  kiosks?: number;
  /** Node flags before `--import tsx` (e.g. another `--import`). */
  nodeArgs?: string[];
  /** More environment for the CLI and the server (e.g. MAX_CONNECTIONS_PER_IP). */
  env?: Record<string, string>;
  /**
   * The site of each kiosk, in turn (kiosk i at `kioskSites[i % length]`); default SITE only.
   * A site other than SITE must be one a `staff` account is made for (that creates it).
   */
  kioskSites?: readonly string[];
  /**
   * Staff accounts to make with the version's CLI and sign in. The CLI runs with SITE_ID set to
   * the account's site, and creates that site as a server's first start does: the one way to add
   * a site without touching the database behind the server's back.
   */
  staff?: readonly { username: string; siteId: string }[];
}

/**
 * The server of the tree at `root` as its own process on a fresh DATA_DIR, with the first admin
 * made by that version's CLI, a staff token, and `kiosks` tablets paired through its API (at
 * SITE, or at `kioskSites`), plus any `staff` accounts, each signed in.
 */
export async function startVersion(
  root: string,
  options: VersionOptions = {},
): Promise<RunningVersion> {
  const dataDir = mkdtempSync(join(tmpdir(), 'headcount-bench-data-'));
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SITE_ID: SITE,
    SITE_TIME_ZONE: ZONE,
    LOG_LEVEL: 'silent',
    // The database and Redis come from `options.env` only: a DATABASE_URL in the bench's own
    // environment (CI sets one for the tests) would put every server in one schema.
    DATABASE_URL: '',
    DATABASE_SCHEMA: '',
    REDIS_URL: '',
    ...options.env,
  };
  const cli = (args: string[], siteId = SITE) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'sync-server/cli.ts', ...args], {
      cwd: root,
      env: { ...env, SITE_ID: siteId },
      input: `${PASSWORD}\n`,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  try {
    cli(['create-admin', '--username', 'boss']);
    // Sites other than the first come from `create-site` ([C1]); a version before it made them
    // from SITE_ID itself, so a failure here is left for `create-staff` to report.
    for (const siteId of new Set((options.staff ?? []).map((account) => account.siteId))) {
      if (siteId === SITE) continue;
      try {
        cli(['create-site', '--site', siteId, '--name', siteId, '--time-zone', ZONE]);
      } catch {
        // An older CLI: create-staff makes the site.
      }
    }
    for (const account of options.staff ?? [])
      cli(['create-staff', '--username', account.username], account.siteId);
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const peers: ServerProcess[] = [];
  let first = spawnServer(root, env, port, options.nodeArgs);
  const stop = async () => {
    for (const peer of peers) await peer.stop();
    await first.stop();
    rmSync(dataDir, { recursive: true, force: true });
    runningVersions.delete(stop);
  };
  runningVersions.add(stop);
  const peer = async (more: Record<string, string> = {}): Promise<ServerProcess> => {
    const peerPort = await freePort();
    const started = spawnServer(
      root,
      { ...env, ...more, PORT: String(peerPort) },
      peerPort,
      options.nodeArgs,
    );
    peers.push(started);
    await started.ready;
    return started;
  };
  try {
    const http = `http://127.0.0.1:${port}`;
    await first.ready;
    const api = async <T>(path: string, body: unknown, token?: string): Promise<T> => {
      const response = await fetch(`${http}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    let tokensValidUntil = Number.POSITIVE_INFINITY;
    const issued = <T extends { expiresIn: number }>(answer: T, since: number): T => {
      tokensValidUntil = Math.min(tokensValidUntil, since + answer.expiresIn * 1000);
      return answer;
    };
    const signIn = async (username: string) => {
      const since = Date.now();
      return issued(
        await api<{ accessToken: string; expiresIn: number }>('/api/session', {
          username,
          password: PASSWORD,
        }),
        since,
      );
    };
    const session = await signIn('boss');
    const kioskSites = options.kioskSites?.length ? options.kioskSites : [SITE];
    const kiosks: { deviceId: string; token: string; siteId: string }[] = [];
    for (let i = 1; i <= (options.kiosks ?? 1); i++) {
      const siteId = kioskSites[(i - 1) % kioskSites.length] as string;
      const { code } = await api<{ code: string }>(
        '/api/pairing-codes',
        { name: `Door ${i}`, siteId },
        session.accessToken,
      );
      const paired = await api<{ deviceId: string; deviceSecret: string }>('/api/devices/pair', {
        code,
        appVersion: 'bench',
      });
      const since = Date.now();
      const device = issued(
        await api<{ accessToken: string; expiresIn: number }>('/api/devices/token', paired),
        since,
      );
      kiosks.push({ deviceId: paired.deviceId, token: device.accessToken, siteId });
    }
    const staff: { username: string; siteId: string; token: string }[] = [];
    for (const account of options.staff ?? []) {
      const { accessToken } = await signIn(account.username);
      staff.push({ ...account, token: accessToken });
    }
    const restart = async () => {
      first.child.kill('SIGKILL');
      await first.stop();
      first = spawnServer(root, env, port, options.nodeArgs);
      await first.ready;
    };
    return {
      get child() {
        return first.child;
      },
      port,
      http,
      ws: `ws://127.0.0.1:${port}`,
      staffToken: session.accessToken,
      kiosks,
      staff,
      tokensValidUntil,
      peer,
      restart,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A server process on `port`; `ready` resolves once it answers /readyz. */
function spawnServer(
  root: string,
  env: NodeJS.ProcessEnv,
  port: number,
  nodeArgs: readonly string[] = [],
): ServerProcess & { readonly ready: Promise<void> } {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'sync-server/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const http = `http://127.0.0.1:${port}`;
  const ready = waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the server exited: ${stderr}`);
      try {
        return (await fetch(`${http}/readyz`)).ok;
      } catch {
        return false;
      }
    },
    `the server in ${root}`,
    60_000,
  );
  return {
    child,
    port,
    ws: `ws://127.0.0.1:${port}`,
    ready,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(15_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
