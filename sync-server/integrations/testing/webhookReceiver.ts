import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/**
 * A real HTTP server on loopback that receives webhook deliveries and answers each with what
 * `answer` says (default 204): a status, a redirect, or `'hang'` (never answers).
 */
export async function webhookReceiver(
  answer: (received: Received, index: number) => number | 'hang' | { redirect: string } = () => 204,
): Promise<{ url: string; received: Received[]; close(): Promise<void>; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const item = {
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
        at: Date.now(),
      };
      received.push(item);
      const what = answer(item, received.length - 1);
      if (what === 'hang') return;
      if (typeof what === 'object') {
        response.writeHead(302, { location: what.redirect }).end();
        return;
      }
      response.writeHead(what).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A test file's `receiver()`: each receiver it makes is closed after each test. */
export function receiversClosedAfterEach(): (
  answer?: Parameters<typeof webhookReceiver>[0],
) => ReturnType<typeof webhookReceiver> {
  const made: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const receiver of made.splice(0)) await receiver.close();
  });
  return async (answer) => {
    const receiver = await webhookReceiver(answer);
    made.push(receiver);
    return receiver;
  };
}
