import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the server whose cable the test can pull: `cut()` closes every open
 * connection (websockets included) and refuses new ones until `restore()`. Browser offline mode
 * alone is not enough — Chromium keeps an open websocket alive through `setOffline(true)`.
 */
export interface CuttableProxy {
  readonly port: number;
  cut(): void;
  /**
   * Holds every byte both ways without closing anything (a network that drops packets): what
   * waits for an answer keeps waiting, it does not fail. `restore()` lets them through again.
   */
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const open = new Set<Socket>();
  let connected = true;
  let stalled = false;
  const { connect } = await import('node:net');
  const server: Server = createServer((client) => {
    if (!connected) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
    if (stalled) for (const socket of [client, upstream]) socket.pause();
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    connected = false;
    for (const socket of open) socket.destroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    cut,
    stall() {
      stalled = true;
      for (const socket of open) socket.pause();
    },
    restore() {
      connected = true;
      stalled = false;
      for (const socket of open) socket.resume();
    },
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
