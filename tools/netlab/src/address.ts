/**
 * Address rules of the lab: every IPv4 address comes from 198.18.0.0/15 (RFC 2544 benchmarking space) and
 * every IPv6 address from 2001:2::/48 (RFC 5180 §8, the IPv6 benchmarking prefix; IANA IPv6 special-purpose
 * registry "Benchmarking"), so a lab can never collide with a real network. This file only validates and
 * computes; it must never run commands.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { LvsError } from '@lvskit/base';

/** Parses dotted IPv4 to an unsigned 32-bit number (caller has checked `isIPv4`). */
export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

/** Formats an unsigned 32-bit number as dotted IPv4. */
export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}

/**
 * Parses IPv6 text (RFC 4291 §2.2: full, `::`-compressed, leading zeros, mixed-case hex, dotted IPv4 tail)
 * to its eight 16-bit groups; `undefined` when `ip` is not an IPv6 address. A zone index (`%eth0`) is refused:
 * it names a link, and no lab address carries one.
 */
export function ipv6Groups(ip: string): number[] | undefined {
  // isIPv6 has already checked the syntax (hex digits, at most one `::`, group count); this only converts.
  if (!isIPv6(ip) || ip.includes('%')) return undefined;
  const toGroups = (text: string): number[] => {
    if (text === '') return [];
    const out: number[] = [];
    for (const part of text.split(':')) {
      if (part.includes('.')) {
        const v4 = ipv4ToInt(part);
        out.push(v4 >>> 16, v4 & 0xffff);
      } else out.push(Number.parseInt(part, 16));
    }
    return out;
  };
  const [head = '', tail, extra] = ip.split('::');
  if (extra !== undefined) return undefined;
  const headGroups = toGroups(head);
  if (tail === undefined) return headGroups.length === 8 ? headGroups : undefined;
  const tailGroups = toGroups(tail);
  // `::` stands for one or more zero groups (RFC 4291 §2.2 item 2).
  const zeros = 8 - headGroups.length - tailGroups.length;
  if (zeros < 1) return undefined;
  return [...headGroups, ...new Array<number>(zeros).fill(0), ...tailGroups];
}

/** True when `ip` (no prefix length) lies in 198.18.0.0/15 or 2001:2::/48. */
export function isLabAddress(ip: string): boolean {
  if (isIPv4(ip)) return ipv4ToInt(ip) >>> 17 === ipv4ToInt('198.18.0.0') >>> 17;
  // 2001:2::/48: the first three groups are exactly 2001, 0002 and 0000; compared as numbers, so every
  // text form of the same address gives the same answer.
  const g = ipv6Groups(ip);
  return g !== undefined && g[0] === 0x2001 && g[1] === 0x0002 && g[2] === 0x0000;
}

/**
 * Checks `cidr` (`address/len`, or a bare address) and returns it unchanged.
 * @throws LvsError `NETLAB_BAD_ADDRESS` when it is malformed or outside the lab ranges
 */
export function checkLabCidr(cidr: string): string {
  const [ip, len, extra] = cidr.split('/');
  const max = ip !== undefined && isIPv6(ip) ? 128 : 32;
  const lenOk = len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= max);
  if (ip === undefined || extra !== undefined || !lenOk || !isLabAddress(ip)) {
    throw new LvsError(
      'NETLAB_BAD_ADDRESS',
      `netlab: ${JSON.stringify(cidr)} is not an address in 198.18.0.0/15 or 2001:2::/48`,
    );
  }
  return cidr;
}

/**
 * The `index`-th host address of an IPv4 subnet given as `a.b.c.d/len`, returned as `addr/len`.
 * @throws LvsError `NETLAB_BAD_ADDRESS` when the subnet is outside the lab range or too small
 */
export function hostAddress(subnet: string, index: number): string {
  checkLabCidr(subnet);
  const [ip, lenText] = subnet.split('/');
  const len = Number(lenText ?? 32);
  if (ip === undefined || !isIPv4(ip) || len > 30) {
    throw new LvsError('NETLAB_BAD_ADDRESS', `netlab: ${subnet} must be an IPv4 subnet of /30 or larger`);
  }
  const size = 2 ** (32 - len);
  if (!Number.isInteger(index) || index < 1 || index >= size - 1) {
    throw new LvsError('NETLAB_BAD_ADDRESS', `netlab: host ${index} does not fit in ${subnet}`);
  }
  const base = (ipv4ToInt(ip) & ~(size - 1)) >>> 0;
  return `${intToIpv4(base + index)}/${len}`;
}
