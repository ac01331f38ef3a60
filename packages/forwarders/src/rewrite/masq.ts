/**
 * Masquerading (LVS-NAT, ipvsadm `-m`, IP_VS_CONN_F_MASQ). Requests: client→VIP:vport becomes
 * client→RIP:rport (`tcp_dnat_handler` / `udp_dnat_handler`); replies: RIP:rport→client becomes
 * VIP:vport→client (`*_snat_handler`), with RFC 1624 incremental checksum updates (the kernel's
 * `tcp_fast_csum_update` / `udp_fast_csum_update`). ICMP errors about a NAT flow are translated in the outer
 * and the embedded header as `ip_vs_nat_icmp` / `ip_vs_nat_icmp_v6` do (net/netfilter/ipvs/ip_vs_core.c).
 * Owns only the rewrite: the connection lookup that supplies RIP:rport or VIP:vport is the engine's. Must
 * never allocate, and never change the packet length.
 */
import {
  checksumUpdate16,
  checksumUpdateBytes,
  DropReason,
  get16,
  internetChecksum,
  pseudoSum4,
  pseudoSum6,
  put16,
  Verdict,
} from '@lvskit/base';
import { IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPV4_CHECKSUM } from '../headers/ipv4.js';
import { IPPROTO_ICMPV6 } from '../headers/ipv6.js';
import { ICMP_CHECKSUM, TCP_CHECKSUM, UDP_CHECKSUM } from '../headers/transport.js';
import type { ForwardParams } from '../params.js';
import type { PacketInfo } from '../parse.js';
import type { RewriteResult } from '../verdict.js';
import { drop, preTransmit, setMacs } from './common.js';

/**
 * NAT request direction (client → real server): destination address and port become `p.address` and
 * `p.port` (RIP:rport), MACs become ours → `p.nextHopMac`. For an ICMP error from the client about the flow
 * (its embedded packet is a reply VIP:vport→client) the outer destination, the embedded source address and
 * the embedded source port are translated. Returns FORWARD, REPLY (ICMP error for the sender) or DROP.
 */
export function rewriteMasqIn(
  frame: Uint8Array,
  len: number,
  info: PacketInfo,
  p: ForwardParams,
  r: RewriteResult,
): Verdict {
  return masq(frame, len, info, p, r, false);
}

/**
 * NAT reply direction (real server → client): source address and port become `p.address` and `p.port`
 * (VIP:vport), MACs become ours → `p.nextHopMac` (the client-side router). For an ICMP error from the real
 * server's side about the flow (its embedded packet is client→RIP:rport) the outer source, the embedded
 * destination address and the embedded destination port are translated.
 */
export function rewriteMasqOut(
  frame: Uint8Array,
  len: number,
  info: PacketInfo,
  p: ForwardParams,
  r: RewriteResult,
): Verdict {
  return masq(frame, len, info, p, r, true);
}

function masq(
  frame: Uint8Array,
  len: number,
  info: PacketInfo,
  p: ForwardParams,
  r: RewriteResult,
  reply: boolean,
): Verdict {
  // A caller's `len` past the buffer (or not a length at all) would be reported back as the result's length.
  if (!(len >= 0 && len <= frame.length)) return drop(r, DropReason.MALFORMED);
  if (info.family === 0) return drop(r, DropReason.NOT_IP);
  const alen = info.family === 4 ? 4 : 16;
  if (p.address.length !== alen) return drop(r, DropReason.FAMILY_MISMATCH);
  const proto = info.protocol;
  const icmp = proto === (info.family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6) && info.icmpType >= 0;
  if (icmp) {
    if (!info.icmpInnerValid) return drop(r, DropReason.UNSUPPORTED_PROTOCOL);
    const ip = info.innerProtocol;
    if (ip !== IPPROTO_TCP && ip !== IPPROTO_UDP && ip !== IPPROTO_SCTP)
      return drop(r, DropReason.UNSUPPORTED_PROTOCOL);
    if (!info.innerHasPorts) return drop(r, DropReason.NO_PORTS);
    // ip_vs_in_icmp / ip_vs_out_icmp verify the ICMP checksum before translating.
    const ps =
      info.family === 4 ? 0 : pseudoSum6(frame, info.srcAddrOffset, info.dstAddrOffset, IPPROTO_ICMPV6, info.l4Length);
    if (internetChecksum(frame, info.l4Offset, info.l4Length, ps) !== 0) return drop(r, DropReason.BAD_ICMP_CHECKSUM);
  } else if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) {
    return drop(r, DropReason.UNSUPPORTED_PROTOCOL);
  }
  // Replies are routed through the director: errors about them come from the director's own address.
  const v = preTransmit(frame, info, p, 0, r, reply);
  if (v >= 0) return v as Verdict;
  if (icmp) translateIcmp(frame, info, p, reply, alen);
  else translateFlow(frame, info, p, reply, alen);
  setMacs(frame, p.nextHopMac, p.ourMac);
  r.length = len;
  r.reason = DropReason.NONE;
  return Verdict.FORWARD;
}

