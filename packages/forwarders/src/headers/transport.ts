/**
 * Transport headers: TCP (RFC 9293 §3.1), UDP (RFC 768), ICMP (RFC 792) and ICMPv6 (RFC 4443 §2.1).
 * Owns their offsets and views; must never allocate, never verify payload semantics, and never read
 * before `isValid(len)` passed.
 *
 * ```
 * TCP:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * UDP:
 * |          Source Port          |       Destination Port        |
 * |            Length             |           Checksum            |
 *
 * ICMP / ICMPv6:
 * |     Type      |     Code      |           Checksum            |
 * |          rest of header (e.g. unused | next-hop MTU)          |
 * ```
 */
import { get16, get32 } from '@lvskit/base';
import { TCP_FIN, TCP_RST, TCP_SYN } from '@lvskit/core';

/** The TCP flag bits are `@lvskit/core`'s (the engine's words), re-exported beside the header. */
export { TCP_FIN, TCP_RST, TCP_SYN };

/** TCP: offset of the source port. */
export const TCP_SRC_PORT = 0;
/** TCP: offset of the destination port. */
export const TCP_DST_PORT = 2;
/** TCP: offset of the sequence number. */
export const TCP_SEQ = 4;
/** TCP: offset of the acknowledgment number. */
export const TCP_ACK_NUMBER = 8;
/** TCP: offset of data offset / reserved. */
export const TCP_DATA_OFFSET = 12;
/** TCP: offset of the flags byte. */
export const TCP_FLAGS = 13;
/** TCP: offset of the window. */
export const TCP_WINDOW = 14;
/** TCP: offset of the checksum. */
export const TCP_CHECKSUM = 16;
/** TCP: offset of the urgent pointer. */
export const TCP_URGENT = 18;
/** TCP: minimum header length. */
export const TCP_MIN_SIZE = 20;
/** TCP flag PSH. */
export const TCP_PSH = 0x08;
/** TCP flag ACK. */
export const TCP_ACK_FLAG = 0x10;

/** UDP: offset of the source port. */
export const UDP_SRC_PORT = 0;
/** UDP: offset of the destination port. */
export const UDP_DST_PORT = 2;
/** UDP: offset of the length. */
export const UDP_LENGTH = 4;
/** UDP: offset of the checksum. */
export const UDP_CHECKSUM = 6;
/** UDP: header size. */
export const UDP_SIZE = 8;

/** ICMP/ICMPv6: offset of the type. */
export const ICMP_TYPE = 0;
/** ICMP/ICMPv6: offset of the code. */
export const ICMP_CODE = 1;
/** ICMP/ICMPv6: offset of the checksum. */
export const ICMP_CHECKSUM = 2;
/** ICMP/ICMPv6: offset of the 4-byte rest of header (id/seq, unused/MTU, pointer). */
export const ICMP_REST = 4;
/** ICMP: offset of the next-hop MTU in a fragmentation-needed message (RFC 1191 §4). */
export const ICMP_NEXT_HOP_MTU = 6;
/** ICMP/ICMPv6: header size. */
export const ICMP_SIZE = 8;

/** ICMP type: echo reply. */
export const ICMP_ECHO_REPLY = 0;
/** ICMP type: destination unreachable. */
export const ICMP_DEST_UNREACH = 3;
/** ICMP type: source quench. */
export const ICMP_SOURCE_QUENCH = 4;
/** ICMP type: echo request. */
export const ICMP_ECHO = 8;
/** ICMP type: time exceeded. */
export const ICMP_TIME_EXCEEDED = 11;
/** ICMP code (dest unreach): fragmentation needed and DF set. */
export const ICMP_FRAG_NEEDED = 4;
/** ICMP code (time exceeded): TTL exceeded in transit. */
export const ICMP_EXC_TTL = 0;

/** ICMPv6 type: destination unreachable. */
export const ICMPV6_DEST_UNREACH = 1;
/** ICMPv6 type: packet too big. */
export const ICMPV6_PKT_TOOBIG = 2;
/** ICMPv6 type: time exceeded. */
export const ICMPV6_TIME_EXCEED = 3;
/** ICMPv6 type: parameter problem. */
export const ICMPV6_PARAMPROB = 4;
/** ICMPv6: types below this are errors (RFC 4443 §2.1). */
export const ICMPV6_INFOMSG_MASK = 0x80;

