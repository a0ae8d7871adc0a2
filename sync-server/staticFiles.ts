import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves the built PWA from `root` (vite's `dist/`). `/kiosk` and `/dashboard` are its two
 * pages. HTML, the service worker and the manifest are `no-cache` (an update must be seen at
 * once); files under `/assets/` carry content hashes and are immutable.
 */
export function serveStatic(
  root: string,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    let path = decodeURIComponent((request.url ?? '/').split('?')[0] as string);
    if (path === '/') {
      response.writeHead(302, { location: '/dashboard' });
      response.end();
      return true;
    }
    // The two pages of the PWA; vite builds both from kiosk/.
    if (path === '/kiosk' || path === '/kiosk/') path = '/kiosk/index.html';
    else if (path === '/dashboard' || path === '/dashboard/') path = '/kiosk/dashboard/index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(normalize(root) + sep)) return false;
    if (!existsSync(file) || !statSync(file).isFile()) {
      if (path.endsWith('/index.html') && path.startsWith('/kiosk')) {
        response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(
          'The app is not built yet. `npm start` builds it before starting the server.\n',
        );
        return true;
      }
      return false;
    }
    const immutable = path.startsWith('/assets/');
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
    return true;
  };
}
