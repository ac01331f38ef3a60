/**
 * ARP for IPv4 over Ethernet (RFC 826). Owns the offsets and a view; must never answer or build ARP itself
 * (the datapath and VRRP decide that).
 *
 * ```
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
 * ```
 */
import { get16 } from '@lvskit/base';

/** Offset of the hardware type. */
export const ARP_HTYPE = 0;
/** Offset of the protocol type. */
export const ARP_PTYPE = 2;
/** Offset of the hardware address length. */
export const ARP_HLEN = 4;
/** Offset of the protocol address length. */
export const ARP_PLEN = 5;
/** Offset of the operation. */
export const ARP_OPER = 6;
/** Offset of the sender hardware address. */
export const ARP_SHA = 8;
/** Offset of the sender protocol address. */
export const ARP_SPA = 14;
/** Offset of the target hardware address. */
export const ARP_THA = 18;
/** Offset of the target protocol address. */
export const ARP_TPA = 24;
/** Size of an Ethernet/IPv4 ARP packet. */
export const ARP_SIZE = 28;
/** Operation: request. */
export const ARP_REQUEST = 1;
/** Operation: reply. */
export const ARP_REPLY = 2;

/** A view over an ARP packet. */
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
      get16(b, o + ARP_PTYPE) === 0x0800 &&
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
}
