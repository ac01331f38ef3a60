/**
 * The C library address routines ipvsadm leans on, reproduced so text matches byte for byte: glibc
 * `inet_aton` (lenient IPv4: 1–4 parts, octal/hex), `inet_pton` (strict IPv4 / IPv6) and `inet_ntop`
 * (IPv6 with the longest zero run compressed and IPv4-mapped tails dotted), plus the small /etc/services
 * table used for port names. Control path only; must never resolve names over the network.
 */
import type { Family } from '@lvskit/base';
import type { IpvsProtocol } from './types.js';

/** glibc `isspace` for the C locale. */
function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/**
 * glibc `inet_aton`: returns the IPv4 address as an unsigned host-order number, or `undefined`.
 * Parts are decimal, octal (leading 0) or hex (0x); `a`, `a.b`, `a.b.c`, `a.b.c.d` forms; text after
 * whitespace is ignored, as glibc does.
 */
export function inetAton(text: string): number | undefined {
  const parts: number[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    const c = text[i];
    if (c === undefined || !/[0-9]/.test(c)) return undefined;
    let base = 10;
    if (c === '0') {
      const x = text[i + 1];
      if (x === 'x' || x === 'X') {
        base = 16;
        i += 2;
      } else {
        base = 8;
        i += 1;
      }
    }
    let val = 0;
    const first = i;
    for (; i < n; i++) {
      const d = text[i]!;
      const v = base === 16 ? Number.parseInt(d, 16) : /[0-9]/.test(d) ? Number(d) : Number.NaN;
      if (Number.isNaN(v) || v >= base) break;
      val = val * base + v;
      if (val > 0xffffffff) return undefined;
    }
    // strtoul reads "0x" with no hex digit as "0" followed by a stray 'x', which inet_aton rejects.
    if (base === 16 && i === first) return undefined;
    parts.push(val);
    const t = text[i];
    if (t === '.') {
      if (parts.length >= 4) return undefined;
      i++;
      continue;
    }
    if (t !== undefined && !isSpace(t)) return undefined;
    break;
  }
  const [a = 0, b = 0, c = 0, d = 0] = parts;
  switch (parts.length) {
    case 1:
      return a;
    case 2:
      if (a > 0xff || b > 0xffffff) return undefined;
      return (a * 0x1000000 + b) >>> 0;
    case 3:
      if (a > 0xff || b > 0xff || c > 0xffff) return undefined;
      return (a * 0x1000000 + b * 0x10000 + c) >>> 0;
    default:
      if (a > 0xff || b > 0xff || c > 0xff || d > 0xff) return undefined;
      return (a * 0x1000000 + b * 0x10000 + c * 0x100 + d) >>> 0;
  }
}

/** glibc `inet_pton(AF_INET)`: exactly four decimal parts 0..255 without leading zeros. */
export function inetPton4(text: string, out?: Uint8Array, offset = 0): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return false;
  const bytes: number[] = [];
  for (let k = 1; k <= 4; k++) {
    const p = m[k]!;
    if (p.length > 1 && p[0] === '0') return false;
    const v = Number(p);
    if (v > 255) return false;
    bytes.push(v);
  }
  if (out) for (let k = 0; k < 4; k++) out[offset + k] = bytes[k]!;
  return true;
}

