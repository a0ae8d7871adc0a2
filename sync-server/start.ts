/**
 * `npm start`: builds the PWA when `dist/` is missing or older than its sources, then runs the
 * server (main.ts). The build takes a few seconds and happens once per change.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['kiosk', 'public', 'shared', 'vite.config.ts', 'package.json'];
const STAMP = join('dist', '.built');

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.endsWith('.test.ts')) continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const builtAt = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
const changedAt = Math.max(...SOURCES.map(newest));
if (builtAt < changedAt) {
  console.log(
    builtAt === 0 ? 'Building the app (first start)…' : 'Sources changed: rebuilding the app…',
  );
  const { build } = await import('vite');
  await build({ logLevel: 'warn' });
  writeFileSync(STAMP, new Date().toISOString());
}
await import('./main');
