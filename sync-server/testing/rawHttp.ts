import { connect } from 'node:net';

export interface RawAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Sends `target` byte for byte as an HTTP/1.1 request line over a plain socket and reads the
 * whole answer: unlike fetch, nothing normalises the path first (`/%2e%2e/` stays as written).
 */
export function rawRequest(
  port: number,
  target: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Loopback address to send from (127.0.0.2, …): another client, as the server sees it. */
    localAddress?: string;
  } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { Host: '127.0.0.1', ...options.headers };
  if (options.body !== undefined)
    headers['Content-Length'] = String(Buffer.byteLength(options.body));
  const lines = [
    `${options.method ?? 'GET'} ${target} HTTP/1.1`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return new Promise((resolve, reject) => {
    // Written, not ended: a half-closed socket may be dropped before the answer is sent;
    // `Connection: close` makes the server close it after answering.
    const socket = connect(
      {
        port,
        host: '127.0.0.1',
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      () => socket.write(`${lines.join('\r\n')}\r\n\r\n${options.body ?? ''}`),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      const [statusLine = '', ...headerLines] = raw
        .subarray(0, end)
        .toString('latin1')
        .split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body: Buffer = raw.subarray(end + 4);
      if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

/**
 * Asks for a websocket upgrade over a plain socket, with exactly these headers, and resolves with
 * the answer's status (101 when upgraded) and headers; the socket is then closed.
 */
export function rawUpgrade(
  port: number,
  options: { path?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<{ status: number; headers: Record<string, string> }> {
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...options.headers,
  };
  const lines = [
    `GET ${options.path ?? '/'} HTTP/1.1`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        port,
        host: '127.0.0.1',
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      () => socket.write(`${lines.join('\r\n')}\r\n\r\n`),
    );
    let raw = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...headerLines] = raw
        .subarray(0, end)
        .toString('latin1')
        .split('\r\n');
      const answer: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        answer[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      socket.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers: answer });
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before an answer')));
  });
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf('\r\n', at);
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
