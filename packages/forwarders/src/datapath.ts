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
  bytesEqual,
  type Clock,
  copyBytes,
  createDropCounters,
  DropReason,
  dropCountsByName,
  formatIp,
  get32,
  internetChecksum,
  LvsError,
  parseAddress,
  parseIp,
  pseudoSum4,
  pseudoSum6,
  put16,
  put32,
  Verdict,
} from '@lvskit/base';
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
import { PacketType, type RxBatch, RxFlag } from '@lvskit/native';
import { fragmentCount, writeFragment } from './fragment.js';
import { type FramePort, type FramePortFactory, openNativeFramePort } from './frame-port.js';
import { ARP_OPER, ARP_REPLY, ARP_REQUEST, ARP_SHA, ARP_SPA, ARP_THA, ARP_TPA, ArpView } from './headers/arp.js';
import { ETH_DST, ETH_SRC, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from './headers/ethernet.js';
import { IPPROTO_TCP, IPPROTO_UDP } from './headers/ipv4.js';
import { IPPROTO_ICMPV6 } from './headers/ipv6.js';
import { TCP_CHECKSUM, UDP_CHECKSUM } from './headers/transport.js';
import { IcmpRateLimiter, type IcmpRateLimitOptions } from './icmp-ratelimit.js';
import { NeighbourCache } from './neighbour-cache.js';
import { completeTransportChecksum } from './offload.js';
import { createForwardParams, type ForwardParams } from './params.js';
import { PacketInfo, parsePacket } from './parse.js';
import { Reassembler, type ReassemblerOptions } from './reassembly.js';
import { drop, preTransmit } from './rewrite/common.js';
import { rewriteMasqIn, rewriteMasqOut } from './rewrite/masq.js';
import { rewriteRoute } from './rewrite/route.js';
import { IPIP_OVERHEAD, rewriteTunnel } from './rewrite/tunnel.js';
import { gsoSegmentCount, writeSegment } from './segment.js';
import { RewriteResult } from './verdict.js';

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

/** Indexes of {@link Datapath.counters}. */
export const DatapathCounter = {
  /** Frames received. */
  RECEIVED: 0,
  /** Frames forwarded (a super-frame counts once). */
  FORWARDED: 1,
  /** ICMP errors sent back to a sender. */
  REPLIED: 2,
  /** ARP requests and neighbour solicitations for a VIP answered. */
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
  /** ARP requests and neighbour solicitations sent for next hops neither configured nor in the kernel's table. */
  ARP_REQUESTS: 12,
  /** Receive batches handled (RECEIVED / BATCHES is the mean batch size). */
  BATCHES: 13,
  /** Gratuitous ARPs / unsolicited neighbour advertisements sent for served VIPs ({@link Datapath.announce}). */
  ANNOUNCED: 14,
} as const;

/** ICMPv6 neighbour solicitation and advertisement (RFC 4861 §4.3, §4.4). */
const NDISC_NEIGHBOUR_SOLICITATION = 135;
const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;

/** The Ethernet group of an IPv6 address's solicited-node group: 33:33:ff + its last three bytes. */
function solicitedNodeMac(addr: Uint8Array): string {
  const h = (b: number) => b.toString(16).padStart(2, '0');
  return `33:33:ff:${h(addr[13]!)}:${h(addr[14]!)}:${h(addr[15]!)}`;
}

/** The IPv4 address `a.b.c.d` as an unsigned 32-bit number. */
function ipv4Number(text: string): number {
  const { bytes } = parseAddress(text);
  return get32(bytes, 0);
}

/** Receive slot with offload: a 64 KiB IP packet plus an Ethernet header with two VLAN tags, rounded up. */
const SUPER_FRAME_SLOT = 65_664;
/** Receive slot without offload (the native socket's default). */
const PLAIN_SLOT = 2048;

/**
 * Creates the datapath. `open(processor)` (called by the director's `start()`) binds the socket; `close()`
 * stops it. Throws `INVALID_ARGUMENT` for bad addresses; native errors (`NATIVE_*`) come from `open`.
 */
export function createDatapath(options: DatapathOptions): Datapath {
  // VIPs by family: ARP is answered for the IPv4 ones, neighbour solicitations for the IPv6 ones.
  // Each has a served flag beside it (the serving switch): 1 = forward and answer, 0 = drop as NOT_SERVING.
  let vips: Uint8Array[] = [];
  let vips6: Uint8Array[] = [];
  let served4 = new Uint8Array(0);
  let served6 = new Uint8Array(0);
  // What is served, by canonical text; undefined = every configured VIP.
  let servedSet: Set<string> | undefined =
    options.serving === undefined ? undefined : new Set(options.serving.map((v) => formatIp(parseIp(v))));
  const setVipList = (list: readonly string[]) => {
    const v4: Uint8Array[] = [];
    const v6: Uint8Array[] = [];
    for (const v of list) {
      const { family, bytes } = parseAddress(v);
      if (family === 4) v4.push(bytes.slice(0, 4));
      else v6.push(bytes.slice(0, 16));
    }
    vips = v4;
    vips6 = v6;
    served4 = Uint8Array.from(v4, (b) => (servedSet === undefined || servedSet.has(formatIp(b)) ? 1 : 0));
    served6 = Uint8Array.from(v6, (b) => (servedSet === undefined || servedSet.has(formatIp(b)) ? 1 : 0));
  };
  setVipList(options.vips);
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
  let gatewayIndex = -1;
  let gateway6Index = -1;
  const gatewayAddr = new Uint8Array(4);
  const gateway6Addr = new Uint8Array(16);
  for (const [index, x] of ifaces.entries()) {
    for (const g of x.gateways ?? (x.gateway === undefined ? [] : [x.gateway])) {
      const { family, bytes } = parseAddress(g);
      const taken = family === 4 ? gatewayIndex : gateway6Index;
      if (taken >= 0) {
        throw new LvsError(
          'INVALID_ARGUMENT',
          `datapath: one IPv${family} default gateway only, got ${g} on ${x.ifname} and another on ${ifaces[taken]!.ifname}`,
        );
      }
      if (family === 4) {
        gatewayIndex = index;
        gatewayAddr.set(bytes.subarray(0, 4));
      } else {
        gateway6Index = index;
        gateway6Addr.set(bytes.subarray(0, 16));
      }
    }
  }
  const clock = options.clock;
  const now = options.now ?? (clock ? () => clock.now() : () => performance.now());
  const drops = createDropCounters();
  const counters = new Float64Array(15);
  const offload = options.offload ?? true;
  const limiter = options.icmpRateLimit === false ? undefined : new IcmpRateLimiter(options.icmpRateLimit ?? {});
  const reassembler = options.reassembly === false ? undefined : new Reassembler(options.reassembly ?? {});
  let ports: Port[] = [];

  const info = new PacketInfo();
  const segInfo = new PacketInfo();
  const outerInfo = new PacketInfo();
  const result = new RewriteResult();
  const arp = new ArpView();
  const summary = createPacketSummary();
  let params: ForwardParams;
  const addr4 = new Uint8Array(4);
  const addr16 = new Uint8Array(16);
  // Connected IPv4 subnets of the interfaces (from the kernel's addresses at open), longest prefix first.
  let fibNet = new Uint32Array(0);
  let fibMask = new Uint32Array(0);
  let fibPort = new Uint8Array(0);
  // The same for IPv6: four 32-bit words of network and mask per entry (link-local prefixes left out).
  let fib6Net = new Uint32Array(0);
  let fib6Mask = new Uint32Array(0);
  let fib6Port = new Uint8Array(0);
  // The last route() result: egress port and next-hop address.
  let hopPort = 0;
  const hop = new Uint8Array(16);
  let hopLen = 4;
  // Used while a neighbour query runs: where to send our own ARP request on a miss.
  let queryPort: Port | undefined;

  /** One interface: its socket, memory views and send state. */
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
    out: number;
    txOut: number;
  }

  return {
    drops,
    counters,
    reassembly: reassembler?.counters ?? new Float64Array(6),
    serve(list) {
      servedSet = new Set(list.map((v) => formatIp(parseIp(v))));
      setVipList([...vips, ...vips6].map((b) => formatIp(b)));
    },
    announce(vip, repeat) {
      const b = parseIp(vip);
      const i = (b.length === 4 ? vips : vips6).findIndex((v) => bytesEqual(v, 0, b, 0, b.length));
      if (i < 0 || (b.length === 4 ? served4 : served6)[i] !== 1) return;
      announceNow?.(b, Math.max(0, Math.min(255, Math.floor(repeat))));
    },
    setVips(list) {
      setVipList(list);
    },
    counterValues() {
      const out: Record<string, number> = {};
      for (const [name, index] of Object.entries(DatapathCounter)) out[name] = counters[index] ?? 0;
      for (const [name, count] of Object.entries(dropCountsByName(drops))) out[`DROP_${name}`] = count;
      return out;
    },
    async open(processor: PacketProcessor) {
      const open = options.framePort ?? openNativeFramePort;
      const batchSize = options.batchSize ?? 64;
      const opened: Port[] = [];
      const fib: { net: number; mask: number; port: number; len: number }[] = [];
      const fib6: { words: number[]; mask: number[]; port: number; len: number }[] = [];
      try {
        for (const [index, x] of ifaces.entries()) {
          const fp = open({
            ifname: x.ifname,
            netns: options.netns,
            batchSize,
            offload,
            frameSize: offload ? SUPER_FRAME_SLOT : PLAIN_SLOT,
            // The IPv6 VIPs' solicited-node groups (RFC 4291 §2.7.1 as Ethernet groups, RFC 2464 §7), where
            // neighbour solicitations for them arrive; the kernel joins none, since it does not own the VIPs.
            multicast: index === 0 ? vips6.map(solicitedNodeMac) : [],
            filter: options.filter !== false,
            vips: [...vips, ...vips6],
          });
          const own = fp.addresses.filter((a) => a.family === 4);
          for (const a of own) {
            if (a.prefixLength === 0) continue;
            const mask = a.prefixLength === 32 ? 0xffffffff : ~(0xffffffff >>> a.prefixLength) >>> 0;
            fib.push({ net: (ipv4Number(a.address) & mask) >>> 0, mask, port: index, len: a.prefixLength });
          }
          for (const a of fp.addresses) {
            if (a.family !== 6 || a.prefixLength === 0 || a.scope === 253) continue;
            const b = parseAddress(a.address).bytes;
            const mask = [0, 1, 2, 3].map((w) => {
              const bits = Math.max(0, Math.min(32, a.prefixLength - 32 * w));
              return bits === 0 ? 0 : bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
            });
            const words = [0, 1, 2, 3].map((w) => (get32(b, w * 4) & mask[w]!) >>> 0);
            fib6.push({ words, mask, port: index, len: a.prefixLength });
          }
          const slot = fp.frameSize;
          const address = new Uint8Array(4);
          const first = own[0];
          if (first !== undefined) address.set(parseAddress(first.address).bytes.subarray(0, 4));
          const own6 = fp.addresses.filter((a) => a.family === 6).sort((a, b) => a.scope - b.scope);
          const port: Port = {
            index,
            ifname: fp.ifname,
            sock: fp,
            mac: Uint8Array.from(fp.mac),
            mtu: fp.mtu,
            address,
            address6: own6[0] === undefined ? undefined : parseAddress(own6[0].address).bytes.slice(0, 16),
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
            // Next-hop MACs: configured ones, then the kernel's neighbour table, then our own ARP request;
            // cached off the per-packet path with a negative cache (an unresolved address is asked again at
            // most every 100 ms, not once per packet).
            neighbours: new NeighbourCache({
              known: options.neighbours ?? {},
              query: (a) => {
                const mac = fp.neighbour(a);
                if (mac === undefined && queryPort !== undefined) {
                  if (hopLen === 4) requestArp(queryPort);
                  else requestNs(queryPort);
                }
                return mac;
              },
            }),
            out: 0,
            txOut: 0,
          };
          opened.push(port);
        }
      } catch (err) {
        for (const p of opened) p.sock.close();
        throw err;
      }
      params = createForwardParams({
        ourMac: opened[0]!.mac,
        nextHopMac: '00:00:00:00:00:00',
        ourAddress: options.address ?? '0.0.0.0',
        mtu: opened[0]!.mtu,
      });
      fib.sort((a, b) => b.len - a.len);
      fibNet = Uint32Array.from(fib.map((r) => r.net));
      fibMask = Uint32Array.from(fib.map((r) => r.mask));
      fibPort = Uint8Array.from(fib.map((r) => r.port));
      fib6.sort((a, b) => b.len - a.len);
      fib6Net = Uint32Array.from(fib6.flatMap((r) => r.words));
      fib6Mask = Uint32Array.from(fib6.flatMap((r) => r.mask));
      fib6Port = Uint8Array.from(fib6.map((r) => r.port));
      ports = opened;
      // A tunnelled segment that needs fragmenting is moved here first, so its send slot can be reused.
      const scratch = new Uint8Array(ports[0]!.txSlot);

      const flushRx = (p: Port) => {
        if (p.out === 0) return;
        const sent = p.sock.sendReceived(p.out);
        if (sent < p.out) counters[11]! += p.out - sent;
        p.out = 0;
      };
      const flushTx = (p: Port) => {
        if (p.txOut === 0) return;
        const sent = p.sock.send(p.txOut);
        if (sent < p.txOut) counters[11]! += p.txOut - sent;
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
          counters[10]! += 1;
        }
        return true;
      };
      /**
       * A GSO super-frame for a tunnel: the kernel cannot segment inside IPIP, so it is checked once as a
       * whole (TTL, and the MTU per segment: `ip_vs_exceeds_mtu`), then cut here (`writeSegment`, as the
       * kernel's software GSO) into `e`'s send slots, and each segment encapsulated (and fragmented when it
       * still does not fit without DF). Returns the verdict for the super-frame.
       */
      const tunnelSuperFrame = (p: Port, e: Port, frame: Uint8Array, i: number, off: number): Verdict => {
        const type = p.sock.rx.gsoTypes[i]!;
        const size = p.sock.rx.gsoSizes[i]!;
        const n = gsoSegmentCount(frame, info, type, size);
        if (n === 0) return drop(result, DropReason.OFFLOAD_UNSUPPORTED);
        params.gsoSize = size;
        const pre = preTransmit(frame, info, params, IPIP_OVERHEAD, result);
        params.gsoSize = 0;
        if (pre === Verdict.DROP) return Verdict.DROP;
        if (pre === Verdict.REPLY) {
          if (!icmpAllowed(frame, now())) return drop(result, DropReason.ICMP_RATE_LIMITED);
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
          counters[9]! += 1;
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
      /** Builds an ARP request (RFC 826) for `hop` from `e`'s MAC and address and queues it out `e`. */
      const requestArp = (e: Port) => {
        const j = allocSlot(e);
        const f = e.txViews[j]!;
        f.fill(0, 0, 60);
        f.fill(0xff, ETH_DST, ETH_DST + 6);
        copyBytes(f, ETH_SRC, e.mac, 0, 6);
        put16(f, 12, ETHERTYPE_ARP);
        put16(f, 14, 1); // hardware: Ethernet
        put16(f, 16, 0x0800); // protocol: IPv4
        f[18] = 6;
        f[19] = 4;
        put16(f, 14 + ARP_OPER, ARP_REQUEST);
        copyBytes(f, 14 + ARP_SHA, e.mac, 0, 6);
        copyBytes(f, 14 + ARP_SPA, e.address, 0, 4);
        copyBytes(f, 14 + ARP_TPA, hop, 0, 4);
        queueTx(e, j, 60);
        counters[12]! += 1;
      };
      /**
       * Builds a neighbour solicitation (RFC 4861 §4.3, §7.2.2) for `hop` — to its solicited-node group, from
       * `e`'s own IPv6 address with our MAC as source link-layer address — and queues it out `e`.
       */
      const requestNs = (e: Port) => {
        const src = e.address6;
        if (src === undefined) return;
        const j = allocSlot(e);
        const f = e.txViews[j]!;
        f.fill(0, 0, 86);
        f[0] = 0x33;
        f[1] = 0x33;
        f[2] = 0xff;
        f[3] = hop[13]!;
        f[4] = hop[14]!;
        f[5] = hop[15]!;
        copyBytes(f, ETH_SRC, e.mac, 0, 6);
        put16(f, 12, ETHERTYPE_IPV6);
        put32(f, 14, 0x60000000);
        put16(f, 18, 32);
        f[20] = IPPROTO_ICMPV6;
        f[21] = 255;
        copyBytes(f, 22, src, 0, 16);
        // ff02::1:ffXX:XXXX, the target's solicited-node address (RFC 4291 §2.7.1).
        f[38] = 0xff;
        f[39] = 0x02;
        f[49] = 0x01;
        f[50] = 0xff;
        f[51] = hop[13]!;
        f[52] = hop[14]!;
        f[53] = hop[15]!;
        f[54] = NDISC_NEIGHBOUR_SOLICITATION;
        copyBytes(f, 62, hop, 0, 16);
        f[78] = 1; // source link-layer address option (RFC 4861 §4.6.1), 1 × 8 bytes
        f[79] = 1;
        copyBytes(f, 80, e.mac, 0, 6);
        put16(f, 56, internetChecksum(f, 54, 32, pseudoSum6(f, 22, 38, IPPROTO_ICMPV6, 32)));
        queueTx(e, j, 86);
        counters[12]! += 1;
      };
      /**
       * Announces `vip` out the first interface, `repeat` times: a gratuitous ARP request (sender and target
       * both the VIP, target MAC broadcast, as keepalived's `send_gratuitous_arp`) or an unsolicited neighbour
       * advertisement to ff02::1 with the Override flag and our MAC (RFC 4861 §7.2.6).
       */
      announceNow = (vip, repeat) => {
        const e = ports[0];
        if (e === undefined) return;
        for (let r = 0; r < repeat; r++) {
          const j = allocSlot(e);
          const f = e.txViews[j]!;
          if (vip.length === 4) {
            f.fill(0, 0, 60);
            f.fill(0xff, ETH_DST, ETH_DST + 6);
            copyBytes(f, ETH_SRC, e.mac, 0, 6);
            put16(f, 12, ETHERTYPE_ARP);
            put16(f, 14, 1);
            put16(f, 16, 0x0800);
            f[18] = 6;
            f[19] = 4;
            put16(f, 14 + ARP_OPER, ARP_REQUEST);
            copyBytes(f, 14 + ARP_SHA, e.mac, 0, 6);
            copyBytes(f, 14 + ARP_SPA, vip, 0, 4);
            f.fill(0xff, 14 + ARP_THA, 14 + ARP_THA + 6);
            copyBytes(f, 14 + ARP_TPA, vip, 0, 4);
            queueTx(e, j, 60);
          } else {
            f.fill(0, 0, 86);
            f[0] = 0x33;
            f[1] = 0x33;
            f[5] = 1;
            copyBytes(f, ETH_SRC, e.mac, 0, 6);
            put16(f, 12, ETHERTYPE_IPV6);
            put32(f, 14, 0x60000000);
            put16(f, 18, 32);
            f[20] = IPPROTO_ICMPV6;
            f[21] = 255;
            copyBytes(f, 22, vip, 0, 16);
            f[38] = 0xff;
            f[39] = 0x02;
            f[53] = 1;
            f[54] = NDISC_NEIGHBOUR_ADVERTISEMENT;
            put32(f, 58, 0x20000000); // R=0, S=0, O=1
            copyBytes(f, 62, vip, 0, 16);
            f[78] = 2; // target link-layer address option, 1 × 8 bytes
            f[79] = 1;
            copyBytes(f, 80, e.mac, 0, 6);
            put16(f, 56, internetChecksum(f, 54, 32, pseudoSum6(f, 22, 38, IPPROTO_ICMPV6, 32)));
            queueTx(e, j, 86);
          }
          counters[DatapathCounter.ANNOUNCED]! += 1;
        }
        flushTx(e);
      };
      /** The next hop's MAC out port `e` (for `hop`), or undefined (counted) while it is unresolved. */
      const nextHopMac = (e: Port, t: number): Uint8Array | undefined => {
        queryPort = e;
        const mac = e.neighbours.lookup(hop, 0, hopLen, t);
        queryPort = undefined;
        if (mac === undefined) counters[6]! += 1;
        return mac;
      };

      let pooled = -1;
      const handle = (p: Port, count: number) => {
        const t = now();
        counters[13]! += 1;
        const rx = p.sock.rx;
        const rxFlags = rx.flags;
        for (let i = 0; i < count; i++) {
          // A datagram reassembled for the previous frame has been copied out by now.
          if (pooled >= 0) {
            reassembler?.release(pooled);
            pooled = -1;
          }
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
          let len = rx.lengths[i]!;
          // recvmmsg (the only receive mode the datapath opens) puts frame i at i × frameSize, always.
          let frame = p.views[i]!;
          const pr = parsePacket(frame, len, info);
          if (pr !== DropReason.NONE) {
            if (info.etherType === ETHERTYPE_ARP) {
              if (p.index === 0 && answerArp(frame, len, info.l2Length, p.mac)) {
                queueRx(p, off, len);
                counters[3]! += 1;
              } else learnArp(p, frame, len, info.l2Length);
            } else if (pr !== DropReason.NOT_IP) drops[pr]! += 1;
            continue;
          }
          if (
            info.family === 6 &&
            info.protocol === IPPROTO_ICMPV6 &&
            info.icmpType === NDISC_NEIGHBOUR_ADVERTISEMENT
          ) {
            learnNa(p, frame);
            continue;
          }
          if (info.family === 6 && info.protocol === IPPROTO_ICMPV6 && info.icmpType === NDISC_NEIGHBOUR_SOLICITATION) {
            // Neighbour discovery is never forwarded: answered here for an IPv6 VIP, else the kernel's.
            if (p.index === 0) {
              const nlen = answerNs(frame, p.mac);
              if (nlen > 0) {
                queueRx(p, off, nlen);
                counters[3]! += 1;
              }
            }
            continue;
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
          if (!fillSummary(frame)) continue;
          const d = processor.process(summary, t);
          if (d.reply && d.verdict === VERDICT_FORWARD && !isServed(d.vaddr, info.family === 4 ? 4 : 16)) {
            drops[DropReason.NOT_SERVING]! += 1;
            continue;
          }
          if (d.verdict !== VERDICT_FORWARD) {
            if (d.verdict === VERDICT_DROP) counters[4]! += 1;
            else counters[5]! += 1;
            continue;
          }
          const gso = (flags & RxFlag.GSO) !== 0;
          const partial = (flags & RxFlag.CSUM_NOT_READY) !== 0;
          const tunnel = !d.reply && d.method === METHOD_TUNNEL;
          // The egress interface and next hop: NAT replies go to the client, everything else to the real server.
          const alen = d.reply ? (info.family === 4 ? 4 : 16) : d.rfamily === 4 ? 4 : 16;
          if (d.reply) route(frame, info.dstAddrOffset, alen);
          else route(d.raddr, 0, alen);
          const e = ports[hopPort]!;
          params.ourMac = e.mac;
          params.mtu = e.mtu;
          // Offload state handed back to the kernel: where the partial checksum starts (0: none).
          let csumStart = 0;
          let csumField = 0;
          if (gso || partial) {
            if (offload && !tunnel) {
              csumField = partialField(rx, i, partial);
              if (csumField === 0) {
                drops[DropReason.OFFLOAD_UNSUPPORTED]! += 1;
                continue;
              }
              csumStart = info.l4Offset;
            } else if (gso) {
              // A tunnel cannot carry a super-frame for the kernel to segment: cut here.
              const mac = nextHopMac(e, t);
              if (mac === undefined) continue;
              params.nextHopMac = mac;
              params.address = setAddr(d.raddr, alen);
              params.port = d.rport;
              params.canFragment = true;
              const v = tunnelSuperFrame(p, e, frame, i, off);
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
          // What cannot leave whole without DF is fragmented, as the kernel's output path does: an encapsulated
          // packet, or one leaving by an interface with a smaller MTU. A super-frame's segments were checked.
          params.canFragment = !gso;
          const mac = nextHopMac(e, t);
          if (mac === undefined) continue;
          params.nextHopMac = mac;
          let v: Verdict = Verdict.DROP;
          if (d.reply) {
            // NAT reply: source becomes VIP:vport.
            params.address = setAddr(d.vaddr, alen);
            params.port = d.vport;
            v = rewriteMasqOut(frame, len, info, params, result);
          } else {
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
            if (!icmpAllowed(frame, t)) {
              drops[DropReason.ICMP_RATE_LIMITED]! += 1;
              continue;
            }
            // An ICMP error goes back out the interface the packet came in by, from that interface's MAC.
            copyBytes(frame, ETH_SRC, p.mac, 0, 6);
            counters[2]! += 1;
            if (pooled < 0) queueRx(p, off, result.length);
            else {
              const j = allocSlot(p);
              copyBytes(p.txViews[j]!, 0, frame, 0, result.length);
              queueTx(p, j, result.length);
            }
            continue;
          }
          counters[1]! += 1;
          if (!gso && result.length - info.l2Length > e.mtu) {
            // Too big for the egress link without DF: fragments, built in send slots from the rewritten frame,
            // each with a complete transport checksum (ip_do_fragment runs skb_checksum_help first).
            if (csumStart !== 0 && completeTransportChecksum(frame, info)) counters[7]! += 1;
            if (!sendFragments(e, frame, result.length)) {
              counters[1]! -= 1;
              drops[DropReason.NEEDS_FRAGMENTATION]! += 1;
            }
            continue;
          }
          let gsoType = 0;
          if (csumStart !== 0) {
            // The rewrite changed addresses (NAT) the pseudo-header covers: the field must hold the new sum.
            writePseudoSum(frame);
            if (gso) {
              counters[8]! += 1;
              gsoType = rx.gsoTypes[i]!;
            }
          }
          const gsoSize = gso ? params.gsoSize : 0;
          if (e === p && pooled < 0) queueRx(p, off, result.length, gsoType, gsoSize, csumStart, csumField);
          else {
            // Out another interface, or reassembled: copied into the send memory (the kernel copies too).
            const j = allocSlot(e);
            copyBytes(e.txViews[j]!, 0, frame, 0, result.length);
            queueTx(e, j, result.length, gsoType, gsoSize, csumStart, csumField);
          }
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
    },
  };

  /**
   * May the ICMP error now in `frame` (built in place at `info.l3Offset`) go out? Asks the rate limiter
   * with its type, code and destination, as `icmp_send` / `icmpv6_send` would.
   */
  function icmpAllowed(frame: Uint8Array, t: number): boolean {
    if (limiter === undefined) return true;
    const l3 = info.l3Offset;
    const v4 = frame[l3]! >> 4 === 4;
    const icmp = l3 + (v4 ? (frame[l3]! & 0x0f) * 4 : 40);
    return limiter.allow(v4 ? 4 : 6, frame[icmp]!, frame[icmp + 1]!, frame, l3 + (v4 ? 16 : 24), t);
  }

  /**
   * The egress interface and next hop for the destination at `bytes[off..off+len)`, into `hopPort`/`hop`:
   * the interface whose connected subnet holds it (the next hop is the destination), else the one with the
   * gateway of its family (the next hop is the gateway), else the first interface (the destination itself, as
   * on one segment). Connected subnets come from the kernel's addresses (IPv6: not the link-local ones).
   */
  function route(bytes: Uint8Array, off: number, len: number): void {
    hopLen = len;
    if (len === 16) {
      const w0 = get32(bytes, off);
      const w1 = get32(bytes, off + 4);
      const w2 = get32(bytes, off + 8);
      const w3 = get32(bytes, off + 12);
      for (let k = 0; k < fib6Port.length; k++) {
        const m = k * 4;
        if (
          (w0 & fib6Mask[m]!) >>> 0 === fib6Net[m] &&
          (w1 & fib6Mask[m + 1]!) >>> 0 === fib6Net[m + 1] &&
          (w2 & fib6Mask[m + 2]!) >>> 0 === fib6Net[m + 2] &&
          (w3 & fib6Mask[m + 3]!) >>> 0 === fib6Net[m + 3]
        ) {
          hopPort = fib6Port[k]!;
          copyBytes(hop, 0, bytes, off, 16);
          return;
        }
      }
      if (gateway6Index >= 0) {
        hopPort = gateway6Index;
        copyBytes(hop, 0, gateway6Addr, 0, 16);
        return;
      }
    } else {
      const a = get32(bytes, off);
      for (let k = 0; k < fibNet.length; k++) {
        if ((a & fibMask[k]!) >>> 0 === fibNet[k]) {
          hopPort = fibPort[k]!;
          copyBytes(hop, 0, bytes, off, 4);
          return;
        }
      }
      if (gatewayIndex >= 0) {
        hopPort = gatewayIndex;
        copyBytes(hop, 0, gatewayAddr, 0, 4);
        return;
      }
    }
    hopPort = 0;
    copyBytes(hop, 0, bytes, off, len);
  }

  /**
   * An ARP reply to one of our own requests (sent by {@link requestArp} on a neighbour miss): resolves the
   * waiting entry of the interface's cache (`resolve4` takes only addresses that are waiting).
   */
  function learnArp(p: Port, frame: Uint8Array, len: number, l2: number): void {
    if (!arp.attach(frame, l2).isValid(len - l2) || arp.operation() !== ARP_REPLY) return;
    if (!bytesEqual(frame, l2 + ARP_THA, p.mac, 0, 6)) return;
    p.neighbours.resolve4(frame, l2 + ARP_SPA, frame, l2 + ARP_SHA);
  }

  /**
   * A neighbour advertisement addressed to our MAC (the answer to {@link requestNs}), after RFC 4861
   * §7.1.2's checks (hop limit 255, code 0, length, checksum): its target link-layer address option resolves
   * the waiting cache entry (`resolve6` takes only addresses that are waiting).
   */
  function learnNa(p: Port, frame: Uint8Array): void {
    const l3 = info.l3Offset;
    const icmp = info.l4Offset;
    const len = info.l4Length;
    if (icmp !== l3 + 40 || frame[l3 + 7] !== 255 || info.icmpCode !== 0 || len < 24) return;
    if (!bytesEqual(frame, ETH_DST, p.mac, 0, 6)) return;
    const ps = pseudoSum6(frame, info.srcAddrOffset, info.dstAddrOffset, IPPROTO_ICMPV6, len);
    if (internetChecksum(frame, icmp, len, ps) !== 0) return;
    // Options after the 24-byte body: type, length in units of 8 bytes, value.
    for (let o = icmp + 24; o + 8 <= icmp + len; ) {
      const olen = frame[o + 1]! * 8;
      if (olen === 0) return;
      if (frame[o] === 2 && olen >= 8) {
        p.neighbours.resolve6(frame, icmp + 8, frame, o + 2);
        return;
      }
      o += olen;
    }
  }

  /**
   * For a frame handed back to the kernel with its checksum left partial: the checksum field's offset from
   * the transport header (TCP 16, UDP 6), or 0 when that cannot be done — not TCP/UDP, a fragment, or (for a
   * frame that came partial) a checksum start that is not this transport header.
   */
  function partialField(rx: RxBatch, i: number, partial: boolean): number {
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
  function writePseudoSum(frame: Uint8Array): void {
    const field = info.l4Offset + (info.protocol === IPPROTO_TCP ? TCP_CHECKSUM : UDP_CHECKSUM);
    const sum =
      info.family === 4
        ? pseudoSum4(frame, info.srcAddrOffset, info.dstAddrOffset, info.protocol, info.l4Length)
        : pseudoSum6(frame, info.srcAddrOffset, info.dstAddrOffset, info.protocol, info.l4Length);
    put16(frame, field, sum);
  }

  /** Is this address (a NAT reply's VIP) served? Addresses that are not VIPs count as served. */
  function isServed(a: Uint8Array, len: number): boolean {
    const list = len === 4 ? vips : vips6;
    const flags = len === 4 ? served4 : served6;
    for (let k = 0; k < list.length; k++) if (bytesEqual(a, 0, list[k]!, 0, len)) return flags[k] === 1;
    return true;
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
    let serving = 1;
    if (alen === 4) {
      for (let k = 0; k < vips.length; k++)
        if (bytesEqual(frame, info.dstAddrOffset, vips[k]!, 0, 4)) {
          toVip = true;
          serving = served4[k]!;
        }
    } else {
      for (let k = 0; k < vips6.length; k++)
        if (bytesEqual(frame, info.dstAddrOffset, vips6[k]!, 0, 16)) {
          toVip = true;
          serving = served6[k]!;
        }
    }
    if (serving === 0) {
      drops[DropReason.NOT_SERVING]! += 1;
      return false;
    }
    summary.direction = toVip ? DIR_IN : DIR_OUT;
    return info.hasTransport || info.isFragment;
  }

  /**
   * Turns a neighbour solicitation (RFC 4861 §4.3) for one of our IPv6 VIPs into the neighbour advertisement
   * (§4.4, §7.2.4), in place, and returns the new frame length; 0 (frame untouched) for anything else. The
   * solicitation must pass §7.1.1's checks: hop limit 255, code 0, at least 24 bytes, a valid checksum, no
   * extension headers between. The advertisement comes from the VIP with the Override flag and the target
   * link-layer address option (our MAC); Solicited and unicast to the asker, or — for duplicate address
   * detection, whose source is unspecified — unsolicited to all nodes (ff02::1).
   */
  function answerNs(frame: Uint8Array, mac: Uint8Array): number {
    const l3 = info.l3Offset;
    const icmp = info.l4Offset;
    if (icmp !== l3 + 40 || frame[l3 + 7] !== 255 || info.icmpCode !== 0 || info.l4Length < 24) return 0;
    const ps = pseudoSum6(frame, info.srcAddrOffset, info.dstAddrOffset, IPPROTO_ICMPV6, info.l4Length);
    if (internetChecksum(frame, icmp, info.l4Length, ps) !== 0) return 0;
    const target = icmp + 8;
    let ours = false;
    for (let k = 0; k < vips6.length; k++)
      if (served6[k] === 1 && bytesEqual(frame, target, vips6[k]!, 0, 16)) ours = true;
    if (!ours) return 0;
    let dad = true;
    for (let k = 0; k < 16; k++) if (frame[l3 + 8 + k] !== 0) dad = false;
    // Ethernet: back to the asker (or to the all-nodes group, 33:33:00:00:00:01), from us.
    if (dad) {
      frame[0] = 0x33;
      frame[1] = 0x33;
      frame[2] = 0;
      frame[3] = 0;
      frame[4] = 0;
      frame[5] = 1;
    } else copyBytes(frame, ETH_DST, frame, ETH_SRC, 6);
    copyBytes(frame, ETH_SRC, mac, 0, 6);
    // IPv6: version 6, traffic class and flow label 0, 32 bytes of ICMPv6, hop limit 255, VIP → asker.
    put32(frame, l3, 0x60000000);
    put16(frame, l3 + 4, 32);
    frame[l3 + 6] = IPPROTO_ICMPV6;
    frame[l3 + 7] = 255;
    if (dad) {
      frame.fill(0, l3 + 24, l3 + 40);
      frame[l3 + 24] = 0xff;
      frame[l3 + 25] = 0x02;
      frame[l3 + 39] = 1;
    } else copyBytes(frame, l3 + 24, frame, l3 + 8, 16);
    copyBytes(frame, l3 + 8, frame, target, 16);
    // ICMPv6 neighbour advertisement: R=0, S (unless DAD), O=1; the target stays where it is.
    frame[icmp] = NDISC_NEIGHBOUR_ADVERTISEMENT;
    frame[icmp + 1] = 0;
    put16(frame, icmp + 2, 0);
    put32(frame, icmp + 4, (dad ? 0 : 0x40000000) | 0x20000000);
    frame[icmp + 24] = 2; // target link-layer address option (RFC 4861 §4.6.1), 1 × 8 bytes
    frame[icmp + 25] = 1;
    copyBytes(frame, icmp + 26, mac, 0, 6);
    const sum = pseudoSum6(frame, l3 + 8, l3 + 24, IPPROTO_ICMPV6, 32);
    put16(frame, icmp + 2, internetChecksum(frame, icmp, 32, sum));
    return icmp + 32;
  }

  /** Turns an ARP request for one of our VIPs into the reply, in place. */
  function answerArp(frame: Uint8Array, len: number, l2: number, mac: Uint8Array): boolean {
    if (!arp.attach(frame, l2).isValid(len - l2) || arp.operation() !== ARP_REQUEST) return false;
    const tpa = l2 + ARP_TPA;
    let ours = false;
    for (let k = 0; k < vips.length; k++) if (served4[k] === 1 && bytesEqual(frame, tpa, vips[k]!, 0, 4)) ours = true;
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
