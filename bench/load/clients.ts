/**
 * Real sync clients as the apps make them: a `@hocuspocus/provider` on its own websocket (`ws`,
 * Node 20 has none built in) per device, on one document, with the provider's defaults (awareness
 * included, as kiosks and dashboards have it).
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { waitFor } from '../versionServers';

export interface Client {
  readonly doc: Y.Doc;
  readonly provider: HocuspocusProvider;
  /** Resolves on the first sync; rejects if the token is refused. */
  readonly synced: Promise<void>;
  /** Closes and refusals after the first sync (each one a reconnect). */
  readonly closes: () => number;
  /** Bytes its websocket has read and written so far (0 while it has none). */
  readonly wireBytes: () => number;
  destroy(): void;
}

export function connectClient(
  url: string,
  name: string,
  token: string,
  doc = new Y.Doc(),
  /** Without awareness: an idle connection that says nothing (the idle measurement). */
  quiet = false,
): Client {
  const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket });
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name,
    document: doc,
    token,
    ...(quiet ? { awareness: null } : {}),
  });
  provider.attach();
  let isSynced = false;
  let closes = 0;
  const synced = new Promise<void>((resolve, reject) => {
    provider.on('synced', () => {
      isSynced = true;
      resolve();
    });
    provider.on('authenticationFailed', ({ reason }: { reason: string }) => {
      if (isSynced) closes++;
      reject(new Error(`${name} refused: ${reason}`));
    });
  });
  provider.on('close', () => {
    if (isSynced) closes++;
  });
  return {
    doc,
    provider,
    synced,
    closes: () => closes,
    wireBytes: () => {
      // `ws` keeps its net.Socket as `_socket`: the bytes on the wire, frames and all.
      const raw = (socket.webSocket as { _socket?: { bytesRead: number; bytesWritten: number } })
        ?._socket;
      return raw ? raw.bytesRead + raw.bytesWritten : 0;
    },
    destroy() {
      provider.destroy();
      socket.destroy();
    },
  };
}

/**
 * Connects clients a batch at a time, each batch synced before the next: Headcount closes the
 * oldest unauthenticated sockets of an address beyond 128 (SocketGate), and all clients here
 * share 127.0.0.1. Bounded: a batch that does not sync within `timeoutMs` fails the run.
 */
export async function connectInBatches(
  make: (() => Client)[],
  batch: number,
  timeoutMs = 120_000,
): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < make.length; i += batch) {
    const started = make.slice(i, i + batch).map((connect) => connect());
    clients.push(...started);
    let failure: unknown = null;
    let done = 0;
    for (const client of started)
      client.synced.then(
        () => done++,
        (error) => (failure ??= error),
      );
    await waitFor(
      () => {
        if (failure) throw failure;
        return done === started.length;
      },
      `clients ${i + 1}–${i + started.length} to sync`,
      timeoutMs,
    );
  }
  // A client's own first sync message is acknowledged after 'synced'; wait for it too, so a
  // later write's acknowledgement is not mistaken for it.
  await waitFor(
    () => clients.every((client) => !client.provider.hasUnsyncedChanges),
    'the first syncs to be acknowledged',
    timeoutMs,
  );
  return clients;
}
