import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a client address is limited under. IPv4 addresses (also written IPv4-mapped, as a
 * dual-stack socket reports them) stand for themselves: a gym's NAT is one address and its
 * limits are sized for that. An IPv6 address stands for its /64, the smallest network a
 * provider hands out: one subscriber can use every address in it, so limiting single IPv6
 * addresses would limit nobody.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (isIPv4(address) || !isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, without zone, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const plain = (address.split('%')[0] as string).toLowerCase();
  const [head = '', tail] = plain.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::ffff:0:1.2.3.4 forms) is two groups; only the first four matter here.
  const width = (parts: string[]) => parts.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  const zeros = Array.from({ length: 8 - width(left) - width(right) }, () => '0');
  return [...left, ...zeros, ...right].map((g) =>
    g.includes('.') ? g : parseInt(g, 16).toString(16),
  );
}
