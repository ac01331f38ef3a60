/**
 * Software GSO: cutting a GSO/GRO super-frame (one TCP or UDP packet up to 64 KiB, received with the kernel's
 * `gso_type` and `gso_size` from PACKET_VNET_HDR) into the ordinary frames the kernel's own software
 * segmentation would produce, one at a time, so that LVS-TUN can encapsulate each (the kernel cannot be asked
 * to segment what it then receives as IPIP). Mirrors `inet_gso_segment` (net/ipv4/af_inet.c),
 * `ipv6_gso_segment` (net/ipv6/ip6_offload.c), `tcp_gso_segment` (net/ipv4/tcp_offload.c) and
 * `__udp_gso_segment` (net/ipv4/udp_offload.c), and checked byte for byte against segments Linux 6.18 emitted
 * (the kernel trace in test/segment.test.ts). Owns the per-segment header fields and the segments' full
 * checksums; it must never allocate, throw, modify the super-frame, or write outside the destination range.
 */

import { foldSum, get16, get32, internetChecksum, onesSum, pseudoSum4, pseudoSum6, put16, put32 } from '@lvskit/base';
import { GsoType } from '@lvskit/native';
import { IPPROTO_TCP, IPPROTO_UDP, IPV4_CHECKSUM, IPV4_ID, IPV4_TOTAL_LENGTH } from './headers/ipv4.js';
import {
  IPV6_EXT_DSTOPTS,
  IPV6_EXT_HOPOPTS,
  IPV6_EXT_ROUTING,
  IPV6_NEXT_HEADER,
  IPV6_PAYLOAD_LENGTH,
  IPV6_SIZE,
} from './headers/ipv6.js';
import {
  TCP_CHECKSUM,
  TCP_DATA_OFFSET,
  TCP_FIN,
  TCP_FLAGS,
  TCP_PSH,
  TCP_SEQ,
  UDP_CHECKSUM,
  UDP_LENGTH,
  UDP_SIZE,
} from './headers/transport.js';
import type { PacketInfo } from './parse.js';

/** TCP CWR flag (RFC 3168 §6.1). */
const TCP_CWR = 0x80;

/**
 * Length of the transport header the segments repeat, or 0 when the super-frame is not one we segment: the
 * type (ECN flag aside) must be TCPV4 / TCPV6 / UDP_L4 and match the parsed family and protocol, the packet
 * must not be a fragment and must have a valid transport header. IPv6 extension headers are skipped as
 * `ipv6_gso_pull_exthdrs` does (hop-by-hop, routing, destination options); any other one before the
 * transport header (AH) makes the kernel refuse too. A routing header with segments left is refused as
 * well: its pseudo-header destination is the final one, which only the sender's partial checksum carried.
 */
function transportHeaderLength(src: Uint8Array, info: PacketInfo, gsoType: number): number {
  if (!info.hasTransport || info.isFragment) return 0;
  const type = gsoType & ~GsoType.ECN;
  const l4 = info.l4Offset;
  let hl: number;
  if (type === GsoType.TCPV4 || type === GsoType.TCPV6) {
    if (info.protocol !== IPPROTO_TCP || info.family !== (type === GsoType.TCPV4 ? 4 : 6)) return 0;
    // parsePacket checked 20 ≤ data offset·4 ≤ l4Length.
    hl = (src[l4 + TCP_DATA_OFFSET]! >>> 4) << 2;
  } else if (type === GsoType.UDP_L4) {
    // udp4_ufo_fragment / udp6_ufo_fragment hand SKB_GSO_UDP_L4 to __udp_gso_segment for either family.
    if (info.protocol !== IPPROTO_UDP) return 0;
    hl = UDP_SIZE;
  } else {
    return 0;
  }
  if (info.family === 6 && !ipv6ChainSegmentable(src, info)) return 0;
  return hl;
}

/** True when the IPv6 extension chain holds only headers `ipv6_gso_pull_exthdrs` walks over. */
function ipv6ChainSegmentable(src: Uint8Array, info: PacketInfo): boolean {
  const l3 = info.l3Offset;
  let next = src[l3 + IPV6_NEXT_HEADER]!;
  let p = l3 + IPV6_SIZE;
  // parsePacket already walked this chain within bounds up to l4Offset.
  while (p < info.l4Offset) {
    if (next === IPV6_EXT_ROUTING) {
      if (src[p + 3] !== 0) return false; // segments left: the pseudo-header names another destination
    } else if (next !== IPV6_EXT_HOPOPTS && next !== IPV6_EXT_DSTOPTS) {
      return false; // AH and anything else: no INET6_PROTO_GSO_EXTHDR offload
    }
    next = src[p]!;
    p += (src[p + 1]! + 1) << 3;
  }
  return true;
}

