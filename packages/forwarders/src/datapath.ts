/**
 * The live datapath: core's `PacketPort` over one AF_PACKET socket (`@lvskit/native`). Per batch, each
 * frame is parsed once; ARP requests for a VIP are answered here (the kernel does not own the VIPs — see
 * below); IP packets are summarised for the engine (`processor.process`), and its decision is carried out by
 * the pure rewrites in place in the receive memory, then the batch is sent without copies
 * (`sendReceived`). Nothing per packet allocates, awaits, logs or throws; drops are counted.
 *
 * How VIP traffic reaches us: the datapath answers ARP for its VIPs itself and the VIPs are NOT configured
 * on the director's kernel, so the kernel never answers that traffic (no TCP RST for a VIP port, no ICMP);
 * it sees frames for an address that is not its own and, with `ip_forward=0` (required), drops them. The
 * packet socket gets its copy before that. This keeps the director's kernel out of the VIP path without a
 * firewall rule to install and remove. MACs of real servers (and of the clients' next hop, for NAT replies)
 * come from a caller-supplied table, then from the kernel's neighbour table (`getNeighbour`), through a
 * typed-array cache with a negative cache (`NeighbourCache`): no map lookup, allocation or syscall per
 * packet once an address is cached, and at most one kernel query per 100 ms for an unresolved one.
 *
 * Segmentation and checksum offload (on by default, `offload`): the socket runs with PACKET_VNET_HDR and
 * 64 KiB slots, so a TSO/GSO/GRO super-frame (one IP packet of up to 64 KiB, cut into MTU-size segments only
 * when it leaves a NIC) arrives whole with its GSO type and segment size, and a frame whose TCP/UDP checksum
 * was left to offload (CHECKSUM_PARTIAL: sent by a local socket over a veth, or GRO-merged) says where that
 * checksum starts. DR and NAT hand both back to the kernel as they came: the rewritten super-frame goes out
 * with its GSO metadata and the checksum field reset to the pseudo-header sum of the rewritten addresses, so
 * the kernel (or the next device) segments it and finishes every checksum — what the kernel's own IPVS does
 * with a GSO skb (`tcp_dnat_handler` updates a CHECKSUM_PARTIAL pseudo-header only). The MTU check applies
 * to each segment (`ip_vs_exceeds_mtu`). TUN cannot ask the kernel to segment inside IPIP (virtio_net_hdr
 * has no IPIP GSO type), so for a tunnel the datapath completes partial checksums in software, and cuts
 * super-frames into segments itself before encapsulating each. With `offload: false` the socket uses 2 KiB
 * slots and no vnet header: partial checksums are completed in software and super-frames are dropped as
 * `OVERSIZED`.
 *
 * Must never touch frames that are not for a VIP or a NAT connection (the engine says LOCAL: left alone).
 */
import {
  createPacketSummary,
  DIR_IN,
  DIR_OUT,
  METHOD_MASQ,
  METHOD_ROUTE,
  METHOD_TUNNEL,
  type PacketPort,
  type PacketProcessor,
  VERDICT_DROP,
  VERDICT_FORWARD,
} from '@lvskit/core';
import { GsoType, getNeighbour, interfaceInfo, PacketSocket, PacketType, RxFlag } from '@lvskit/native';
import { LvsError, parseAddress } from '@lvskit/schedulers';
import { bytesEqual, copyBytes, put16 } from './bytes.js';
import { pseudoSum4, pseudoSum6 } from './checksum.js';
import { fragmentCount, writeFragment } from './fragment.js';
import { ARP_OPER, ARP_REPLY, ARP_REQUEST, ARP_SHA, ARP_SPA, ARP_THA, ARP_TPA, ArpView } from './headers/arp.js';
import { ETH_DST, ETH_SRC, ETHERTYPE_ARP } from './headers/ethernet.js';
import { IPPROTO_TCP, IPPROTO_UDP } from './headers/ipv4.js';
import { TCP_CHECKSUM, UDP_CHECKSUM } from './headers/transport.js';
import { NeighbourCache } from './neighbour-cache.js';
import { completeTransportChecksum } from './offload.js';
import { createForwardParams, type ForwardParams } from './params.js';
import { PacketInfo, parsePacket } from './parse.js';
import { drop, preTransmit } from './rewrite/common.js';
import { rewriteMasqIn, rewriteMasqOut } from './rewrite/masq.js';
import { rewriteRoute } from './rewrite/route.js';
import { IPIP_OVERHEAD, rewriteTunnel } from './rewrite/tunnel.js';
import { gsoSegmentCount, writeSegment } from './segment.js';
import { createDropCounters, DropReason, RewriteResult, Verdict } from './verdict.js';

