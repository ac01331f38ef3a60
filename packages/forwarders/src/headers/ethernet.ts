/**
 * Ethernet II framing (IEEE 802.3 §3.1.1) with IEEE 802.1Q / 802.1ad tags recognised. Owns the field offsets
 * and the view; must never allocate per frame nor look past the tags into the payload.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Destination MAC (6 octets)                    |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                   Source MAC (6 octets)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   EtherType or TPID (0x8100)  |  802.1Q: PCP|DEI|VID (TCI)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  EtherType (after the tags)   |   payload ...
 * ```
 */
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN, get16 } from '@lvskit/base';

/** The protocol constants are `@lvskit/base`'s, re-exported beside the header they belong to. */
export { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN };

/** Offset of the destination MAC. */
export const ETH_DST = 0;
/** Offset of the source MAC. */
export const ETH_SRC = 6;
/** Offset of the EtherType (or the first tag's TPID). */
export const ETH_TYPE = 12;
/** Length of an untagged Ethernet header. */
export const ETH_HLEN = 14;
/** Length of one 802.1Q / 802.1ad tag. */
export const VLAN_HLEN = 4;
/** Length of a MAC address. */
export const ETH_ALEN = 6;
/** At most this many stacked tags are skipped (802.1ad outer + 802.1Q inner). */
export const MAX_VLAN_TAGS = 2;

/** A view over an Ethernet header at `offset` in `bytes`; attach once per frame, check `isValid` first. */
export class EthernetView {
  /** The frame. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Offset of the header in `bytes`. */
  offset = 0;

  /** Points the view at a new frame (no allocation). */
  attach(bytes: Uint8Array, offset = 0): this {
    this.bytes = bytes;
    this.offset = offset;
    return this;
  }

  /** True when `len` bytes (from `offset`) hold the header and every tag it announces. */
  isValid(len: number): boolean {
    return len >= ETH_HLEN && len >= this.headerLength();
  }

  /** Header length including up to {@link MAX_VLAN_TAGS} tags (call only when 14 bytes are present). */
  headerLength(): number {
    let off = ETH_TYPE;
    for (let i = 0; i < MAX_VLAN_TAGS; i++) {
      if (this.offset + off + 2 > this.bytes.length) break;
      const t = get16(this.bytes, this.offset + off);
      if (t !== ETHERTYPE_VLAN && t !== ETHERTYPE_QINQ) break;
      off += VLAN_HLEN;
    }
    return off + 2;
  }

  /** Number of 802.1Q/802.1ad tags before the payload's EtherType. */
  vlanTags(): number {
    return (this.headerLength() - ETH_HLEN) / VLAN_HLEN;
  }

  /** VLAN identifier of the innermost tag, or -1 when untagged. */
  vlanId(): number {
    const hl = this.headerLength();
    if (hl === ETH_HLEN) return -1;
    return get16(this.bytes, this.offset + hl - 4) & 0x0fff;
  }

  /** The EtherType of the payload (after any tags). */
  etherType(): number {
    return get16(this.bytes, this.offset + this.headerLength() - 2);
  }

  /** Offset (in `bytes`) of the destination MAC. */
  destinationOffset(): number {
    return this.offset + ETH_DST;
  }

  /** Offset (in `bytes`) of the source MAC. */
  sourceOffset(): number {
    return this.offset + ETH_SRC;
  }
}
