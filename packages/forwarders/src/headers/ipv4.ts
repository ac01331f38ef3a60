/**
 * IPv4 header (RFC 791 §3.1), options included, fragments recognised (MF flag, fragment offset). Owns the
 * offsets and a view; must never reassemble fragments, allocate, or read before `isValid(len)` passed.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import {
  get16,
  get32,
  IPPROTO_ICMP,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  internetChecksum,
} from '@lvskit/base';

/** The protocol constants are `@lvskit/base`'s, re-exported beside the header they belong to. */
export { IPPROTO_ICMP, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP };

/** Offset of version and IHL. */
export const IPV4_VERSION_IHL = 0;
/** Offset of the type of service (DSCP/ECN). */
export const IPV4_TOS = 1;
/** Offset of the total length. */
export const IPV4_TOTAL_LENGTH = 2;
/** Offset of the identification. */
export const IPV4_ID = 4;
/** Offset of flags and fragment offset. */
export const IPV4_FLAGS_FRAGOFF = 6;
/** Offset of the time to live. */
export const IPV4_TTL = 8;
/** Offset of the protocol. */
export const IPV4_PROTOCOL = 9;
/** Offset of the header checksum. */
export const IPV4_CHECKSUM = 10;
/** Offset of the source address. */
export const IPV4_SRC = 12;
/** Offset of the destination address. */
export const IPV4_DST = 16;
/** Minimum (option-less) header length. */
export const IPV4_MIN_SIZE = 20;
/** Maximum header length (IHL 15). */
export const IPV4_MAX_SIZE = 60;
/** Flag: don't fragment (in the 16-bit flags/offset word). */
export const IPV4_DF = 0x4000;
/** Flag: more fragments. */
export const IPV4_MF = 0x2000;
/** Mask of the fragment offset (in 8-byte units). */
export const IPV4_OFFSET_MASK = 0x1fff;
/** Smallest MTU every IPv4 link must carry (RFC 791). */
export const IPV4_MIN_MTU = 68;

/** A view over an IPv4 header. */
export class IPv4View {
  /** The frame. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Offset of the IPv4 header in `bytes`. */
  offset = 0;

  /** Points the view at a new packet. */
  attach(bytes: Uint8Array, offset: number): this {
    this.bytes = bytes;
    this.offset = offset;
    return this;
  }

  /**
   * True when `len` bytes (from `offset`) hold a well-formed header: version 4, 20 ≤ IHL·4 ≤ total
   * length ≤ `len`. Bytes after the total length (Ethernet padding) are allowed.
   */
  isValid(len: number): boolean {
    if (len < IPV4_MIN_SIZE) return false;
    const b = this.bytes;
    const o = this.offset;
    const vihl = b[o]!;
    const hl = (vihl & 0x0f) << 2;
    const tl = get16(b, o + IPV4_TOTAL_LENGTH);
    return vihl >>> 4 === 4 && hl >= IPV4_MIN_SIZE && hl <= tl && tl <= len;
  }

  /** Header length in bytes (IHL × 4), options included. */
  headerLength(): number {
    return (this.bytes[this.offset]! & 0x0f) << 2;
  }

  /** Total length of the datagram. */
  totalLength(): number {
    return get16(this.bytes, this.offset + IPV4_TOTAL_LENGTH);
  }

  /** Type of service byte (DSCP and ECN). */
  tos(): number {
    return this.bytes[this.offset + IPV4_TOS]!;
  }

  /** Identification. */
  id(): number {
    return get16(this.bytes, this.offset + IPV4_ID);
  }

  /** The flags / fragment offset word. */
  flagsFragmentOffset(): number {
    return get16(this.bytes, this.offset + IPV4_FLAGS_FRAGOFF);
  }

  /** True when DF is set. */
  dontFragment(): boolean {
    return (this.flagsFragmentOffset() & IPV4_DF) !== 0;
  }

  /** True when MF is set. */
  moreFragments(): boolean {
    return (this.flagsFragmentOffset() & IPV4_MF) !== 0;
  }

  /** Fragment offset in bytes. */
  fragmentOffset(): number {
    return (this.flagsFragmentOffset() & IPV4_OFFSET_MASK) << 3;
  }

  /** True for any fragment (MF set or a non-zero offset). */
  isFragment(): boolean {
    return (this.flagsFragmentOffset() & (IPV4_MF | IPV4_OFFSET_MASK)) !== 0;
  }

  /** Time to live. */
  ttl(): number {
    return this.bytes[this.offset + IPV4_TTL]!;
  }

  /** Protocol of the payload. */
  protocol(): number {
    return this.bytes[this.offset + IPV4_PROTOCOL]!;
  }

  /** Header checksum field. */
  checksum(): number {
    return get16(this.bytes, this.offset + IPV4_CHECKSUM);
  }

  /** Source address as an unsigned 32-bit number. */
  source(): number {
    return get32(this.bytes, this.offset + IPV4_SRC);
  }

  /** Destination address as an unsigned 32-bit number. */
  destination(): number {
    return get32(this.bytes, this.offset + IPV4_DST);
  }

  /** Offset (in `bytes`) of the payload. */
  payloadOffset(): number {
    return this.offset + this.headerLength();
  }

  /** Length of the payload (total length minus header length). */
  payloadLength(): number {
    return this.totalLength() - this.headerLength();
  }

  /** The checksum this header should carry (computed over the header with its checksum field as is). */
  computeChecksum(): number {
    // Summing with the field in place and complementing gives 0 for a correct header; to compute the
    // value to store, skip the field by summing around it.
    const b = this.bytes;
    const o = this.offset;
    const hl = this.headerLength();
    const stored = get16(b, o + IPV4_CHECKSUM);
    return internetChecksum(b, o, hl, ~stored & 0xffff);
  }

  /** True when the header checksum verifies. */
  isChecksumValid(): boolean {
    return internetChecksum(this.bytes, this.offset, this.headerLength()) === 0;
  }
}
