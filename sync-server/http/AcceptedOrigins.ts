import { hostname, networkInterfaces } from 'node:os';

/** Where the server listens, once it does: what its own origins are made of. */
export interface Listening {
  readonly scheme: 'http' | 'https';
  readonly port: number;
  /** `HOST`: an address or name, or `0.0.0.0` / `::` for every interface. */
  readonly host: string;
}

/** `scheme://host:port` as a browser sends it in `Origin` (no port when it is the default). */
function originOf(scheme: string, host: string, port: number): string | null {
  try {
    return new URL(`${scheme}://${host}:${port}`).origin;
  } catch {
    return null;
  }
}

/**
 * The origins a browser has when it opens the server directly: `localhost`, the loopback
 * addresses, the machine's name (and its mDNS `.local` name), `HOST` when it names one, and the
 * address of every network interface — each at the server's own port and scheme. Pages from
 * these origins can only be the server's own: nobody else answers there.
 */
export function ownOrigins(listening: Listening): string[] {
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]']);
  const name = hostname().toLowerCase();
  if (name !== '') {
    hosts.add(name);
    if (!name.includes('.')) hosts.add(`${name}.local`);
  }
  if (listening.host !== '0.0.0.0' && listening.host !== '::')
    hosts.add(listening.host.includes(':') ? `[${listening.host}]` : listening.host);
  for (const address of Object.values(networkInterfaces()).flat()) {
    if (!address) continue;
    if (address.family === 'IPv4') hosts.add(address.address);
    // Link-local IPv6 addresses need a zone (%eth0), which browsers do not put in URLs.
    else if (!address.address.toLowerCase().startsWith('fe80:')) hosts.add(`[${address.address}]`);
  }
  const origins = [...hosts].map((host) => originOf(listening.scheme, host, listening.port));
  return origins.filter((origin): origin is string => origin !== null);
}

/**
 * The browser origins whose pages may write through the API and open websockets: `PUBLIC_URL`
 * — the address browsers use for this server, which is the proxy's behind one — or, without it,
 * the server's own origins (`ownOrigins`, known once it listens); and `ALLOWED_ORIGINS` either
 * way. The request's `Host` is never consulted: a client may send any Host it likes.
 */
export class AcceptedOrigins {
  private origins: ReadonlySet<string>;

  constructor(
    private readonly publicUrls: readonly string[],
    private readonly allowedOrigins: readonly string[],
  ) {
    this.origins = new Set([...publicUrls, ...allowedOrigins]);
  }

  /** Adds the server's own origins, unless PUBLIC_URL says what they are. */
  listening(listening: Listening): void {
    if (this.publicUrls.length > 0) return;
    this.origins = new Set([...ownOrigins(listening), ...this.allowedOrigins]);
  }

  has(origin: string): boolean {
    return this.origins.has(origin);
  }

  /** Every accepted origin, for the start screen. */
  get list(): readonly string[] {
    return [...this.origins];
  }
}
