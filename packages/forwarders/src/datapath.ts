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
 * A frame the kernel flags `RxFlag.CSUM_NOT_READY` (sent by a local socket over a veth with tx checksum
 * offload: CHECKSUM_PARTIAL) gets its TCP/UDP checksum completed in software before it is rewritten and
 * forwarded; the rewrites then update that complete checksum incrementally as usual.
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
import { getNeighbour, interfaceInfo, PacketSocket, PacketType, RxFlag } from '@lvskit/native';
import { LvsError, parseAddress } from '@lvskit/schedulers';
import { bytesEqual, copyBytes, put16 } from './bytes.js';
import { ARP_OPER, ARP_REPLY, ARP_REQUEST, ARP_SHA, ARP_SPA, ARP_THA, ARP_TPA, ArpView } from './headers/arp.js';
import { ETH_DST, ETH_SRC, ETHERTYPE_ARP } from './headers/ethernet.js';
import { NeighbourCache } from './neighbour-cache.js';
import { completeTransportChecksum } from './offload.js';
import { createForwardParams, type ForwardParams } from './params.js';
import { PacketInfo, parsePacket } from './parse.js';
import { rewriteMasqIn, rewriteMasqOut } from './rewrite/masq.js';
import { rewriteRoute } from './rewrite/route.js';
import { rewriteTunnel } from './rewrite/tunnel.js';
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
}

/** A running datapath: core's packet port, with its counters. */
export interface Datapath extends PacketPort {
  /** Drops by forwarders `DropReason` (index), including frames the engine dropped (index 0 unused). */
  readonly drops: Float64Array;
  /**
   * [received, forwarded, replied (ICMP), ARP answered, engine drops, left to the kernel, next-hop MAC
   * unknown, transport checksums completed (frames flagged CSUM_NOT_READY)].
   */
  readonly counters: Float64Array;
}

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
  const counters = new Float64Array(8);
  let socket: PacketSocket | undefined;

  const info = new PacketInfo();
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
      const sock = PacketSocket.open({ ifname: options.ifname, ...nsOpt, batchSize: options.batchSize ?? 64 });
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
      sock.onBatch((count) => {
        let out = 0;
        const t = now();
        for (let i = 0; i < count; i++) {
          counters[0]! += 1;
          // Frames for other hosts (flooded by a bridge, promiscuous mode) are not ours to forward.
          if (rx.packetTypes[i]! >= PacketType.OTHERHOST) continue;
          // Cut to its slot (a super-frame from GRO/GSO/TSO): say so, rather than parse the stump as malformed.
          if ((rxFlags[i]! & RxFlag.TRUNCATED) !== 0) {
            drops[DropReason.OVERSIZED]! += 1;
            continue;
          }
          const off = rx.offsets[i]!;
          const len = rx.lengths[i]!;
          // recvmmsg slots sit at i·frameSize; anything else (a ring) gets a view made for it.
          // (Only the optional TPACKET ring takes that path, and it allocates a view per frame.)
          const frame =
            off === i * slot ? views[i]! : new Uint8Array(rx.buffer.buffer, rx.buffer.byteOffset + off, len);
          const pr = parsePacket(frame, len, info);
          if (pr !== DropReason.NONE) {
            if (info.etherType === ETHERTYPE_ARP && answerArp(frame, len, info.l2Length, ourMac)) {
              tx.offsets[out] = off;
              tx.lengths[out++] = len;
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
          // Only now, for a frame we forward: finish a checksum the sender left to offload (see above).
          if ((rxFlags[i]! & RxFlag.CSUM_NOT_READY) !== 0 && completeTransportChecksum(frame, info)) {
            counters[7]! += 1;
          }
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
          // REPLY (an ICMP error) goes back out the same interface, like FORWARD.
          counters[v === Verdict.REPLY ? 2 : 1]! += 1;
          tx.offsets[out] = off;
          tx.lengths[out++] = result.length;
        }
        if (out > 0) sock.sendReceived(out);
      });
    },
    async close() {
      socket?.close();
      socket = undefined;
    },
  };

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
