/**
 * Addresses and flows as the schedulers see them: bytes in network order, never strings on the pick path.
 * Owns parsing text addresses (control path only), the kernel's address folding and `hash_32`.
 * Must never allocate in the functions the pick path calls (`fold`, `hash32`, `readU32`).
 */
import {
  addrFold,
  type Family,
  formatIp,
  get32,
  IPPROTO_TCP,
  LvsError,
  type ProtocolName,
  parseAddress,
  protocolNumber,
} from '@lvskit/base';

// The address words are @lvskit/base's; these internal names keep the scheduler files reading as the kernel's.
export { type Family, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, type ProtocolName, parseAddress } from '@lvskit/base';
/** `ntohl(ip_vs_addr_fold(addr))` (base `addrFold`). */
export const fold = addrFold;
/** Big-endian u32 (base `get32`). */
export const readU32 = get32;
/** Address text of `family` from bytes (base `formatIp`). */
export function formatAddress(family: Family, bytes: Uint8Array): string {
  return formatIp(bytes, family);
}

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

/** `GOLDEN_RATIO_32` from include/linux/hash.h. */
export const GOLDEN_RATIO_32 = 0x61c88647;

/**
 * The kernel's `hash_32(val, bits)`: `(val * GOLDEN_RATIO_32) >> (32 - bits)` in 32-bit arithmetic.
 * @see include/linux/hash.h
 */
export function hash32(val: number, bits: number): number {
  return Math.imul(val >>> 0, GOLDEN_RATIO_32) >>> (32 - bits);
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
