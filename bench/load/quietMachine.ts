/**
 * Other work on the machine (a test run, a build) skews whichever round it overlaps. Before each
 * round the bench waits, bounded, for a few quiet seconds; what still ran during the measured
 * part is reported per round ("other processes") either way.
 */
import { sleep } from '../versionServers';
import { machineBusyMs } from './processProbe';

/** Quiet: the machine busy for less than this share of one core over a window. */
const QUIET_SHARE = 0.15;
const WINDOW_MS = 3_000;
/** Longest wait before a round starts anyway, ms. */
const MAX_WAIT_MS = 180_000;

export async function waitForQuietMachine(log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + MAX_WAIT_MS;
  let said = false;
  while (Date.now() < deadline) {
    const before = machineBusyMs();
    await sleep(WINDOW_MS);
    const share = (machineBusyMs() - before) / WINDOW_MS;
    if (share < QUIET_SHARE) return;
    if (!said)
      log(`    waiting for the machine to be quiet (${Math.round(share * 100)} % of a core busy)`);
    said = true;
  }
  log(`    the machine stayed busy for ${MAX_WAIT_MS / 1000} s; starting anyway`);
}
