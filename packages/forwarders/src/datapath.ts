/**
 * The live datapath: core's `PacketPort` over one {@link FramePort} per interface (by default an AF_PACKET
 * socket from `@lvskit/native`, `openNativeFramePort`; `MemoryFramePort` in `@lvskit/forwarders/testing` for
 * tests). This file is the shell: it opens the ports, owns their receive and send memory, and per batch
 * parses each frame once and hands it to the part that decides — ARP requests and neighbour solicitations
 * for a VIP to the {@link NeighbourResponder} (the kernel does not own the VIPs — see below), answers to our
 * own requests to the neighbour caches, IPv4 fragments to the reassembler, IP packets to the pure
 * {@link ForwardStep} (engine, routing, next hop, rewrite) — then performs what was decided: a frame rewritten
 * in place goes out again without a copy (`sendReceived`), one leaving by another interface is copied into
 * that interface's send memory, fragments, tunnel segments and ARP / neighbour solicitations are built in send
 * slots. Nothing per packet allocates, awaits, logs or throws; drops are counted.
 *
 * The serving switch (`serve(vips)`, flipped by VRRP) swaps one immutable {@link VipTable} between batches:
 * a VIP that is not served is neither forwarded (its frames and its NAT replies are `NOT_SERVING`) nor
 * answered for ARP / NS nor announced; connections and counters stay.
 *
 * How VIP traffic reaches us: the datapath answers ARP for its VIPs itself and the VIPs are NOT configured
 * on the director's kernel, so the kernel never answers that traffic (no TCP RST for a VIP port, no ICMP);
 * it sees frames for an address that is not its own and, with `ip_forward=0` (required), drops them. The
 * packet socket gets its copy before that. This keeps the director's kernel out of the VIP path without a
 * firewall rule to install and remove. MACs of real servers (and of the clients' next hop, for NAT replies)
 * come from a caller-supplied table, then from the kernel's neighbour table (`FramePort.neighbour`), through
 * a typed-array cache with a negative cache (`NeighbourCache`): no map lookup, allocation or syscall per
 * packet once an address is cached, and at most one kernel query (and one ARP request or neighbour
 * solicitation of our own) per 100 ms for an unresolved one.
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
  type Clock,
  copyBytes,
  createDropCounters,
  DropReason,
  dropCountsByName,
  encodeArpRequest,
  encodeNeighbourSolicitation,
  LvsError,
  NDISC_NEIGHBOUR_ADVERTISEMENT,
  NDISC_NEIGHBOUR_SOLICITATION,
  padEthernetFrame,
  parseIp,
  solicitedNodeMac,
  Verdict,
} from '@lvskit/base';
import type { PacketPort, PacketProcessor } from '@lvskit/core';
import { PacketType, RxFlag } from '@lvskit/native';
import { DATAPATH_COUNTER_COUNT, DatapathCounter } from './counters.js';
import { ForwardStep, StepAction } from './forward-step.js';
import { fragmentCount, writeFragment } from './fragment.js';
import { type FramePort, type FramePortFactory, openNativeFramePort } from './frame-port.js';
import { ETH_SRC, ETHERTYPE_ARP } from './headers/ethernet.js';
import { IPPROTO_ICMPV6 } from './headers/ipv6.js';
import { IcmpRateLimiter, type IcmpRateLimitOptions } from './icmp-ratelimit.js';
import { NeighbourCache } from './neighbour-cache.js';
import { createForwardParams } from './params.js';
import { PacketInfo, parsePacket } from './parse.js';
import { Reassembler, type ReassemblerOptions } from './reassembly.js';
import { learnArpReply, learnNeighbourAdvert, NeighbourResponder } from './responder.js';
import { drop, preTransmit } from './rewrite/common.js';
import { IPIP_OVERHEAD, rewriteTunnel } from './rewrite/tunnel.js';
import { type DefaultRoute, RouteTable } from './routing.js';
import { gsoSegmentCount, writeSegment } from './segment.js';
import { VIP_SERVED, VipTable } from './vip-table.js';

export { DatapathCounter } from './counters.js';

/** One more interface of the datapath (see {@link DatapathOptions.interfaces}). */
export interface DatapathInterfaceOptions {
  /** Interface name, in the datapath's namespace. */
  readonly ifname: string;
  /**
   * Next hop of the default route (IPv4 or IPv6), reached through this interface. One gateway per address
   * family at most, in all interfaces.
   */
  readonly gateway?: string;
  /** Both families' default next hops through this interface (instead of `gateway`). */
  readonly gateways?: readonly string[];
}

