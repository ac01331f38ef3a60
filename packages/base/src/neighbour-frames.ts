/**
 * Neighbour resolution frames, defined once for every package: ARP over Ethernet for IPv4 (RFC 826) and
 * IPv6 neighbour discovery's solicitation and advertisement (RFC 4861 §4.3, §4.4) — views that check a
 * received message before its fields are read, and encoders for what a director sends: an ARP request and
 * a neighbour solicitation for a next hop, the answers for a VIP (ARP reply, solicited advertisement, turned
 * around in place in the received frame), and the announcements (gratuitous ARP, unsolicited advertisement)
 * as keepalived sends them. Offsets are named under the RFC layouts; every encoder writes into the caller's
 * buffer at the caller's offset and allocates nothing, so the datapath and VRRP use them per frame. This file
 * owns the bytes only: it never decides whom to answer, and never opens a socket.
 */
import { copyBytes, get16, put16, put32 } from './bytes.js';
import { internetChecksum, pseudoSum6 } from './checksum.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPPROTO_ICMPV6 } from './protocol.js';

// Ethernet II (IEEE 802.3 §3.1.1): destination, source, EtherType. Used here only to frame these messages.
const ETH_DST = 0;
const ETH_SRC = 6;
const ETH_TYPE = 12;
/** Offset of the ARP packet or IPv6 header in an untagged frame. */
const L2 = 14;

/** The shortest Ethernet frame without its FCS (IEEE 802.3 minFrameSize 64 − 4): shorter frames are padded. */
export const ETHERNET_MIN_FRAME_LENGTH = 60;

/**
 * Zero-pads the frame of `len` bytes at `out[offset]` to {@link ETHERNET_MIN_FRAME_LENGTH} and returns the
 * padded length (`len` when it is already long enough).
 */
export function padEthernetFrame(out: Uint8Array, offset: number, len: number): number {
  if (len >= ETHERNET_MIN_FRAME_LENGTH) return len;
  out.fill(0, offset + len, offset + ETHERNET_MIN_FRAME_LENGTH);
  return ETHERNET_MIN_FRAME_LENGTH;
}

/*
 * ARP for IPv4 over Ethernet (RFC 826), after the Ethernet header:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Hardware type (1)         |     Protocol type (0x0800)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  HLEN (6)     |  PLEN (4)     |        Operation (1/2)        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Sender hardware address (6) | Sender protocol addr (4) |
 * |        Target hardware address (6) | Target protocol addr (4) |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
/** Offset of the ARP hardware type. */
export const ARP_HTYPE = 0;
/** Offset of the ARP protocol type. */
export const ARP_PTYPE = 2;
/** Offset of the ARP hardware address length. */
export const ARP_HLEN = 4;
/** Offset of the ARP protocol address length. */
export const ARP_PLEN = 5;
/** Offset of the ARP operation. */
export const ARP_OPER = 6;
/** Offset of the ARP sender hardware address. */
export const ARP_SHA = 8;
/** Offset of the ARP sender protocol address. */
export const ARP_SPA = 14;
/** Offset of the ARP target hardware address. */
export const ARP_THA = 18;
/** Offset of the ARP target protocol address. */
export const ARP_TPA = 24;
/** Size of an Ethernet/IPv4 ARP packet. */
export const ARP_SIZE = 28;
/** ARP operation: request. */
export const ARP_REQUEST = 1;
/** ARP operation: reply. */
export const ARP_REPLY = 2;
/** Length of an Ethernet ARP frame without padding (14 + 28); pad with {@link padEthernetFrame}. */
export const ARP_FRAME_LENGTH = 42;
/** Length of a gratuitous ARP frame as {@link encodeGratuitousArp} writes it (no padding, as keepalived). */
export const GARP_FRAME_LENGTH = ARP_FRAME_LENGTH;

/** A view over an ARP packet; attach it, check {@link ArpView.isValid}, then read. Allocates nothing. */
export class ArpView {
  /** The frame. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Offset of the ARP header in `bytes`. */
  offset = 0;

  /** Points the view at a new packet. */
  attach(bytes: Uint8Array, offset: number): this {
    this.bytes = bytes;
    this.offset = offset;
    return this;
  }

