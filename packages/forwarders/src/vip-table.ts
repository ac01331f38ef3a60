/**
 * The VIPs a datapath answers and forwards for, with the serving switch beside each: an immutable table
 * compiled on the control path (a reload, VRRP flipping serving) and swapped by reference between batches;
 * on the packet path only {@link VipTable.lookup}, a scan of packed typed arrays. It owns which addresses are
 * VIPs and which of them are served; it must never allocate or throw per packet.
 */
import { bytesEqual, formatIp, parseAddress, parseIp } from '@lvskit/base';

/** {@link VipTable.lookup}: the address is not a VIP. */
export const VIP_NONE = -1;
/** {@link VipTable.lookup}: a VIP that is configured but not served (its frames are `NOT_SERVING`). */
export const VIP_NOT_SERVED = 0;
/** {@link VipTable.lookup}: a served VIP (forwarded, answered for ARP/NS, announced). */
export const VIP_SERVED = 1;

/** The configured VIPs and which are served. Build with {@link VipTable.compile}; never changed after. */
export class VipTable {
  /** IPv4 VIPs, 4 bytes each, in configuration order. */
  readonly v4: Uint8Array;
  /** IPv6 VIPs, 16 bytes each. */
  readonly v6: Uint8Array;
  /** 1 where the IPv4 VIP of the same index is served. */
  readonly served4: Uint8Array;
  /** 1 where the IPv6 VIP of the same index is served. */
  readonly served6: Uint8Array;
  /** Number of IPv4 VIPs. */
  readonly count4: number;
  /** Number of IPv6 VIPs. */
  readonly count6: number;

  private constructor(v4: Uint8Array[], v6: Uint8Array[], served: (b: Uint8Array) => boolean) {
    this.count4 = v4.length;
    this.count6 = v6.length;
    this.v4 = new Uint8Array(v4.length * 4);
    this.v6 = new Uint8Array(v6.length * 16);
    for (const [k, b] of v4.entries()) this.v4.set(b, k * 4);
    for (const [k, b] of v6.entries()) this.v6.set(b, k * 16);
    this.served4 = Uint8Array.from(v4, (b) => (served(b) ? 1 : 0));
    this.served6 = Uint8Array.from(v6, (b) => (served(b) ? 1 : 0));
    Object.freeze(this);
  }

  /**
   * Compiles `vips` (IPv4 and IPv6 text) with `serving` the served subset (undefined: all of them; addresses
   * in `serving` that are not VIPs are ignored). Throws `INVALID_ARGUMENT` for a bad address.
   */
  static compile(vips: readonly string[], serving?: readonly string[]): VipTable {
    const v4: Uint8Array[] = [];
    const v6: Uint8Array[] = [];
    for (const v of vips) {
      const { family, bytes } = parseAddress(v);
      if (family === 4) v4.push(bytes.slice(0, 4));
      else v6.push(bytes.slice(0, 16));
    }
    const set = serving === undefined ? undefined : new Set(serving.map((v) => formatIp(parseIp(v))));
    return new VipTable(v4, v6, (b) => set === undefined || set.has(formatIp(b)));
  }

  /** The VIPs as text, IPv4 first, in configuration order (control path). */
  addresses(): string[] {
    const out: string[] = [];
    for (let k = 0; k < this.count4; k++) out.push(formatIp(this.v4.subarray(k * 4, k * 4 + 4)));
    for (let k = 0; k < this.count6; k++) out.push(formatIp(this.v6.subarray(k * 16, k * 16 + 16)));
    return out;
  }

  /** The VIPs as 4- or 16-byte arrays (control path: the socket filter, the solicited-node groups). */
  list4(): Uint8Array[] {
    return Array.from({ length: this.count4 }, (_, k) => this.v4.slice(k * 4, k * 4 + 4));
  }

  /** The IPv6 VIPs as 16-byte arrays (control path). */
  list6(): Uint8Array[] {
    return Array.from({ length: this.count6 }, (_, k) => this.v6.slice(k * 16, k * 16 + 16));
  }

  /**
   * Is the address at `bytes[off..off+len)` (len 4 or 16) a VIP, and served? {@link VIP_NONE},
   * {@link VIP_NOT_SERVED} or {@link VIP_SERVED}. Allocates nothing.
   */
  lookup(bytes: Uint8Array, off: number, len: number): number {
    if (len === 4) {
      const v = this.v4;
      for (let k = 0; k < this.count4; k++) if (bytesEqual(bytes, off, v, k * 4, 4)) return this.served4[k]!;
    } else {
      const v = this.v6;
      for (let k = 0; k < this.count6; k++) if (bytesEqual(bytes, off, v, k * 16, 16)) return this.served6[k]!;
    }
    return VIP_NONE;
  }

  /** {@link VipTable.lookup} for an address in text form (control path). */
  lookupText(address: string): number {
    const b = parseIp(address);
    return this.lookup(b, 0, b.length);
  }
}
