/**
 * Steps every forwarding method shares, in the kernel's order (`__ip_vs_get_out_rt` in
 * net/netfilter/ipvs/ip_vs_xmit.c): TTL / hop-limit decrement with ICMP time-exceeded, the MTU check with
 * ICMP fragmentation-needed / packet-too-big, and building those ICMP errors in place. Owns the ICMP error
 * format (`__icmp_send` in net/ipv4/icmp.c, `icmp6_send` in net/ipv6/icmp.c); must never allocate or write
 * past `frame.length`.
 */
import {
  checksumUpdate16,
  copyBytes,
  DropReason,
  get16,
  internetChecksum,
  pseudoSum6,
  put16,
  put32,
  Verdict,
} from '@lvskit/base';
import { ETH_ALEN, ETH_DST, ETH_SRC } from '../headers/ethernet.js';
import {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_CHECKSUM,
  IPV4_DST,
  IPV4_FLAGS_FRAGOFF,
  IPV4_ID,
  IPV4_MIN_SIZE,
  IPV4_PROTOCOL,
  IPV4_SRC,
  IPV4_TOS,
  IPV4_TOTAL_LENGTH,
  IPV4_TTL,
} from '../headers/ipv4.js';
import {
  IPPROTO_ICMPV6,
  IPV6_DST,
  IPV6_HOP_LIMIT,
  IPV6_NEXT_HEADER,
  IPV6_PAYLOAD_LENGTH,
  IPV6_SIZE,
  IPV6_SRC,
} from '../headers/ipv6.js';
import {
  ICMP_CHECKSUM,
  ICMP_CODE,
  ICMP_DEST_UNREACH,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_REST,
  ICMP_SIZE,
  ICMP_TIME_EXCEEDED,
  ICMP_TYPE,
  ICMPV6_PKT_TOOBIG,
  ICMPV6_TIME_EXCEED,
  isIcmpError,
  isIcmpv6Error,
  TCP_DATA_OFFSET,
} from '../headers/transport.js';
import type { ForwardParams } from '../params.js';
import type { PacketInfo } from '../parse.js';
import type { RewriteResult } from '../verdict.js';

/** TTL of ICMP errors we originate: the `net.ipv4.ip_default_ttl` / IPv6 `hop_limit` default. */
export const ICMP_ERROR_TTL = 64;
/** IPv4 ICMP errors are at most 576 bytes (RFC 1812 §4.3.2.3; `__icmp_send` caps `room` at 576). */
export const ICMP_ERROR_MAX = 576;
/** ICMPv6 errors are at most the IPv6 minimum MTU (RFC 4443 §2.4(c)). */
export const ICMPV6_ERROR_MAX = 1280;
/** `IPTOS_PREC_INTERNETCONTROL`: precedence the kernel gives ICMP errors. */
const IPTOS_PREC_INTERNETCONTROL = 0xc0;
/** `IPTOS_TOS_MASK`: the bits of the original TOS an ICMP error keeps (`RT_TOS`). */
const IPTOS_TOS_MASK = 0x1e;

/** Sets destination MAC to `dst` and source MAC to `src`. */
export function setMacs(frame: Uint8Array, dst: Uint8Array, src: Uint8Array): void {
  copyBytes(frame, ETH_DST, dst, 0, ETH_ALEN);
  copyBytes(frame, ETH_SRC, src, 0, ETH_ALEN);
}

/** Sets `r` to a drop for `reason` and returns {@link Verdict.DROP}. */
export function drop(r: RewriteResult, reason: DropReason): Verdict {
  r.reason = reason;
  r.length = 0;
  return Verdict.DROP;
}

/**
 * May we originate an ICMP error about this packet? Not about an ICMP error, not about a non-first
 * fragment, not to an unspecified, broadcast or multicast source (`__icmp_send`; RFC 1812 §4.3.2.7;
 * RFC 4443 §2.4(e)).
 */
export function icmpErrorAllowed(frame: Uint8Array, info: PacketInfo): boolean {
  if (info.fragmentOffset !== 0) return false;
  const s = info.srcAddrOffset;
  if (info.family === 4) {
    if (info.protocol === IPPROTO_ICMP && (info.icmpType < 0 || isIcmpError(info.icmpType))) return false;
    const a = frame[s]!;
    if (a === 0 || a >= 224) return false; // 0.0.0.0/8, multicast, class E and 255.255.255.255
    return true;
  }
  if (info.protocol === IPPROTO_ICMPV6 && (info.icmpType < 0 || isIcmpv6Error(info.icmpType))) return false;
  if (frame[s] === 0xff) return false;
  for (let i = 0; i < 16; i++) if (frame[s + i] !== 0) return true;
  return false;
}

