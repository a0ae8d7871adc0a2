import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// The PWA build (`npm run build`, and `npm start` when sources changed): two pages, the kiosk at
// /kiosk and the staff dashboard at /dashboard (the sync server maps those paths into dist/).
// Only runtime dependencies are imported here, so `npm ci --omit=dev && npm start` can build;
// the tests are configured in vitest.config.ts, on top of this file.

/**
 * The plugin writes one manifest (the kiosk's: landscape, fullscreen, start at /kiosk) and links
 * it from every page. A phone installing the dashboard needs its own, so the dashboard page links
 * `public/dashboard.webmanifest` instead (same generated icons, standalone, start at /dashboard).
 */
function dashboardManifest(): Plugin {
  return {
    name: 'headcount-dashboard-manifest',
    // After vite-plugin-pwa's own post hook, which writes the link.
    enforce: 'post',
    transformIndexHtml: {
      order: 'post',
      handler: (html, context) =>
        context.path.includes('/dashboard/')
          ? html.replace('href="/manifest.webmanifest"', 'href="/dashboard.webmanifest"')
          : html,
    },
  };
}

/** Files worth compressing: text, and the barcode reader's wasm. */
const COMPRESSIBLE = /\.(html|js|mjs|css|svg|json|webmanifest|wasm|txt|ico)$/;
/** Below this size, bytes, a compressed copy saves less than its headers cost. */
const MIN_COMPRESS_BYTES = 1024;

/**
 * Writes `file.br` and `file.gz` beside each compressible file of the build, at maximum
 * compression (once per build, not per request); the server sends them to browsers that accept
 * them. Runs last, after vite-plugin-pwa has written the service worker and the icons.
 */
function precompress(): Plugin {
  let outDir = 'dist';
  const brotli = promisify(brotliCompress);
  const gzipped = promisify(gzip);
  const compressTree = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return compressTree(path);
        if (!COMPRESSIBLE.test(entry.name) || (await stat(path)).size < MIN_COMPRESS_BYTES) return;
        const data = await readFile(path);
        const [br, gz] = await Promise.all([
          brotli(data, {
            params: {
              [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
              [zlib.BROTLI_PARAM_SIZE_HINT]: data.length,
            },
          }),
          gzipped(data, { level: zlib.Z_BEST_COMPRESSION }),
        ]);
        if (br.length < data.length) await writeFile(`${path}.br`, br);
        if (gz.length < data.length) await writeFile(`${path}.gz`, gz);
      }),
    );
  };
  return {
    name: 'headcount-precompress',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle: { order: 'post', sequential: true, handler: () => compressTree(outDir) },
  };
}

export default defineConfig({
  publicDir: 'public',
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'kiosk',
      filename: 'sw.ts',
      // Updates are applied by the page when the kiosk is idle, never under a member's finger.
      registerType: 'prompt',
      injectRegister: false,
      pwaAssets: { config: true, overrideManifestIcons: true },
      manifest: {
        id: '/kiosk',
        name: 'Headcount kiosk',
        short_name: 'Headcount',
        description: 'Gym check-in that keeps working without a network',
        start_url: '/kiosk',
        scope: '/',
        display: 'fullscreen',
        display_override: ['fullscreen', 'standalone'],
        orientation: 'landscape',
        background_color: '#0f3d3e',
        theme_color: '#0f3d3e',
      },
      injectManifest: {
        // The default globs miss icons and wasm. The plugin adds the manifest itself: listing it
        // here too makes the worker fail with add-to-cache-list-conflicting-entries.
        globPatterns: ['**/*.{js,css,html,svg,png,ico,wasm}'],
      },
      devOptions: { enabled: false },
    }),
    dashboardManifest(),
    precompress(),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      input: { kiosk: 'kiosk/index.html', dashboard: 'kiosk/dashboard/index.html' },
    },
  },
});
