/**
 * The per-frame forward step of the datapath, as code with no I/O: {@link ForwardStep.forward} takes one
 * parsed IP packet (its bytes, its receive metadata, the interface it came in by) and the datapath's state —
 * the served VIPs, the routes, the interfaces' MACs/MTUs and neighbour caches, the engine, the ICMP rate
 * limiter — and returns what to do with it as a {@link StepAction}, the frame rewritten in place and the
 * send parameters in the step's fields. The datapath's shell (datapath.ts) performs the action: queues the
 * frame in place or copies it to another interface's send memory, cuts fragments or tunnel segments, sends
 * the ARP request or neighbour solicitation a miss calls for. The step decides and counts (counters by
 * name, drops by `DropReason`); it never sends, allocates, awaits or throws.
 *
 * What it decides, in order — as the kernel's IPVS does for a packet the director does not own: a frame for
 * a VIP that is not served is `NOT_SERVING`; the engine classifies the rest (`processor.process`) and what it
 * does not forward is counted (engine drop, or left to the kernel); a NAT reply from a VIP that is not
 * served is `NOT_SERVING`; the egress interface and next hop come from the routes; offload state (a GSO
 * super-frame, a partial checksum) is kept for the kernel to finish or completed here for a tunnel; the next
 * hop's MAC from the neighbour cache (a miss that the kernel's table could not answer asks the shell to
 * resolve it); then the rewrite (DR, NAT in or out, TUN) and its verdict: an ICMP error goes back out the
 * ingress interface if the rate limiter allows it, a packet too big for the egress link without DF is
 * fragmented.
 */
import { copyBytes, DropReason, pseudoSum4, pseudoSum6, put16, Verdict } from '@lvskit/base';
import {
  createPacketSummary,
  DIR_IN,
  DIR_OUT,
  METHOD_MASQ,
  METHOD_ROUTE,
  METHOD_TUNNEL,
  type PacketProcessor,
  type PacketSummary,
  VERDICT_DROP,
  VERDICT_FORWARD,
} from '@lvskit/core';
import { type RxBatch, RxFlag } from '@lvskit/native';
import { DatapathCounter } from './counters.js';
import { ETH_SRC } from './headers/ethernet.js';
import { IPPROTO_TCP, IPPROTO_UDP } from './headers/ipv4.js';
import { TCP_CHECKSUM, UDP_CHECKSUM } from './headers/transport.js';
import type { IcmpRateLimiter } from './icmp-ratelimit.js';
import type { NeighbourCache } from './neighbour-cache.js';
import { completeTransportChecksum } from './offload.js';
import type { ForwardParams } from './params.js';
import { PacketInfo } from './parse.js';
import { rewriteMasqIn, rewriteMasqOut } from './rewrite/masq.js';
import { rewriteRoute } from './rewrite/route.js';
import { rewriteTunnel } from './rewrite/tunnel.js';
import { NextHop, type RouteTable } from './routing.js';
import { RewriteResult } from './verdict.js';
import { VIP_NONE, VIP_NOT_SERVED, type VipTable } from './vip-table.js';

/** What {@link ForwardStep.forward} asks the datapath's shell to do with the frame. */
export const StepAction = {
  /** Nothing to send: dropped, left to the kernel, or waiting for its next hop (all counted). */
  NONE: 0,
  /**
   * Send `frame[0..length)` out interface `port` with the offload fields `gsoType`, `gsoSize`, `csumStart`,
   * `csumOffset` (in place when `port` is the ingress interface and the frame is the received one).
   */
  SEND: 1,
  /** An ICMP error built in place: send `frame[0..length)` back out the ingress interface. */
  REPLY: 2,
  /** Too big for `port`'s link without DF: send `frame[0..length)` as IPv4 fragments (`writeFragment`). */
  FRAGMENT: 3,
  /**
   * A GSO super-frame for a tunnel, which the kernel cannot segment inside IPIP: cut it into segments and
   * encapsulate each (`params` are set for `rewriteTunnel`; next hop resolved).
   */
  SEGMENT_TUNNEL: 4,
  /**
   * The next hop is unknown and the kernel's neighbour table did not know it either: send an ARP request
   * (IPv4) or a neighbour solicitation (IPv6) for `hop` out `port`. The frame itself is not sent.
   */
  RESOLVE: 5,
} as const;
/** One of {@link StepAction}. */
export type StepAction = (typeof StepAction)[keyof typeof StepAction];

const { FORWARDED, REPLIED, ENGINE_DROPS, LEFT_TO_KERNEL, NEXT_HOP_UNKNOWN, CHECKSUMS_COMPLETED, SUPER_FRAMES } =
  DatapathCounter;

