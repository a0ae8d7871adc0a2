import { chromiumEngine } from './chromiumEngine';
import type { Engine } from './Engine';
import { firefoxEngine } from './firefoxEngine';
import { webkitEngine } from './webkitEngine';

/**
 * The engines every shared scenario runs in. In CI each must be there (the test fails loudly);
 * elsewhere a missing one is skipped with a warning that says what to install.
 */
export const ENGINES: readonly Engine[] = [chromiumEngine, webkitEngine, firefoxEngine];

for (const engine of ENGINES) {
  if (engine.missing === null) continue;
  if (process.env.CI)
    throw new Error(`End-to-end tests need ${engine.name} in CI: install ${engine.missing}`);
  console.warn(`\n  ${engine.name} scenarios SKIPPED: install ${engine.missing}.\n`);
}
