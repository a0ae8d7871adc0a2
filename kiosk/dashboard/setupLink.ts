/**
 * The link an admin passes on with a one-time set-up code ([C5]): the dashboard with the code in
 * its fragment, which browsers never send to a server (it stays out of access logs). Opening it
 * fills the code in on the sign-in screen, and the page takes it out of its address at once.
 */
const PREFIX = '#setup=';

/** `https://gym.example/dashboard/#setup=K7QM-3XRD-P2WF` for `code`, on the server at `origin`. */
export function setupLinkFor(origin: string, code: string): string {
  return new URL(`/dashboard/${PREFIX}${encodeURIComponent(code)}`, origin).href;
}

/** The set-up code in a location's fragment (`#setup=…`), or null. */
export function setupCodeIn(hash: string): string | null {
  if (!hash.startsWith(PREFIX)) return null;
  let code: string;
  try {
    code = decodeURIComponent(hash.slice(PREFIX.length)).trim();
  } catch {
    return null;
  }
  return code === '' ? null : code;
}

/**
 * The set-up code in the page's address, removed from it (history included, with
 * `replaceState`) so that it is not bookmarked, shared or shown again after it is used.
 */
export function takeSetupCode(
  location: Pick<Location, 'hash' | 'pathname' | 'search'>,
  history: Pick<History, 'replaceState' | 'state'>,
): string | null {
  const code = setupCodeIn(location.hash);
  if (code !== null) history.replaceState(history.state, '', location.pathname + location.search);
  return code;
}