  /** True when `len` bytes hold an Ethernet/IPv4 ARP packet (htype 1, ptype 0x0800, hlen 6, plen 4). */
  isValid(len: number): boolean {
    const b = this.bytes;
    const o = this.offset;
    return (
      len >= ARP_SIZE &&
      get16(b, o + ARP_HTYPE) === 1 &&
      get16(b, o + ARP_PTYPE) === ETHERTYPE_IPV4 &&
      b[o + ARP_HLEN] === 6 &&
      b[o + ARP_PLEN] === 4
    );
  }

  /** The operation (1 request, 2 reply). */
  operation(): number {
    return get16(this.bytes, this.offset + ARP_OPER);
  }

  /** Offset (in `bytes`) of the sender protocol address. */
  senderAddressOffset(): number {
    return this.offset + ARP_SPA;
  }

  /** Offset (in `bytes`) of the target protocol address. */
  targetAddressOffset(): number {
    return this.offset + ARP_TPA;
  }

  /** Offset (in `bytes`) of the sender hardware address. */
  senderMacOffset(): number {
    return this.offset + ARP_SHA;
  }

  /** Offset (in `bytes`) of the target hardware address. */
  targetMacOffset(): number {
    return this.offset + ARP_THA;
  }
}

/** An Ethernet broadcast header from `mac`, then the fixed ARP fields with `op`; returns the ARP offset. */
function arpHeader(out: Uint8Array, offset: number, mac: Uint8Array, op: number): number {
  out.fill(0xff, offset + ETH_DST, offset + ETH_DST + 6);
  copyBytes(out, offset + ETH_SRC, mac, 0, 6);
  put16(out, offset + ETH_TYPE, ETHERTYPE_ARP);
  const a = offset + L2;
  put16(out, a + ARP_HTYPE, 1);
  put16(out, a + ARP_PTYPE, ETHERTYPE_IPV4);
  out[a + ARP_HLEN] = 6;
  out[a + ARP_PLEN] = 4;
  put16(out, a + ARP_OPER, op);
  return a;
}

/**
 * Writes an ARP request (RFC 826) for `target` at `out[offset]`: Ethernet broadcast from `mac`, sender
 * `mac`/`sender`, target hardware address zero. Returns its length, {@link ARP_FRAME_LENGTH}.
 * @param mac - our MAC (6 bytes at index 0)
 * @param sender - our IPv4 address (4 bytes at index 0)
 * @param target - the address asked for (4 bytes at index 0)
 */
export function encodeArpRequest(
  out: Uint8Array,
  offset: number,
  mac: Uint8Array,
  sender: Uint8Array,
  target: Uint8Array,
): number {
  const a = arpHeader(out, offset, mac, ARP_REQUEST);
  copyBytes(out, a + ARP_SHA, mac, 0, 6);
  copyBytes(out, a + ARP_SPA, sender, 0, 4);
  out.fill(0, a + ARP_THA, a + ARP_THA + 6);
  copyBytes(out, a + ARP_TPA, target, 0, 4);
  return ARP_FRAME_LENGTH;
}

/**
 * Writes a gratuitous ARP for `vip` at `out[offset]` as keepalived's vrrp_arp.c
 * `send_gratuitous_arp_immediate` does (RFC 5227 §3's announcement form): Ethernet broadcast from `mac`, a
 * REQUEST with sender and target protocol address both the VIP and the target hardware address broadcast.
 * Returns its length, {@link GARP_FRAME_LENGTH} (unpadded).
 * @param mac - the interface MAC (6 bytes)
 * @param vip - the virtual IPv4 address (4 bytes)
 */
export function encodeGratuitousArp(out: Uint8Array, offset: number, mac: Uint8Array, vip: Uint8Array): number {
  const a = arpHeader(out, offset, mac, ARP_REQUEST);
  copyBytes(out, a + ARP_SHA, mac, 0, 6);
  copyBytes(out, a + ARP_SPA, vip, 0, 4);
  out.fill(0xff, a + ARP_THA, a + ARP_THA + 6);
  copyBytes(out, a + ARP_TPA, vip, 0, 4);
  return GARP_FRAME_LENGTH;
}

