/**
 * The seam under the datapath: a {@link FramePort} is one interface's frames in batches — receive memory the
 * datapath rewrites in place, send memory it builds frames in, `send` / `sendReceived` to hand a batch to the
 * link — plus the few facts about that interface the datapath needs (MAC, MTU, its addresses, the kernel's
 * neighbour entries). It is exactly the batch surface of `@lvskit/native`'s AF_PACKET `PacketSocket`, so the
 * default {@link openNativeFramePort} adds nothing per frame; `MemoryFramePort` (`@lvskit/forwarders/testing`)
 * is the same surface over plain memory, so routing, neighbour misses, fragments and ARP/NDP answers run
 * without root. This file owns the interface and the native opener; it must never look inside a frame.
 */
import { bytesEqual, type Family, get32, parseAddress } from '@lvskit/base';
import { getNeighbour, interfaceInfo, listAddresses, PacketSocket, type RxBatch, type TxBatch } from '@lvskit/native';
import { datapathFilter } from './port-filter.js';

/** One address configured on a frame port's interface (as the kernel lists it). */
export interface FramePortAddress {
  /** 4 or 6. */
  readonly family: Family;
  /** The address, in text form. */
  readonly address: string;
  /** Prefix length of its connected subnet (0: none). */
  readonly prefixLength: number;
  /** Scope (0 global, 200 site, 253 link, 254 host), as rtnetlink reports it. */
  readonly scope: number;
}

/** What the datapath asks of one interface when it opens ({@link FramePortFactory}). */
export interface FramePortRequest {
  /** Interface name. */
  readonly ifname: string;
  /** Network namespace (name under /run/netns); undefined for the process's own. */
  readonly netns: string | undefined;
  /** Frames per batch. */
  readonly batchSize: number;
  /**
   * Offload on: 64 KiB slots with per-frame GSO and partial-checksum metadata (PACKET_VNET_HDR) in
   * `rx`/`tx`. Off: 2 KiB slots, the metadata arrays stay zero.
   */
  readonly offload: boolean;
  /** Bytes per frame slot the datapath expects (65,664 with offload, else 2,048). */
  readonly frameSize: number;
  /** Ethernet multicast groups to receive (the VIPs' solicited-node groups), `aa:bb:cc:dd:ee:ff`. */
  readonly multicast: readonly string[];
  /**
   * Keep in the kernel what is addressed to the host's own addresses and non-IP EtherTypes, instead of
   * copying every frame to the datapath (a socket filter; a memory port may ignore it).
   */
  readonly filter: boolean;
  /** Addresses never to count as the host's own for that filter (the VIPs, 4 or 16 bytes each). */
  readonly vips: readonly Uint8Array[];
}

/**
 * One interface's frames in batches: the surface of `@lvskit/native`'s `PacketSocket` the datapath uses.
 * After the batch handler is called with `count`, frame i is `rx.buffer[rx.offsets[i] .. + rx.lengths[i])`
 * and lies at i × `frameSize` (recvmmsg's layout, which the datapath relies on), valid until the handler
 * returns. Frames to send are described by `tx.offsets`/`tx.lengths` (and the offload fields) and point into
 * `tx.buffer` (`send`) or into `rx.buffer` (`sendReceived`, frames rewritten in place).
 */
export interface FramePort {
  /** Interface name. */
  readonly ifname: string;
  /** Interface index (as in {@link FramePortAddress} listings). */
  readonly ifindex: number;
  /** The interface's MAC (6 bytes). */
  readonly mac: Uint8Array;
  /** The interface's MTU (IP packet size, no Ethernet header). */
  readonly mtu: number;
  /** The interface's addresses, in the kernel's listing order. */
  readonly addresses: readonly FramePortAddress[];
  /** Frames per batch. */
  readonly batchSize: number;
  /** Bytes per frame slot in `rx.buffer` and `tx.buffer`. */
  readonly frameSize: number;
  /** Receive memory and per-frame metadata, refilled by every batch. */
  readonly rx: RxBatch;
  /** Send memory and per-frame descriptors. */
  readonly tx: TxBatch;
  /** Sends frames 0..count-1 of `tx` (in `tx.buffer`); returns how many the link took. */
  send(count: number): number;
  /** Sends frames 0..count-1 of `tx` whose offsets point into `rx.buffer`; returns how many the link took. */
  sendReceived(count: number): number;
  /** Calls `handler(count)` for every received batch (a second call replaces it). */
  onBatch(handler: (count: number) => void): void;
  /** The kernel's neighbour entry (MAC text) for `address` on this interface, or undefined. Control path. */
  neighbour(address: string): string | undefined;
  /** Stops delivery and releases the port. Idempotent. */
  close(): void;
}

/** Opens the frame port of one interface for the datapath; throws (an `LvsError`) when it cannot. */
export type FramePortFactory = (request: FramePortRequest) => FramePort;

/**
 * The default {@link FramePortFactory}: an AF_PACKET `PacketSocket` from `@lvskit/native` bound to the
 * interface (in `netns`), with the VIPs' solicited-node groups joined, PACKET_VNET_HDR and 64 KiB slots when
 * offload is on, and the datapath's BPF filter (`datapathFilter`: the namespace's own addresses, VIPs left
 * out) attached when `filter` is set. Needs CAP_NET_RAW (and CAP_SYS_ADMIN for a namespace).
 */
export function openNativeFramePort(request: FramePortRequest): FramePort {
  const nsOpt = request.netns === undefined ? {} : { netns: request.netns };
  const info = interfaceInfo(request.ifname, nsOpt);
  const all = listAddresses(nsOpt);
  const isVip = (a: Uint8Array, n: number) => request.vips.some((v) => v.length === n && bytesEqual(a, 0, v, 0, n));
  const program = request.filter
    ? datapathFilter(
        all
          .filter((a) => a.family === 4)
          .map((a) => parseAddress(a.address).bytes)
          .filter((b) => !isVip(b, 4))
          .map((b) => get32(b, 0)),
        all
          .filter((a) => a.family === 6)
          .map((a) => parseAddress(a.address).bytes.slice(0, 16))
          .filter((b) => !isVip(b, 16)),
      )
    : undefined;
  const sock = PacketSocket.open({
    ifname: info.name,
    ...nsOpt,
    batchSize: request.batchSize,
    ...(request.multicast.length > 0 ? { multicast: request.multicast } : {}),
    ...(request.offload ? { vnetHdr: true } : {}),
    frameSize: request.frameSize,
  });
  if (program !== undefined) {
    try {
      sock.setFilter(program);
    } catch (err) {
      sock.close();
      throw err;
    }
  }
  const addresses = all
    .filter((a) => a.ifindex === info.index)
    .map((a) => ({ family: a.family, address: a.address, prefixLength: a.prefixLength, scope: a.scope }));
  return {
    ifname: info.name,
    ifindex: info.index,
    mac: Uint8Array.from(info.macBytes),
    mtu: info.mtu,
    addresses,
    batchSize: sock.batchSize,
    frameSize: sock.frameSize,
    rx: sock.rx,
    tx: sock.tx,
    send: (count) => sock.send(count),
    sendReceived: (count) => sock.sendReceived(count),
    onBatch: (handler) => sock.onBatch(handler),
    neighbour: (address) => getNeighbour({ ifname: info.name, netns: request.netns, address })?.mac,
    close: () => sock.close(),
  };
}