/** Options of {@link createDatapath}. */
export interface DatapathOptions {
  /**
   * The clients' interface: ARP for the VIPs is answered here (real servers on the same segment may sit
   * behind it too).
   */
  readonly ifname: string;
  /**
   * More interfaces, e.g. the real servers' segment for two-armed NAT (the director as their default
   * gateway). Frames are received on every interface; each leaves by the interface whose connected subnet
   * (from the kernel's IPv4 addresses, read at open) holds its destination, else by the one with the
   * gateway, else by `ifname` with the destination itself as next hop.
   */
  readonly interfaces?: readonly DatapathInterfaceOptions[];
  /**
   * Next hop of the default route via `ifname` (IPv4 or IPv6): where NAT replies to clients behind a router
   * go (and real servers off every connected subnet). One gateway per address family at most, here or in
   * `interfaces`.
   */
  readonly gateway?: string;
  /** Both families' default next hops via `ifname` (instead of `gateway`). */
  readonly gateways?: readonly string[];
  /** Network namespace of the interface (a lab host's `ns`); default the process's own. */
  readonly netns?: string;
  /**
   * The VIPs (IPv4 and IPv6) this director answers for on `ifname`: ARP requests for the IPv4 ones,
   * neighbour solicitations for the IPv6 ones (their solicited-node groups joined on the socket).
   */
  readonly vips: readonly string[];
  /**
   * The VIPs served from the start (forwarded, answered for ARP/NS); default all of `vips`. A VIP that is
   * configured but not served is neither answered nor forwarded: its frames are dropped as `NOT_SERVING`.
   * VRRP flips this at run time with {@link Datapath.serve}.
   */
  readonly serving?: readonly string[];
  /** The clock (milliseconds) the engine's `now` comes from; default `performance.now()`. */
  readonly clock?: Clock;
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
  /**
   * Rate limits on the ICMP errors the datapath originates, as the kernel's `icmp_send` applies them
   * (per-destination token bucket and global budget; fragmentation-needed and packet-too-big exempt by
   * default). Default: the kernel's sysctl defaults (`icmpRateLimitDefaults`); `false` sends every one.
   */
  readonly icmpRateLimit?: IcmpRateLimitOptions | false;
  /**
   * Attach a BPF filter to each socket so that the kernel keeps to itself what is addressed to the director's
   * own addresses (read at open; VIPs never count as own) and non-IP EtherTypes, instead of copying every
   * frame of the interface to user space (`datapathFilter`). Default true.
   */
  readonly filter?: boolean;
  /**
   * Reassemble IPv4 fragments before the engine sees them, as the kernel does before IPVS (`Reassembler`:
   * 32 datagrams at a time, 30 s to complete); what leaves is fragmented again when it does not fit the
   * egress link. `false` hands fragments to the engine one by one. Default on.
   */
  readonly reassembly?: ReassemblerOptions | false;
  /**
   * Opens each interface's frames (the seam under the datapath). Default {@link openNativeFramePort}: an
   * AF_PACKET socket per interface (root). `MemoryFramePort.factory(...)` from `@lvskit/forwarders/testing`
   * runs the same datapath over memory.
   */
  readonly framePort?: FramePortFactory;
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
   * refused (lost), 12 ARP requests / neighbour solicitations sent, 13 receive batches, 14 announcements sent]. Index names:
   * {@link DatapathCounter}.
   */
  readonly counters: Float64Array;
  /** The reassembly counters, by `ReassemblyCounter` (all 0 with `reassembly: false`). */
  readonly reassembly: Float64Array;
  /**
   * The VIPs served from now on (the serving switch VRRP flips): only they are forwarded and answered for
   * ARP / neighbour solicitations; other configured VIPs are dropped as `NOT_SERVING`. Takes effect between
   * batches; connections and counters are kept. Addresses not in the VIP list are ignored.
   */
  serve(vips: readonly string[]): void;
  /**
   * Announces a served VIP: `repeat` gratuitous ARPs (IPv4, RFC 5227 §3 announcement form, as keepalived's
   * `send_gratuitous_arp`) or unsolicited neighbour advertisements with the Override flag (IPv6, RFC 4861
   * §7.2.6) out the first interface. Ignored before `open()` or for a VIP not served.
   */
  announce(vip: string, repeat: number): void;
  /** Replaces the configured VIP list (a reload); served VIPs that stay keep being served. */
  setVips(vips: readonly string[]): void;
  /** Every counter by name, drops by reason name included (control path: allocates). */
  counterValues(): Record<string, number>;
}

