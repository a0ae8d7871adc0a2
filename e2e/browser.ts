import { existsSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser downloads do not work
 * everywhere). CHROMIUM_PATH overrides /usr/bin/chromium.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

if (!hasChromium) {
  if (process.env.CI)
    throw new Error(
      `End-to-end tests need Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`,
    );
  console.warn(
    `\n  End-to-end tests SKIPPED: no Chromium at ${CHROMIUM_PATH}. Install it (apt-get install chromium) or set CHROMIUM_PATH.\n`,
  );
}

// Without the networking flags Chromium keeps calling Google's services from a closed network.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...ARGS, ...extraArgs],
  });
}

/**
 * A fake camera that shows `code` as a QR code: an MJPEG file for Chromium's
 * `--use-file-for-fake-video-capture`. Returns the launch arguments that use it.
 */
export async function fakeCameraShowing(code: string, dir: string): Promise<string[]> {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { createRequire } = await import('node:module');
  const sharp = (await import('sharp')).default;
  const { prepareZXingModule, writeBarcode } = await import('zxing-wasm/writer');
  const wasm = createRequire(import.meta.url).resolve('zxing-wasm/writer/zxing_writer.wasm');
  // In Node the wasm is handed over as bytes (emscripten would try to fetch the path).
  prepareZXingModule({ overrides: { wasmBinary: readFileSync(wasm).buffer as ArrayBuffer } });
  const { svg } = await writeBarcode(code, { format: 'QRCode', scale: 8 });
  const frame = await sharp(Buffer.from(svg))
    .resize(360, 360)
    .extend({ top: 60, bottom: 60, left: 140, right: 140, background: '#ffffff' })
    .flatten({ background: '#ffffff' })
    .jpeg()
    .toBuffer();
  const file = join(dir, 'camera.mjpeg');
  writeFileSync(file, Buffer.concat(Array.from({ length: 30 }, () => frame)));
  return [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${file}`,
  ];
}

/** A browser with a profile on disk: closing and relaunching it is a tablet restart. */
export function launchProfile(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
  });
}

/**
 * Builds the PWA as `npm start` does, into `outDir`. Vitest sets NODE_ENV=test, which would make
 * Vite pick development builds of dependencies (Lit's dev mode): build as production.
 */
export async function buildApp(outDir: string): Promise<void> {
  const { build } = await import('vite');
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ logLevel: 'silent', mode: 'production', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = previous;
  }
}

/** Serious and critical WCAG 2.2 A/AA violations on the page as it is now (axe-core). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