/** glibc `inet_pton(AF_INET6)` into 16 bytes; false when `text` is not an IPv6 address. */
export function inetPton6(text: string, out: Uint8Array = new Uint8Array(16)): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const parse = (part: string, v4Tail: boolean): number[] | null => {
    if (part === '') return [];
    const ps = part.split(':');
    const words: number[] = [];
    for (let k = 0; k < ps.length; k++) {
      const p = ps[k]!;
      if (v4Tail && k === ps.length - 1 && p.includes('.')) {
        const four = new Uint8Array(4);
        if (!inetPton4(p, four)) return null;
        words.push((four[0]! << 8) | four[1]!, (four[2]! << 8) | four[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      words.push(Number.parseInt(p, 16));
    }
    return words;
  };
  let full: number[];
  if (halves.length === 1) {
    const w = parse(text, true) ?? [];
    if (w.length !== 8) return false;
    full = w;
  } else {
    const head = parse(halves[0]!, false);
    const tail = parse(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return false;
    full = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  for (let k = 0; k < 8; k++) {
    out[k * 2] = (full[k]! >> 8) & 0xff;
    out[k * 2 + 1] = full[k]! & 0xff;
  }
  return true;
}

/** glibc `inet_ntop`: IPv4 dotted; IPv6 lowercase, longest zero run (≥ 2 words, first wins) as `::`. */
export function inetNtop(family: Family, bytes: Uint8Array): string {
  if (family === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const w: number[] = [];
  for (let k = 0; k < 8; k++) w.push((bytes[k * 2]! << 8) | bytes[k * 2 + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let k = 0; k < 8; ) {
    if (w[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && w[j] === 0) j++;
    if (j - k > bestLen) {
      best = k;
      bestLen = j - k;
    }
    k = j;
  }
  if (bestLen < 2) best = -1;
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (best >= 0 && k >= best && k < best + bestLen) {
      if (k === best) out += ':';
      continue;
    }
    if (k !== 0) out += ':';
    // glibc inet_ntop6: an IPv4-compatible (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d) tail is dotted.
    if (
      k === 6 &&
      best === 0 &&
      (bestLen === 6 || (bestLen === 7 && w[7] !== 1) || (bestLen === 5 && w[5] === 0xffff))
    ) {
      out += `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
      break;
    }
    out += w[k]!.toString(16);
  }
  if (best >= 0 && best + bestLen === 8) out += ':';
  return out;
}

/** Parses address text of a known family into 16 bytes (IPv4 in the first four); undefined if invalid. */
export function addressBytes(family: Family, text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  if (family === 4) return inetPton4(text, out) ? out : undefined;
  return inetPton6(text, out) ? out : undefined;
}

/** Host-order u32 from four bytes at `off`. */
export function u32(bytes: Uint8Array, off: number): number {
  return ((bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 0;
}

/** Writes a host-order u32 as four bytes. */
export function u32ToDotted(v: number): string {
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/**
 * Port names ipvsadm accepts through `getservbyname(3)`. lvskit does not read /etc/services; this is a
 * built-in subset of Debian netbase's file (name → port, per protocol). Aliases included: `www` (http).
 */
export const SERVICE_PORTS: Readonly<Record<IpvsProtocol, Readonly<Record<string, number>>>> = {
  tcp: {
    'ftp-data': 20,
    ftp: 21,
    ssh: 22,
    telnet: 23,
    smtp: 25,
    domain: 53,
    gopher: 70,
    finger: 79,
    http: 80,
    www: 80,
    kerberos: 88,
    pop3: 110,
    sunrpc: 111,
    nntp: 119,
    imap2: 143,
    imap: 143,
    ldap: 389,
    https: 443,
    'microsoft-ds': 445,
    submission: 587,
    ldaps: 636,
    rsync: 873,
    imaps: 993,
    pop3s: 995,
    'ms-sql-s': 1433,
    radius: 1812,
    mysql: 3306,
    sip: 5060,
    postgresql: 5432,
    'http-alt': 8080,
    webcache: 8080,
  },
  udp: {
    domain: 53,
    bootps: 67,
    bootpc: 68,
    tftp: 69,
    http: 80,
    kerberos: 88,
    sunrpc: 111,
    ntp: 123,
    snmp: 161,
    'snmp-trap': 162,
    ldap: 389,
    https: 443,
    isakmp: 500,
    syslog: 514,
    openvpn: 1194,
    radius: 1812,
    'radius-acct': 1813,
    sip: 5060,
  },
  sctp: {},
};

/** `service_to_port`: a port number for a service name, or -1 (ipvsadm.c). */
export function serviceToPort(name: string, protocol: IpvsProtocol | undefined): number {
  if (protocol === undefined) return -1;
  const table = SERVICE_PORTS[protocol];
  return Object.hasOwn(table, name) ? table[name]! : -1;
}
