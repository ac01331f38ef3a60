/**
 * IPv6 fixed header (RFC 8200 §3) and the walk over the common extension headers to the upper-layer header
 * (Hop-by-Hop, Routing, Fragment, Destination Options, AH). Owns the offsets, the walk, and a view; must
 * never reassemble, allocate, or follow more than {@link IPV6_MAX_EXT_HEADERS} extension headers.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Source Address (16 octets)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Destination Address (16 octets)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Fragment header (RFC 8200 §4.5):
 * | Next Header | Reserved | Fragment Offset (13) |Res|M| Identification (32) |
 * ```
 */
import { get16, get32, IPPROTO_ICMPV6 } from '@lvskit/base';

/** The protocol constants are `@lvskit/base`'s, re-exported beside the header they belong to. */
export { IPPROTO_ICMPV6 };

/** Offset of version / traffic class / flow label. */
export const IPV6_VERSION_TC_FLOW = 0;
/** Offset of the payload length. */
export const IPV6_PAYLOAD_LENGTH = 4;
/** Offset of the next header. */
export const IPV6_NEXT_HEADER = 6;
/** Offset of the hop limit. */
export const IPV6_HOP_LIMIT = 7;
/** Offset of the source address. */
export const IPV6_SRC = 8;
/** Offset of the destination address. */
export const IPV6_DST = 24;
/** Size of the fixed header. */
export const IPV6_SIZE = 40;
/** Smallest link MTU of IPv6 (RFC 8200 §5). */
export const IPV6_MIN_MTU = 1280;
/** Extension header: Hop-by-Hop Options. */
export const IPV6_EXT_HOPOPTS = 0;
/** Extension header: Routing. */
export const IPV6_EXT_ROUTING = 43;
/** Extension header: Fragment. */
export const IPV6_EXT_FRAGMENT = 44;
/** Extension header: Authentication Header (RFC 4302; length in 4-octet units minus 2). */
export const IPV6_EXT_AH = 51;
/** Extension header: Destination Options. */
export const IPV6_EXT_DSTOPTS = 60;
/** No next header. */
export const IPV6_NO_NEXT_HEADER = 59;
/** Size of a fragment extension header. */
export const IPV6_FRAG_SIZE = 8;
/** At most this many extension headers are walked; more is treated as malformed. */
export const IPV6_MAX_EXT_HEADERS = 8;

/** What {@link walkIPv6} found: the upper-layer protocol, where it starts, and fragment facts. */
export interface IPv6Walk {
  /** Upper-layer protocol (next header after the extensions), or -1 when the walk failed. */
  protocol: number;
  /** Offset (in the frame) of the upper-layer header. */
  transportOffset: number;
  /** Offset (in the frame) of the fragment header, or -1. */
  fragmentHeaderOffset: number;
  /** Fragment offset in bytes (0 when not a fragment). */
  fragmentOffset: number;
  /** M flag of the fragment header. */
  moreFragments: boolean;
}

/** Creates an empty walk result to reuse. */
export function createIPv6Walk(): IPv6Walk {
  return { protocol: -1, transportOffset: 0, fragmentHeaderOffset: -1, fragmentOffset: 0, moreFragments: false };
}

/**
 * Walks the extension headers of the IPv6 packet at `b[off]` whose bytes end at `end` (the payload length
 * already checked) and fills `out`. Returns false (and protocol -1) when a header runs past `end` or
 * there are more than {@link IPV6_MAX_EXT_HEADERS}. ESP and unknown values end the walk as the protocol.
 */
export function walkIPv6(b: Uint8Array, off: number, end: number, out: IPv6Walk): boolean {
  let next = b[off + IPV6_NEXT_HEADER]!;
  let p = off + IPV6_SIZE;
  out.fragmentHeaderOffset = -1;
  out.fragmentOffset = 0;
  out.moreFragments = false;
  for (let i = 0; i <= IPV6_MAX_EXT_HEADERS; i++) {
    let hlen: number;
    switch (next) {
      case IPV6_EXT_HOPOPTS:
      case IPV6_EXT_ROUTING:
      case IPV6_EXT_DSTOPTS:
        if (p + 2 > end) return fail(out);
        hlen = (b[p + 1]! + 1) << 3;
        break;
      case IPV6_EXT_AH:
        if (p + 2 > end) return fail(out);
        hlen = (b[p + 1]! + 2) << 2;
        break;
      case IPV6_EXT_FRAGMENT: {
        if (p + IPV6_FRAG_SIZE > end) return fail(out);
        const w = get16(b, p + 2);
        out.fragmentHeaderOffset = p;
        out.fragmentOffset = w & 0xfff8;
        out.moreFragments = (w & 1) !== 0;
        hlen = IPV6_FRAG_SIZE;
        break;
      }
      default:
        out.protocol = next;
        out.transportOffset = p;
        return true;
    }
    if (p + hlen > end) return fail(out);
    next = b[p]!;
    p += hlen;
  }
  return fail(out);
}

function fail(out: IPv6Walk): false {
  out.protocol = -1;
  return false;
}

/** A view over an IPv6 fixed header. */
export class IPv6View {
  /** The frame. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Offset of the header in `bytes`. */
  offset = 0;

  /** Points the view at a new packet. */
  attach(bytes: Uint8Array, offset: number): this {
    this.bytes = bytes;
    this.offset = offset;
    return this;
  }

  /** True when `len` bytes hold version 6 and the whole payload the header announces. */
  isValid(len: number): boolean {
    if (len < IPV6_SIZE) return false;
    return this.bytes[this.offset]! >>> 4 === 6 && IPV6_SIZE + this.payloadLength() <= len;
  }

  /** Payload length (everything after the fixed header, extensions included). */
  payloadLength(): number {
    return get16(this.bytes, this.offset + IPV6_PAYLOAD_LENGTH);
  }

  /** Next header of the fixed header. */
  nextHeader(): number {
    return this.bytes[this.offset + IPV6_NEXT_HEADER]!;
  }

  /** Hop limit. */
  hopLimit(): number {
    return this.bytes[this.offset + IPV6_HOP_LIMIT]!;
  }

  /** Traffic class. */
  trafficClass(): number {
    return (get32(this.bytes, this.offset) >>> 20) & 0xff;
  }

  /** Flow label. */
  flowLabel(): number {
    return get32(this.bytes, this.offset) & 0xfffff;
  }

  /** Offset (in `bytes`) of the source address. */
  sourceOffset(): number {
    return this.offset + IPV6_SRC;
  }

  /** Offset (in `bytes`) of the destination address. */
  destinationOffset(): number {
    return this.offset + IPV6_DST;
  }

  /** Walks the extension headers into `out` (see {@link walkIPv6}). */
  walk(out: IPv6Walk): boolean {
    return walkIPv6(this.bytes, this.offset, this.offset + IPV6_SIZE + this.payloadLength(), out);
  }
}
