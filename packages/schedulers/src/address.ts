/**
 * Addresses and flows as the schedulers see them: bytes in network order, never strings on the pick path.
 * Owns parsing text addresses (control path only), the kernel's address folding and `hash_32`.
 * Must never allocate in the functions the pick path calls (`fold`, `hash32`, `readU32`).
 */
import { LvsError } from '@lvskit/base';

/** IP protocol numbers (IANA) for the transport protocols IPVS balances. */
export const IPPROTO_TCP = 6;
/** UDP protocol number. */
export const IPPROTO_UDP = 17;
/** SCTP protocol number. */
export const IPPROTO_SCTP = 132;

/** Address family: 4 for IPv4, 6 for IPv6. */
export type Family = 4 | 6;

/** A transport protocol by name or IP protocol number. */
export type ProtocolName = 'tcp' | 'udp' | 'sctp';

/**
 * A flow as a scheduler needs it. Addresses are 16-byte arrays in network byte order (IPv4 uses the first
 * four bytes). On the packet path one Flow is allocated up front and refilled for every packet.
 */
export interface Flow {
  /** Address family of both addresses. */
  family: Family;
  /** IP protocol number (6 TCP, 17 UDP, 132 SCTP, other values allowed). */
  protocol: number;
  /** Client (source) address, network order. */
  readonly saddr: Uint8Array;
  /** Client (source) port, host order. 0 for protocols without ports. */
  sport: number;
  /** Destination (virtual) address, network order. */
  readonly daddr: Uint8Array;
  /** Destination (virtual) port, host order. */
  dport: number;
}

/** A flow written with text addresses, for tests, tools and examples. */
export interface FlowInit {
  /** Transport protocol; default `tcp`. */
  protocol?: ProtocolName | number;
  /** Client address (IPv4 or IPv6 text). */
  source: string;
  /** Client port; default 0. */
  sourcePort?: number;
  /** Virtual address (same family as `source`). */
  destination: string;
  /** Virtual port; default 0. */
  destinationPort?: number;
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Parses an IPv4 or IPv6 address written as text into 16 bytes (network order). Throws
 * `LvsError('INVALID_ARGUMENT')` for anything else.
 * @param text - e.g. `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`
 * @param out - optional 16-byte array to fill
 */
export function parseAddress(
  text: string,
  out: Uint8Array = new Uint8Array(16),
): { family: Family; bytes: Uint8Array } {
  out.fill(0);
  if (typeof text !== 'string') throw new LvsError('INVALID_ARGUMENT', `not an IP address: ${String(text)}`);
  if (IPV4_RE.test(text)) {
    const parts = text.split('.');
    for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
    return { family: 4, bytes: out };
  }
  const v6 = parseIPv6(text, out);
  if (!v6) throw new LvsError('INVALID_ARGUMENT', `not an IP address: ${JSON.stringify(text)}`);
  return { family: 6, bytes: out };
}

function parseIPv6(text: string, out: Uint8Array): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let s = text;
  const words: number[] = [];
  // An embedded dotted IPv4 tail counts as two words.
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  let tailWords: number[] = [];
  if (tail.includes('.')) {
    if (!IPV4_RE.test(tail)) return false;
    const p = tail.split('.').map(Number) as [number, number, number, number];
    tailWords = [(p[0] << 8) | p[1], (p[2] << 8) | p[3]];
    s = `${s.slice(0, lastColon + 1)}0`; // placeholder word, replaced below
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const parseWords = (part: string): number[] | null => {
    if (part === '') return [];
    const r: number[] = [];
    for (const w of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return null;
      r.push(Number.parseInt(w, 16));
    }
    return r;
  };
  const head = parseWords(halves[0] ?? '');
  const rest = halves.length === 2 ? parseWords(halves[1] ?? '') : [];
  if (!head || !rest) return false;
  const fix = (arr: number[]): number[] => (tailWords.length ? [...arr.slice(0, -1), ...tailWords] : arr);
  let all: number[];
  if (halves.length === 2) {
    const h = rest.length ? head : fix(head);
    const r = rest.length ? fix(rest) : rest;
    const missing = 8 - h.length - r.length;
    if (missing < 1) return false;
    all = [...h, ...new Array<number>(missing).fill(0), ...r];
  } else {
    all = fix(head);
    if (all.length !== 8) return false;
  }
  words.push(...all);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = (words[i]! >> 8) & 0xff;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  return true;
}

/**
 * Formats 4 or 16 address bytes as text (IPv6 in RFC 5952 form: lowercase, longest zero run compressed).
 * @param family - 4 or 6
 * @param bytes - network-order bytes
 */
export function formatAddress(family: Family, bytes: Uint8Array): string {
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

/** Reads a big-endian u32 at `off` (the kernel's `ntohl` of a 32-bit address word). */
export function readU32(bytes: Uint8Array, off: number): number {
  return ((bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 0;
}

/**
 * The kernel's `ntohl(ip_vs_addr_fold(addr))`: the IPv4 address, or the XOR of the four 32-bit words of
 * an IPv6 address, as a host-order unsigned 32-bit value.
 * @see include/net/ip_vs.h `ip_vs_addr_fold`
 */
export function fold(family: Family, bytes: Uint8Array): number {
  if (family === 4) return readU32(bytes, 0);
  return (readU32(bytes, 0) ^ readU32(bytes, 4) ^ readU32(bytes, 8) ^ readU32(bytes, 12)) >>> 0;
}

/** `GOLDEN_RATIO_32` from include/linux/hash.h. */
export const GOLDEN_RATIO_32 = 0x61c88647;

/**
 * The kernel's `hash_32(val, bits)`: `(val * GOLDEN_RATIO_32) >> (32 - bits)` in 32-bit arithmetic.
 * @see include/linux/hash.h
 */
export function hash32(val: number, bits: number): number {
  return Math.imul(val >>> 0, GOLDEN_RATIO_32) >>> (32 - bits);
}

/** Maps a protocol name to its IP protocol number; numbers pass through after range checking. */
export function protocolNumber(p: ProtocolName | number | undefined): number {
  if (p === undefined || p === 'tcp') return IPPROTO_TCP;
  if (p === 'udp') return IPPROTO_UDP;
  if (p === 'sctp') return IPPROTO_SCTP;
  if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 255) return p;
  throw new LvsError('INVALID_ARGUMENT', `unknown protocol: ${String(p)}`);
}

function checkPort(p: number | undefined, what: string): number {
  if (p === undefined) return 0;
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new LvsError('INVALID_ARGUMENT', `${what} out of range: ${p}`);
  return p;
}

/** Allocates an empty flow (IPv4, TCP, all zero) for reuse on a hot path. */
export function emptyFlow(): Flow {
  return { family: 4, protocol: IPPROTO_TCP, saddr: new Uint8Array(16), sport: 0, daddr: new Uint8Array(16), dport: 0 };
}

/**
 * Fills `flow` (or a new one) from text addresses. Control path: parses text.
 * @param init - the flow with text addresses
 * @param flow - an existing flow to refill, to avoid allocation
 */
export function makeFlow(init: FlowInit, flow: Flow = emptyFlow()): Flow {
  const s = parseAddress(init.source, flow.saddr);
  const d = parseAddress(init.destination, flow.daddr);
  if (s.family !== d.family) throw new LvsError('INVALID_ARGUMENT', 'source and destination are of different families');
  flow.family = s.family;
  flow.protocol = protocolNumber(init.protocol);
  flow.sport = checkPort(init.sourcePort, 'source port');
  flow.dport = checkPort(init.destinationPort, 'destination port');
  return flow;
}