/**
 * How many segments the super-frame in `src` (parsed into `info`) gives when cut at `gsoSize` payload bytes:
 * ⌈payload / gsoSize⌉, where payload is what follows the TCP header (options included) or the UDP header.
 * 0 when we cannot segment it: a type other than TCPV4, TCPV6 or UDP_L4 (UFO is not segmented here), a type
 * that does not match the packet's family and protocol, `gsoSize` not a positive integer, a fragment, no
 * valid transport header, an IPv6 extension the kernel does not segment past, or no payload at all.
 *
 * A payload of at most `gsoSize` gives 1: one ordinary frame with a full checksum (the kernel's
 * `tcp_gso_segment` and `__udp_gso_segment` refuse such a packet with -EINVAL; one frame is what it needed).
 */
export function gsoSegmentCount(src: Uint8Array, info: PacketInfo, gsoType: number, gsoSize: number): number {
  if (!Number.isInteger(gsoSize) || gsoSize <= 0) return 0;
  const hl = transportHeaderLength(src, info, gsoType);
  if (hl === 0) return 0;
  const payload = info.l4Length - hl;
  if (payload <= 0) return 0;
  return Math.ceil(payload / gsoSize);
}

/**
 * Writes segment `k` (0-based) of the super-frame in `src` as a complete Ethernet frame at
 * `dst[dstOffset..]` and returns its length; 0 (nothing written) when `k` is out of range, the super-frame
 * cannot be segmented ({@link gsoSegmentCount} is 0) or the segment does not fit in `dst`. `dst` must not
 * share bytes with `src`.
 *
 * Each segment carries the super-frame's L2 header (VLAN tags included), IP header and transport header
 * with, as the kernel's software GSO leaves them:
 * - IPv4: total length of the segment, ID + k (mod 2^16, `inet_gso_segment` without SKB_GSO_TCP_FIXEDID,
 *   which a vnet header cannot carry), header checksum recomputed; IPv6: payload length of the segment
 *   (`ipv6_gso_segment`), extension headers copied.
 * - TCP (`tcp_gso_segment`): sequence number + k·gsoSize; FIN and PSH only on the last segment; CWR only on
 *   the first (`th->cwr &= ecn_cwr_mask`, the mask being set only for AccECN, which virtio cannot signal).
 * - UDP (`__udp_gso_segment`): each segment's own UDP length.
 * - The TCP/UDP checksum computed in full over the segment (`gso_make_checksum`); the super-frame's field,
 *   which usually holds only a pseudo-header sum (CHECKSUM_PARTIAL), is ignored. A UDP result of 0 is sent
 *   as 0xffff (CSUM_MANGLED_0).
 * Everything else (MACs, TOS/traffic class, TTL, DF, IP options, TCP options, ack, window, urgent) is copied.
 * Ethernet padding after the IP packet is not.
 */
