/**
 * The forwarding decision a rewrite carries out, as plain reusable data: which MACs, which address and port,
 * the egress MTU, and the kernel behaviours that can be switched. The engine (or a test) fills one of these
 * per packet; the rewrites read it and never keep it. Owns validation of the decision's shape at creation;
 * must never look anything up itself.
 */
import { LvsError, parseIp, parseMac } from '@lvskit/base';

/** A forwarding decision for one packet. Create once with {@link createForwardParams} and reuse. */
export interface ForwardParams {
  /** Our MAC: the source MAC of every frame we transmit (6 bytes). */
  ourMac: Uint8Array;
  /**
   * Next hop's MAC (6 bytes): the real server's for DR, TUN and NAT requests; the client-side router's
   * for NAT replies.
   */
  nextHopMac: Uint8Array;
  /**
   * NAT requests: the real server's address (RIP); NAT replies: the virtual address (VIP); TUN: the real
   * server's address, the outer destination. 4 bytes (IPv4) or 16 (IPv6). Unused by DR.
   */
  address: Uint8Array;
  /** NAT requests: the real server's port (rport); NAT replies: the virtual port (vport). */
  port: number;
  /**
   * The director's own IPv4 address: the outer source of TUN, and the source of ICMP errors about NAT
   * replies (packets routed through, not sent to a local address). 0.0.0.0: unset.
   */
  ourAddress: Uint8Array;
  /** MTU of the egress link. A packet larger than this (plus 20 bytes for TUN) is not sent as is. */
  mtu: number;
  /**
   * Decrement TTL / hop limit like the kernel's `decrement_ttl()` in ip_vs_xmit.c (every non-local DR, NAT
   * and TUN transmit since Linux 4.4); a packet arriving with TTL ≤ 1 gets an ICMP time-exceeded instead.
   * `false` gives the textbook DR where nothing but the MACs changes.
   */
  decrementTtl: boolean;
  /** The `net.ipv4.vs.pmtu_disc` sysctl (default 1): TUN copies DF and answers too-big DF packets. */
  pmtuDisc: boolean;
  /** IPv4 identification for headers we create without DF (kernel: `__ip_select_ident`); the caller advances it. */
  ident: number;
  /**
   * 0 for an ordinary packet. For a GSO super-packet (received with its `gso_size`), the payload bytes per
   * segment it will be cut into: the MTU check then applies to each segment's size, not the whole packet's
   * (`ip_vs_exceeds_mtu` in net/netfilter/ipvs/ip_vs_xmit.c, after `ip_exceeds_mtu`:
   * `skb_gso_validate_network_len`). The datapath sets it per frame.
   */
  gsoSize: number;
  /**
   * The caller fragments a result larger than the MTU (IPv4 without DF, or TUN with pmtu_disc off), as the
   * kernel does after IPVS transmits; the rewrite then returns the oversized frame instead of dropping it as
   * `NEEDS_FRAGMENTATION`. Default false.
   */
  canFragment: boolean;
}

/** What {@link createForwardParams} accepts; omitted fields take the kernel defaults. */
export interface ForwardParamsInit {
  /** Our MAC (6 bytes or "aa:bb:cc:dd:ee:ff"). */
  ourMac: Uint8Array | string;
  /** Next hop's MAC. */
  nextHopMac: Uint8Array | string;
  /** See {@link ForwardParams.address}; a dotted-quad / IPv6 string or bytes. Default 0.0.0.0. */
  address?: Uint8Array | string;
  /** See {@link ForwardParams.port}. Default 0. */
  port?: number;
  /** See {@link ForwardParams.ourAddress}. Default 0.0.0.0. */
  ourAddress?: Uint8Array | string;
  /** Egress MTU. Default 1500. */
  mtu?: number;
  /** Default true (kernel). */
  decrementTtl?: boolean;
  /** Default true (sysctl pmtu_disc = 1). */
  pmtuDisc?: boolean;
  /** Default 0. */
  ident?: number;
  /** Default 0 (not a super-packet). */
  gsoSize?: number;
  /** Default false. */
  canFragment?: boolean;
}

function bytesOf(v: Uint8Array | string, kind: 'mac' | 'ip', what: string): Uint8Array {
  if (typeof v === 'string') return kind === 'mac' ? parseMac(v) : parseIp(v);
  const ok = kind === 'mac' ? v.length === 6 : v.length === 4 || v.length === 16;
  if (!ok) throw new LvsError('INVALID_ARGUMENT', `${what}: wrong length ${v.length}`);
  return Uint8Array.from(v);
}

/**
 * Creates a reusable decision object with the kernel defaults. Throws `INVALID_ARGUMENT` for a malformed
 * MAC or address, a port outside 0..65535, or an MTU outside 68..65535.
 */
export function createForwardParams(init: ForwardParamsInit): ForwardParams {
  const port = init.port ?? 0;
  const mtu = init.mtu ?? 1500;
  const ident = init.ident ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new LvsError('INVALID_ARGUMENT', `port must be an integer in 0..65535, got ${port}`);
  }
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 0xffff) {
    throw new LvsError('INVALID_ARGUMENT', `mtu must be an integer in 68..65535, got ${mtu}`);
  }
  if (!Number.isInteger(ident) || ident < 0 || ident > 0xffff) {
    throw new LvsError('INVALID_ARGUMENT', `ident must be an integer in 0..65535, got ${ident}`);
  }
  const gsoSize = init.gsoSize ?? 0;
  if (!Number.isInteger(gsoSize) || gsoSize < 0 || gsoSize > 0xffff) {
    throw new LvsError('INVALID_ARGUMENT', `gsoSize must be an integer in 0..65535, got ${gsoSize}`);
  }
  const ourAddress = bytesOf(init.ourAddress ?? '0.0.0.0', 'ip', 'ourAddress');
  if (ourAddress.length !== 4) throw new LvsError('INVALID_ARGUMENT', 'ourAddress: the tunnel source is IPv4');
  return {
    ourMac: bytesOf(init.ourMac, 'mac', 'ourMac'),
    nextHopMac: bytesOf(init.nextHopMac, 'mac', 'nextHopMac'),
    address: bytesOf(init.address ?? '0.0.0.0', 'ip', 'address'),
    port,
    ourAddress,
    mtu,
    decrementTtl: init.decrementTtl ?? true,
    pmtuDisc: init.pmtuDisc ?? true,
    ident,
    gsoSize,
    canFragment: init.canFragment ?? false,
  };
}