/** One interface as the step sees it. */
export interface StepInterface {
  /** Its MAC (the rewritten frames' source). */
  readonly mac: Uint8Array;
  /** Its MTU. */
  readonly mtu: number;
  /** Next-hop MACs out of it. */
  readonly neighbours: NeighbourCache;
}

/** What a {@link ForwardStep} works with. */
export interface ForwardStepState {
  /** The datapath's interfaces, in its order (index 0 the first). */
  readonly interfaces: readonly StepInterface[];
  /** The routes over them. */
  readonly routes: RouteTable;
  /** The VIPs and which are served (swapped by the serving switch). */
  readonly vips: VipTable;
  /** The engine. */
  readonly processor: PacketProcessor;
  /** The rewrites' parameters (our address, TTL policy, ident generator). */
  readonly params: ForwardParams;
  /** Offload on: partial checksums and super-frames are handed back to the kernel (DR, NAT). */
  readonly offload: boolean;
  /** ICMP error rate limits; undefined sends every one. */
  readonly limiter: IcmpRateLimiter | undefined;
  /** The datapath's counters ({@link DatapathCounter} indexes). */
  readonly counters: Float64Array;
  /** Drops by `DropReason`. */
  readonly drops: Float64Array;
}

/**
 * The forward step over one datapath's state. One instance per datapath; {@link ForwardStep.forward} per IP
 * frame, then read the action's fields. The fields are overwritten by the next call.
 */
export class ForwardStep {
  /** The state; `vips` may be replaced between batches (the serving switch). */
  vips: VipTable;
  /** The parse of the frame being forwarded: the caller fills it (`parsePacket`) before {@link ForwardStep.forward}. */
  readonly info = new PacketInfo();
  /** The rewrite's result (length, or drop reason). */
  readonly result = new RewriteResult();
  /** The engine's summary of the frame. */
  readonly summary: PacketSummary = createPacketSummary();
  /** Where the frame goes: egress interface and next hop (valid for SEND, FRAGMENT, SEGMENT_TUNNEL, RESOLVE). */
  readonly hop = new NextHop();
  /** Egress interface index (for SEND, FRAGMENT, SEGMENT_TUNNEL, RESOLVE). */
  port = 0;
  /** Output length (SEND, REPLY, FRAGMENT). */
  length = 0;
  /** GSO type to send with (SEND). */
  gsoType = 0;
  /** GSO segment size to send with (SEND). */
  gsoSize = 0;
  /** Partial checksum start to send with (SEND; 0: complete). */
  csumStart = 0;
  /** Partial checksum field offset to send with (SEND). */
  csumOffset = 0;
  readonly #s: ForwardStepState;
  readonly #addr4 = new Uint8Array(4);
  readonly #addr16 = new Uint8Array(16);

  /** @param state - the datapath's state (its `vips` is the initial table) */
  constructor(state: ForwardStepState) {
    this.#s = state;
    this.vips = state.vips;
  }

  /** The rewrites' parameters (shared with the shell's tunnel segmentation). */
  get params(): ForwardParams {
    return this.#s.params;
  }

