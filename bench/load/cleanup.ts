/**
 * Child processes and temporary directories end with the bench, however it ends: each is
 * registered here when made and unregistered when ended normally; on Ctrl-C or SIGTERM the rest
 * are ended (Headcount servers through `runningVersions`) before the process exits.
 */
import { runningVersions } from '../versionServers';

type Disposer = () => Promise<void> | void;
const disposers = new Set<Disposer>();

/** Registers `dispose`; the returned function runs it once and unregisters it. */
export function disposable(dispose: Disposer): () => Promise<void> {
  let done: Promise<void> | null = null;
  const once = () => {
    done ??= (async () => {
      disposers.delete(once);
      await dispose();
    })();
    return done;
  };
  disposers.add(once);
  return once;
}

async function disposeAll(): Promise<void> {
  const all = [...disposers, ...runningVersions];
  await Promise.allSettled(all.map((dispose) => dispose()));
}

/**
 * Repeats of the signal sooner than this after the first are ignored, ms: tsx's CLI sends the
 * signal on once more when it misses our acknowledgement of the first (a race when a terminal
 * signals the whole process group), and that must not cut the cleanup short.
 */
const REPEAT_IGNORED_MS = 3_000;

/** On SIGINT/SIGTERM: end everything registered, then exit (a later second signal at once). */
export function cleanUpOnSignals(): void {
  let stoppingSince: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince !== null) {
      if (Date.now() - stoppingSince > REPEAT_IGNORED_MS) process.exit(130);
      return;
    }
    stoppingSince = Date.now();
    console.error(`\n${signal}: stopping the servers and clients…`);
    // Bounded: a child that ignores SIGTERM gets SIGKILL from its own disposer within 15 s.
    const forced = setTimeout(() => process.exit(130), 30_000);
    void disposeAll().finally(() => {
      clearTimeout(forced);
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
