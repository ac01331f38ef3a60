/**
 * The one address and MAC parser and formatter of lvskit, for the control path (configuration, logging,
 * tests): IPv4/IPv6 text ↔ network-order bytes, RFC 5952 text form, `address:port` endpoints with IPv6
 * brackets, prefixes, the kernel's address fold, and the unicast test the kernel applies to real servers.
 * Nothing here is called per packet except {@link addrFold}, which allocates nothing.
 */
import { get32 } from './bytes.js';
import { LvsError } from './errors.js';

/** Address family: 4 for IPv4, 6 for IPv6. */
export type Family = 4 | 6;

/** A parsed address: its family and its bytes in network order (4 or 16 bytes, or 16 with `parseAddress`'s `out`). */
export interface ParsedAddress {
  /** 4 or 6. */
  readonly family: Family;
  /** Network-order bytes. */
  readonly bytes: Uint8Array;
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_WORD = /^[0-9a-fA-F]{1,4}$/;

function parseV4(text: string, out: Uint8Array): boolean {
  if (!IPV4_RE.test(text)) return false;
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
  return true;
}

function parseWords(part: string): number[] | null {
  if (part === '') return [];
  const r: number[] = [];
  for (const w of part.split(':')) {
    if (!HEX_WORD.test(w)) return null;
    r.push(Number.parseInt(w, 16));
  }
  return r;
}

function parseV6(text: string, out: Uint8Array): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let s = text;
  // An embedded dotted IPv4 tail (::ffff:192.0.2.1) counts as two words.
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const dotted = s.slice(lastColon + 1);
  if (dotted.includes('.')) {
    const v4 = new Uint8Array(4);
    if (lastColon < 0 || !parseV4(dotted, v4)) return false;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    // Keep a '::' that ends right before the tail; drop a single separating ':'.
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const head = parseWords(halves[0] ?? '');
  const rest = halves.length === 2 ? parseWords(halves[1] ?? '') : [];
  if (!head || !rest) return false;
  let words: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return false;
    words = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    words = [...head, ...tail];
    if (words.length !== 8) return false;
  }
  for (let i = 0; i < 8; i++) {
    out[i * 2] = (words[i]! >> 8) & 0xff;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  return true;
}

/**
 * The family of an address written as text, or `undefined` when it is not an IPv4 or IPv6 address. Never
 * throws, whatever `text` is.
 */
export function ipFamily(text: unknown): Family | undefined {
  if (typeof text !== 'string') return undefined;
  const scratch = new Uint8Array(16);
  if (parseV4(text, scratch)) return 4;
  if (parseV6(text, scratch)) return 6;
  return undefined;
}

/**
 * Parses an IPv4 or IPv6 address written as text into network-order bytes: 4 for IPv4, 16 for IPv6.
 * Zone suffixes (`%eth0`) are refused: a configured address has none.
 * @param text - e.g. `198.18.0.1`, `2001:2::1`, `::ffff:198.18.0.1`
 * @throws LvsError `INVALID_ARGUMENT` for anything else, naming the value
 */
export function parseIp(text: string): Uint8Array {
  const out = new Uint8Array(16);
  if (typeof text === 'string') {
    if (parseV4(text, out)) return out.slice(0, 4);
    if (parseV6(text, out)) return out;
  }
  throw new LvsError('INVALID_ARGUMENT', `not an IP address: ${describe(text)}`);
}

/**
 * Parses an address into the 16-byte form the schedulers and the connection table use (IPv4 in the first
 * four bytes, the rest zero), with its family.
 * @param text - the address
 * @param out - optional 16-byte array to fill (and return as `bytes`)
 * @throws LvsError `INVALID_ARGUMENT`
 */
export function parseAddress(text: string, out: Uint8Array = new Uint8Array(16)): ParsedAddress {
  out.fill(0);
  if (typeof text === 'string') {
    if (parseV4(text, out)) return { family: 4, bytes: out };
    out.fill(0);
    if (parseV6(text, out)) return { family: 6, bytes: out };
  }
  out.fill(0);
  throw new LvsError('INVALID_ARGUMENT', `not an IP address: ${describe(text)}`);
}

/**
 * Formats address bytes as text: IPv4 dotted quad, IPv6 in RFC 5952 form (lowercase, the longest run of
 * two or more zero words compressed, the first on a tie).
 * @param bytes - 4 bytes (IPv4) or 16 bytes (IPv6)
 * @param family - read 16-byte input as IPv4 (its first four bytes) when 4; default: by length
 * @throws LvsError `INVALID_ARGUMENT` for anything but 4 or 16 bytes (or family 6 with 4 bytes)
 */
export function formatIp(bytes: Uint8Array, family?: Family): string {
  if (!(bytes instanceof Uint8Array) || (bytes.length !== 4 && bytes.length !== 16))
    throw new LvsError('INVALID_ARGUMENT', `address bytes: expected 4 or 16 bytes, got ${describe(bytes)}`);
  if (family === undefined) family = bytes.length === 4 ? 4 : 6;
  else if (family !== 4 && (family !== 6 || bytes.length !== 16))
    throw new LvsError('INVALID_ARGUMENT', `address family ${describe(family)} for ${bytes.length} bytes`);
  if (family === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

/** The canonical text of an address (`2001:0002::0001` → `2001:2::1`); throws `INVALID_ARGUMENT`. */
export function canonicalIp(text: string): string {
  return formatIp(parseIp(text));
}

/**
 * `address:port` as ipvsadm and keepalived print it: IPv6 in brackets (`[2001:2::1]:80`).
 * @param address - address text or bytes
 * @param port - port number
 */
export function formatEndpoint(address: string | Uint8Array, port: number): string {
  if (typeof port !== 'number')
    throw new LvsError('INVALID_ARGUMENT', `port: expected a number, got ${describe(port)}`);
  if (typeof address !== 'string' && !(address instanceof Uint8Array))
    throw new LvsError('INVALID_ARGUMENT', `address: expected text or bytes, got ${describe(address)}`);
  const text = typeof address === 'string' ? address : formatIp(address);
  return text.includes(':') ? `[${text}]:${port}` : `${text}:${port}`;
}

/** A prefix: an address with its length (`198.18.0.0/15`). */
export interface ParsedPrefix extends ParsedAddress {
  /** Prefix length, 0..32 or 0..128. */
  readonly length: number;
}

/**
 * Parses `address/length`, or a bare address (full length). `198.18.0.100/` (empty length) is refused.
 * @throws LvsError `INVALID_ARGUMENT`
 */
export function parsePrefix(text: string): ParsedPrefix {
  if (typeof text !== 'string') throw new LvsError('INVALID_ARGUMENT', `not an address/prefix: ${describe(text)}`);
  const slash = text.indexOf('/');
  const bytes = parseIp(slash < 0 ? text : text.slice(0, slash));
  const family: Family = bytes.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return { family, bytes, length: max };
  const len = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) {
    throw new LvsError('INVALID_ARGUMENT', `bad prefix length in ${JSON.stringify(text)} (0..${max})`);
  }
  return { family, bytes, length: Number(len) };
}

/**
 * True when the address may be a real server or a VIP: not unspecified (`0.0.0.0`, `::`), not multicast
 * (224.0.0.0/4, ff00::/8), not the IPv4 limited broadcast `255.255.255.255`. The kernel refuses such real
 * servers (`ip_vs_add_dest`: `inet_addr_type` must be unicast or local).
 * @param bytes - 4 or 16 bytes
 */
export function isUnicast(bytes: Uint8Array): boolean {
  if (bytes.length === 4) {
    const v = get32(bytes, 0);
    return v !== 0 && v !== 0xffffffff && bytes[0]! >>> 4 !== 0xe;
  }
  if (bytes[0] === 0xff) return false;
  for (let i = 0; i < 16; i++) if (bytes[i] !== 0) return true;
  return false;
}

/**
 * The kernel's `ntohl(ip_vs_addr_fold(addr))`: the IPv4 address, or the XOR of the four 32-bit words of
 * an IPv6 address, as a host-order unsigned 32-bit value. Allocates nothing.
 * @param family - 4 or 6
 * @param bytes - network-order bytes (at least 4, or 16 for IPv6)
 * @see include/net/ip_vs.h `ip_vs_addr_fold`
 */
export function addrFold(family: Family, bytes: Uint8Array): number {
  if (family === 4) return get32(bytes, 0);
  return (get32(bytes, 0) ^ get32(bytes, 4) ^ get32(bytes, 8) ^ get32(bytes, 12)) >>> 0;
}

/**
 * Parses a MAC address written `aa:bb:cc:dd:ee:ff` (or with `-`) into 6 bytes.
 * @throws LvsError `INVALID_ARGUMENT`
 */
export function parseMac(text: string): Uint8Array {
  const m =
    typeof text === 'string'
      ? /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})$/i.exec(
          text,
        )
      : null;
  if (m === null) throw new LvsError('INVALID_ARGUMENT', `not a MAC address: ${describe(text)}`);
  return Uint8Array.from([m[1], m[3], m[4], m[5], m[6], m[7]], (h) => Number.parseInt(h!, 16));
}

/** Formats 6 bytes as `aa:bb:cc:dd:ee:ff` (lowercase, two digits each). */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A value for a message: strings quoted, everything else as JSON or its type. Never throws. */
export function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 120
      ? `${JSON.stringify(value.slice(0, 120))}… (${value.length} characters)`
      : JSON.stringify(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function' || typeof value === 'symbol') return typeof value;
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
