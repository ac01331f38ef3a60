/**
 * IP tunnelling (LVS-TUN, ipvsadm `-i`, IP_VS_CONN_F_TUNNEL) for IPv4 in IPv4 (RFC 2003): a new outer IPv4
 * header from the director to the real server is pushed in front of the packet. Mirrors
 * `ip_vs_tunnel_xmit` and `ip_vs_prepare_tunneled_skb` (net/netfilter/ipvs/ip_vs_xmit.c): inner TTL
 * decremented first, outer TOS = inner TOS, outer TTL = inner TTL, outer DF = inner DF when pmtu_disc is on
 * (and then ID 0, `ip_select_ident_segs` in include/net/ip.h), and a DF packet that would not fit the
 * link MTU minus 20 gets ICMP fragmentation-needed with that MTU instead. Must never allocate or write
 * past `frame.length`; it needs 20 bytes of room after the packet.
 */
import { copyBytes, DropReason, internetChecksum, put16, Verdict } from '@lvskit/base';
import {
  IPPROTO_IPIP,
  IPV4_CHECKSUM,
  IPV4_DF,
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
import type { ForwardParams } from '../params.js';
import type { PacketInfo } from '../parse.js';
import type { RewriteResult } from '../verdict.js';
import { drop, preTransmit, setMacs } from './common.js';

/** Bytes IPIP encapsulation adds: one IPv4 header without options. */
export const IPIP_OVERHEAD = IPV4_MIN_SIZE;

/**
 * Encapsulates the IPv4 packet in `frame[0..len)` (already parsed into `info`) in IPIP from `p.ourAddress`
 * to `p.address`, for the real server whose MAC (or next hop's) is `p.nextHopMac`. `frame.length` must leave
 * 20 bytes of room. Returns FORWARD (length grows by 20, Ethernet padding dropped), REPLY (ICMP error for the
 * sender) or DROP with `r.reason`.
 */
export function rewriteTunnel(
  frame: Uint8Array,
  _len: number,
  info: PacketInfo,
  p: ForwardParams,
  r: RewriteResult,
): Verdict {
  if (info.family === 0) return drop(r, DropReason.NOT_IP);
  if (info.family !== 4 || p.address.length !== 4) return drop(r, DropReason.FAMILY_MISMATCH);
  const l3 = info.l3Offset;
  const inner = info.l3Length;
  const outLen = l3 + IPIP_OVERHEAD + inner;
  // Checked first so that a frame we cannot encapsulate is dropped untouched.
  if (outLen > frame.length) return drop(r, DropReason.NO_ROOM);
  const v = preTransmit(frame, info, p, IPIP_OVERHEAD, r);
  if (v >= 0) return v as Verdict;
  frame.copyWithin(l3 + IPIP_OVERHEAD, l3, l3 + inner);
  const i = l3 + IPIP_OVERHEAD;
  const df = p.pmtuDisc && info.dontFragment;
  frame[l3] = 0x45;
  frame[l3 + IPV4_TOS] = frame[i + IPV4_TOS]!;
  put16(frame, l3 + IPV4_TOTAL_LENGTH, IPIP_OVERHEAD + inner);
  put16(frame, l3 + IPV4_ID, df ? 0 : p.ident);
  put16(frame, l3 + IPV4_FLAGS_FRAGOFF, df ? IPV4_DF : 0);
  frame[l3 + IPV4_TTL] = frame[i + IPV4_TTL]!;
  frame[l3 + IPV4_PROTOCOL] = IPPROTO_IPIP;
  put16(frame, l3 + IPV4_CHECKSUM, 0);
  copyBytes(frame, l3 + IPV4_SRC, p.ourAddress, 0, 4);
  copyBytes(frame, l3 + IPV4_DST, p.address, 0, 4);
  put16(frame, l3 + IPV4_CHECKSUM, internetChecksum(frame, l3, IPV4_MIN_SIZE));
  setMacs(frame, p.nextHopMac, p.ourMac);
  r.length = outLen;
  r.reason = DropReason.NONE;
  return Verdict.FORWARD;
}