/** Options of {@link createDatapath}. */
export interface DatapathOptions {
  /** Interface to bind (clients, and real servers on the same segment, behind it). */
  readonly ifname: string;
  /** Network namespace of the interface (a lab host's `ns`); default the process's own. */
  readonly netns?: string;
  /** The VIPs this director answers ARP for (IPv4). */
  readonly vips: readonly string[];
  /** The director's own address on the interface: the outer source of IPIP. Default 0.0.0.0 (TUN unusable). */
  readonly address?: string;
  /** Known MACs by IP address (real servers, client-side router); others come from the neighbour table. */
  readonly neighbours?: Readonly<Record<string, string>>;
  /** Frames per batch (default 64). */
  readonly batchSize?: number;
  /** Milliseconds for the engine's clock; default `performance.now()`. */
  readonly now?: () => number;
  /**
   * Receive super-frames whole and hand segmentation and partial checksums back to the kernel
   * (PACKET_VNET_HDR, 64 KiB slots; see the file's overview). Default true. `false`: 2 KiB slots,
   * checksums completed in software, super-frames dropped as `OVERSIZED`.
   */
  readonly offload?: boolean;
}

/** A running datapath: core's packet port, with its counters. */
export interface Datapath extends PacketPort {
  /** Drops by forwarders `DropReason` (index), including frames the engine dropped (index 0 unused). */
  readonly drops: Float64Array;
  /**
   * [0 received, 1 forwarded, 2 replied (ICMP), 3 ARP answered, 4 engine drops, 5 left to the kernel,
   * 6 next-hop MAC unknown, 7 transport checksums completed in software (frames flagged CSUM_NOT_READY),
   * 8 super-frames forwarded whole (the kernel segments them), 9 segments cut here (super-frames into a
   * tunnel), 10 fragments sent (too big for the tunnel without DF), 11 frames the kernel's send queue
   * refused (lost)]. Index names: {@link DatapathCounter}.
   */
  readonly counters: Float64Array;
}

/** Indexes of {@link Datapath.counters}. */
export const DatapathCounter = {
  /** Frames received. */
  RECEIVED: 0,
  /** Frames forwarded (a super-frame counts once). */
  FORWARDED: 1,
  /** ICMP errors sent back to a sender. */
  REPLIED: 2,
  /** ARP requests for a VIP answered. */
  ARP_ANSWERED: 3,
  /** Packets the engine dropped (no real server, over threshold, …). */
  ENGINE_DROPS: 4,
  /** Frames not for a VIP or a NAT connection, left to the kernel. */
  LEFT_TO_KERNEL: 5,
  /** Frames not sent because the next hop's MAC is not known yet. */
  NEXT_HOP_UNKNOWN: 6,
  /** Transport checksums completed in software. */
  CHECKSUMS_COMPLETED: 7,
  /** Super-frames forwarded whole with their GSO metadata. */
  SUPER_FRAMES: 8,
  /** Segments cut from super-frames here (tunnel). */
  SEGMENTS: 9,
  /** IPv4 fragments sent. */
  FRAGMENTS: 10,
  /** Frames the kernel's send queue refused. */
  TX_REFUSED: 11,
} as const;

/** Receive slot with offload: a 64 KiB IP packet plus an Ethernet header with two VLAN tags, rounded up. */
const SUPER_FRAME_SLOT = 65_664;

/**
 * Creates the datapath. `open(processor)` (called by the director's `start()`) binds the socket; `close()`
 * stops it. Throws `INVALID_ARGUMENT` for bad addresses; native errors (`NATIVE_*`) come from `open`.
 */
