/**
 * IPv4/IPv6 text ↔ byte conversion for the control path (configuration, logging, tests). Addresses are
 * `Uint8Array`s in network order: 4 bytes for IPv4, 16 for IPv6. Must never be called per packet on a
 * hot path except {@link bytesEqual} and {@link compareBytes}, which allocate nothing.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { LvsError } from '@lvskit/base';

/** Address family of a VRRP instance: 4 (IPv4) or 6 (IPv6). */
export type IpFamily = 4 | 6;

/**
 * Parses an IPv4 or IPv6 address into network-order bytes (4 or 16). Throws `INVALID_ARGUMENT`.
 * @param text - e.g. `198.18.0.1` or `fe80::1`
 */
export function parseIp(text: string): Uint8Array {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (isIPv6(text)) {
    const out = new Uint8Array(16);
    let t = text;
    const zone = t.indexOf('%');
    if (zone >= 0) t = t.slice(0, zone);
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
    if (v4?.[1]) {
      const b = v4[1].split('.').map(Number) as [number, number, number, number];
      t = `${t.slice(0, -v4[1].length)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
    }
    const [head = '', tail] = t.split('::') as [string, string | undefined];
    const h = head === '' ? [] : head.split(':');
    const tl = tail === undefined || tail === '' ? [] : tail.split(':');
    const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
    for (let i = 0; i < 8; i++) {
      const g = Number.parseInt(groups[i] ?? '0', 16);
      out[i * 2] = g >>> 8;
      out[i * 2 + 1] = g & 0xff;
    }
    return out;
  }
  throw new LvsError('INVALID_ARGUMENT', `not an IP address: ${JSON.stringify(text)}`);
}

/**
 * Formats network-order bytes (4 or 16) as text; IPv6 in RFC 5952 compressed form.
 * @param bytes - the address
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // Longest run of zero groups (length ≥ 2) becomes '::'.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Family of an address given as bytes. */
export function familyOf(bytes: Uint8Array): IpFamily {
  return bytes.length === 4 ? 4 : 6;
}

/**
 * True when `a[aOff, aOff+len)` equals `b[0, len)`. Allocates nothing.
 * @param a - bytes holding the first address (e.g. a packet)
 * @param aOff - where it starts
 * @param b - the second address
 */
export function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[aOff + i] !== b[i]) return false;
  return true;
}

/**
 * Compares two addresses as unsigned big-endian numbers (−1, 0, 1), as keepalived's
 * `inet_inaddrcmp` does with `ntohl` for IPv4 and `memcmp` for IPv6. Allocates nothing.
 * @param a - first address
 * @param b - second address (same length)
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
