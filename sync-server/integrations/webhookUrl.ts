import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Longest webhook URL accepted, characters. */
export const MAX_WEBHOOK_URL = 2000;

/**
 * Why `url` cannot be a webhook endpoint ([I4]), or null. `https` anywhere; plain `http` only to
 * this machine and only when the admin said the receiver is on the gym's own network. No
 * credentials in the URL (they would be logged and shown) and no fragment.
 */
export function webhookUrlProblem(url: string, privateNetwork: boolean): string | null {
  if (url.length > MAX_WEBHOOK_URL) return `the URL is longer than ${MAX_WEBHOOK_URL} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.username || parsed.password) return 'the URL may not hold a user name or password';
  if (parsed.hash) return 'the URL may not have a #fragment';
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol !== 'http:') return 'the URL must start with https://';
  if (!isLoopbackHost(parsed.hostname))
    return 'plain http is only allowed to this machine (localhost): use https://';
  if (!privateNetwork)
    return 'plain http to this machine needs "the receiver is on the gym\'s own network or this machine"';
  return null;
}

/** `localhost` or a loopback address literal. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  return isIP(host) !== 0 && ipaddr.process(host).range() === 'loopback';
}

/**
 * Whether a delivery may connect to `address` ([I4]): link-local (cloud metadata), unspecified,
 * multicast and broadcast never; private, loopback and other non-public ranges only for an
 * endpoint on the gym's own network; plain http only to loopback.
 */
export function addressAllowed(
  address: string,
  options: { privateNetwork: boolean; plainHttp: boolean },
): boolean {
  let range: string;
  try {
    range = embeddedIpv4(ipaddr.process(address)).range();
  } catch {
    return false;
  }
  if (options.plainHttp) return range === 'loopback';
  if (NEVER.has(range)) return false;
  return range === 'unicast' || options.privateNetwork;
}

// IPv6 ranges that carry an IPv4 address to translate (NAT64, 6to4, Teredo) are never used for
// a gym's own network, and could carry a forbidden address: never either.
const NEVER = new Set([
  'linkLocal',
  'unspecified',
  'multicast',
  'broadcast',
  'rfc6052',
  'rfc6145',
  '6to4',
  'teredo',
]);

/**
 * An IPv4-compatible IPv6 address (`::a.b.c.d`, deprecated, still routed to IPv4 by some stacks)
 * as the IPv4 address it holds; any other address as it is.
 */
function embeddedIpv4(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() !== 'ipv6') return address;
  const parts = (address as ipaddr.IPv6).parts;
  if (parts.slice(0, 6).some((part) => part !== 0) || (parts[6] === 0 && (parts[7] ?? 0) <= 1))
    return address;
  const [high = 0, low = 0] = parts.slice(6);
  return ipaddr.fromByteArray([high >> 8, high & 255, low >> 8, low & 255]);
}
