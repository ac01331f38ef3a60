/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624, equation 3), with the TCP/UDP/ICMPv6
 * pseudo-headers of RFC 793/768 (IPv4) and RFC 8200 §8.1 (IPv6). This file owns the arithmetic only: it
 * never decides which fields change and never allocates; sums are plain numbers kept below 2^32.
 */
import { get16 } from './bytes.js';

/**
 * The ones'-complement sum of `len` bytes at `b[off]` as 16-bit big-endian words (an odd last byte is
 * padded with zero, RFC 1071 §4.1), added to `initial`, folded to 16 bits.
 */
export function onesSum(b: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  const end = off + (len & ~1);
  let i = off;
  for (; i < end; i += 2) {
    sum += (b[i]! << 8) | b[i + 1]!;
    // Fold early enough that the accumulator never leaves the 32-bit range the shifts below assume.
    if (sum > 0x7fff0000) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (len & 1) sum += b[i]! << 8;
  return foldSum(sum);
}

/** Folds a 32-bit ones'-complement accumulator to 16 bits with end-around carry. */
export function foldSum(sum: number): number {
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Internet checksum of `len` bytes at `b[off]` (RFC 1071): the complement of their ones'-complement sum. */
export function internetChecksum(b: Uint8Array, off: number, len: number, initial = 0): number {
  return ~onesSum(b, off, len, initial) & 0xffff;
}

/**
 * Sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768): source and destination addresses at `b[srcOff]`
 * and `b[dstOff]`, zero, protocol, and the transport length.
 */
export function pseudoSum4(b: Uint8Array, srcOff: number, dstOff: number, protocol: number, length: number): number {
  return foldSum(
    get16(b, srcOff) + get16(b, srcOff + 2) + get16(b, dstOff) + get16(b, dstOff + 2) + protocol + (length & 0xffff),
  );
}

/**
 * Sum of the IPv6 pseudo-header (RFC 8200 §8.1): 16-byte source and destination, 32-bit upper-layer length,
 * three zero bytes and the next-header value.
 */
export function pseudoSum6(b: Uint8Array, srcOff: number, dstOff: number, nextHeader: number, length: number): number {
  let sum = nextHeader + (length & 0xffff) + (length >>> 16);
  for (let i = 0; i < 16; i += 2) sum += get16(b, srcOff + i) + get16(b, dstOff + i);
  return foldSum(sum);
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word changes from `oldWord` to `newWord`,
 * `HC' = ~(~HC + ~m + m')`. Equal to a full recomputation whenever the covered data does not sum to +0,
 * which no IP, TCP, UDP or ICMP header with its pseudo-header can.
 */
export function checksumUpdate16(check: number, oldWord: number, newWord: number): number {
  return ~foldSum((~check & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
}

/** RFC 1624 eqn. 3 for a 32-bit field (two words), e.g. an IPv4 address. */
export function checksumUpdate32(check: number, oldValue: number, newValue: number): number {
  const sum =
    (~check & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) +
    (~oldValue & 0xffff) +
    ((newValue >>> 16) & 0xffff) +
    (newValue & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

/**
 * RFC 1624 eqn. 3 for an even-length run of bytes that is about to change from `b[off..off+len)` to
 * `nb[noff..noff+len)` (an IPv6 address, a MAC-free header block). Call it before writing the new bytes.
 * The run must start at an even offset from the start of the checksummed data.
 */
export function checksumUpdateBytes(
  check: number,
  b: Uint8Array,
  off: number,
  nb: Uint8Array,
  noff: number,
  len: number,
): number {
  let sum = ~check & 0xffff;
  for (let i = 0; i < len; i += 2) sum += (~get16(b, off + i) & 0xffff) + get16(nb, noff + i);
  return ~foldSum(sum) & 0xffff;
}
