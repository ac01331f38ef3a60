/**
 * The gratuitous ARP frame keepalived sends for a VIP (vrrp_arp.c `send_gratuitous_arp_immediate`):
 * Ethernet broadcast from the interface MAC, ARP REQUEST with sender and target protocol address both the
 * VIP and the target hardware address broadcast. Offsets are named under the RFC 826 layout; encoding writes
 * into a caller's buffer and allocates nothing. This file must never open sockets.
 */

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