  /**
   * Decides what to do with the IP packet in `frame[0..len)` (parsed into {@link ForwardStep.info}), frame
   * `i` of `rx` (its offload metadata), received on interface `ingress` at `t` ms. Rewrites the frame in
   * place and returns the action.
   */
  forward(frame: Uint8Array, len: number, ingress: number, rx: RxBatch, i: number, t: number): StepAction {
    const s = this.#s;
    const info = this.info;
    const counters = s.counters;
    const drops = s.drops;
    const params = s.params;
    const result = this.result;
    if (!this.#fillSummary(frame)) return StepAction.NONE;
    const d = s.processor.process(this.summary, t);
    const alen4 = info.family === 4;
    if (d.reply && d.verdict === VERDICT_FORWARD && this.vips.lookup(d.vaddr, 0, alen4 ? 4 : 16) === VIP_NOT_SERVED) {
      drops[DropReason.NOT_SERVING]! += 1;
      return StepAction.NONE;
    }
    if (d.verdict !== VERDICT_FORWARD) {
      counters[d.verdict === VERDICT_DROP ? ENGINE_DROPS : LEFT_TO_KERNEL]! += 1;
      return StepAction.NONE;
    }
    const flags = rx.flags[i]!;
    const gso = (flags & RxFlag.GSO) !== 0;
    const partial = (flags & RxFlag.CSUM_NOT_READY) !== 0;
    const tunnel = !d.reply && d.method === METHOD_TUNNEL;
    // The egress interface and next hop: NAT replies go to the client, everything else to the real server.
    const alen = d.reply ? (alen4 ? 4 : 16) : d.rfamily === 4 ? 4 : 16;
    const hop = this.hop;
    if (d.reply) s.routes.lookup(frame, info.dstAddrOffset, alen, hop);
    else s.routes.lookup(d.raddr, 0, alen, hop);
    const port = hop.port;
    const e = s.interfaces[port]!;
    this.port = port;
    params.ourMac = e.mac;
    params.mtu = e.mtu;
    // Offload state handed back to the kernel: where the partial checksum starts (0: none).
    let csumStart = 0;
    let csumField = 0;
    if (gso || partial) {
      if (s.offload && !tunnel) {
        csumField = this.#partialField(rx, i, partial);
        if (csumField === 0) {
          drops[DropReason.OFFLOAD_UNSUPPORTED]! += 1;
          return StepAction.NONE;
        }
        csumStart = info.l4Offset;
      } else if (gso) {
        // A tunnel cannot carry a super-frame for the kernel to segment: the shell cuts it.
        const missed = this.#nextHopMac(e, t);
        if (missed !== StepAction.SEND) return missed;
        params.address = this.#setAddr(d.raddr, alen);
        params.port = d.rport;
        params.canFragment = true;
        return StepAction.SEGMENT_TUNNEL;
      } else if (completeTransportChecksum(frame, info)) {
        // Finish a checksum the sender left to offload before the rewrite updates it.
        counters[CHECKSUMS_COMPLETED]! += 1;
      } else {
        drops[DropReason.OFFLOAD_UNSUPPORTED]! += 1;
        return StepAction.NONE;
      }
    }
    params.gsoSize = gso ? rx.gsoSizes[i]! : 0;
    // What cannot leave whole without DF is fragmented, as the kernel's output path does: an encapsulated
    // packet, or one leaving by an interface with a smaller MTU. A super-frame's segments were checked.
    params.canFragment = !gso;
    const missed = this.#nextHopMac(e, t);
    if (missed !== StepAction.SEND) return missed;
    let v: Verdict = Verdict.DROP;
    if (d.reply) {
      // NAT reply: source becomes VIP:vport.
      params.address = this.#setAddr(d.vaddr, alen);
      params.port = d.vport;
      v = rewriteMasqOut(frame, len, info, params, result);
    } else {
      params.address = this.#setAddr(d.raddr, alen);
      params.port = d.rport;
      if (d.method === METHOD_ROUTE) v = rewriteRoute(frame, len, info, params, result);
      else if (d.method === METHOD_MASQ) v = rewriteMasqIn(frame, len, info, params, result);
      else if (d.method === METHOD_TUNNEL) {
        v = rewriteTunnel(frame, len, info, params, result);
        params.ident = (params.ident + 1) & 0xffff;
      }
    }
    if (v === Verdict.DROP) {
      drops[result.reason]! += 1;
      return StepAction.NONE;
    }
    this.length = result.length;
    if (v === Verdict.REPLY) {
      if (!this.icmpAllowed(frame, t)) {
        drops[DropReason.ICMP_RATE_LIMITED]! += 1;
        return StepAction.NONE;
      }
      // An ICMP error goes back out the interface the packet came in by, from that interface's MAC.
      copyBytes(frame, ETH_SRC, s.interfaces[ingress]!.mac, 0, 6);
      counters[REPLIED]! += 1;
      return StepAction.REPLY;
    }
    counters[FORWARDED]! += 1;
    if (!gso && result.length - info.l2Length > e.mtu) {
      // Too big for the egress link without DF: fragments, each with a complete transport checksum
      // (ip_do_fragment runs skb_checksum_help first).
      if (csumStart !== 0 && completeTransportChecksum(frame, info)) counters[CHECKSUMS_COMPLETED]! += 1;
      return StepAction.FRAGMENT;
    }
    let gsoType = 0;
    if (csumStart !== 0) {
      // The rewrite changed addresses (NAT) the pseudo-header covers: the field must hold the new sum.
      this.#writePseudoSum(frame);
      if (gso) {
        counters[SUPER_FRAMES]! += 1;
        gsoType = rx.gsoTypes[i]!;
      }
    }
    this.gsoType = gsoType;
    this.gsoSize = gso ? params.gsoSize : 0;
    this.csumStart = csumStart;
    this.csumOffset = csumField;
    return StepAction.SEND;
  }

  /**
   * May the ICMP error now in `frame` (built in place at `info.l3Offset`) go out at `t`? Asks the rate
   * limiter with its type, code and destination, as `icmp_send` / `icmpv6_send` would.
   */
  icmpAllowed(frame: Uint8Array, t: number): boolean {
    const limiter = this.#s.limiter;
    if (limiter === undefined) return true;
    const l3 = this.info.l3Offset;
    const v4 = frame[l3]! >> 4 === 4;
    const icmp = l3 + (v4 ? (frame[l3]! & 0x0f) * 4 : 40);
    return limiter.allow(v4 ? 4 : 6, frame[icmp]!, frame[icmp + 1]!, frame, l3 + (v4 ? 16 : 24), t);
  }

  /**
   * The next hop's MAC out `e` into `params.nextHopMac`: SEND when known; otherwise counted as
   * NEXT_HOP_UNKNOWN, and RESOLVE when the cache just asked the kernel in vain (the shell then asks the
   * link), NONE while an earlier miss is still fresh.
   */
  #nextHopMac(e: StepInterface, t: number): StepAction {
    const cache = e.neighbours;
    const asked = cache.queries;
    const mac = cache.lookup(this.hop.address, 0, this.hop.length, t);
    if (mac !== undefined) {
      this.#s.params.nextHopMac = mac;
      return StepAction.SEND;
    }
    this.#s.counters[NEXT_HOP_UNKNOWN]! += 1;
    return cache.queries !== asked ? StepAction.RESOLVE : StepAction.NONE;
  }

