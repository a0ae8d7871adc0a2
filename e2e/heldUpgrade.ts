import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** A websocket upgrade asked for over a raw socket that stays open while it is held. */
export interface HeldUpgrade {
  /** 101 when upgraded; the refusal's status otherwise. */
  readonly status: number;
  /** True once the other end closed the socket. */
  closed(): boolean;
  release(): void;
}

/**
 * Asks `127.0.0.1:port` (over TLS when `tls` is given) for a websocket upgrade from `localAddress` (127.0.0.3, …: a client of
 * its own, as servers and proxies see it), with these extra headers, and keeps the socket open
 * so the upgrade counts against that client until `release()`.
 */
export function holdUpgrade(
  port: number,
  options: {
    localAddress: string;
    headers?: Record<string, string>;
    /** Over TLS, trusting `ca` for `servername`. */
    tls?: { ca: Buffer; servername: string };
  },
): Promise<HeldUpgrade> {
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...options.headers,
  };
  const request = [
    'GET / HTTP/1.1',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const target = { port, host: '127.0.0.1', localAddress: options.localAddress };
    const send = () => socket.write(`${request}\r\n\r\n`);
    const socket: Socket = options.tls
      ? tlsConnect({ ...target, ...options.tls }, send)
      : connect(target, send);
    let head = '';
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n')) return;
      socket.removeAllListeners('data');
      resolve({
        status: Number(head.split(' ')[1]),
        closed: () => closed,
        release: () => socket.destroy(),
      });
    });
    socket.on('error', reject);
  });
}
