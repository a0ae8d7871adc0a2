import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { siteDocName } from '../shared/docName';
import { readSettings, writeSettings } from '../shared/siteDoc';
import { selfSignedCertificate, type TestCertificate } from './testing/selfSignedCertificate';
import { databaseEnv } from './testing/testDatabase';
import { SITE, staffToken, startTestServer, type TestServer, until } from './testing/testServer';

/**
 * TLS_CERT and TLS_KEY: the one port serves HTTPS and WSS, and a renewed certificate is taken
 * from its files without dropping anyone — new connections get it, open websockets carry on.
 */
const dir = mkdtempSync(join(tmpdir(), 'headcount-tls-'));
const live = join(dir, 'live');
let first: TestCertificate;
let second: TestCertificate;
let third: TestCertificate;
let t: TestServer;

/** What a client sees first: the certificate's SHA-256 fingerprint on a new TLS connection. */
function fingerprintSeen(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: '127.0.0.1', port, servername: 'gym.test', rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? 'none');
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

/** GET over HTTPS, trusting the test certificates only. */
function httpsGet(port: number, path: string): Promise<{ status: number; hsts: string }> {
  return new Promise((resolve, reject) => {
    const get = request(
      {
        host: '127.0.0.1',
        port,
        path,
        servername: 'gym.test',
        ca: [first.cert, second.cert, third.cert],
      },
      (answer) => {
        answer.resume();
        resolve({
          status: answer.statusCode ?? 0,
          hsts: String(answer.headers['strict-transport-security']),
        });
      },
    );
    get.on('error', reject);
    get.end();
  });
}

/** A staff provider on the site document over wss://, trusting the test certificates only. */
function connectOverTls(token: string) {
  const ca = [first.cert, second.cert, third.cert];
  class TrustingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { ca });
    }
  }
  const socket = new HocuspocusProviderWebsocket({
    url: `wss://127.0.0.1:${t.server.port}`,
    WebSocketPolyfill: TrustingWebSocket,
  });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: siteDocName(SITE),
    document: doc,
    token,
  });
  provider.attach();
  const closes: number[] = [];
  provider.on('close', ({ event }: { event: { code: number } }) => closes.push(event.code));
  let synced = false;
  provider.on('synced', () => {
    synced = true;
  });
  return {
    doc,
    closes,
    synced: () => synced,
    destroy() {
      provider.destroy();
      socket.destroy();
    },
  };
}

/** Whether the server's site document has `name` as the site's name (written over the socket). */
const named = (name: string) => {
  const doc = t.server.hocuspocus.documents.get(siteDocName(SITE));
  return doc !== undefined && readSettings(doc).settings.name === name;
};

beforeAll(async () => {
  mkdirSync(live);
  first = selfSignedCertificate(dir, ['gym.test'], 'first');
  second = selfSignedCertificate(dir, ['gym.test'], 'second');
  third = selfSignedCertificate(dir, ['gym.test'], 'third');
  copyFileSync(first.certFile, join(live, 'cert.pem'));
  copyFileSync(first.keyFile, join(live, 'key.pem'));
  t = await startTestServer({
    TLS_CERT: join(live, 'cert.pem'),
    TLS_KEY: join(live, 'key.pem'),
  });
});
afterAll(() => t.close());

describe('HTTPS built in', () => {
  it('serves HTTPS and WSS on its one port, with HSTS', async () => {
    expect(t.server.url).toBe(`https://127.0.0.1:${t.server.port}`);
    expect(await fingerprintSeen(t.server.port)).toBe(first.fingerprint);
    const health = await httpsGet(t.server.port, '/healthz');
    expect(health).toEqual({ status: 200, hsts: 'max-age=31536000' });
    const client = connectOverTls((await staffToken(t)).token);
    await until(client.synced, 'a provider synced over wss://');
    writeSettings(client.doc, { name: 'Over TLS' });
    await until(() => named('Over TLS'), 'the setting on the server');
    client.destroy();
  });

  it('takes a renewed certificate for new connections and keeps open websockets', async () => {
    const client = connectOverTls((await staffToken(t)).token);
    await until(client.synced, 'a provider synced over wss://');
    // Renewal as it happens: the certificate replaced by renaming a new file over it (editors,
    // certbot's symlinks), the key rewritten in place (cp).
    copyFileSync(second.certFile, join(live, 'cert.pem.new'));
    renameSync(join(live, 'cert.pem.new'), join(live, 'cert.pem'));
    copyFileSync(second.keyFile, join(live, 'key.pem'));
    await until(
      async () => (await fingerprintSeen(t.server.port)) === second.fingerprint,
      'new connections to get the renewed certificate',
    );
    expect(t.server.certificate?.material.fingerprint).toBe(second.fingerprint);
    // The open websocket was never closed, and still carries updates both ways.
    writeSettings(client.doc, { name: 'After Renewal' });
    await until(
      () => named('After Renewal'),
      'an update over the websocket opened before the renewal',
    );
    expect(client.closes).toEqual([]);
    client.destroy();
  });

  it('keeps the current certificate while the files do not belong together', async () => {
    copyFileSync(third.certFile, join(live, 'cert.pem'));
    // The key is not there yet (certbot writes one file after the other): nothing changes.
    expect(t.server.certificate?.reload('SIGHUP')).toBe(false);
    expect(await fingerprintSeen(t.server.port)).toBe(second.fingerprint);
    writeFileSync(join(live, 'key.pem'), 'half a key');
    expect(t.server.certificate?.reload('SIGHUP')).toBe(false);
    expect((await httpsGet(t.server.port, '/healthz')).status).toBe(200);
    copyFileSync(third.keyFile, join(live, 'key.pem'));
    await until(
      async () => (await fingerprintSeen(t.server.port)) === third.fingerprint,
      'the pair once it matches',
    );
  });
});

describe('SIGHUP', () => {
  let child: ChildProcess | null = null;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('makes the server process read its certificate files again, and keep running', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-tls-main-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        TLS_CERT: first.certFile,
        TLS_KEY: first.keyFile,
        LOG_LEVEL: 'info',
        ...databaseEnv(dataDir),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await until(() => output.includes('Headcount is running'), 'the server to start', 20_000);
    expect(output).toMatch(/Dashboard: https:\/\/127\.0\.0\.1:\d+\/dashboard/);
    expect(output).toContain('HTTPS with the certificate for DNS:gym.test');
    // The pid to signal is printed: npm and tsx in front of it would not pass SIGHUP on.
    expect(output).toContain(`kill -HUP ${child.pid}`);
    child.kill('SIGHUP');
    await until(
      () => /"trigger":"SIGHUP".*"msg":"TLS certificate unchanged"/.test(output),
      'the files read again on SIGHUP',
    );
    // Without a handler, SIGHUP ends a Node process.
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
    child.kill('SIGTERM');
    await until(() => child?.exitCode !== null, 'the server to stop', 10_000);
    expect(child.exitCode).toBe(0);
  }, 40_000);
});