/**
 * Turns the ARP request at `frame[l2]` of a frame starting at `frame[0]` (checked with
 * {@link ArpView.isValid} by the caller) into its reply, in place (RFC 826 "swap"): target ← the asker's MAC and address, sender ← `mac` and the address asked for,
 * operation REPLY; Ethernet back to the asker from `mac`. VLAN tags before `l2` are kept; the length is
 * unchanged.
 * @param mac - the MAC that answers (6 bytes)
 */
export function writeArpReply(frame: Uint8Array, l2: number, mac: Uint8Array): void {
  const tpa = l2 + ARP_TPA;
  const spa = l2 + ARP_SPA;
  // The address asked for, held in one number while the asker's is moved over it.
  const asked = ((frame[tpa]! << 24) | (frame[tpa + 1]! << 16) | (frame[tpa + 2]! << 8) | frame[tpa + 3]!) >>> 0;
  copyBytes(frame, l2 + ARP_THA, frame, l2 + ARP_SHA, 6);
  copyBytes(frame, tpa, frame, spa, 4);
  copyBytes(frame, l2 + ARP_SHA, mac, 0, 6);
  put32(frame, spa, asked);
  put16(frame, l2 + ARP_OPER, ARP_REPLY);
  copyBytes(frame, ETH_DST, frame, l2 + ARP_THA, 6);
  copyBytes(frame, ETH_SRC, mac, 0, 6);
}

/*
 * Neighbour solicitation / advertisement (RFC 4861 §4.3, §4.4) in an IPv6 packet (RFC 8200) without
 * extension headers, hop limit 255:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|S|O|                     Reserved (NS: all reserved)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Target Address (16)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Options: type (1) | length in 8-octet units (1) | value ...
 */
/** ICMPv6 type of a neighbour solicitation. */
export const NDISC_NEIGHBOUR_SOLICITATION = 135;
/** ICMPv6 type of a neighbour advertisement. */
export const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;
/** Offset of the NS/NA flags byte (R, S, O) in the ICMPv6 message. */
export const NDISC_FLAGS = 4;
/** Offset of the target address in the ICMPv6 message. */
export const NDISC_TARGET = 8;
/** Offset of the first option in the ICMPv6 message. */
export const NDISC_OPTIONS = 24;
/** NS/NA body without options. */
export const NDISC_MIN_SIZE = 24;
/** NA flag: the sender is a router. */
export const NA_FLAG_ROUTER = 0x80;
/** NA flag: sent in answer to a solicitation. */
export const NA_FLAG_SOLICITED = 0x40;
/** NA flag: override an existing cache entry. */
export const NA_FLAG_OVERRIDE = 0x20;
/** Option type: source link-layer address (RFC 4861 §4.6.1). */
export const ND_OPT_SOURCE_LINKADDR = 1;
/** Option type: target link-layer address (RFC 4861 §4.6.1). */
export const ND_OPT_TARGET_LINKADDR = 2;
/** Length of an NS or NA frame with one link-layer address option: 14 + 40 + 24 + 8. */
export const NDISC_FRAME_LENGTH = 86;
/** Length of an unsolicited neighbour advertisement frame ({@link encodeUnsolicitedNa}). */
export const NA_FRAME_LENGTH = NDISC_FRAME_LENGTH;

// IPv6 header fields (RFC 8200 §3) the messages need.
const IP6_PAYLOAD_LENGTH = 4;
const IP6_NEXT_HEADER = 6;
const IP6_HOP_LIMIT = 7;
const IP6_SRC = 8;
const IP6_DST = 24;
const IP6_SIZE = 40;
/** The ICMPv6 message's length in the frames built here: the body and one link-layer address option. */
const NDISC_LENGTH = NDISC_MIN_SIZE + 8;

/**
 * A view over a neighbour solicitation or advertisement: the IPv6 header at `offset` and the ICMPv6 message
 * right after it. {@link NdiscView.isValid} applies RFC 4861 §7.1.1 / §7.1.2's checks before anything is
 * read. Allocates nothing.
 */
export class NdiscView {
  /** The frame. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Offset of the IPv6 header in `bytes`. */
  offset = 0;

  /** Points the view at a new packet (the IPv6 header at `offset`). */
  attach(bytes: Uint8Array, offset: number): this {
    this.bytes = bytes;
    this.offset = offset;
    return this;
  }

