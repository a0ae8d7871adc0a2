import { request } from 'node:http';
import type { TestServer } from './testServer';

/**
 * Clients at other addresses, for limits keyed by address: on Linux the whole of 127.0.0.0/8 is
 * loopback, so a request bound to 127.0.0.2 reaches the test server from a second address.
 */

export interface Answer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** An API call as `t.api` makes it, sent from `localAddress`. */
export function apiFrom<T = Record<string, unknown>>(
  t: Pick<TestServer, 'server'>,
  localAddress: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer<T>> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: t.server.port,
        localAddress,
        method,
        path,
        agent: false,
        headers: text === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as T,
            headers: response.headers,
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(text);
  });
}