/** TCP/UDP: one address and one port, with the IPv4 header and transport checksums. */
function translateFlow(frame: Uint8Array, info: PacketInfo, p: ForwardParams, reply: boolean, alen: number): void {
  const addrOff = reply ? info.srcAddrOffset : info.dstAddrOffset;
  const l4 = info.l4Offset;
  // Non-first fragments carry no transport header: only the address changes (the first fragment's
  // checksum already accounts for the pseudo-header; udp_dnat_handler returns early the same way for v6).
  if (info.fragmentOffset === 0) {
    const portOff = l4 + (reply ? 0 : 2);
    const oldPort = get16(frame, portOff);
    if (info.protocol === IPPROTO_TCP) {
      let ck = get16(frame, l4 + TCP_CHECKSUM);
      ck = checksumUpdateBytes(ck, frame, addrOff, p.address, 0, alen);
      ck = checksumUpdate16(ck, oldPort, p.port);
      put16(frame, l4 + TCP_CHECKSUM, ck);
      put16(frame, portOff, p.port);
    } else {
      const ck0 = get16(frame, l4 + UDP_CHECKSUM);
      put16(frame, portOff, p.port);
      if (ck0 !== 0) {
        let ck = checksumUpdateBytes(ck0, frame, addrOff, p.address, 0, alen);
        ck = checksumUpdate16(ck, oldPort, p.port);
        // CSUM_MANGLED_0: a computed 0 is sent as 0xffff (RFC 768).
        put16(frame, l4 + UDP_CHECKSUM, ck === 0 ? 0xffff : ck);
      } else if (!info.isFragment) {
        // udp_*nat_handler: a zero checksum takes the "full checksum calculation" branch, after the rewrite.
        setAddress(frame, info, addrOff, p.address, alen);
        const ps =
          alen === 4
            ? pseudoSum4(frame, info.srcAddrOffset, info.dstAddrOffset, IPPROTO_UDP, info.l4Length)
            : pseudoSum6(frame, info.srcAddrOffset, info.dstAddrOffset, IPPROTO_UDP, info.l4Length);
        const ck = internetChecksum(frame, l4, info.l4Length, ps);
        put16(frame, l4 + UDP_CHECKSUM, ck === 0 ? 0xffff : ck);
        return;
      }
      // A zero-checksum first fragment cannot be summed without the other fragments: it stays "no checksum".
    }
  }
  setAddress(frame, info, addrOff, p.address, alen);
}

/** Writes a new address at `addrOff`, updating the IPv4 header checksum. */
function setAddress(frame: Uint8Array, info: PacketInfo, addrOff: number, addr: Uint8Array, alen: number): void {
  if (alen === 4) {
    const l3 = info.l3Offset;
    put16(frame, l3 + IPV4_CHECKSUM, checksumUpdateBytes(get16(frame, l3 + IPV4_CHECKSUM), frame, addrOff, addr, 0, 4));
  }
  for (let i = 0; i < alen; i++) frame[addrOff + i] = addr[i]!;
}

/** ICMP error about a NAT flow: outer address, embedded address (+ its IPv4 checksum) and embedded port. */
function translateIcmp(frame: Uint8Array, info: PacketInfo, p: ForwardParams, reply: boolean, alen: number): void {
  const ckOff = info.l4Offset + ICMP_CHECKSUM;
  let ck = get16(frame, ckOff);
  const outerOff = reply ? info.srcAddrOffset : info.dstAddrOffset;
  const innerOff = reply ? info.innerDstAddrOffset : info.innerSrcAddrOffset;
  const portOff = info.innerL4Offset + (reply ? 2 : 0);
  // ICMPv6's checksum covers the pseudo-header, so the outer address is in it too.
  if (alen === 16) ck = checksumUpdateBytes(ck, frame, outerOff, p.address, 0, 16);
  ck = checksumUpdateBytes(ck, frame, innerOff, p.address, 0, alen);
  for (let i = 0; i < alen; i++) frame[innerOff + i] = p.address[i]!;
  if (alen === 4) {
    // ip_send_check(ciph): the embedded header's checksum is recomputed in full, as the kernel does.
    const il3 = info.innerL3Offset;
    const oldIc = get16(frame, il3 + IPV4_CHECKSUM);
    put16(frame, il3 + IPV4_CHECKSUM, 0);
    const newIc = internetChecksum(frame, il3, info.innerL4Offset - il3);
    put16(frame, il3 + IPV4_CHECKSUM, newIc);
    ck = checksumUpdate16(ck, oldIc, newIc);
  }
  ck = checksumUpdate16(ck, get16(frame, portOff), p.port);
  put16(frame, portOff, p.port);
  put16(frame, ckOff, ck);
  setAddress(frame, info, outerOff, p.address, alen);
}
