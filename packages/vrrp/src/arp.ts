/**
 * The announcement frames keepalived sends for a VIP: the gratuitous ARP (vrrp_arp.c
 * `send_gratuitous_arp_immediate`: Ethernet broadcast from the interface MAC, ARP REQUEST with sender and
 * target protocol address both the VIP and the target hardware address broadcast) and the unsolicited
 * neighbour advertisement for IPv6 (vrrp_ndisc.c). Offsets are named under the RFC layouts; encoding writes
 * into a caller's buffer and allocates nothing. This file must never open sockets.
 */
import { finishChecksum, onesSum } from './checksum.js';

/*
 * Ethernet II header (14)            ARP (RFC 826), Ethernet/IPv4 (28)
 * | dst MAC (6) | src MAC (6) | type |  | htype(2) ptype(2) hlen(1) plen(1) op(2) |
 *                                      | sha(6) spa(4) tha(6) tpa(4)             |
 */
/** Ethernet destination offset. */
export const ETH_DST = 0;
/** Ethernet source offset. */
export const ETH_SRC = 6;
/** EtherType offset. */
export const ETH_TYPE = 12;
/** EtherType of ARP. */
export const ETHERTYPE_ARP = 0x0806;
/** ARP header offset within the frame. */
export const ARP = 14;
/** ARP opcode REQUEST (keepalived sends requests, not replies). */
export const ARPOP_REQUEST = 1;
/** Length of an Ethernet ARP frame without padding. */
export const GARP_FRAME_LENGTH = 42;

/**
 * Writes one gratuitous ARP frame at `offset` and returns its length (42).
 * @param out - buffer
 * @param offset - where the frame starts
 * @param mac - the interface MAC (6 bytes)
 * @param vip - the virtual IPv4 address (4 bytes)
 */
export function encodeGratuitousArp(out: Uint8Array, offset: number, mac: Uint8Array, vip: Uint8Array): number {
  out.fill(0xff, offset + ETH_DST, offset + ETH_DST + 6);
  out.set(mac.subarray(0, 6), offset + ETH_SRC);
  out[offset + ETH_TYPE] = ETHERTYPE_ARP >>> 8;
  out[offset + ETH_TYPE + 1] = ETHERTYPE_ARP & 0xff;
  const a = offset + ARP;
  out[a] = 0; // htype 1 = Ethernet
  out[a + 1] = 1;
  out[a + 2] = 0x08; // ptype IPv4
  out[a + 3] = 0x00;
  out[a + 4] = 6;
  out[a + 5] = 4;
  out[a + 6] = 0;
  out[a + 7] = ARPOP_REQUEST;
  out.set(mac.subarray(0, 6), a + 8); // sender hardware address
  out.set(vip.subarray(0, 4), a + 14); // sender protocol address
  out.fill(0xff, a + 18, a + 24); // target hardware address: broadcast, as keepalived
  out.set(vip.subarray(0, 4), a + 24); // target protocol address
  return GARP_FRAME_LENGTH;
}

/*
 * Unsolicited neighbour advertisement (RFC 4861 §4.4, §7.2.6) as keepalived's vrrp_ndisc.c
 * `ndisc_send_unsolicited_na_immediate` sends it:
 * Ethernet dst 33:33:00:00:00:01 (RFC 2464 §7 mapping of ff02::1), src interface MAC, type 0x86dd;
 * IPv6 src = VIP, dst = ff02::1, hop limit 255, next header 58;
 * ICMPv6 type 136, code 0, checksum, flags R (router, when forwarding) | O (override), target = VIP,
 * option 2 (target link-layer address), length 1 (8 octets), the MAC.
 */
/** EtherType of IPv6. */
export const ETHERTYPE_IPV6 = 0x86dd;
/** Offset of the IPv6 header in the frame. */
export const NA_IPV6 = 14;
/** Offset of the ICMPv6 message in the frame. */
export const NA_ICMPV6 = 54;
/** ICMPv6 type Neighbor Advertisement. */
export const ND_NEIGHBOR_ADVERT = 136;
/** NA flag: sender is a router. */
export const ND_NA_FLAG_ROUTER = 0x80;
/** NA flag: override an existing cache entry. */
export const ND_NA_FLAG_OVERRIDE = 0x20;
/** Length of the unsolicited NA frame: 14 + 40 + 24 + 8. */
export const NA_FRAME_LENGTH = 86;
const ALL_NODES = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/**
 * Writes one unsolicited neighbour advertisement frame at `offset`; returns its length (86).
 * @param out - buffer
 * @param offset - where the frame starts
 * @param mac - interface MAC (6 bytes)
 * @param vip - the virtual IPv6 address (16 bytes)
 * @param router - set the R flag (keepalived: when IPv6 forwarding is on for the interface)
 */
export function encodeUnsolicitedNa(
  out: Uint8Array,
  offset: number,
  mac: Uint8Array,
  vip: Uint8Array,
  router: boolean,
): number {
  out.set([0x33, 0x33, 0, 0, 0, 1], offset + ETH_DST);
  out.set(mac.subarray(0, 6), offset + ETH_SRC);
  out[offset + ETH_TYPE] = ETHERTYPE_IPV6 >>> 8;
  out[offset + ETH_TYPE + 1] = ETHERTYPE_IPV6 & 0xff;
  const ip = offset + NA_IPV6;
  out.set([0x60, 0, 0, 0, 0, 32, 58, 255], ip); // version 6, payload 32, next header ICMPv6, hop limit 255
  out.set(vip.subarray(0, 16), ip + 8);
  out.set(ALL_NODES, ip + 24);
  const icmp = offset + NA_ICMPV6;
  out.fill(0, icmp, icmp + 32);
  out[icmp] = ND_NEIGHBOR_ADVERT;
  out[icmp + 4] = ND_NA_FLAG_OVERRIDE | (router ? ND_NA_FLAG_ROUTER : 0);
  out.set(vip.subarray(0, 16), icmp + 8);
  out[icmp + 24] = 2; // ND_OPT_TARGET_LINKADDR
  out[icmp + 25] = 1;
  out.set(mac.subarray(0, 6), icmp + 26);
  // ICMPv6 checksum over the RFC 2460 §8.1 pseudo-header (src, dst, length 32, next header 58).
  let sum = onesSum(out, ip + 8, 32, 0) + 32 + 58;
  sum = onesSum(out, icmp, 32, sum);
  const c = finishChecksum(sum);
  out[icmp + 2] = c >>> 8;
  out[icmp + 3] = c & 0xff;
  return NA_FRAME_LENGTH;
}
