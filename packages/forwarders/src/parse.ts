/**
 * One pass over a received frame that fills a reusable {@link PacketInfo}: where each header starts, the
 * flow's addresses and ports, fragment facts, and for ICMP errors the embedded packet's flow. This is the
 * packet summary the engine classifies and the rewrites trust. It owns validation of everything it reads;
 * it must never throw, allocate, or modify the frame — malformed input yields a {@link DropReason}.
 */
import { DropReason, get16, internetChecksum } from '@lvskit/base';
import {
  ETH_HLEN,
  ETH_TYPE,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  VLAN_HLEN,
} from './headers/ethernet.js';
import {
  IPPROTO_ICMP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_DF,
  IPV4_DST,
  IPV4_FLAGS_FRAGOFF,
  IPV4_MF,
  IPV4_MIN_SIZE,
  IPV4_OFFSET_MASK,
  IPV4_PROTOCOL,
  IPV4_SRC,
  IPV4_TOTAL_LENGTH,
  IPV4_TTL,
} from './headers/ipv4.js';
import {
  createIPv6Walk,
  IPPROTO_ICMPV6,
  IPV6_DST,
  IPV6_HOP_LIMIT,
  IPV6_PAYLOAD_LENGTH,
  IPV6_SIZE,
  IPV6_SRC,
  walkIPv6,
} from './headers/ipv6.js';
import {
  ICMP_SIZE,
  isIcmpError,
  isIcmpv6Error,
  TCP_DATA_OFFSET,
  TCP_FLAGS,
  TCP_MIN_SIZE,
  UDP_SIZE,
} from './headers/transport.js';

/** The parsed summary of one frame. Reuse one instance for every frame; `parsePacket` overwrites it all. */
export class PacketInfo {
  /** Ethernet header length including VLAN tags. */
  l2Length = 0;
  /** EtherType after the tags. */
  etherType = 0;
  /** 4 or 6 for IP packets, 0 otherwise. */
  family: 0 | 4 | 6 = 0;
  /** Offset of the IP header. */
  l3Offset = 0;
  /** Length of the IP packet (IPv4 total length, or 40 + IPv6 payload length); bytes after it are padding. */
  l3Length = 0;
  /** Upper-layer protocol (after IPv6 extension headers). */
  protocol = 0;
  /** Offset of the upper-layer header. */
  l4Offset = 0;
  /** Length of the upper-layer data (header included) in this packet. */
  l4Length = 0;
  /** Offset of the source address (4 or 16 bytes). */
  srcAddrOffset = 0;
  /** Offset of the destination address. */
  dstAddrOffset = 0;
  /** TTL or hop limit. */
  ttl = 0;
  /** IPv4 DF flag (false for IPv6, which routers never fragment). */
  dontFragment = false;
  /** True for any fragment. */
  isFragment = false;
  /** Fragment offset in bytes (0 for the first fragment and for unfragmented packets). */
  fragmentOffset = 0;
  /** True when the transport header is present and valid (not a non-first fragment, long enough). */
  hasTransport = false;
  /** TCP/UDP/SCTP source port, or ICMP echo identifier (0 when absent). */
  srcPort = 0;
  /** TCP/UDP/SCTP destination port (0 when absent). */
  dstPort = 0;
  /** TCP flags byte (0 for other protocols). */
  tcpFlags = 0;
  /** ICMP/ICMPv6 type, or -1. */
  icmpType = -1;
  /** ICMP/ICMPv6 code, or -1. */
  icmpCode = -1;
  /** True for an ICMP/ICMPv6 error whose embedded packet identifies a flow (fields below valid). */
  icmpInnerValid = false;
  /** Offset of the embedded IP header. */
  innerL3Offset = 0;
  /** Protocol of the embedded packet. */
  innerProtocol = 0;
  /** Offset of the embedded transport header. */
  innerL4Offset = 0;
  /** Offset of the embedded source address. */
  innerSrcAddrOffset = 0;
  /** Offset of the embedded destination address. */
  innerDstAddrOffset = 0;
  /** True when the embedded packet's ports are present (TCP/UDP/SCTP with 4 bytes after its IP header). */
  innerHasPorts = false;
  /** Embedded source port. */
  innerSrcPort = 0;
  /** Embedded destination port. */
  innerDstPort = 0;
}

