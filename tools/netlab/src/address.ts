/**
 * Address rules of the lab: every IPv4 address comes from 198.18.0.0/15 (RFC 2544 benchmarking space) and
 * every IPv6 address from 2001:db8::/32 (RFC 3849 documentation space), so a lab can never collide with a
 * real network. This file only validates and computes; it must never run commands.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { LvsError } from '@lvskit/schedulers';

/** Parses dotted IPv4 to an unsigned 32-bit number (caller has checked `isIPv4`). */
export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

/** Formats an unsigned 32-bit number as dotted IPv4. */
export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}

/** True when `ip` (no prefix length) lies in 198.18.0.0/15 or 2001:db8::/32. */
export function isLabAddress(ip: string): boolean {
  if (isIPv4(ip)) return ipv4ToInt(ip) >>> 17 === ipv4ToInt('198.18.0.0') >>> 17;
  if (isIPv6(ip)) return /^2001:0?db8:/i.test(ip);
  return false;
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
      `netlab: ${JSON.stringify(cidr)} is not an address in 198.18.0.0/15 or 2001:db8::/32`,
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
