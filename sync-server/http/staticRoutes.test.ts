import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../testing/rawHttp';
import { startTestServer, type TestServer } from '../testing/testServer';

let t: TestServer;
let base: string;
const SCRIPT = `export const answer = ${JSON.stringify('forty-two '.repeat(200))};\n`;
const SECRET = 'do not serve this';

beforeAll(async () => {
  // dist/ sits beside a secret: nothing may reach it, however the path is spelled.
  const dir = mkdtempSync(join(tmpdir(), 'headcount-static-'));
  const root = join(dir, 'dist');
  mkdirSync(join(root, 'kiosk', 'dashboard'), { recursive: true });
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'kiosk', 'index.html'), '<h1>kiosk</h1>');
  writeFileSync(join(root, 'kiosk', 'dashboard', 'index.html'), '<h1>dashboard</h1>');
  writeFileSync(join(root, 'assets', 'app-1234abcd.js'), SCRIPT);
  writeFileSync(join(root, 'assets', 'app-1234abcd.js.br'), brotliCompressSync(SCRIPT));
  writeFileSync(join(root, 'assets', 'app-1234abcd.js.gz'), gzipSync(SCRIPT));
  writeFileSync(join(root, 'sw.js'), 'self');
  writeFileSync(join(root, 'manifest.webmanifest'), '{}');
  writeFileSync(join(root, '.built'), 'stamp');
  for (const name of ['secret.txt', 'secret.txt.br', 'secret.txt.gz'])
    writeFileSync(join(dir, name), SECRET);
  t = await startTestServer({}, dir, { distDir: root });
  base = `http://127.0.0.1:${t.server.port}`;
});
afterAll(() => t.close());

describe('the built app', () => {
  it('serves the two pages and never lets HTML, the service worker or a manifest be cached stale', async () => {
    for (const [path, text] of [
      ['/kiosk', 'kiosk'],
      ['/kiosk/', 'kiosk'],
      ['/dashboard', 'dashboard'],
      ['/dashboard/', 'dashboard'],
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(await response.text(), path).toContain(text);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    }
    for (const path of ['/sw.js', '/manifest.webmanifest'])
      expect((await fetch(`${base}${path}`)).headers.get('cache-control'), path).toBe('no-cache');
    expect((await fetch(`${base}/manifest.webmanifest`)).headers.get('content-type')).toBe(
      'application/manifest+json',
    );
  });

  it('sends / to the dashboard', async () => {
    const response = await fetch(`${base}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/dashboard');
  });

  it('marks hashed assets immutable', async () => {
    const response = await fetch(`${base}/assets/app-1234abcd.js`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends the brotli or gzip file written by the build to a browser that accepts it', async () => {
    const path = '/assets/app-1234abcd.js';
    const br = await rawRequest(t.server.port, path, {
      headers: { 'Accept-Encoding': 'gzip, br' },
    });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);
    const gz = await rawRequest(t.server.port, path, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT);
    const plain = await rawRequest(t.server.port, path);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
    expect(br.body.length).toBeLessThan(plain.body.length / 5);
  });

  it('answers 304 to a matching If-None-Match, for each encoding', async () => {
    for (const encoding of ['br', 'gzip', 'identity']) {
      const headers = { 'Accept-Encoding': encoding };
      const first = await rawRequest(t.server.port, '/kiosk', { headers });
      expect(first.headers.etag, encoding).toBeTruthy();
      const again = await rawRequest(t.server.port, '/kiosk', {
        headers: { ...headers, 'If-None-Match': first.headers.etag as string },
      });
      expect(again.status, encoding).toBe(304);
      expect(again.body.length).toBe(0);
    }
  });

  it('serves no hidden file and nothing outside its folder, however the path is spelled', async () => {
    const attempts = [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/%2e%2e%5csecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/%252e%252e/secret.txt',
      '/%252e%252e%252fsecret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/kiosk/..%2f..%2fsecret.txt',
      '//secret.txt',
      '/.built',
      '/%2ebuilt',
    ];
    for (const path of attempts) {
      for (const encoding of ['identity', 'br, gzip']) {
        const answer = await rawRequest(t.server.port, path, {
          headers: { 'Accept-Encoding': encoding },
        });
        expect(answer.status, `${path} (${encoding})`).toBeGreaterThanOrEqual(400);
        expect(answer.status, path).toBeLessThan(500);
        expect(answer.body.toString('latin1'), path).not.toContain(SECRET);
        expect(answer.body.toString('latin1'), path).not.toContain('stamp');
      }
    }
  });

  it('says the app is not built rather than 404 when a page is missing', async () => {
    const empty = await startTestServer({}, undefined, {
      distDir: mkdtempSync(join(tmpdir(), 'headcount-nodist-')),
    });
    try {
      const response = await fetch(`http://127.0.0.1:${empty.server.port}/kiosk`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('not built yet');
    } finally {
      await empty.close();
    }
  });
});
