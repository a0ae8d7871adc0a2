import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest, rawUpgrade } from '../testing/rawHttp';
import {
  addressOf,
  parseTrustProxy,
  type TrustProxy,
  trustFunction,
  trustProxiesOn,
} from './clientAddress';

/**
 * A Fastify app set up as the server sets itself up (`trustProxy` and `trustProxiesOn` from one
 * rule) that tells what it saw: `request.ip`, `.protocol` and `.host` for HTTP, and
 * `addressOf` both for HTTP and for websocket upgrades (answered 418 with the address).
 */
async function witness(trust: TrustProxy | null): Promise<FastifyInstance> {
  const rule = trustFunction(trust);
  const app = Fastify({ trustProxy: rule });
  trustProxiesOn(app.server, rule);
  app.get('/who', async (request) => ({
    ip: request.ip,
    raw: addressOf(request.raw),
    protocol: request.protocol,
    host: request.host,
  }));
  app.server.on('upgrade', (request, socket: Socket) => {
    socket.end(
      `HTTP/1.1 418 Seen\r\nX-Address: ${addressOf(request)}\r\nContent-Length: 0\r\n\r\n`,
    );
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

let app: FastifyInstance | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

const port = () => ((app as FastifyInstance).server.address() as { port: number }).port;
const FORWARDED = {
  'X-Forwarded-For': '203.0.113.7, 198.51.100.1',
  'X-Forwarded-Proto': 'https',
  'X-Forwarded-Host': 'gym.example',
};

async function seen(options: { localAddress: string; headers?: Record<string, string> }) {
  const answer = await rawRequest(port(), '/who', options);
  const upgrade = await rawUpgrade(port(), { path: '/who', ...options });
  return { ...JSON.parse(answer.body.toString()), upgrade: upgrade.headers['x-address'] };
}

describe('the client address behind a proxy', () => {
  it('believes X-Forwarded-* from a listed proxy, for HTTP and websocket upgrades alike', async () => {
    app = await witness({ addresses: ['127.0.0.2', '198.51.100.0/24'] });
    // The proxy at 127.0.0.2 forwards for 198.51.100.1 (also trusted), which forwards for the client.
    expect(await seen({ localAddress: '127.0.0.2', headers: FORWARDED })).toEqual({
      ip: '203.0.113.7',
      raw: '203.0.113.7',
      upgrade: '203.0.113.7',
      protocol: 'https',
      host: 'gym.example',
    });
  });

  it('ignores X-Forwarded-* sent by a client that connects directly', async () => {
    app = await witness({ addresses: ['127.0.0.2'] });
    expect(await seen({ localAddress: '127.0.0.3', headers: FORWARDED })).toEqual({
      ip: '127.0.0.3',
      raw: '127.0.0.3',
      upgrade: '127.0.0.3',
      protocol: 'http',
      host: '127.0.0.1',
    });
  });

  it('stops at the first address that is not a trusted proxy, so a client cannot prepend one', async () => {
    app = await witness({ addresses: ['127.0.0.2'] });
    // Only the last entry was written by the trusted proxy; the earlier one is the client's claim.
    const answer = await seen({ localAddress: '127.0.0.2', headers: FORWARDED });
    expect([answer.ip, answer.raw, answer.upgrade]).toEqual([
      '198.51.100.1',
      '198.51.100.1',
      '198.51.100.1',
    ]);
  });

  it('believes the nearest proxies of a hop count, and only as many as it says', async () => {
    app = await witness({ hops: 1 });
    const answer = await seen({ localAddress: '127.0.0.4', headers: FORWARDED });
    expect([answer.ip, answer.raw, answer.upgrade]).toEqual([
      '198.51.100.1',
      '198.51.100.1',
      '198.51.100.1',
    ]);
  });

  it('uses the socket address when nobody is trusted (no TRUST_PROXY)', async () => {
    app = await witness(null);
    const answer = await seen({ localAddress: '127.0.0.5', headers: FORWARDED });
    expect([answer.ip, answer.raw, answer.upgrade, answer.protocol, answer.host]).toEqual([
      '127.0.0.5',
      '127.0.0.5',
      '127.0.0.5',
      'http',
      '127.0.0.1',
    ]);
  });
});

describe('parseTrustProxy', () => {
  it('reads a hop count, and addresses, ranges and named ranges', () => {
    expect(parseTrustProxy('', '0.0.0.0')).toBeNull();
    expect(parseTrustProxy('2', '127.0.0.1')).toEqual({ hops: 2 });
    expect(parseTrustProxy(' 127.0.0.1, 10.0.0.0/8 ,::1,loopback', '0.0.0.0')).toEqual({
      addresses: ['127.0.0.1', '10.0.0.0/8', '::1', 'loopback'],
    });
  });

  it('refuses what it cannot read', () => {
    for (const bad of ['0', '11', 'true', 'gym.example', '10.0.0.0/33', '300.1.1.1', '1.2.3.4,x'])
      expect(() => parseTrustProxy(bad, '127.0.0.1'), bad).toThrow();
  });

  it('refuses a hop count when clients can reach the server directly', () => {
    expect(() => parseTrustProxy('1', '0.0.0.0')).toThrow(/list the proxy's addresses/);
    expect(() => parseTrustProxy('1', '192.168.1.10')).toThrow(/HOST=192.168.1.10/);
    expect(parseTrustProxy('1', '::1')).toEqual({ hops: 1 });
    expect(parseTrustProxy('1', 'localhost')).toEqual({ hops: 1 });
  });
});