/** Receive slot with offload: a 64 KiB IP packet plus an Ethernet header with two VLAN tags, rounded up. */
const SUPER_FRAME_SLOT = 65_664;
/** Receive slot without offload (the native socket's default). */
const PLAIN_SLOT = 2048;

const {
  RECEIVED,
  FORWARDED,
  REPLIED,
  ARP_ANSWERED,
  SEGMENTS,
  FRAGMENTS,
  TX_REFUSED,
  ARP_REQUESTS,
  BATCHES,
  ANNOUNCED,
} = DatapathCounter;

/** One interface as the shell holds it: its frame port, memory views and send state. */
interface Port {
  readonly index: number;
  readonly ifname: string;
  readonly sock: FramePort;
  readonly mac: Uint8Array;
  readonly mtu: number;
  /** Our IPv4 address on it (the ARP requests' source), 0.0.0.0 when it has none. */
  readonly address: Uint8Array;
  /** Our IPv6 address on it (neighbour solicitations' source; global first), undefined when it has none. */
  readonly address6: Uint8Array | undefined;
  readonly views: Uint8Array[];
  readonly txViews: Uint8Array[];
  readonly txSlot: number;
  readonly neighbours: NeighbourCache;
  /** Frames queued from the receive memory (`sendReceived`). */
  out: number;
  /** Frames queued from the send memory (`send`). */
  txOut: number;
}

/**
 * Creates the datapath. `open(processor)` (called by the director's `start()`) opens the frame ports;
 * `close()` stops them. Throws `INVALID_ARGUMENT` for bad addresses; the frame port's errors (`NATIVE_*` for
 * the native one) come from `open`.
 */
