import { HocuspocusProviderWebsocket } from '@hocuspocus/provider';

/**
 * Reconnection backoff: 1 s, growing by half each try, at most 10 s (the provider's default
 * grows to 30 s; a device on the gym's LAN should be back within seconds of the network). The
 * browser's `online` event also triggers an immediate attempt. `minDelay` must be given with
 * `maxDelay`: a `maxDelay` below the default `minDelay` never connects, silently.
 */
const RECONNECT = { delay: 1000, factor: 1.5, minDelay: 1000, maxDelay: 10_000 };

/** The device's one websocket to the sync server, shared by every document it syncs. */
export function openSyncSocket(baseUrl: string): HocuspocusProviderWebsocket {
  return new HocuspocusProviderWebsocket({ url: baseUrl.replace(/^http/, 'ws'), ...RECONNECT });
}

/**
 * Wraps a token source for the provider: when it fails with an error that means "this device or
 * person may no longer connect" (`isFinal`), `onFinal` runs (the screen says so) before the
 * provider sees the failure.
 */
export function watchedToken(
  token: () => Promise<string>,
  isFinal: (error: unknown) => boolean,
  onFinal: () => void,
): () => Promise<string> {
  return async () => {
    try {
      return await token();
    } catch (error) {
      if (isFinal(error)) onFinal();
      throw error;
    }
  };
}

/** Least time between two reconnections after a refusal, ms: a server that keeps refusing for
 * another reason (clock skew, a bug) is not hammered. */
const RETRY_AFTER_DENIAL_MS = 60_000;

/**
 * What to do when the server refuses a connection's token. A token cached in memory may have
 * been revoked on the server (a revoked tablet, a disabled account) or have expired: drop it and
 * ask for a new one. If that fails for good, the token source's own handling says so (see
 * `watchedToken`); if it works, reconnect with it.
 *
 * With `retryAfter`, a failure that is not for good (the owner's `retryAfter` gives a wait, ms,
 * rather than null: a proxy's error, the network) is asked again after that wait, and a
 * reconnect inside the least time between two is postponed to its end rather than dropped, so
 * the device keeps trying until it either syncs or is told it may not. Without it, a failure
 * ends the attempt, as before.
 */
export function retryWithFreshToken(options: {
  dropToken: () => void;
  token: () => Promise<string>;
  reconnect: () => Promise<void>;
  retryAfter?: (error: unknown) => number | null;
}): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY;
  let later: ReturnType<typeof setTimeout> | undefined;
  const attempt = async (again = false): Promise<void> => {
    clearTimeout(later);
    later = undefined;
    // The refused token is dropped once; a later attempt may use one fetched meanwhile.
    if (!again) options.dropToken();
    try {
      await options.token();
    } catch (error) {
      const wait = options.retryAfter?.(error) ?? null;
      if (wait !== null) later = setTimeout(() => void attempt(true), wait);
      return;
    }
    const wait = last + RETRY_AFTER_DENIAL_MS - Date.now();
    if (wait > 0) {
      if (options.retryAfter) later = setTimeout(() => void attempt(true), wait);
      return;
    }
    last = Date.now();
    await options.reconnect();
  };
  return () => attempt();
}
