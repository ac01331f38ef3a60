/**
 * IPv4 fragmentation (RFC 791 §2.3 and §3.2, "Fragmentation and Reassembly") as the kernel does it on output,
 * the slow path of `ip_do_fragment` (net/ipv4/ip_output.c; `ip_frag_init` / `ip_frag_next` in newer
 * kernels) with `ip_options_fragment` (net/ipv4/ip_options.c): one fragment at a time into a caller's
 * buffer, for a packet without DF that is too big for the egress link (IPVS lets the kernel fragment such
 * packets; LVS-TUN does it here), checked byte for byte against fragments Linux 6.18 emitted (the kernel trace in
 * test/fragment.test.ts). Owns the fragment geometry and the fragment headers; it must never
 * allocate, throw, modify the original packet, touch the transport header, or write outside the
 * destination range.
 */
import { get16, internetChecksum, put16 } from '@lvskit/base';
import {
  IPV4_CHECKSUM,
  IPV4_FLAGS_FRAGOFF,
  IPV4_MF,
  IPV4_MIN_MTU,
  IPV4_MIN_SIZE,
  IPV4_OFFSET_MASK,
  IPV4_TOTAL_LENGTH,
} from './headers/ipv4.js';
import type { PacketInfo } from './parse.js';
import { copyAndSum } from './segment.js';

/** IP option type: end of option list (RFC 791 §3.1). */
const IPOPT_END = 0;
/** IP option type: no operation. */
const IPOPT_NOOP = 1;
/** The copied flag of an option type: the option belongs in every fragment (`IPOPT_COPIED`). */
const IPOPT_COPY = 0x80;

/**
 * How many fragments `ip_do_fragment` cuts the IPv4 packet parsed into `info` into for a link of `mtu`
 * bytes (IP header included): data per fragment is `mtu − header` rounded down to a multiple of 8 except
 * for the last, which takes what is left once it fits in `mtu − header`. A packet that already fits gives 1
 * (itself, unchanged: `ip_finish_output` does not fragment it). 0 when it cannot be fragmented here: not
 * IPv4, DF set (the caller sends ICMP fragmentation-needed instead), `mtu` not an integer of at least 68
 * (RFC 791's minimum), less than 8 data bytes per fragment after the header, or (fragmenting a fragment)
 * data ending past offset 65535.
 */
export function fragmentCount(info: PacketInfo, mtu: number): number {
  if (info.family !== 4 || info.dontFragment) return 0;
  if (!Number.isInteger(mtu) || mtu < IPV4_MIN_MTU) return 0;
  const hl = info.l4Offset - info.l3Offset;
  const room = mtu - hl;
  if (room < 8) return 0;
  if (info.l3Length <= mtu) return 1;
  const data = info.l3Length - hl;
  // A fragment reaching past byte 65535 of its datagram has no offset to carry (RFC 791 §3.2; ip_frag_queue
  // would drop it anyway): rather than wrap the 13-bit offset into the flags, refuse.
  if (info.fragmentOffset + data > 0xffff) return 0;
  // Full fragments of `per` bytes until the rest fits in `room` (ip_do_fragment: `len &= ~7` unless last).
  const per = room & ~7;
  return Math.ceil((data - room) / per) + 1;
}

/**
 * Writes fragment `k` (0-based) of the IPv4 packet in `src` (parsed into `info`) for a link of `mtu` bytes
 * as a complete Ethernet frame at `dst[dstOffset..]` (the packet's own L2 header, VLAN tags included) and
 * returns its length; 0 (nothing written) when `k` is out of range, {@link fragmentCount} is 0, or the
 * fragment does not fit in `dst`. `dst` must not share bytes with `src`.
 *
 * As `ip_do_fragment`'s slow path: every fragment repeats the original header at its full length, with the
 * same ID, TOS and TTL; its offset is the original offset plus its place in the data (fragmenting a fragment
 * keeps counting from where that fragment started); MF is set on all but the last, and on the last too when
 * the original had MF; the reserved flag is cleared; total length and header checksum are its own. When the
 * original starts at offset 0, the fragments after the first carry its options as `ip_options_fragment`
 * leaves them: each option whose copied flag (0x80) is clear is overwritten with NOPs over its whole length,
 * the walk stopping at an end-of-list option or a malformed length; a non-first original's options are
 * copied as they are ("options are already fixed"). The transport header and payload are copied untouched:
 * a CHECKSUM_PARTIAL packet must have its checksum completed first (`skb_checksum_help` in ip_do_fragment).
 * A packet that fits (count 1) is copied unchanged, Ethernet padding dropped.
 */
export function writeFragment(
  src: Uint8Array,
  info: PacketInfo,
  mtu: number,
  k: number,
  dst: Uint8Array,
  dstOffset: number,
): number {
  const n = fragmentCount(info, mtu);
  if (n === 0 || !Number.isInteger(k) || k < 0 || k >= n) return 0;
  const l3 = info.l3Offset;
  if (l3 + info.l3Length > src.length) return 0;
  const hl = info.l4Offset - l3;
  const data = info.l3Length - hl;
  const per = (mtu - hl) & ~7;
  const start = k * per;
  const len = k === n - 1 ? data - start : per;
  const headers = l3 + hl;
  const length = headers + len;
  if (!Number.isInteger(dstOffset) || dstOffset < 0 || dstOffset + length > dst.length) return 0;

  for (let i = 0; i < headers; i++) dst[dstOffset + i] = src[i]!;
  copyAndSum(dst, dstOffset + headers, src, info.l4Offset + start, len, 0); // its sum is not needed
  if (n === 1) return length;

  const o = dstOffset + l3;
  const word = get16(src, l3 + IPV4_FLAGS_FRAGOFF);
  const origin = (word & IPV4_OFFSET_MASK) << 3;
  const more = k < n - 1 || (word & IPV4_MF) !== 0;
  put16(dst, o + IPV4_FLAGS_FRAGOFF, ((origin + start) >>> 3) | (more ? IPV4_MF : 0));
  put16(dst, o + IPV4_TOTAL_LENGTH, hl + len);
  if (k > 0 && origin === 0) fragmentOptions(dst, o + IPV4_MIN_SIZE, hl - IPV4_MIN_SIZE);
  put16(dst, o + IPV4_CHECKSUM, 0);
  put16(dst, o + IPV4_CHECKSUM, internetChecksum(dst, o, hl));
  return length;
}

/**
 * `ip_options_fragment`: overwrites with NOPs every option (type byte, length byte and data) whose copied
 * flag is clear, in the `l` option bytes at `b[p]`. Stops at END, and at a length below 2 or beyond the
 * bytes left, leaving the rest as it is; the header length never changes.
 */
function fragmentOptions(b: Uint8Array, p: number, l: number): void {
  while (l > 0) {
    const type = b[p]!;
    if (type === IPOPT_END) return;
    if (type === IPOPT_NOOP) {
      l--;
      p++;
      continue;
    }
    // With one byte left the kernel reads the length from past the options; any value there ends the walk.
    if (l < 2) return;
    const optlen = b[p + 1]!;
    if (optlen < 2 || optlen > l) return;
    if ((type & IPOPT_COPY) === 0) b.fill(IPOPT_NOOP, p, p + optlen);
    l -= optlen;
    p += optlen;
  }
}
