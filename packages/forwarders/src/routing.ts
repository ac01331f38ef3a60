/**
 * The datapath's routing, as pure code: a {@link RouteTable} compiled once (when the datapath opens) from the
 * interfaces' connected subnets and at most one default gateway per family, and {@link RouteTable.lookup},
 * which picks the egress interface and next hop of a destination as the kernel's FIB would for these routes:
 * the longest connected prefix holding it (next hop: the destination itself), else the gateway of its family,
 * else the first interface with the destination as next hop (one flat segment). It owns that choice; it must
 * never allocate or throw per packet, and knows nothing of MACs (the neighbour cache resolves the next hop).
 */
import { copyBytes, get32, LvsError, parseAddress } from '@lvskit/base';
import type { FramePortAddress } from './frame-port.js';

/** Where a destination goes: filled by {@link RouteTable.lookup}, one instance reused for every packet. */
export class NextHop {
  /** Index of the egress interface (the datapath's interface order). */
  port = 0;
  /** The next hop's address in the first `length` bytes. */
  readonly address = new Uint8Array(16);
  /** 4 or 16. */
  length = 4;
}

/** A default route: the gateway and the interface it is reached through. */
export interface DefaultRoute {
  /** Index of the interface. */
  readonly port: number;
  /** The gateway's address (IPv4 or IPv6 text). */
  readonly gateway: string;
}

/** Routes compiled from connected subnets and default gateways; immutable. */
export class RouteTable {
  // Connected IPv4 subnets, longest prefix first: network, mask, interface.
  readonly #net4: Uint32Array;
  readonly #mask4: Uint32Array;
  readonly #port4: Uint8Array;
  // IPv6: four 32-bit words of network and of mask per entry (link-local prefixes left out).
  readonly #net6: Uint32Array;
  readonly #mask6: Uint32Array;
  readonly #port6: Uint8Array;
  readonly #gateway4Port: number;
  readonly #gateway6Port: number;
  readonly #gateway4 = new Uint8Array(4);
  readonly #gateway6 = new Uint8Array(16);

  private constructor(
    v4: { net: number; mask: number; port: number; len: number }[],
    v6: { words: number[]; mask: number[]; port: number; len: number }[],
    gateways: readonly DefaultRoute[],
  ) {
    v4.sort((a, b) => b.len - a.len);
    v6.sort((a, b) => b.len - a.len);
    this.#net4 = Uint32Array.from(v4.map((r) => r.net));
    this.#mask4 = Uint32Array.from(v4.map((r) => r.mask));
    this.#port4 = Uint8Array.from(v4.map((r) => r.port));
    this.#net6 = Uint32Array.from(v6.flatMap((r) => r.words));
    this.#mask6 = Uint32Array.from(v6.flatMap((r) => r.mask));
    this.#port6 = Uint8Array.from(v6.map((r) => r.port));
    let g4 = -1;
    let g6 = -1;
    for (const g of gateways) {
      const { family, bytes } = parseAddress(g.gateway);
      if ((family === 4 ? g4 : g6) >= 0) {
        throw new LvsError(
          'INVALID_ARGUMENT',
          `routing: one IPv${family} default gateway only, got a second: ${g.gateway}`,
        );
      }
      if (family === 4) {
        g4 = g.port;
        this.#gateway4.set(bytes.subarray(0, 4));
      } else {
        g6 = g.port;
        this.#gateway6.set(bytes.subarray(0, 16));
      }
    }
    this.#gateway4Port = g4;
    this.#gateway6Port = g6;
  }

  /**
   * Compiles the routes of `interfaces` (each interface's addresses, in the datapath's interface order;
   * IPv6 link-local and zero-length prefixes give no route) and `gateways`. Throws `INVALID_ARGUMENT` for
   * two gateways of one family or a bad address.
   */
  static compile(
    interfaces: readonly (readonly FramePortAddress[])[],
    gateways: readonly DefaultRoute[] = [],
  ): RouteTable {
    const v4: { net: number; mask: number; port: number; len: number }[] = [];
    const v6: { words: number[]; mask: number[]; port: number; len: number }[] = [];
    for (const [port, addresses] of interfaces.entries()) {
      for (const a of addresses) {
        if (a.prefixLength === 0) continue;
        const b = parseAddress(a.address).bytes;
        if (a.family === 4) {
          const mask = a.prefixLength >= 32 ? 0xffffffff : ~(0xffffffff >>> a.prefixLength) >>> 0;
          v4.push({ net: (get32(b, 0) & mask) >>> 0, mask, port, len: a.prefixLength });
        } else if (a.scope !== 253) {
          const mask = [0, 1, 2, 3].map((w) => {
            const bits = Math.max(0, Math.min(32, a.prefixLength - 32 * w));
            return bits === 0 ? 0 : bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
          });
          const words = [0, 1, 2, 3].map((w) => (get32(b, w * 4) & mask[w]!) >>> 0);
          v6.push({ words, mask, port, len: a.prefixLength });
        }
      }
    }
    return new RouteTable(v4, v6, gateways);
  }

  /**
   * Routes the destination at `bytes[off..off+len)` (len 4 or 16) into `out`: egress interface and next-hop
   * address. Allocates nothing.
   */
  lookup(bytes: Uint8Array, off: number, len: number, out: NextHop): void {
    out.length = len;
    const hop = out.address;
    if (len === 16) {
      const w0 = get32(bytes, off);
      const w1 = get32(bytes, off + 4);
      const w2 = get32(bytes, off + 8);
      const w3 = get32(bytes, off + 12);
      const net = this.#net6;
      const mask = this.#mask6;
      for (let k = 0; k < this.#port6.length; k++) {
        const m = k * 4;
        if (
          (w0 & mask[m]!) >>> 0 === net[m] &&
          (w1 & mask[m + 1]!) >>> 0 === net[m + 1] &&
          (w2 & mask[m + 2]!) >>> 0 === net[m + 2] &&
          (w3 & mask[m + 3]!) >>> 0 === net[m + 3]
        ) {
          out.port = this.#port6[k]!;
          copyBytes(hop, 0, bytes, off, 16);
          return;
        }
      }
      if (this.#gateway6Port >= 0) {
        out.port = this.#gateway6Port;
        copyBytes(hop, 0, this.#gateway6, 0, 16);
        return;
      }
    } else {
      const a = get32(bytes, off);
      const net = this.#net4;
      const mask = this.#mask4;
      for (let k = 0; k < net.length; k++) {
        if ((a & mask[k]!) >>> 0 === net[k]) {
          out.port = this.#port4[k]!;
          copyBytes(hop, 0, bytes, off, 4);
          return;
        }
      }
      if (this.#gateway4Port >= 0) {
        out.port = this.#gateway4Port;
        copyBytes(hop, 0, this.#gateway4, 0, 4);
        return;
      }
    }
    out.port = 0;
    copyBytes(hop, 0, bytes, off, len);
  }
}
