import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

/** The JavaScript of one page of the built app, as files relative to `dist/`. */
export interface PageScripts {
  /** Loaded when the page starts. */
  readonly atStart: readonly string[];
  /** Loaded later, by the dynamic import of each key (with what it imports that is not loaded yet). */
  readonly later: ReadonlyMap<string, readonly string[]>;
}

const ENTRY = /<script\b[^>]*\btype="module"[^>]*\bsrc="\/?([^"]+)"/g;
const PRELOAD = /<link\b[^>]*\brel="modulepreload"[^>]*\bhref="\/?([^"]+)"/g;
// Minified chunks: `import{a as b}from"./x.js"`, `import"./x.js"`, and import(`./x.js`).
const STATIC_IMPORT = /\bimport\s*(?:[\w$\s{},*]*from\s*)?["'`](\.{1,2}\/[^"'`]+\.js)["'`]/g;
const DYNAMIC_IMPORT = /\bimport\(\s*["'`](\.{1,2}\/[^"'`]+\.js)["'`]\s*\)/g;

/**
 * Follows a built page from its HTML: the module script and modulepreload links, then the static
 * imports of each chunk. Dynamic imports are loaded later, except those matching `startsAtOnce`
 * (a dynamic import the page makes as it starts, such as the service worker registration's).
 */
export function pageScripts(distDir: string, html: string, startsAtOnce?: RegExp): PageScripts {
  const source = (file: string) => readFileSync(posix.join(distDir, file), 'utf8');
  const importsOf = (file: string, pattern: RegExp) =>
    [...source(file).matchAll(pattern)].map((m) => posix.join(posix.dirname(file), m[1] as string));
  const closure = (roots: readonly string[], known: ReadonlySet<string>): string[] => {
    const found: string[] = [];
    const queue = [...roots];
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      if (known.has(file) || found.includes(file)) continue;
      found.push(file);
      queue.push(...importsOf(file, STATIC_IMPORT));
    }
    return found;
  };

  const page = source(html);
  const atStart = closure(
    [...page.matchAll(ENTRY), ...page.matchAll(PRELOAD)].map((m) => m[1] as string),
    new Set(),
  );
  for (let i = 0; i < atStart.length; i++) {
    const now = importsOf(atStart[i] as string, DYNAMIC_IMPORT).filter((f) =>
      startsAtOnce?.test(f),
    );
    atStart.push(...closure(now, new Set(atStart)));
  }
  const later = new Map<string, string[]>();
  const pending = atStart.flatMap((file) => importsOf(file, DYNAMIC_IMPORT));
  for (let root = pending.shift(); root !== undefined; root = pending.shift()) {
    if (later.has(root) || atStart.includes(root)) continue;
    const files = closure([root], new Set(atStart));
    later.set(root, files);
    pending.push(...files.flatMap((file) => importsOf(file, DYNAMIC_IMPORT)));
  }
  return { atStart, later };
}