  /**
   * True when the `len` bytes from `offset` hold an IPv6 packet with no extension headers whose ICMPv6
   * message is a neighbour solicitation or advertisement that passes RFC 4861's validity checks: hop limit
   * 255, code 0, at least 24 bytes, a valid checksum (§7.1.1 NS, §7.1.2 NA). Bytes past the IPv6 payload
   * length (Ethernet padding) are ignored.
   */
  isValid(len: number): boolean {
    const b = this.bytes;
    const o = this.offset;
    if (len < IP6_SIZE || b[o]! >>> 4 !== 6 || b[o + IP6_NEXT_HEADER] !== IPPROTO_ICMPV6) return false;
    const plen = get16(b, o + IP6_PAYLOAD_LENGTH);
    if (plen < NDISC_MIN_SIZE || IP6_SIZE + plen > len || b[o + IP6_HOP_LIMIT] !== 255) return false;
    const icmp = o + IP6_SIZE;
    const type = b[icmp]!;
    if ((type !== NDISC_NEIGHBOUR_SOLICITATION && type !== NDISC_NEIGHBOUR_ADVERTISEMENT) || b[icmp + 1] !== 0) {
      return false;
    }
    return internetChecksum(b, icmp, plen, pseudoSum6(b, o + IP6_SRC, o + IP6_DST, IPPROTO_ICMPV6, plen)) === 0;
  }

  /** The ICMPv6 type (135 NS, 136 NA). */
  type(): number {
    return this.bytes[this.offset + IP6_SIZE]!;
  }

  /** The R/S/O flags byte ({@link NA_FLAG_ROUTER}, {@link NA_FLAG_SOLICITED}, {@link NA_FLAG_OVERRIDE}). */
  flags(): number {
    return this.bytes[this.offset + IP6_SIZE + NDISC_FLAGS]!;
  }

  /** Offset (in `bytes`) of the ICMPv6 message. */
  messageOffset(): number {
    return this.offset + IP6_SIZE;
  }

  /** Offset (in `bytes`) of the target address. */
  targetOffset(): number {
    return this.offset + IP6_SIZE + NDISC_TARGET;
  }

  /** Offset (in `bytes`) of the IPv6 source address. */
  sourceOffset(): number {
    return this.offset + IP6_SRC;
  }

  /** True when the IPv6 source is the unspecified address (a duplicate address detection probe, §7.2.2). */
  isUnspecifiedSource(): boolean {
    const b = this.bytes;
    const s = this.offset + IP6_SRC;
    for (let k = 0; k < 16; k++) if (b[s + k] !== 0) return false;
    return true;
  }

  /**
   * Offset (in `bytes`) of the 6-byte link-layer address in the first option of `type`
   * ({@link ND_OPT_SOURCE_LINKADDR} / {@link ND_OPT_TARGET_LINKADDR}), or −1 when there is none. Stops at a
   * zero-length option (§4.6: such a packet must be discarded). Call after {@link NdiscView.isValid}.
   */
  linkAddressOffset(type: number): number {
    const b = this.bytes;
    const icmp = this.offset + IP6_SIZE;
    const end = icmp + get16(b, this.offset + IP6_PAYLOAD_LENGTH);
    for (let o = icmp + NDISC_OPTIONS; o + 8 <= end; ) {
      const olen = b[o + 1]! * 8;
      if (olen === 0) return -1;
      if (b[o] === type) return o + 2;
      o += olen;
    }
    return -1;
  }
}

/**
 * The Ethernet source and type, the IPv6 header and the ICMPv6 type of an NS/NA at `out[offset]` (the
 * caller writes the Ethernet destination and the addresses): version 6, 32 bytes of ICMPv6, hop limit 255,
 * the message zeroed. Returns the ICMPv6 message's offset.
 */
function ndiscHeader(out: Uint8Array, offset: number, mac: Uint8Array, type: number): number {
  copyBytes(out, offset + ETH_SRC, mac, 0, 6);
  put16(out, offset + ETH_TYPE, ETHERTYPE_IPV6);
  const ip = offset + L2;
  put32(out, ip, 0x60000000);
  put16(out, ip + IP6_PAYLOAD_LENGTH, NDISC_LENGTH);
  out[ip + IP6_NEXT_HEADER] = IPPROTO_ICMPV6;
  out[ip + IP6_HOP_LIMIT] = 255;
  const icmp = ip + IP6_SIZE;
  out.fill(0, icmp, icmp + NDISC_LENGTH);
  out[icmp] = type;
  return icmp;
}

