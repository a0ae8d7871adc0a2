import { existsSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isApiPath } from './errorAnswers';

/** Hashed files under `assets/` never change: a year, and no revalidation. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Pages, the service worker and manifests must be seen at once after an update. */
const REVALIDATE = 'no-cache';

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

/** The two pages of the PWA at clean URLs; vite builds both from kiosk/. */
const PAGES: Record<string, string> = {
  '/kiosk': '/kiosk/index.html',
  '/kiosk/': '/kiosk/index.html',
  '/kiosk/index.html': '/kiosk/index.html',
  '/dashboard': '/kiosk/dashboard/index.html',
  '/dashboard/': '/kiosk/dashboard/index.html',
  '/kiosk/dashboard/index.html': '/kiosk/dashboard/index.html',
};

/**
 * Serves the built PWA from `root` (vite's `dist/`): `/` goes to the dashboard, `/kiosk` and
 * `/dashboard` are its pages (503 while the app is not built), everything else is a file. Files
 * are sent precompressed (`.br`, `.gz` written beside them by the build) when the browser
 * accepts it, with an ETag, and 304 for a matching `If-None-Match`. The copies are the build's:
 * whoever changes a file in dist/ by hand must rewrite them too, or browsers get the old one.
 */
export async function staticRoutes(app: FastifyInstance, options: { root: string }) {
  const { root } = options;
  await app.register(fastifyStatic, {
    root,
    index: false,
    preCompressed: true,
    // Nothing hidden is served (the build stamp `.built`, an editor's swap file).
    dotfiles: 'ignore',
    cacheControl: false,
    // The API never falls through to files, whatever dist/ holds.
    allowedPath: (path) => !isApiPath(path),
    setHeaders: (reply: FastifyReply, file: string) => {
      const path = relative(root, file).split(sep).join('/');
      reply.header('cache-control', path.startsWith('assets/') ? IMMUTABLE : REVALIDATE);
    },
  });
  // The static plugin names types by file (with .br/.gz, the original's); these are ours.
  app.addHook('onSend', async (request, reply, payload) => {
    const path = request.url.split('?')[0] as string;
    const type = TYPES[extname(PAGES[path] ?? path)];
    if (type && reply.statusCode < 300 && !isApiPath(path)) reply.header('content-type', type);
    return payload;
  });

  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/dashboard', 302));
  for (const [path, file] of Object.entries(PAGES)) {
    app.get(path, { schema: { hide: true } }, (_request, reply) => {
      if (existsSync(join(root, file))) return reply.sendFile(file);
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send('The app is not built yet. `npm start` builds it before starting the server.\n');
    });
  }
}