/** A view over a TCP header. */
export class TcpView {
  /** The frame. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Offset of the header in `bytes`. */
  offset = 0;

  /** Points the view at a new segment. */
  attach(bytes: Uint8Array, offset: number): this {
    this.bytes = bytes;
    this.offset = offset;
    return this;
  }

  /** True when `len` bytes hold the header including its options (20 ≤ data offset·4 ≤ len). */
  isValid(len: number): boolean {
    if (len < TCP_MIN_SIZE) return false;
    const hl = this.headerLength();
    return hl >= TCP_MIN_SIZE && hl <= len;
  }

  /** Source port. */
  sourcePort(): number {
    return get16(this.bytes, this.offset + TCP_SRC_PORT);
  }

  /** Destination port. */
  destinationPort(): number {
    return get16(this.bytes, this.offset + TCP_DST_PORT);
  }

  /** Sequence number. */
  sequence(): number {
    return get32(this.bytes, this.offset + TCP_SEQ);
  }

  /** Acknowledgment number. */
  acknowledgment(): number {
    return get32(this.bytes, this.offset + TCP_ACK_NUMBER);
  }

  /** Header length in bytes (data offset × 4). */
  headerLength(): number {
    return (this.bytes[this.offset + TCP_DATA_OFFSET]! >>> 4) << 2;
  }

  /** The flags byte (CWR … FIN). */
  flags(): number {
    return this.bytes[this.offset + TCP_FLAGS]!;
  }

  /** Checksum field. */
  checksum(): number {
    return get16(this.bytes, this.offset + TCP_CHECKSUM);
  }
}

/** A view over a UDP header. */
export class UdpView {
  /** The frame. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Offset of the header in `bytes`. */
  offset = 0;

  /** Points the view at a new datagram. */
  attach(bytes: Uint8Array, offset: number): this {
    this.bytes = bytes;
    this.offset = offset;
    return this;
  }

  /** True when `len` bytes hold the header. The length field is checked by the parser against IP. */
  isValid(len: number): boolean {
    return len >= UDP_SIZE;
  }

  /** Source port. */
  sourcePort(): number {
    return get16(this.bytes, this.offset + UDP_SRC_PORT);
  }

  /** Destination port. */
  destinationPort(): number {
    return get16(this.bytes, this.offset + UDP_DST_PORT);
  }

  /** Length field (header + data). */
  length(): number {
    return get16(this.bytes, this.offset + UDP_LENGTH);
  }

  /** Checksum field (0 over IPv4 means "no checksum", RFC 768). */
  checksum(): number {
    return get16(this.bytes, this.offset + UDP_CHECKSUM);
  }
}

/** A view over an ICMP or ICMPv6 header. */
export class IcmpView {
  /** The frame. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Offset of the header in `bytes`. */
  offset = 0;

  /** Points the view at a new message. */
  attach(bytes: Uint8Array, offset: number): this {
    this.bytes = bytes;
    this.offset = offset;
    return this;
  }

  /** True when `len` bytes hold the 8-byte header. */
  isValid(len: number): boolean {
    return len >= ICMP_SIZE;
  }

  /** Type. */
  type(): number {
    return this.bytes[this.offset + ICMP_TYPE]!;
  }

  /** Code. */
  code(): number {
    return this.bytes[this.offset + ICMP_CODE]!;
  }

  /** Checksum field. */
  checksum(): number {
    return get16(this.bytes, this.offset + ICMP_CHECKSUM);
  }

  /** Next-hop MTU of a fragmentation-needed message (RFC 1191) or the MTU of an ICMPv6 packet-too-big. */
  mtu(): number {
    return get16(this.bytes, this.offset + ICMP_NEXT_HOP_MTU);
  }

  /** Offset (in `bytes`) of the message body (for errors: the invoking packet). */
  bodyOffset(): number {
    return this.offset + ICMP_SIZE;
  }
}

/**
 * True for the ICMP (v4) types IPVS treats as errors about a connection: destination unreachable,
 * source quench, time exceeded (`ip_vs_in_icmp` in net/netfilter/ipvs/ip_vs_core.c).
 */
export function isIcmpError(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_TIME_EXCEEDED;
}

/** True for ICMPv6 error types (RFC 4443 §2.1: types 0–127; `ip_vs_in_icmp_v6` uses ICMPV6_INFOMSG_MASK). */
export function isIcmpv6Error(type: number): boolean {
  return (type & ICMPV6_INFOMSG_MASK) === 0;
}