  /** Fills the engine's summary from `info`; false for packets the engine does not take (counted). */
  #fillSummary(frame: Uint8Array): boolean {
    const info = this.info;
    const summary = this.summary;
    const alen = info.family === 4 ? 4 : 16;
    summary.family = info.family === 4 ? 4 : 6;
    summary.protocol = info.protocol;
    summary.saddr.fill(0);
    summary.daddr.fill(0);
    copyBytes(summary.saddr, 0, frame, info.srcAddrOffset, alen);
    copyBytes(summary.daddr, 0, frame, info.dstAddrOffset, alen);
    summary.sport = info.srcPort;
    summary.dport = info.dstPort;
    summary.tcpFlags = info.tcpFlags;
    summary.length = info.l3Length;
    summary.mark = 0;
    // To a VIP: inbound; anything else the engine may know as a NAT reply.
    const vip = this.vips.lookup(frame, info.dstAddrOffset, alen);
    if (vip === VIP_NOT_SERVED) {
      this.#s.drops[DropReason.NOT_SERVING]! += 1;
      return false;
    }
    summary.direction = vip === VIP_NONE ? DIR_OUT : DIR_IN;
    return info.hasTransport || info.isFragment;
  }

  /**
   * For a frame handed back to the kernel with its checksum left partial: the checksum field's offset from
   * the transport header (TCP 16, UDP 6), or 0 when that cannot be done — not TCP/UDP, a fragment, or (for a
   * frame that came partial) a checksum start that is not this transport header.
   */
  #partialField(rx: RxBatch, i: number, partial: boolean): number {
    const info = this.info;
    if (!info.hasTransport || info.isFragment) return 0;
    const field = info.protocol === IPPROTO_TCP ? TCP_CHECKSUM : info.protocol === IPPROTO_UDP ? UDP_CHECKSUM : 0;
    if (field === 0) return 0;
    if (partial && (rx.csumStarts[i] !== info.l4Offset || rx.csumOffsets[i] !== field)) return 0;
    return field;
  }

  /**
   * Resets a partial checksum to the pseudo-header sum of the (rewritten) packet, folded and not
   * complemented — the CHECKSUM_PARTIAL form the kernel finishes (`__tcp_v4_send_check`, `udp4_hwcsum`;
   * GSO adjusts it per segment in `tcp_gso_segment`). For a GSO super-frame this covers its whole length.
   */
  #writePseudoSum(frame: Uint8Array): void {
    const info = this.info;
    const field = info.l4Offset + (info.protocol === IPPROTO_TCP ? TCP_CHECKSUM : UDP_CHECKSUM);
    const sum =
      info.family === 4
        ? pseudoSum4(frame, info.srcAddrOffset, info.dstAddrOffset, info.protocol, info.l4Length)
        : pseudoSum6(frame, info.srcAddrOffset, info.dstAddrOffset, info.protocol, info.l4Length);
    put16(frame, field, sum);
  }

  #setAddr(src: Uint8Array, len: number): Uint8Array {
    const dst = len === 4 ? this.#addr4 : this.#addr16;
    for (let k = 0; k < len; k++) dst[k] = src[k]!;
    return dst;
  }
}