export function writeSegment(
  src: Uint8Array,
  info: PacketInfo,
  gsoType: number,
  gsoSize: number,
  k: number,
  dst: Uint8Array,
  dstOffset: number,
): number {
  const n = gsoSegmentCount(src, info, gsoType, gsoSize);
  if (n === 0 || !Number.isInteger(k) || k < 0 || k >= n) return 0;
  // The summary must describe these bytes: a DataView read past the buffer would throw.
  if (info.l3Offset + info.l3Length > src.length || info.l4Offset + info.l4Length > src.length) return 0;
  const thl = transportHeaderLength(src, info, gsoType);
  const l4 = info.l4Offset;
  const headers = l4 + thl; // L2 + L3 + L4 headers, repeated in every segment
  const payload = info.l4Length - thl;
  const start = k * gsoSize;
  const dataLen = k === n - 1 ? payload - start : gsoSize;
  const length = headers + dataLen;
  if (!Number.isInteger(dstOffset) || dstOffset < 0 || dstOffset + length > dst.length) return 0;

  for (let i = 0; i < headers; i++) dst[dstOffset + i] = src[i]!;
  const l3 = dstOffset + info.l3Offset;
  const t = dstOffset + l4;
  const l4Len = thl + dataLen;
  if (info.family === 4) {
    put16(dst, l3 + IPV4_TOTAL_LENGTH, info.l3Length - info.l4Length + l4Len);
    put16(dst, l3 + IPV4_ID, (get16(src, info.l3Offset + IPV4_ID) + k) & 0xffff);
    put16(dst, l3 + IPV4_CHECKSUM, 0);
    put16(dst, l3 + IPV4_CHECKSUM, internetChecksum(dst, l3, l4 - info.l3Offset));
  } else {
    put16(dst, l3 + IPV6_PAYLOAD_LENGTH, l4 - info.l3Offset - IPV6_SIZE + l4Len);
  }
  let field: number;
  if (info.protocol === IPPROTO_TCP) {
    put32(dst, t + TCP_SEQ, (get32(src, l4 + TCP_SEQ) + start) >>> 0);
    let flags = src[l4 + TCP_FLAGS]!;
    if (k !== n - 1) flags &= ~(TCP_FIN | TCP_PSH);
    if (k !== 0) flags &= ~TCP_CWR;
    dst[t + TCP_FLAGS] = flags;
    field = t + TCP_CHECKSUM;
  } else {
    put16(dst, t + UDP_LENGTH, l4Len);
    field = t + UDP_CHECKSUM;
  }
  put16(dst, field, 0);
  const s = dstOffset + info.srcAddrOffset;
  const d = dstOffset + info.dstAddrOffset;
  let sum =
    info.family === 4 ? pseudoSum4(dst, s, d, info.protocol, l4Len) : pseudoSum6(dst, s, d, info.protocol, l4Len);
  sum = onesSum(dst, t, thl, sum);
  // The payload starts an even number of bytes into the segment (TCP header 4n, UDP 8): copy and sum at once.
  sum = copyAndSum(dst, t + thl, src, l4 + thl + start, dataLen, sum);
  let ck = ~sum & 0xffff;
  if (ck === 0 && info.protocol === IPPROTO_UDP) ck = 0xffff;
  put16(dst, field, ck);
  return length;
}

// DataViews over the whole buffers last copied from and to: 4 bytes per step instead of 1, without a view per
// call (a new one only when the caller switches buffers, which a datapath's fixed rings never do).
let srcBuffer: ArrayBufferLike | null = null;
let srcView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let dstBuffer: ArrayBufferLike | null = null;
let dstView = srcView;

/**
 * Copies `len` bytes from `src[so]` to `dst[d]` and returns their ones'-complement sum as 16-bit big-endian
 * words (an odd last byte padded with zero, RFC 1071 §4.1) added to `initial`, folded: one pass over the
 * payload instead of a copy and a checksum. The caller has checked both ranges; `len` is at most 65535, so
 * the two half-word accumulators stay below 2^30 without folding inside the loop.
 */
export function copyAndSum(
  dst: Uint8Array,
  d: number,
  src: Uint8Array,
  so: number,
  len: number,
  initial: number,
): number {
  if (src.buffer !== srcBuffer) {
    srcBuffer = src.buffer;
    srcView = new DataView(src.buffer);
  }
  if (dst.buffer !== dstBuffer) {
    dstBuffer = dst.buffer;
    dstView = new DataView(dst.buffer);
  }
  const sv = srcView;
  const dv = dstView;
  const sb = src.byteOffset + so;
  const db = dst.byteOffset + d;
  const words = len & ~3;
  let hi = 0;
  let lo = 0;
  let i = 0;
  for (; i < words; i += 4) {
    const w = sv.getUint32(sb + i);
    dv.setUint32(db + i, w);
    hi += w >>> 16;
    lo += w & 0xffff;
  }
  for (; i + 1 < len; i += 2) {
    const h = src[so + i]!;
    const l = src[so + i + 1]!;
    dst[d + i] = h;
    dst[d + i + 1] = l;
    lo += (h << 8) | l;
  }
  if (i < len) {
    const h = src[so + i]!;
    dst[d + i] = h;
    lo += h << 8;
  }
  return foldSum(foldSum(hi) + foldSum(lo) + initial);
}
