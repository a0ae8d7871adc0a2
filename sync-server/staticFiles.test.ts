import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './staticFiles';

let server: Server;
let base: string;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'headcount-dist-'));
  mkdirSync(join(root, 'kiosk', 'dashboard'), { recursive: true });
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'kiosk', 'index.html'), '<h1>kiosk</h1>');
  writeFileSync(join(root, 'kiosk', 'dashboard', 'index.html'), '<h1>dashboard</h1>');
  writeFileSync(join(root, 'assets', 'app-1234abcd.js'), 'export {}');
  writeFileSync(join(root, 'sw.js'), 'self');
  writeFileSync(join(tmpdir(), 'secret.txt'), 'do not serve');
  const statics = serveStatic(root);
  server = createServer((request, response) => {
    if (!statics(request, response)) {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

describe('serveStatic', () => {
  it('serves the two pages and never lets HTML or the service worker be cached stale', async () => {
    for (const [path, text] of [
      ['/kiosk', 'kiosk'],
      ['/dashboard', 'dashboard'],
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(await response.text()).toContain(text);
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
    expect((await fetch(`${base}/sw.js`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('marks hashed assets immutable', async () => {
    const response = await fetch(`${base}/assets/app-1234abcd.js`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-type')).toContain('text/javascript');
  });

  it('serves nothing outside its folder', async () => {
    const response = await fetch(`${base}/%2e%2e/secret.txt`);
    expect(response.status).toBe(404);
  });
});