export function createDatapath(options: DatapathOptions): Datapath {
  const vips = options.vips.map((v) => {
    const { family, bytes } = parseAddress(v);
    if (family !== 4) throw new LvsError('INVALID_ARGUMENT', `datapath: ARP answers IPv4 VIPs only, got ${v}`);
    return bytes.slice(0, 4);
  });
  // Next-hop MACs: configured ones, then the kernel's neighbour table, cached off the per-packet path with
  // a negative cache (an unresolved address is asked again at most every 100 ms, not once per packet).
  const neighbours = new NeighbourCache({
    known: options.neighbours ?? {},
    query: (address) => getNeighbour({ ifname: options.ifname, netns: options.netns, address })?.mac,
  });
  const now = options.now ?? (() => performance.now());
  const drops = createDropCounters();
  const counters = new Float64Array(12);
  const offload = options.offload ?? true;
  let socket: PacketSocket | undefined;

  const info = new PacketInfo();
  const segInfo = new PacketInfo();
  const outerInfo = new PacketInfo();
  const result = new RewriteResult();
  const arp = new ArpView();
  const summary = createPacketSummary();
  let params: ForwardParams;
  const addr4 = new Uint8Array(4);
  const addr16 = new Uint8Array(16);

  return {
    drops,
    counters,
    async open(processor: PacketProcessor) {
      const nsOpt = options.netns === undefined ? {} : { netns: options.netns };
      const ifi = interfaceInfo(options.ifname, nsOpt);
      params = createForwardParams({
        ourMac: Uint8Array.from(ifi.macBytes),
        nextHopMac: '00:00:00:00:00:00',
        ourAddress: options.address ?? '0.0.0.0',
        mtu: ifi.mtu,
      });
      const sock = PacketSocket.open({
        ifname: options.ifname,
        ...nsOpt,
        batchSize: options.batchSize ?? 64,
        ...(offload ? { vnetHdr: true, frameSize: SUPER_FRAME_SLOT } : {}),
      });
      socket = sock;
      const { rx, tx } = sock;
      const rxFlags = rx.flags;
      const slot = sock.frameSize;
      // One view per receive slot, made once: frames are rewritten in place and may grow within their slot.
      const views = Array.from(
        { length: sock.batchSize },
        (_, i) => new Uint8Array(rx.buffer.buffer, rx.buffer.byteOffset + i * slot, slot),
      );
      const ourMac = params.ourMac;
      // Frames built here rather than rewritten in place (segments of a super-frame for a tunnel, fragments):
      // one send slot each, views made once. Such frames and in-place ones share the send descriptors, so
      // whichever kind is pending is sent before the other kind is queued (order within a flow is kept).
      const txSlot = sock.frameSize;
      const txViews = Array.from(
        { length: sock.batchSize },
        (_, j) => new Uint8Array(tx.buffer.buffer, tx.buffer.byteOffset + j * txSlot, txSlot),
      );
      // A tunnelled segment that needs fragmenting is moved here first, so its send slot can be reused.
      const scratch = new Uint8Array(txSlot);
      let out = 0;
      let txOut = 0;
      const flushRx = () => {
        if (out === 0) return;
        const sent = sock.sendReceived(out);
        if (sent < out) counters[11]! += out - sent;
        out = 0;
      };
      const flushTx = () => {
        if (txOut === 0) return;
        const sent = sock.send(txOut);
        if (sent < txOut) counters[11]! += txOut - sent;
        txOut = 0;
      };
      /** A free send slot (sending what is pending when all are taken). */
      const allocSlot = (): number => {
        flushRx();
        if (txOut === sock.batchSize) flushTx();
        return txOut;
      };
      /** Queues the frame built in send slot `j` (the one {@link allocSlot} returned). */
      const queueTx = (j: number, len: number) => {
        tx.offsets[txOut] = j * txSlot;
        tx.lengths[txOut] = len;
        tx.gsoTypes[txOut] = 0;
        tx.gsoSizes[txOut] = 0;
        tx.csumStarts[txOut] = 0;
        tx.csumOffsets[txOut++] = 0;
      };
      /**
       * Sends the IPv4 packet in `src[0..len)` as fragments (`fragmentCount`/`writeFragment`, as the kernel's
       * ip_do_fragment does after IPVS transmits a packet too big for the link without DF); drops it
       * (NEEDS_FRAGMENTATION) when it cannot be fragmented.
       */
      const sendFragments = (src: Uint8Array, len: number): boolean => {
        if (parsePacket(src, len, outerInfo) !== DropReason.NONE) return false;
        const n = fragmentCount(outerInfo, params.mtu);
        if (n === 0) return false;
        for (let k = 0; k < n; k++) {
          const j = allocSlot();
          const flen = writeFragment(src, outerInfo, params.mtu, k, txViews[j]!, 0);
          if (flen === 0) return false;
          queueTx(j, flen);
          counters[10]! += 1;
        }
        return true;
      };
      /**
       * A GSO super-frame for a tunnel: the kernel cannot segment inside IPIP, so it is checked once as a
       * whole (TTL, and the MTU per segment: `ip_vs_exceeds_mtu`), then cut here (`writeSegment`, as the
       * kernel's software GSO), and each segment encapsulated (and fragmented when it still does not fit
       * without DF). Returns the verdict for the super-frame.
       */
      const tunnelSuperFrame = (frame: Uint8Array, i: number, off: number): Verdict => {
        const type = rx.gsoTypes[i]!;
        const size = rx.gsoSizes[i]!;
        const n = gsoSegmentCount(frame, info, type, size);
        if (n === 0) return drop(result, DropReason.OFFLOAD_UNSUPPORTED);
        params.gsoSize = size;
        const pre = preTransmit(frame, info, params, IPIP_OVERHEAD, result);
        params.gsoSize = 0;
        if (pre === Verdict.DROP) return Verdict.DROP;
        if (pre === Verdict.REPLY) {
          queue(off, result.length, 0, 0, 0, 0);
          return Verdict.REPLY;
        }
        // The TTL was decremented once, on the super-frame the segments copy.
        const decrement = params.decrementTtl;
        params.decrementTtl = false;
        for (let k = 0; k < n; k++) {
          const j = allocSlot();
          const view = txViews[j]!;
          const slen = writeSegment(frame, info, type, size, k, view, 0);
          if (slen === 0 || parsePacket(view, slen, segInfo) !== DropReason.NONE) {
            drops[DropReason.NO_ROOM]! += 1;
            continue;
          }
          counters[9]! += 1;
          const v = rewriteTunnel(view, slen, segInfo, params, result);
          params.ident = (params.ident + 1) & 0xffff;
          if (v !== Verdict.FORWARD) {
            drops[v === Verdict.DROP ? result.reason : DropReason.FRAG_NEEDED]! += 1;
            continue;
          }
          if (result.length - segInfo.l2Length <= params.mtu) {
            queueTx(j, result.length);
            continue;
          }
          // Still too big (no DF): fragment it from a copy, so that its slot can take a fragment.
          copyBytes(scratch, 0, view, 0, result.length);
          if (!sendFragments(scratch, result.length)) drops[DropReason.NEEDS_FRAGMENTATION]! += 1;
        }
        params.decrementTtl = decrement;
        return Verdict.FORWARD;
      };
      /** Queues rx frame `off` (rewritten in place) for sending, with its offload metadata. */
      const queue = (
        off: number,
        len: number,
        gsoType: number,
        gsoSize: number,
        csumStart: number,
        csumOff: number,
      ) => {
        flushTx();
        tx.offsets[out] = off;
        tx.lengths[out] = len;
        tx.gsoTypes[out] = gsoType;
        tx.gsoSizes[out] = gsoSize;
        tx.csumStarts[out] = csumStart;
        tx.csumOffsets[out++] = csumOff;
      };
      sock.onBatch((count) => {
        out = 0;
        const t = now();
        for (let i = 0; i < count; i++) {
          counters[0]! += 1;
          // Frames for other hosts (flooded by a bridge, promiscuous mode) are not ours to forward.
          if (rx.packetTypes[i]! >= PacketType.OTHERHOST) continue;
          const flags = rxFlags[i]!;
          // Cut to its slot: say so, rather than parse the stump as malformed.
          if ((flags & RxFlag.TRUNCATED) !== 0) {
            drops[DropReason.OVERSIZED]! += 1;
            continue;
          }
          const off = rx.offsets[i]!;
          const len = rx.lengths[i]!;
          // recvmmsg (the only receive mode the datapath opens) puts frame i at i × frameSize, always.
          const frame = views[i]!;
          const pr = parsePacket(frame, len, info);
          if (pr !== DropReason.NONE) {
            if (info.etherType === ETHERTYPE_ARP && answerArp(frame, len, info.l2Length, ourMac)) {
              queue(off, len, 0, 0, 0, 0);
              counters[3]! += 1;
            } else if (pr !== DropReason.NOT_IP) drops[pr]! += 1;
            continue;
          }
          if (!fillSummary(frame)) continue;
          const d = processor.process(summary, t);
          if (d.verdict !== VERDICT_FORWARD) {
            if (d.verdict === VERDICT_DROP) counters[4]! += 1;
            else counters[5]! += 1;
            continue;
          }
          const gso = (flags & RxFlag.GSO) !== 0;
          const partial = (flags & RxFlag.CSUM_NOT_READY) !== 0;
          const tunnel = !d.reply && d.method === METHOD_TUNNEL;
          // Offload state handed back to the kernel: where the partial checksum starts (0: none).
          let csumStart = 0;
          let csumField = 0;
          if (gso || partial) {
            if (offload && !tunnel) {
              csumField = partialField(i, partial);
              if (csumField === 0) {
                drops[DropReason.OFFLOAD_UNSUPPORTED]! += 1;
                continue;
              }
              csumStart = info.l4Offset;
            } else if (gso) {
              // A tunnel cannot carry a super-frame for the kernel to segment: cut here.
              const mac = neighbours.lookup(d.raddr, 0, d.rfamily === 4 ? 4 : 16, t);
              if (mac === undefined) {
                counters[6]! += 1;
                continue;
              }
              params.nextHopMac = mac;
              params.address = setAddr(d.raddr, d.rfamily === 4 ? 4 : 16);
              params.port = d.rport;
              params.canFragment = true;
              const v = tunnelSuperFrame(frame, i, rx.offsets[i]!);
              if (v === Verdict.DROP) drops[result.reason]! += 1;
              else counters[v === Verdict.REPLY ? 2 : 1]! += 1;
              continue;
            } else if (completeTransportChecksum(frame, info)) {
              // Finish a checksum the sender left to offload (see the overview) before the rewrite updates it.
              counters[7]! += 1;
            } else {
              drops[DropReason.OFFLOAD_UNSUPPORTED]! += 1;
              continue;
            }
          }
          params.gsoSize = gso ? rx.gsoSizes[i]! : 0;
          // Only a tunnel grows a packet past the MTU; what it cannot send whole it fragments, as the kernel.
          params.canFragment = tunnel;
          let v: Verdict = Verdict.DROP;
          const alen = d.rfamily === 4 ? 4 : 16;
          if (d.reply) {
            // NAT reply: source becomes VIP:vport; next hop is the client (same segment) or its router.
            params.address = setAddr(d.vaddr, info.family === 4 ? 4 : 16);
            params.port = d.vport;
            const mac = neighbours.lookup(frame, info.dstAddrOffset, info.family === 4 ? 4 : 16, t);
            if (mac === undefined) {
              counters[6]! += 1;
              continue;
            }
            params.nextHopMac = mac;
            v = rewriteMasqOut(frame, len, info, params, result);
          } else {
            const mac = neighbours.lookup(d.raddr, 0, alen, t);
            if (mac === undefined) {
              counters[6]! += 1;
              continue;
            }
            params.nextHopMac = mac;
            params.address = setAddr(d.raddr, alen);
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
            continue;
          }
          if (v === Verdict.REPLY) {
            // An ICMP error goes back out the same interface; its checksums are complete.
            counters[2]! += 1;
            queue(off, result.length, 0, 0, 0, 0);
            continue;
          }
          counters[1]! += 1;
          if (tunnel && result.length - info.l2Length > params.mtu) {
            // Encapsulated and too big without DF: fragments, built in send slots from the rewritten frame.
            if (!sendFragments(frame, result.length)) {
              counters[1]! -= 1;
              drops[DropReason.NEEDS_FRAGMENTATION]! += 1;
            }
            continue;
          }
          if (csumStart !== 0) {
            // The rewrite changed addresses (NAT) the pseudo-header covers: the field must hold the new sum.
            writePseudoSum(frame);
            if (gso) counters[8]! += 1;
            queue(off, result.length, gso ? rx.gsoTypes[i]! : GsoType.NONE, params.gsoSize, csumStart, csumField);
          } else queue(off, result.length, 0, 0, 0, 0);
        }
        flushRx();
        flushTx();
      });
    },
    async close() {
      socket?.close();
      socket = undefined;
    },
  };

  /**
   * For a frame handed back to the kernel with its checksum left partial: the checksum field's offset from
   * the transport header (TCP 16, UDP 6), or 0 when that cannot be done — not TCP/UDP, a fragment, or (for a
   * frame that came partial) a checksum start that is not this transport header.
   */
  function partialField(i: number, partial: boolean): number {
    if (!info.hasTransport || info.isFragment) return 0;
    const field = info.protocol === IPPROTO_TCP ? TCP_CHECKSUM : info.protocol === IPPROTO_UDP ? UDP_CHECKSUM : 0;
    if (field === 0) return 0;
    if (partial && (socket!.rx.csumStarts[i] !== info.l4Offset || socket!.rx.csumOffsets[i] !== field)) return 0;
    return field;
  }

  /**
   * Resets a partial checksum to the pseudo-header sum of the (rewritten) packet, folded and not
   * complemented — the CHECKSUM_PARTIAL form the kernel finishes (`__tcp_v4_send_check`, `udp4_hwcsum`;
   * GSO adjusts it per segment in `tcp_gso_segment`). For a GSO super-frame this covers its whole length.
   */
  function writePseudoSum(frame: Uint8Array): void {
    const field = info.l4Offset + (info.protocol === IPPROTO_TCP ? TCP_CHECKSUM : UDP_CHECKSUM);
    const sum =
      info.family === 4
        ? pseudoSum4(frame, info.srcAddrOffset, info.dstAddrOffset, info.protocol, info.l4Length)
        : pseudoSum6(frame, info.srcAddrOffset, info.dstAddrOffset, info.protocol, info.l4Length);
    put16(frame, field, sum);
  }

  function setAddr(src: Uint8Array, len: number): Uint8Array {
    const dst = len === 4 ? addr4 : addr16;
    for (let i = 0; i < len; i++) dst[i] = src[i]!;
    return dst;
  }

  /** Fills the engine's summary from `info`; false for packets the engine does not take. */
  function fillSummary(frame: Uint8Array): boolean {
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
    let toVip = false;
    if (alen === 4) for (const v of vips) if (bytesEqual(frame, info.dstAddrOffset, v, 0, 4)) toVip = true;
    summary.direction = toVip ? DIR_IN : DIR_OUT;
    return info.hasTransport || info.isFragment;
  }

  /** Turns an ARP request for one of our VIPs into the reply, in place. */
  function answerArp(frame: Uint8Array, len: number, l2: number, mac: Uint8Array): boolean {
    if (!arp.attach(frame, l2).isValid(len - l2) || arp.operation() !== ARP_REQUEST) return false;
    const tpa = l2 + ARP_TPA;
    let ours = false;
    for (const v of vips) if (bytesEqual(frame, tpa, v, 0, 4)) ours = true;
    if (!ours) return false;
    // Reply to the asker: THA/TPA ← SHA/SPA, SHA/SPA ← our MAC / the VIP (RFC 826 "swap").
    const vip0 = frame[tpa]!;
    const vip1 = frame[tpa + 1]!;
    const vip2 = frame[tpa + 2]!;
    const vip3 = frame[tpa + 3]!;
    copyBytes(frame, l2 + ARP_THA, frame, l2 + ARP_SHA, 6);
    copyBytes(frame, tpa, frame, l2 + ARP_SPA, 4);
    copyBytes(frame, l2 + ARP_SHA, mac, 0, 6);
    frame[l2 + ARP_SPA] = vip0;
    frame[l2 + ARP_SPA + 1] = vip1;
    frame[l2 + ARP_SPA + 2] = vip2;
    frame[l2 + ARP_SPA + 3] = vip3;
    put16(frame, l2 + ARP_OPER, ARP_REPLY);
    copyBytes(frame, ETH_DST, frame, l2 + ARP_THA, 6);
    copyBytes(frame, ETH_SRC, mac, 0, 6);
    return true;
  }
}