const walk = createIPv6Walk();

/**
 * Parses the Ethernet frame in `frame[0..len)` into `info`. Returns {@link DropReason.NONE} for an IP
 * packet the rewrites can handle, otherwise why it cannot be handled (`NOT_IP` for ARP and the rest,
 * with `info.etherType` set so the caller can dispatch them).
 */
export function parsePacket(frame: Uint8Array, len: number, info: PacketInfo): DropReason {
  info.family = 0;
  info.hasTransport = false;
  info.icmpInnerValid = false;
  info.icmpType = -1;
  info.icmpCode = -1;
  info.srcPort = 0;
  info.dstPort = 0;
  info.tcpFlags = 0;
  info.isFragment = false;
  info.fragmentOffset = 0;
  info.dontFragment = false;
  if (len > frame.length) len = frame.length;
  if (len < ETH_HLEN) return DropReason.TRUNCATED_ETHERNET;
  let off = ETH_TYPE;
  let type = get16(frame, off);
  for (let i = 0; i < 2 && (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ); i++) {
    off += VLAN_HLEN;
    if (off + 2 > len) return DropReason.TRUNCATED_ETHERNET;
    type = get16(frame, off);
  }
  info.l2Length = off + 2;
  info.etherType = type;
  info.l3Offset = off + 2;
  if (type === ETHERTYPE_IPV4) return parseIPv4(frame, info.l3Offset, len, info);
  if (type === ETHERTYPE_IPV6) return parseIPv6(frame, info.l3Offset, len, info);
  return DropReason.NOT_IP;
}

function parseIPv4(b: Uint8Array, o: number, len: number, info: PacketInfo): DropReason {
  if (o + IPV4_MIN_SIZE > len) return DropReason.MALFORMED_IPV4;
  const vihl = b[o]!;
  const hl = (vihl & 0x0f) << 2;
  const tl = get16(b, o + IPV4_TOTAL_LENGTH);
  if (vihl >>> 4 !== 4 || hl < IPV4_MIN_SIZE || hl > tl || o + tl > len) return DropReason.MALFORMED_IPV4;
  // The director sees frames before the kernel's ip_rcv would verify them (ip_fast_csum), so we do.
  if (internetChecksum(b, o, hl) !== 0) return DropReason.BAD_IPV4_CHECKSUM;
  const frag = get16(b, o + IPV4_FLAGS_FRAGOFF);
  info.family = 4;
  info.l3Length = tl;
  info.protocol = b[o + IPV4_PROTOCOL]!;
  info.l4Offset = o + hl;
  info.l4Length = tl - hl;
  info.srcAddrOffset = o + IPV4_SRC;
  info.dstAddrOffset = o + IPV4_DST;
  info.ttl = b[o + IPV4_TTL]!;
  info.dontFragment = (frag & IPV4_DF) !== 0;
  info.isFragment = (frag & (IPV4_MF | IPV4_OFFSET_MASK)) !== 0;
  info.fragmentOffset = (frag & IPV4_OFFSET_MASK) << 3;
  if (info.fragmentOffset !== 0) return DropReason.NONE;
  return parseTransport(b, info, false);
}

function parseIPv6(b: Uint8Array, o: number, len: number, info: PacketInfo): DropReason {
  if (o + IPV6_SIZE > len || b[o]! >>> 4 !== 6) return DropReason.MALFORMED_IPV6;
  const tl = IPV6_SIZE + get16(b, o + IPV6_PAYLOAD_LENGTH);
  if (o + tl > len) return DropReason.MALFORMED_IPV6;
  if (!walkIPv6(b, o, o + tl, walk)) return DropReason.BAD_IPV6_EXTENSION;
  info.family = 6;
  info.l3Length = tl;
  info.protocol = walk.protocol;
  info.l4Offset = walk.transportOffset;
  info.l4Length = o + tl - walk.transportOffset;
  info.srcAddrOffset = o + IPV6_SRC;
  info.dstAddrOffset = o + IPV6_DST;
  info.ttl = b[o + IPV6_HOP_LIMIT]!;
  info.isFragment = walk.fragmentHeaderOffset >= 0;
  info.fragmentOffset = walk.fragmentOffset;
  if (info.fragmentOffset !== 0) return DropReason.NONE;
  return parseTransport(b, info, true);
}

