// Sign-out's last step: nothing of the site may stay on the phone (README, "The staff
// dashboard"), however long another tab holds on.

/**
 * How long a deletion may wait for other tabs before the screen asks to close them, ms. Default
 * 1 s: a tab that answers closes its copy at once (y-indexeddb closes on `versionchange`), and a
 * person should not wait long without knowing why. The deletion itself waits as long as needed.
 */
const BLOCKED_NOTICE_MS = 1_000;
/** How long sign-out waits for its own connections to close before deleting anyway, ms. */
const CLOSE_WAIT_MS = 1_000;
/** Pause before listing and deleting again after a failed or repeated round, ms. */
const RETRY_MS = 500;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits for this page's own connections to close, so the deletion is not reported as blocked
 * by them. Going on after CLOSE_WAIT_MS is safe: the deletion waits for every connection anyway.
 */
export async function ownCopiesClosed(closing: Promise<void>): Promise<void> {
  await Promise.race([closing, pause(CLOSE_WAIT_MS)]);
}

/**
 * Deletes every IndexedDB database whose name starts with `prefix:`, and resolves only once the
 * browser lists none: the sign-in screen must not appear while the last user's data is still on
 * the phone, so there is no timeout. A deletion waits until every open connection to its
 * database has closed; `onBlocked(true)` says one has stayed open for BLOCKED_NOTICE_MS (a tab
 * that cannot answer, or code that ignores `versionchange`), `onBlocked(false)` that the round
 * ended. A database that failed to delete, or that another tab created again meanwhile, is
 * deleted in the next round. `known` are the names to delete where the browser cannot list its
 * databases (Firefox before 126).
 */
export async function deleteDatabases(
  prefix: string,
  known: readonly string[],
  onBlocked: (blocked: boolean) => void,
): Promise<void> {
  const idb = globalThis.indexedDB;
  if (!idb) return;
  const unlisted = new Set(known);
  for (let round = 0; ; round++) {
    if (round > 0) await pause(RETRY_MS);
    let names: string[];
    try {
      names =
        typeof idb.databases === 'function'
          ? (await idb.databases())
              .map((info) => info.name)
              .filter((name): name is string => name?.startsWith(`${prefix}:`) ?? false)
          : [...unlisted];
    } catch {
      continue;
    }
    if (names.length === 0) return;
    let blocked = false;
    await Promise.all(
      names.map(
        (name) =>
          new Promise<void>((resolve) => {
            let notice: ReturnType<typeof setTimeout> | undefined;
            const request = idb.deleteDatabase(name);
            request.onblocked = () => {
              clearTimeout(notice);
              notice = setTimeout(() => {
                blocked = true;
                onBlocked(true);
              }, BLOCKED_NOTICE_MS);
            };
            request.onsuccess = () => {
              clearTimeout(notice);
              unlisted.delete(name);
              resolve();
            };
            request.onerror = () => {
              clearTimeout(notice);
              resolve();
            };
          }),
      ),
    );
    if (blocked) onBlocked(false);
  }
}