/** The checksum of the 32-byte NS/NA message after the IPv6 header at `ip` (RFC 4443 §2.3). */
function finishNdisc(out: Uint8Array, ip: number): void {
  const icmp = ip + IP6_SIZE;
  put16(out, icmp + 2, 0);
  put16(
    out,
    icmp + 2,
    internetChecksum(
      out,
      icmp,
      NDISC_LENGTH,
      pseudoSum6(out, ip + IP6_SRC, ip + IP6_DST, IPPROTO_ICMPV6, NDISC_LENGTH),
    ),
  );
}

/** The solicited-node multicast address ff02::1:ffXX:XXXX of the 16 bytes at `target[0]`, into `out[at]`. */
function solicitedNode(out: Uint8Array, at: number, target: Uint8Array, targetOff: number): void {
  out.fill(0, at, at + 16);
  out[at] = 0xff;
  out[at + 1] = 0x02;
  out[at + 11] = 0x01;
  out[at + 12] = 0xff;
  copyBytes(out, at + 13, target, targetOff + 13, 3);
}

const ALL_NODES_MAC = Uint8Array.of(0x33, 0x33, 0, 0, 0, 1);

/**
 * Writes a neighbour solicitation (RFC 4861 §4.3, §7.2.2) for `target` at `out[offset]`: to the target's
 * solicited-node group (RFC 4291 §2.7.1; Ethernet 33:33:ff + its last three bytes, RFC 2464 §7), from
 * `source` with `mac` as source link-layer address option. Returns its length, {@link NDISC_FRAME_LENGTH}.
 * @param mac - our MAC (6 bytes)
 * @param source - our IPv6 address on the link (16 bytes at index 0)
 * @param target - the address asked for (16 bytes at index 0)
 */
export function encodeNeighbourSolicitation(
  out: Uint8Array,
  offset: number,
  mac: Uint8Array,
  source: Uint8Array,
  target: Uint8Array,
): number {
  const ip = offset + L2;
  // Ethernet destination: the group of the solicited-node address.
  out[offset + ETH_DST] = 0x33;
  out[offset + ETH_DST + 1] = 0x33;
  out[offset + ETH_DST + 2] = 0xff;
  copyBytes(out, offset + ETH_DST + 3, target, 13, 3);
  const icmp = ndiscHeader(out, offset, mac, NDISC_NEIGHBOUR_SOLICITATION);
  copyBytes(out, ip + IP6_SRC, source, 0, 16);
  solicitedNode(out, ip + IP6_DST, target, 0);
  copyBytes(out, icmp + NDISC_TARGET, target, 0, 16);
  out[icmp + NDISC_OPTIONS] = ND_OPT_SOURCE_LINKADDR;
  out[icmp + NDISC_OPTIONS + 1] = 1;
  copyBytes(out, icmp + NDISC_OPTIONS + 2, mac, 0, 6);
  finishNdisc(out, ip);
  return NDISC_FRAME_LENGTH;
}