function parseTransport(b: Uint8Array, info: PacketInfo, v6: boolean): DropReason {
  const p = info.protocol;
  const o = info.l4Offset;
  const l = info.l4Length;
  if (p === IPPROTO_TCP) {
    if (l < TCP_MIN_SIZE) return DropReason.TRUNCATED_TRANSPORT;
    const thl = (b[o + TCP_DATA_OFFSET]! >>> 4) << 2;
    if (thl < TCP_MIN_SIZE || thl > l) return DropReason.TRUNCATED_TRANSPORT;
    info.srcPort = get16(b, o);
    info.dstPort = get16(b, o + 2);
    info.tcpFlags = b[o + TCP_FLAGS]!;
    info.hasTransport = true;
  } else if (p === IPPROTO_UDP) {
    if (l < UDP_SIZE) return DropReason.TRUNCATED_TRANSPORT;
    info.srcPort = get16(b, o);
    info.dstPort = get16(b, o + 2);
    info.hasTransport = true;
  } else if (p === IPPROTO_SCTP) {
    // SCTP common header: ports then verification tag and CRC32c (RFC 9260 §3.1); ports only here.
    if (l < 12) return DropReason.TRUNCATED_TRANSPORT;
    info.srcPort = get16(b, o);
    info.dstPort = get16(b, o + 2);
    info.hasTransport = true;
  } else if ((p === IPPROTO_ICMP && !v6) || (p === IPPROTO_ICMPV6 && v6)) {
    if (l < ICMP_SIZE) return DropReason.TRUNCATED_TRANSPORT;
    const type = b[o]!;
    info.icmpType = type;
    info.icmpCode = b[o + 1]!;
    info.hasTransport = true;
    if (v6 ? isIcmpv6Error(type) : isIcmpError(type)) parseInner(b, info, v6);
    // ICMP informational messages (echo) carry no flow IPVS balances: the director answers them itself.
  }
  return DropReason.NONE;
}

/** Fills the embedded-packet fields of an ICMP error; leaves `icmpInnerValid` false when they do not fit. */
function parseInner(b: Uint8Array, info: PacketInfo, v6: boolean): void {
  const io = info.l4Offset + ICMP_SIZE;
  const end = info.l4Offset + info.l4Length;
  let ihl: number;
  let proto: number;
  if (!v6) {
    if (io + IPV4_MIN_SIZE > end || b[io]! >>> 4 !== 4) return;
    ihl = (b[io]! & 0x0f) << 2;
    if (ihl < IPV4_MIN_SIZE || io + ihl > end) return;
    proto = b[io + IPV4_PROTOCOL]!;
    info.innerSrcAddrOffset = io + IPV4_SRC;
    info.innerDstAddrOffset = io + IPV4_DST;
    // A non-first embedded fragment carries no ports (ip_vs_in_icmp: "Fragment header that is before ICMP header").
    info.innerHasPorts = (get16(b, io + IPV4_FLAGS_FRAGOFF) & IPV4_OFFSET_MASK) === 0;
  } else {
    if (io + IPV6_SIZE > end || b[io]! >>> 4 !== 6) return;
    // The embedded packet is usually truncated, so walk its extensions only within what is present.
    if (!walkIPv6(b, io, end, walk)) return;
    ihl = walk.transportOffset - io;
    proto = walk.protocol;
    info.innerSrcAddrOffset = io + IPV6_SRC;
    info.innerDstAddrOffset = io + IPV6_DST;
    info.innerHasPorts = walk.fragmentOffset === 0;
  }
  info.innerL3Offset = io;
  info.innerProtocol = proto;
  info.innerL4Offset = io + ihl;
  const portsFit = io + ihl + 4 <= end;
  info.innerHasPorts =
    info.innerHasPorts && portsFit && (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP);
  info.innerSrcPort = info.innerHasPorts ? get16(b, io + ihl) : 0;
  info.innerDstPort = info.innerHasPorts ? get16(b, io + ihl + 2) : 0;
  info.icmpInnerValid = true;
}
