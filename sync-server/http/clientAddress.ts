import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import proxyAddr from '@fastify/proxy-addr';

/**
 * Which peers may speak for a client through `X-Forwarded-*` (`TRUST_PROXY`): the nearest
 * `hops` proxies whatever their address, or the proxies at these addresses, CIDR ranges or
 * proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = { readonly hops: number } | { readonly addresses: readonly string[] };

/** proxy-addr's form of a trust rule: may the peer at `address`, `hop` steps away, be believed? */
export type TrustFunction = (address: string, hop: number) => boolean;

/** Most proxies a hop count may name: two (a CDN and Caddy) is the most a gym will have. */
const MAX_HOPS = 10;

const TRUST_NOBODY: TrustFunction = () => false;

/** A hop count trusts whoever connects: safe only when nobody but the proxy can. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * `TRUST_PROXY` as written (`1`, or `127.0.0.1,10.0.0.0/8`), for a server listening on `host`;
 * null when empty. Throws an Error saying what is wrong (config.ts names the variable).
 */
export function parseTrustProxy(raw: string, host: string): TrustProxy | null {
  const value = raw.trim();
  if (value === '') return null;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > MAX_HOPS)
      throw new Error(`a hop count must be from 1 to ${MAX_HOPS}, got ${value}`);
    // Fastify 5 refuses hop counts for the same reason: the immediate peer is not checked.
    if (!isLoopbackHost(host)) {
      throw new Error(
        `a hop count believes whoever connects, and with HOST=${host} any client could name its own address: list the proxy's addresses instead (e.g. 127.0.0.1 or 10.0.0.0/8), or set HOST=127.0.0.1`,
      );
    }
    return { hops };
  }
  const addresses = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of addresses) {
    try {
      proxyAddr.compile(entry);
    } catch {
      throw new Error(
        `${JSON.stringify(entry)} is not an address, a CIDR range (10.0.0.0/8) or loopback, linklocal, uniquelocal`,
      );
    }
  }
  return { addresses };
}

/** The trust rule Fastify (`trustProxy`) and `addressOf` both use, so the two always agree. */
export function trustFunction(trust: TrustProxy | null): TrustFunction {
  if (trust === null) return TRUST_NOBODY;
  if ('hops' in trust) return (_address, hop) => hop < trust.hops;
  return proxyAddr.compile([...trust.addresses]);
}

/** The rule of the server each socket came in on (sockets of servers never set up: nobody). */
const trustOfSocket = new WeakMap<Socket, TrustFunction>();

/**
 * Makes `addressOf` apply `trust` to requests arriving at `server`. For a TLS server the rule is
 * put on the TLS socket (what `request.socket` is), which exists once the handshake is done.
 */
export function trustProxiesOn(server: Server | TlsServer, trust: TrustFunction): void {
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection';
  server.on(event, (socket: Socket) => trustOfSocket.set(socket, trust));
}

/**
 * The client's address for a raw request — a websocket upgrade never reaches Fastify — by the
 * same rules as Fastify's `request.ip`: the socket's peer, unless that peer is a trusted proxy,
 * in which case `X-Forwarded-For` is read from the nearest hop outwards and stops at the first
 * address that is not trusted. A client that connects directly cannot choose its address.
 */
export function addressOf(request: IncomingMessage): string {
  return proxyAddr(request, trustOfSocket.get(request.socket) ?? TRUST_NOBODY) ?? 'unknown';
}