/**
 * Writes an unsolicited neighbour advertisement for `vip` at `out[offset]` (RFC 4861 §7.2.6), as keepalived's
 * vrrp_ndisc.c `ndisc_send_unsolicited_na_immediate` sends it: Ethernet 33:33:00:00:00:01 (ff02::1) from
 * `mac`; IPv6 from the VIP to ff02::1, hop limit 255; flags Override (and Router when `router`), target the
 * VIP, the target link-layer address option with `mac`. Returns its length, {@link NA_FRAME_LENGTH}.
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
  const ip = offset + L2;
  copyBytes(out, offset + ETH_DST, ALL_NODES_MAC, 0, 6);
  const icmp = ndiscHeader(out, offset, mac, NDISC_NEIGHBOUR_ADVERTISEMENT);
  copyBytes(out, ip + IP6_SRC, vip, 0, 16);
  out.fill(0, ip + IP6_DST, ip + IP6_DST + 16);
  out[ip + IP6_DST] = 0xff;
  out[ip + IP6_DST + 1] = 0x02;
  out[ip + IP6_DST + 15] = 0x01;
  out[icmp + NDISC_FLAGS] = NA_FLAG_OVERRIDE | (router ? NA_FLAG_ROUTER : 0);
  copyBytes(out, icmp + NDISC_TARGET, vip, 0, 16);
  out[icmp + NDISC_OPTIONS] = ND_OPT_TARGET_LINKADDR;
  out[icmp + NDISC_OPTIONS + 1] = 1;
  copyBytes(out, icmp + NDISC_OPTIONS + 2, mac, 0, 6);
  finishNdisc(out, ip);
  return NA_FRAME_LENGTH;
}

/**
 * Turns the neighbour solicitation whose IPv6 header is at `frame[l3]`, in a frame starting at `frame[0]`
 * (checked with {@link NdiscView.isValid} by the caller, and for a target we answer for), into the advertisement that answers it, in place (RFC 4861
 * §7.2.4): from the target address with the Override flag and the target link-layer address option `mac`;
 * Solicited and unicast back to the asker, or — for duplicate address detection, whose source is unspecified
 * — unsolicited to all nodes (ff02::1, §7.2.4's last paragraph). VLAN tags before `l3` are kept. Returns the
 * new frame length (`l3` + 72).
 * @param mac - the MAC that answers (6 bytes)
 */
export function writeNaReply(frame: Uint8Array, l3: number, mac: Uint8Array): number {
  const icmp = l3 + IP6_SIZE;
  let dad = true;
  for (let k = 0; k < 16; k++) if (frame[l3 + IP6_SRC + k] !== 0) dad = false;
  // Ethernet: back to the asker (or to the all-nodes group), from us.
  if (dad) copyBytes(frame, ETH_DST, ALL_NODES_MAC, 0, 6);
  else copyBytes(frame, ETH_DST, frame, ETH_SRC, 6);
  copyBytes(frame, ETH_SRC, mac, 0, 6);
  // IPv6: version 6, traffic class and flow label 0, 32 bytes of ICMPv6, hop limit 255, target → asker.
  put32(frame, l3, 0x60000000);
  put16(frame, l3 + IP6_PAYLOAD_LENGTH, NDISC_LENGTH);
  frame[l3 + IP6_NEXT_HEADER] = IPPROTO_ICMPV6;
  frame[l3 + IP6_HOP_LIMIT] = 255;
  if (dad) {
    frame.fill(0, l3 + IP6_DST, l3 + IP6_DST + 16);
    frame[l3 + IP6_DST] = 0xff;
    frame[l3 + IP6_DST + 1] = 0x02;
    frame[l3 + IP6_DST + 15] = 1;
  } else copyBytes(frame, l3 + IP6_DST, frame, l3 + IP6_SRC, 16);
  copyBytes(frame, l3 + IP6_SRC, frame, icmp + NDISC_TARGET, 16);
  // The advertisement; the target stays where it is.
  frame[icmp] = NDISC_NEIGHBOUR_ADVERTISEMENT;
  frame[icmp + 1] = 0;
  put32(frame, icmp + NDISC_FLAGS, ((dad ? 0 : NA_FLAG_SOLICITED) | NA_FLAG_OVERRIDE) << 24);
  frame[icmp + NDISC_OPTIONS] = ND_OPT_TARGET_LINKADDR;
  frame[icmp + NDISC_OPTIONS + 1] = 1;
  copyBytes(frame, icmp + NDISC_OPTIONS + 2, mac, 0, 6);
  finishNdisc(frame, l3);
  return icmp + NDISC_LENGTH;
}

/**
 * The Ethernet group (`33:33:ff:xx:xx:xx`) of the solicited-node address of the IPv6 address at
 * `address[offset]` (RFC 4291 §2.7.1, RFC 2464 §7): where solicitations for it arrive. Control path (returns
 * a string).
 */
export function solicitedNodeMac(address: Uint8Array, offset = 0): string {
  const h = (b: number) => b.toString(16).padStart(2, '0');
  return `33:33:ff:${h(address[offset + 13]!)}:${h(address[offset + 14]!)}:${h(address[offset + 15]!)}`;
}