export function createDatapath(options: DatapathOptions): Datapath {
  // The VIPs and the serving switch beside each (one immutable table, swapped whole).
  let served: readonly string[] | undefined = options.serving;
  let vips = VipTable.compile(options.vips, served);
  const responder = new NeighbourResponder(vips);
  let step: ForwardStep | undefined;
  const setTable = (t: VipTable) => {
    vips = t;
    responder.vips = t;
    if (step !== undefined) step.vips = t;
  };
  let announceNow: ((vip: Uint8Array, repeat: number) => void) | undefined;
  const ifaces: DatapathInterfaceOptions[] = [
    {
      ifname: options.ifname,
      ...(options.gateway === undefined ? {} : { gateway: options.gateway }),
      ...(options.gateways === undefined ? {} : { gateways: options.gateways }),
    },
    ...(options.interfaces ?? []),
  ];
  for (const x of ifaces) {
    if (x.gateway !== undefined && x.gateways !== undefined) {
      throw new LvsError('INVALID_ARGUMENT', `datapath: ${x.ifname} has both gateway and gateways; give one`);
    }
  }
  const names = ifaces.map((x) => x.ifname);
  if (new Set(names).size !== names.length) {
    throw new LvsError('INVALID_ARGUMENT', `datapath: an interface is given twice: ${names.join(', ')}`);
  }
  if (ifaces.length > 16) throw new LvsError('INVALID_ARGUMENT', 'datapath: at most 16 interfaces');
  // The default routes: one gateway per address family at most, each reached through its interface.
  const defaults: DefaultRoute[] = [];
  const taken: [number, number] = [-1, -1];
  for (const [index, x] of ifaces.entries()) {
    for (const g of x.gateways ?? (x.gateway === undefined ? [] : [x.gateway])) {
      const family = parseIp(g).length === 4 ? 4 : 6;
      const k = family === 4 ? 0 : 1;
      if (taken[k] >= 0) {
        throw new LvsError(
          'INVALID_ARGUMENT',
          `datapath: one IPv${family} default gateway only, got ${g} on ${x.ifname} and another on ${ifaces[taken[k]]!.ifname}`,
        );
      }
      taken[k] = index;
      defaults.push({ port: index, gateway: g });
    }
  }
  const clock = options.clock;
  const now = options.now ?? (clock ? () => clock.now() : () => performance.now());
  const drops = createDropCounters();
  const counters = new Float64Array(DATAPATH_COUNTER_COUNT);
  const offload = options.offload ?? true;
  const limiter = options.icmpRateLimit === false ? undefined : new IcmpRateLimiter(options.icmpRateLimit ?? {});
  const reassembler = options.reassembly === false ? undefined : new Reassembler(options.reassembly ?? {});
  let ports: Port[] = [];
  const segInfo = new PacketInfo();
  const outerInfo = new PacketInfo();

  return {
    drops,
    counters,
    reassembly: reassembler?.counters ?? new Float64Array(6),
    serve(list) {
      served = [...list];
      setTable(VipTable.compile(vips.addresses(), served));
    },
    announce(vip, repeat) {
      const b = parseIp(vip);
      if (vips.lookup(b, 0, b.length) !== VIP_SERVED) return;
      announceNow?.(b, Math.max(0, Math.min(255, Math.floor(repeat))));
    },
    setVips(list) {
      setTable(VipTable.compile(list, served));
    },
    counterValues() {
      const out: Record<string, number> = {};
      for (const [name, index] of Object.entries(DatapathCounter)) out[name] = counters[index] ?? 0;
      for (const [name, count] of Object.entries(dropCountsByName(drops))) out[`DROP_${name}`] = count;
      return out;
    },
    async open(processor: PacketProcessor) {
      const openPort = options.framePort ?? openNativeFramePort;
      const batchSize = options.batchSize ?? 64;
      const opened: Port[] = [];
      try {
        for (const [index, x] of ifaces.entries()) {
          const fp = openPort({
            ifname: x.ifname,
            netns: options.netns,
            batchSize,
            offload,
            frameSize: offload ? SUPER_FRAME_SLOT : PLAIN_SLOT,
            // The IPv6 VIPs' solicited-node groups (RFC 4291 §2.7.1 as Ethernet groups, RFC 2464 §7), where
            // neighbour solicitations for them arrive; the kernel joins none, since it does not own the VIPs.
            multicast: index === 0 ? vips.list6().map((v) => solicitedNodeMac(v)) : [],
            filter: options.filter !== false,
            vips: [...vips.list4(), ...vips.list6()],
          });
          const slot = fp.frameSize;
          const address = new Uint8Array(4);
          const first = fp.addresses.find((a) => a.family === 4);
          if (first !== undefined) address.set(parseIp(first.address));
          const own6 = fp.addresses.filter((a) => a.family === 6).sort((a, b) => a.scope - b.scope);
          opened.push({
            index,
            ifname: fp.ifname,
            sock: fp,
            mac: Uint8Array.from(fp.mac),
            mtu: fp.mtu,
            address,
            address6: own6[0] === undefined ? undefined : parseIp(own6[0].address),
            // One view per receive slot, made once: frames are rewritten in place and may grow within it.
            views: Array.from(
              { length: fp.batchSize },
              (_, i) => new Uint8Array(fp.rx.buffer.buffer, fp.rx.buffer.byteOffset + i * slot, slot),
            ),
            // Frames built here rather than rewritten in place (a frame leaving by another interface,
            // segments of a super-frame for a tunnel, fragments, ARP requests): one send slot each.
            txViews: Array.from(
              { length: fp.batchSize },
              (_, j) => new Uint8Array(fp.tx.buffer.buffer, fp.tx.buffer.byteOffset + j * slot, slot),
            ),
            txSlot: slot,
            // Next-hop MACs: configured ones, then the kernel's neighbour table (then our own ARP request or
            // neighbour solicitation, when the step says so); cached off the per-packet path with a negative
            // cache (an unresolved address is asked again at most every 100 ms, not once per packet).
            neighbours: new NeighbourCache({ known: options.neighbours ?? {}, query: (a) => fp.neighbour(a) }),
            out: 0,
            txOut: 0,
          });
        }
      } catch (err) {
        for (const p of opened) p.sock.close();
        throw err;
      }
      ports = opened;
      const forward = new ForwardStep({
        interfaces: ports,
        routes: RouteTable.compile(
          ports.map((p) => p.sock.addresses),
          defaults,
        ),
        vips,
        processor,
        params: createForwardParams({
          ourMac: ports[0]!.mac,
          nextHopMac: '00:00:00:00:00:00',
          ourAddress: options.address ?? '0.0.0.0',
          mtu: ports[0]!.mtu,
        }),
        offload,
        limiter,
        counters,
        drops,
      });
      step = forward;
      const info = forward.info;
      const result = forward.result;
      const params = forward.params;
      const hop = forward.hop;
      // A tunnelled segment that needs fragmenting is moved here first, so its send slot can be reused.
      const scratch = new Uint8Array(ports[0]!.txSlot);

      const flushRx = (p: Port) => {
        if (p.out === 0) return;
        const sent = p.sock.sendReceived(p.out);
        if (sent < p.out) counters[TX_REFUSED]! += p.out - sent;
        p.out = 0;
      };
      const flushTx = (p: Port) => {
        if (p.txOut === 0) return;
        const sent = p.sock.send(p.txOut);
        if (sent < p.txOut) counters[TX_REFUSED]! += p.txOut - sent;
        p.txOut = 0;
      };
      /**
       * A free send slot of `p`. In-place frames and built ones share the send descriptors, so whichever kind
       * is pending is sent before the other kind is queued (order within a flow is kept); all slots taken:
       * what is pending goes now.
       */
      const allocSlot = (p: Port): number => {
        flushRx(p);
        if (p.txOut === p.sock.batchSize) flushTx(p);
        return p.txOut;
      };
      /** Queues the frame built in send slot `j` of `p` (the one {@link allocSlot} returned). */
      const queueTx = (p: Port, j: number, len: number, gsoType = 0, gsoSize = 0, csumStart = 0, csumOff = 0) => {
        const tx = p.sock.tx;
        tx.offsets[p.txOut] = j * p.txSlot;
        tx.lengths[p.txOut] = len;
        tx.gsoTypes[p.txOut] = gsoType;
        tx.gsoSizes[p.txOut] = gsoSize;
        tx.csumStarts[p.txOut] = csumStart;
        tx.csumOffsets[p.txOut++] = csumOff;
      };
      /** Queues frame `off` of `p`'s receive memory (rewritten in place) to go out `p` again. */
      const queueRx = (p: Port, off: number, len: number, gsoType = 0, gsoSize = 0, csumStart = 0, csumOff = 0) => {
        flushTx(p);
        const tx = p.sock.tx;
        tx.offsets[p.out] = off;
        tx.lengths[p.out] = len;
        tx.gsoTypes[p.out] = gsoType;
        tx.gsoSizes[p.out] = gsoSize;
        tx.csumStarts[p.out] = csumStart;
        tx.csumOffsets[p.out++] = csumOff;
      };
      /**
       * Sends the IPv4 packet in `src[0..len)` out `e` as fragments (`fragmentCount`/`writeFragment`, as the
       * kernel's ip_do_fragment after IPVS transmits a packet too big for the link without DF); false when
       * it cannot be fragmented.
       */
      const sendFragments = (e: Port, src: Uint8Array, len: number): boolean => {
        if (parsePacket(src, len, outerInfo) !== DropReason.NONE) return false;
        const n = fragmentCount(outerInfo, e.mtu);
        if (n === 0) return false;
        for (let k = 0; k < n; k++) {
          const j = allocSlot(e);
          const flen = writeFragment(src, outerInfo, e.mtu, k, e.txViews[j]!, 0);
          if (flen === 0) return false;
          queueTx(e, j, flen);
          counters[FRAGMENTS]! += 1;
        }
        return true;
      };
      /**
       * A GSO super-frame for a tunnel: the kernel cannot segment inside IPIP, so it is checked once as a
       * whole (TTL, and the MTU per segment: `ip_vs_exceeds_mtu`), then cut here (`writeSegment`, as the
       * kernel's software GSO) into `e`'s send slots, and each segment encapsulated (and fragmented when it
       * still does not fit without DF). Returns the verdict for the super-frame.
       */
      const tunnelSuperFrame = (p: Port, e: Port, frame: Uint8Array, i: number, off: number, t: number): Verdict => {
        const type = p.sock.rx.gsoTypes[i]!;
        const size = p.sock.rx.gsoSizes[i]!;
        const n = gsoSegmentCount(frame, info, type, size);
        if (n === 0) return drop(result, DropReason.OFFLOAD_UNSUPPORTED);
        params.gsoSize = size;
        const pre = preTransmit(frame, info, params, IPIP_OVERHEAD, result);
        params.gsoSize = 0;
        if (pre === Verdict.DROP) return Verdict.DROP;
        if (pre === Verdict.REPLY) {
          if (!forward.icmpAllowed(frame, t)) return drop(result, DropReason.ICMP_RATE_LIMITED);
          copyBytes(frame, ETH_SRC, p.mac, 0, 6);
          queueRx(p, off, result.length);
          return Verdict.REPLY;
        }
        // The TTL was decremented once, on the super-frame the segments copy.
        const decrement = params.decrementTtl;
        params.decrementTtl = false;
        for (let k = 0; k < n; k++) {
          const j = allocSlot(e);
          const view = e.txViews[j]!;
          const slen = writeSegment(frame, info, type, size, k, view, 0);
          if (slen === 0 || parsePacket(view, slen, segInfo) !== DropReason.NONE) {
            drops[DropReason.NO_ROOM]! += 1;
            continue;
          }
          counters[SEGMENTS]! += 1;
          const v = rewriteTunnel(view, slen, segInfo, params, result);
          params.ident = (params.ident + 1) & 0xffff;
          if (v !== Verdict.FORWARD) {
            drops[v === Verdict.DROP ? result.reason : DropReason.FRAG_NEEDED]! += 1;
            continue;
          }
          if (result.length - segInfo.l2Length <= e.mtu) {
            queueTx(e, j, result.length);
            continue;
          }
          // Still too big (no DF): fragment it from a copy, so that its slot can take a fragment.
          copyBytes(scratch, 0, view, 0, result.length);
          if (!sendFragments(e, scratch, result.length)) drops[DropReason.NEEDS_FRAGMENTATION]! += 1;
        }
        params.decrementTtl = decrement;
        return Verdict.FORWARD;
      };
      /**
       * Asks the link for the MAC of the step's next hop out `e`: an ARP request (RFC 826) from `e`'s MAC and
       * address, or a neighbour solicitation (RFC 4861 §7.2.2) from `e`'s own IPv6 address to the target's
       * solicited-node group — `@lvskit/base`'s encoders into a send slot.
       */
      const solicit = (e: Port) => {
        if (hop.length === 4) {
          const j = allocSlot(e);
          const f = e.txViews[j]!;
          queueTx(e, j, padEthernetFrame(f, 0, encodeArpRequest(f, 0, e.mac, e.address, hop.address)));
        } else {
          if (e.address6 === undefined) return;
          const j = allocSlot(e);
          queueTx(e, j, encodeNeighbourSolicitation(e.txViews[j]!, 0, e.mac, e.address6, hop.address));
        }
        counters[ARP_REQUESTS]! += 1;
      };
      /**
       * Announces `vip` out the first interface, `repeat` times: the responder's gratuitous ARP (keepalived's
       * `send_gratuitous_arp` form) or unsolicited neighbour advertisement with the Override flag.
       */
      announceNow = (vip, repeat) => {
        const e = ports[0];
        if (e === undefined) return;
        for (let r = 0; r < repeat; r++) {
          const j = allocSlot(e);
          const n = responder.writeAnnouncement(e.txViews[j]!, 0, e.mac, vip);
          if (n === 0) break;
          queueTx(e, j, n);
          counters[ANNOUNCED]! += 1;
        }
        flushTx(e);
      };

      let pooled = -1;
      const handle = (p: Port, count: number) => {
        const t = now();
        counters[BATCHES]! += 1;
        const rx = p.sock.rx;
        const rxFlags = rx.flags;
        for (let i = 0; i < count; i++) {
          // A datagram reassembled for the previous frame has been copied out by now.
          if (pooled >= 0) {
            reassembler?.release(pooled);
            pooled = -1;
          }
          counters[RECEIVED]! += 1;
          // Frames for other hosts (flooded by a bridge, promiscuous mode) are not ours to forward.
          if (rx.packetTypes[i]! >= PacketType.OTHERHOST) continue;
          // Cut to its slot: say so, rather than parse the stump as malformed.
          if ((rxFlags[i]! & RxFlag.TRUNCATED) !== 0) {
            drops[DropReason.OVERSIZED]! += 1;
            continue;
          }
          const off = rx.offsets[i]!;
          let len = rx.lengths[i]!;
          // The frame port's layout puts frame i at i × frameSize (recvmmsg's), always.
          let frame = p.views[i]!;
          const pr = parsePacket(frame, len, info);
          if (pr !== DropReason.NONE) {
            if (info.etherType === ETHERTYPE_ARP) {
              if (p.index === 0 && responder.answerArp(frame, len, info.l2Length, p.mac)) {
                queueRx(p, off, len);
                counters[ARP_ANSWERED]! += 1;
              } else learnArpReply(p.neighbours, frame, len, info.l2Length, p.mac);
            } else if (pr !== DropReason.NOT_IP) drops[pr]! += 1;
            continue;
          }
          if (info.family === 6 && info.protocol === IPPROTO_ICMPV6) {
            if (info.icmpType === NDISC_NEIGHBOUR_ADVERTISEMENT) {
              learnNeighbourAdvert(p.neighbours, frame, len, info.l3Offset, p.mac);
              continue;
            }
            if (info.icmpType === NDISC_NEIGHBOUR_SOLICITATION) {
              // Neighbour discovery is never forwarded: answered here for an IPv6 VIP, else the kernel's.
              if (p.index === 0) {
                const nlen = responder.answerNs(frame, len, info.l3Offset, p.mac);
                if (nlen > 0) {
                  queueRx(p, off, nlen);
                  counters[ARP_ANSWERED]! += 1;
                }
              }
              continue;
            }
          }
          if (info.isFragment && info.family === 4 && reassembler !== undefined) {
            // IPVS sees datagrams, not fragments (the kernel reassembles before LOCAL_IN): so does the engine.
            const slot = reassembler.add(frame, info, t);
            if (slot < 0) continue;
            pooled = slot;
            frame = reassembler.view(slot);
            len = reassembler.length(slot);
            if (parsePacket(frame, len, info) !== DropReason.NONE) continue;
          }
          const action = forward.forward(frame, len, p.index, rx, i, t);
          if (action === StepAction.NONE) continue;
          const e = ports[forward.port]!;
          if (action === StepAction.SEND) {
            if (e === p && pooled < 0) {
              queueRx(p, off, forward.length, forward.gsoType, forward.gsoSize, forward.csumStart, forward.csumOffset);
            } else {
              // Out another interface, or reassembled: copied into the send memory (the kernel copies too).
              const j = allocSlot(e);
              copyBytes(e.txViews[j]!, 0, frame, 0, forward.length);
              queueTx(e, j, forward.length, forward.gsoType, forward.gsoSize, forward.csumStart, forward.csumOffset);
            }
          } else if (action === StepAction.REPLY) {
            if (pooled < 0) queueRx(p, off, forward.length);
            else {
              const j = allocSlot(p);
              copyBytes(p.txViews[j]!, 0, frame, 0, forward.length);
              queueTx(p, j, forward.length);
            }
          } else if (action === StepAction.FRAGMENT) {
            // Fragments are built in send slots from the rewritten frame.
            if (!sendFragments(e, frame, forward.length)) {
              counters[FORWARDED]! -= 1;
              drops[DropReason.NEEDS_FRAGMENTATION]! += 1;
            }
          } else if (action === StepAction.SEGMENT_TUNNEL) {
            const v = tunnelSuperFrame(p, e, frame, i, off, t);
            if (v === Verdict.DROP) drops[result.reason]! += 1;
            else counters[v === Verdict.REPLY ? REPLIED : FORWARDED]! += 1;
          } else if (action === StepAction.RESOLVE) solicit(e);
        }
        flushRx(p);
        for (const q of ports) flushTx(q);
        if (pooled >= 0) {
          reassembler?.release(pooled);
          pooled = -1;
        }
      };
      for (const p of ports) p.sock.onBatch((count) => handle(p, count));
    },
    async close() {
      for (const p of ports) p.sock.close();
      ports = [];
      step = undefined;
      announceNow = undefined;
    },
  };
}