/**
 * Rewrites the frame in place into an ICMP (IPv4) or ICMPv6 error about the packet it held, addressed back
 * to its sender, out the interface it came in on. The source is the address the packet was sent to (the VIP:
 * the kernel answers from a local destination), or with `fromUs` the director's own `p.ourAddress` (a
 * packet merely routed through, like a NAT reply; IPv4 only). `rest` is the 32-bit rest-of-header (the
 * next-hop MTU for fragmentation-needed, the MTU for packet-too-big). Returns REPLY, or DROP `NO_ROOM`.
 */
export function replyIcmpError(
  frame: Uint8Array,
  info: PacketInfo,
  p: ForwardParams,
  type: number,
  code: number,
  rest: number,
  r: RewriteResult,
  fromUs = false,
): Verdict {
  const l3 = info.l3Offset;
  const v4 = info.family === 4;
  const hdr = v4 ? IPV4_MIN_SIZE : IPV6_SIZE;
  const quoted = Math.min(info.l3Length, (v4 ? ICMP_ERROR_MAX : ICMPV6_ERROR_MAX) - hdr - ICMP_SIZE);
  const icmp = l3 + hdr;
  const total = hdr + ICMP_SIZE + quoted;
  if (l3 + total > frame.length) return drop(r, DropReason.NO_ROOM);
  const tos = v4 ? frame[l3 + IPV4_TOS]! : 0;
  // Move the quoted original behind the new headers (copyWithin handles the overlap).
  const q = icmp + ICMP_SIZE;
  frame.copyWithin(q, l3, l3 + quoted);
  // Back to the sender: its MAC becomes the destination.
  copyBytes(frame, ETH_DST, frame, ETH_SRC, ETH_ALEN);
  copyBytes(frame, ETH_SRC, p.ourMac, 0, ETH_ALEN);
  frame[icmp + ICMP_TYPE] = type;
  frame[icmp + ICMP_CODE] = code;
  put16(frame, icmp + ICMP_CHECKSUM, 0);
  put32(frame, icmp + ICMP_REST, rest);
  if (v4) {
    frame[l3] = 0x45;
    frame[l3 + IPV4_TOS] = (tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL;
    put16(frame, l3 + IPV4_TOTAL_LENGTH, total);
    // The ICMP socket sends with IP_PMTUDISC_DONT: no DF, so the ID comes from the ident generator.
    put16(frame, l3 + IPV4_ID, p.ident);
    put16(frame, l3 + IPV4_FLAGS_FRAGOFF, 0);
    frame[l3 + IPV4_TTL] = ICMP_ERROR_TTL;
    frame[l3 + IPV4_PROTOCOL] = IPPROTO_ICMP;
    put16(frame, l3 + IPV4_CHECKSUM, 0);
    if (fromUs) copyBytes(frame, l3 + IPV4_SRC, p.ourAddress, 0, 4);
    else copyBytes(frame, l3 + IPV4_SRC, frame, q + IPV4_DST, 4);
    copyBytes(frame, l3 + IPV4_DST, frame, q + IPV4_SRC, 4);
    put16(frame, l3 + IPV4_CHECKSUM, internetChecksum(frame, l3, IPV4_MIN_SIZE));
    put16(frame, icmp + ICMP_CHECKSUM, internetChecksum(frame, icmp, ICMP_SIZE + quoted));
  } else {
    put32(frame, l3, 0x60000000); // traffic class and flow label 0 (the ICMPv6 socket's defaults)
    put16(frame, l3 + IPV6_PAYLOAD_LENGTH, ICMP_SIZE + quoted);
    frame[l3 + IPV6_NEXT_HEADER] = IPPROTO_ICMPV6;
    frame[l3 + IPV6_HOP_LIMIT] = ICMP_ERROR_TTL;
    copyBytes(frame, l3 + IPV6_SRC, frame, q + IPV6_DST, 16);
    copyBytes(frame, l3 + IPV6_DST, frame, q + IPV6_SRC, 16);
    const ps = pseudoSum6(frame, l3 + IPV6_SRC, l3 + IPV6_DST, IPPROTO_ICMPV6, ICMP_SIZE + quoted);
    put16(frame, icmp + ICMP_CHECKSUM, internetChecksum(frame, icmp, ICMP_SIZE + quoted, ps));
  }
  r.length = l3 + total;
  r.reason = DropReason.NONE;
  return Verdict.REPLY;
}

/**
 * The checks `__ip_vs_get_out_rt` makes before any method transmits: TTL / hop limit (decrement, or ICMP
 * time-exceeded), then the MTU for a packet growing by `overhead` bytes (ICMP fragmentation-needed for an
 * IPv4 DF packet, packet-too-big for IPv6). The quoted packet carries the decremented TTL, as the skb does
 * when the kernel's MTU check calls icmp_send. Returns -1 to go on, else the verdict it already settled.
 */
export function preTransmit(
  frame: Uint8Array,
  info: PacketInfo,
  p: ForwardParams,
  overhead: number,
  r: RewriteResult,
  routed = false,
): number {
  const l3 = info.l3Offset;
  // A routed packet's errors come from the director's own address, which exists for IPv4 only (and not when
  // unset); without one, such errors are dropped silently.
  const canReply = !routed || (info.family === 4 && (p.ourAddress[0] ?? 0) !== 0);
  if (p.decrementTtl) {
    if (info.ttl <= 1) {
      if (!canReply || !icmpErrorAllowed(frame, info)) return drop(r, DropReason.TTL_EXCEEDED);
      return info.family === 4
        ? replyIcmpError(frame, info, p, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, r, routed)
        : replyIcmpError(frame, info, p, ICMPV6_TIME_EXCEED, 0, 0, r);
    }
    if (info.family === 4) {
      // ip_decrease_ttl: the TTL/protocol word changes by 0x0100.
      const w = get16(frame, l3 + IPV4_TTL);
      put16(frame, l3 + IPV4_CHECKSUM, checksumUpdate16(get16(frame, l3 + IPV4_CHECKSUM), w, w - 0x100));
      frame[l3 + IPV4_TTL] = info.ttl - 1;
    } else {
      frame[l3 + IPV6_HOP_LIMIT] = info.ttl - 1;
    }
    info.ttl -= 1;
  }
  const mtu = p.mtu - overhead;
  // ip_vs_tunnel_xmit: "mtu less than 68" (the IPv4 minimum) drops.
  if (overhead > 0 && mtu < 68) return drop(r, DropReason.TUNNEL_MTU_TOO_SMALL);
  const tooBig = exceedsMtu(frame, info, p.gsoSize, mtu);
  if (info.family === 4) {
    // ensure_mtu_is_adequate: DF, too long, and not an ICMP error being forwarded.
    const relatedIcmp = info.protocol === IPPROTO_ICMP && info.icmpInnerValid;
    if (info.dontFragment && tooBig && !relatedIcmp && (overhead === 0 || p.pmtuDisc)) {
      if (!canReply || !icmpErrorAllowed(frame, info)) return drop(r, DropReason.FRAG_NEEDED);
      return replyIcmpError(frame, info, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu & 0xffff, r, routed);
    }
  } else if (tooBig) {
    // __mtu_check_toobig_v6 drops regardless; ICMPv6 too-big only for first fragments that are not ICMP errors.
    const relatedIcmp = info.protocol === IPPROTO_ICMPV6 && info.icmpInnerValid;
    if (!canReply || relatedIcmp || !icmpErrorAllowed(frame, info)) return drop(r, DropReason.FRAG_NEEDED);
    return replyIcmpError(frame, info, p, ICMPV6_PKT_TOOBIG, 0, mtu, r);
  }
  // The kernel fragments what is left (skb->ignore_df, ip_fragment); so does a caller that says it can.
  if (tooBig && !p.canFragment) return drop(r, DropReason.NEEDS_FRAGMENTATION);
  return -1;
}

/**
 * `ip_vs_exceeds_mtu` (net/netfilter/ipvs/ip_vs_xmit.c, modelled on `ip_exceeds_mtu`): a packet exceeds the
 * MTU when it is longer than it, unless it is a GSO super-packet each of whose segments fits
 * (`skb_gso_validate_network_len`: network header + transport header + `gsoSize` ≤ MTU). Kernels before that
 * fix skipped GSO packets altogether; checking each segment is what actually leaves the interface.
 */
export function exceedsMtu(frame: Uint8Array, info: PacketInfo, gsoSize: number, mtu: number): boolean {
  if (info.l3Length <= mtu) return false;
  if (gsoSize === 0 || !info.hasTransport) return true;
  let l4hdr = 8;
  if (info.protocol === IPPROTO_TCP) l4hdr = (frame[info.l4Offset + TCP_DATA_OFFSET]! >> 4) * 4;
  else if (info.protocol !== IPPROTO_UDP) return true;
  return info.l4Offset - info.l3Offset + l4hdr + gsoSize > mtu;
}
