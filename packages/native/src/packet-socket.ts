/**
 * AF_PACKET sockets for the datapath: one socket bound to one interface (optionally in a named network
 * namespace), receiving and sending whole Ethernet frames in batches (recvmmsg / sendmmsg) through buffers
 * allocated once when the socket opens. A batch is described by per-packet offsets and lengths in typed
 * arrays — never a JavaScript object per packet — and readiness comes from libuv (uv_poll), which calls the
 * handler once per batch. Nothing here allocates on the receive or send path; it must stay that way.
 */
import { markAsUntransferable } from 'node:worker_threads';
import { LvsError, parseMac } from '@lvskit/base';
import { native, type RawPacketSocket } from './binding.js';
import { type BpfInstruction, encodeBpf } from './bpf.js';
import { toLvsError } from './errors.js';
import { validate } from './netlink.js';

/** EtherType that matches every protocol (linux/if_ether.h ETH_P_ALL). */
export const ETH_P_ALL = 0x0003;

/** `rx.packetTypes` values (linux/if_packet.h PACKET_*): who the frame was addressed to. */
export const PacketType = {
  /** To us (our MAC). */
  HOST: 0,
  /** Broadcast. */
  BROADCAST: 1,
  /** Multicast. */
  MULTICAST: 2,
  /** To another host (seen in promiscuous mode). */
  OTHERHOST: 3,
  /** Sent by this host (only when `ignoreOutgoing` is false). */
  OUTGOING: 4,
} as const;

/**
 * Bits of `rx.flags` (from the kernel's per-frame `tp_status`: PACKET_AUXDATA with recvmmsg, the
 * `tpacket3_hdr` in a ring; linux/if_packet.h), plus {@link RxFlag.TRUNCATED}, set by the addon.
 */
export const RxFlag = {
  /**
   * TP_STATUS_CSUMNOTREADY: the transport checksum is not computed yet (CHECKSUM_PARTIAL — a frame sent by
   * a local socket over a veth, with tx checksum offload on). Its checksum field holds only the
   * pseudo-header sum; forwarding it as is delivers a corrupt segment.
   */
  CSUM_NOT_READY: 1,
  /** TP_STATUS_CSUM_VALID: the device (or kernel) already verified the transport checksum. */
  CSUM_VALID: 2,
  /**
   * The frame was longer than its receive slot and was cut to it (recvmmsg: `MSG_TRUNC` in the message's
   * `msg_flags`; ring: `tp_snaplen < tp_len`) — typically a GSO/GRO super-frame. Only the slot's bytes are
   * there; forwarding them would send a corrupt packet. Also counted in `stats().truncated`.
   */
  TRUNCATED: 4,
  /**
   * A GSO/GRO super-frame (only with `vnetHdr`): one IP packet larger than the link's MTU that the kernel
   * would cut into `rx.gsoSizes[i]`-byte segments of type `rx.gsoTypes[i]` on its way out of a NIC. Forward
   * it whole with the same values in `tx.gsoTypes`/`tx.gsoSizes` and the kernel segments it (or the next
   * device does).
   */
  GSO: 8,
} as const;

/**
 * `gsoTypes` values (the `gso_type` of include/uapi/linux/virtio_net.h, VIRTIO_NET_HDR_GSO_*): how a
 * super-frame is to be segmented. {@link GsoType.ECN} is a flag bit on top of a type.
 */
export const GsoType = {
  /** Not a super-frame. */
  NONE: 0,
  /** TCP over IPv4 (TSO). */
  TCPV4: 1,
  /** UDP fragmentation offload (UFO: one UDP datagram, cut into IP fragments). */
  UDP: 3,
  /** TCP over IPv6. */
  TCPV6: 4,
  /** UDP segmentation (UDP_SEGMENT / USO: one UDP header per segment). */
  UDP_L4: 5,
  /** Flag: the TCP sender set ECN CWR; only the first segment carries it. */
  ECN: 0x80,
} as const;

/** Options of {@link PacketSocket.open}. */
export interface PacketSocketOptions {
  /** Interface to bind. */
  readonly ifname: string;
  /** Network namespace (name under /run/netns) where the interface lives; default the caller's. */
  readonly netns?: string | undefined;
  /** Frames per batch, 1–1024. Default 64. */
  readonly batchSize?: number;
  /** Bytes per frame slot, 64–131072; longer frames are truncated (and counted). Default 2048. */
  readonly frameSize?: number;
  /** EtherType to receive (host order), e.g. 0x0800; default every protocol ({@link ETH_P_ALL}). */
  readonly protocol?: number;
  /** Receive frames for other MACs too (PACKET_MR_PROMISC, dropped when the socket closes). Default false. */
  readonly promiscuous?: boolean;
  /**
   * Link-layer multicast groups to receive ("33:33:ff:00:00:64"), joined with PACKET_MR_MULTICAST for the
   * socket's lifetime: e.g. the solicited-node group of an IPv6 address the host itself does not own.
   */
  readonly multicast?: readonly string[];
  /** Do not receive what this host sends on the interface (PACKET_IGNORE_OUTGOING). Default true. */
  readonly ignoreOutgoing?: boolean;
  /** Send straight to the driver, skipping the qdisc (PACKET_QDISC_BYPASS). Default false. */
  readonly qdiscBypass?: boolean;
  /** Socket receive and send buffer size in bytes (SO_RCVBUFFORCE/SO_SNDBUFFORCE). Default 4 MiB. */
  readonly bufferBytes?: number;
  /**
   * PACKET_VNET_HDR: receive each frame's offload metadata (GSO type and segment size of a super-frame,
   * where a partial checksum starts) into `rx.gsoTypes`, `rx.gsoSizes`, `rx.csumStarts`, `rx.csumOffsets`,
   * and send with the same fields from `tx`, so the kernel finishes partial checksums and segments
   * super-frames. Super-frames are up to 64 KiB: give a `frameSize` of 65,600 or more to receive them whole.
   * Not with `rxRing`. Default false.
   */
  readonly vnetHdr?: boolean;
  /**
   * Receive through a TPACKET_V3 ring (zero-copy: `rx.buffer` is the ring itself and `rx.offsets` point
   * into it) instead of recvmmsg. The kernel hands over a block when it is full or `timeoutMs` after its
   * first frame, so at low rates a frame can wait up to that long. Omit for recvmmsg (the default).
   */
  readonly rxRing?: RxRingOptions;
}

/** Geometry of a TPACKET_V3 receive ring. */
export interface RxRingOptions {
  /** Bytes per block, a multiple of the page size. Default 256 KiB. */
  readonly blockSize?: number;
  /** Number of blocks, 2–4096. Default 32. */
  readonly blockCount?: number;
  /** Block retire timeout in milliseconds, 1–1000. Default 1. */
  readonly timeoutMs?: number;
}

/**
 * The receive side: after a batch of `count`, frame i is `buffer[offsets[i] .. offsets[i] + lengths[i]]`,
 * valid until the next receive (or until the batch handler returns).
 */
export interface RxBatch {
  /** Frame memory reused by every batch: `batchSize × frameSize` slots, or the whole ring with `rxRing`. */
  readonly buffer: Buffer;
  /** Start of each frame (i × frameSize with recvmmsg; anywhere in the ring with `rxRing`). */
  readonly offsets: Uint32Array;
  /** Length of each received frame (valid for i < count). */
  readonly lengths: Uint32Array;
  /** {@link PacketType} of each received frame. */
  readonly packetTypes: Uint8Array;
  /** {@link RxFlag} bits of each received frame (one byte per frame, no object per frame). */
  readonly flags: Uint8Array;
  /** With `vnetHdr`: {@link GsoType} of each frame (NONE unless {@link RxFlag.GSO}). */
  readonly gsoTypes: Uint8Array;
  /** With `vnetHdr`: payload bytes per segment of a super-frame (the sender's MSS for TCP). */
  readonly gsoSizes: Uint16Array;
  /**
   * With `vnetHdr`: where the partial checksum's coverage starts, from the frame's first byte (the transport
   * header); 0 unless {@link RxFlag.CSUM_NOT_READY}.
   */
  readonly csumStarts: Uint16Array;
  /** With `vnetHdr`: where the checksum field is, from `csumStarts[i]` (16 for TCP, 6 for UDP). */
  readonly csumOffsets: Uint16Array;
}

/** The send side: write frames into `buffer`, set `offsets[i]`/`lengths[i]`, then `send(count)`. */
export interface TxBatch {
  /** Frame space, `batchSize × frameSize` bytes. */
  readonly buffer: Buffer;
  /** Where frame i starts (preset to i × frameSize; may be changed, e.g. to send one frame twice). */
  readonly offsets: Uint32Array;
  /** Length of frame i (at least 14, the Ethernet header). */
  readonly lengths: Uint32Array;
  /**
   * With `vnetHdr`: {@link GsoType} of frame i. A super-frame (anything but NONE) needs `gsoSizes[i]` and a
   * partial checksum (`csumStarts[i]`); the kernel segments it. Set it for every frame sent (0 otherwise).
   */
  readonly gsoTypes: Uint8Array;
  /** With `vnetHdr`: segment payload size of a super-frame. */
  readonly gsoSizes: Uint16Array;
  /**
   * With `vnetHdr`: non-zero asks the kernel to finish the transport checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM):
   * the one's-complement sum from this offset to the frame's end, stored at `csumStarts[i] + csumOffsets[i]`,
   * whose field must hold the pseudo-header sum. 0 sends the frame's checksums as they are.
   */
  readonly csumStarts: Uint16Array;
  /** With `vnetHdr`: checksum field position relative to `csumStarts[i]`. */
  readonly csumOffsets: Uint16Array;
}

/** Counters of one socket. */
export interface PacketSocketStats {
  /** Frames handed to JavaScript. */
  readonly received: number;
  /** Frames the kernel accepted for sending. */
  readonly sent: number;
  /** Received frames longer than `frameSize` (truncated). */
  readonly truncated: number;
  /** Frames not sent because the kernel rejected them as too big for the interface (EMSGSIZE). */
  readonly txDropped: number;
  /** Frames the kernel queued to this socket (PACKET_STATISTICS tp_packets, accumulated). */
  readonly kernelPackets: number;
  /** Frames the kernel dropped because the socket's queue was full (tp_drops, accumulated). */
  readonly kernelDrops: number;
}

/**
 * An AF_PACKET socket bound to one interface with batched, allocation-free receive and send.
 * @example
 * const sock = PacketSocket.open({ ifname: 'eth0', netns: host.ns });
 * sock.onBatch((count) => {
 *   for (let i = 0; i < count; i++) handle(sock.rx.buffer, sock.rx.offsets[i]!, sock.rx.lengths[i]!);
 * });
 */
export class PacketSocket {
  /** Interface name. */
  readonly ifname: string;
  /** Namespace it was opened in, if any. */
  readonly netns: string | undefined;
  /** Interface index (in that namespace). */
  readonly ifindex: number;
  /** Frames per batch. */
  readonly batchSize: number;
  /** Bytes per frame slot. */
  readonly frameSize: number;
  /** True when opened with `vnetHdr` (offload metadata in `rx`/`tx`). */
  readonly vnetHdr: boolean;
  /** Receive buffers, refilled by every batch. */
  readonly rx: RxBatch;
  /** Send buffers. */
  readonly tx: TxBatch;
  readonly #raw: RawPacketSocket;
  #closed = false;

  private constructor(raw: RawPacketSocket, options: PacketSocketOptions) {
    this.#raw = raw;
    this.ifname = options.ifname;
    this.netns = options.netns;
    this.ifindex = raw.ifindex;
    this.batchSize = raw.batchSize;
    this.frameSize = raw.frameSize;
    this.vnetHdr = raw.vnetHdr === true;
    this.rx = {
      buffer: raw.rxBuffer,
      offsets: raw.rxOffsets,
      lengths: raw.rxLengths,
      packetTypes: raw.rxPacketTypes,
      flags: raw.rxFlags,
      gsoTypes: raw.rxGsoTypes,
      gsoSizes: raw.rxGsoSizes,
      csumStarts: raw.rxCsumStarts,
      csumOffsets: raw.rxCsumOffsets,
    };
    this.tx = {
      buffer: raw.txBuffer,
      offsets: raw.txOffsets,
      lengths: raw.txLengths,
      gsoTypes: raw.txGsoTypes,
      gsoSizes: raw.txGsoSizes,
      csumStarts: raw.txCsumStarts,
      csumOffsets: raw.txCsumOffsets,
    };
  }

  /**
   * Opens a non-blocking packet socket bound to `ifname`.
   * @throws LvsError `NATIVE_PERMISSION` without CAP_NET_RAW (or CAP_SYS_ADMIN for `netns`),
   *   `NATIVE_NO_INTERFACE`, `NATIVE_NO_NETNS`, `NATIVE_UNSUPPORTED`/`NATIVE_NOT_BUILT`, `INVALID_ARGUMENT`
   */
  static open(options: PacketSocketOptions): PacketSocket {
    validate.checkIfname(options.ifname);
    validate.checkNetns(options.netns);
    const { multicast, ...rest } = options;
    const groups = multicast?.map((m) => Buffer.from(parseMac(m)));
    const b = native();
    try {
      const raw = new b.PacketSocket({ ...rest, ...(groups === undefined ? {} : { multicast: groups }) });
      // An addon built from older sources lacks the per-frame flags; forwarding would then silently skip
      // checksum completion, so refuse it with the rebuild hint instead.
      if (!(raw.rxFlags instanceof Uint8Array) || !(raw.txCsumStarts instanceof Uint16Array)) {
        raw.close();
        throw new LvsError(
          'NATIVE_NOT_BUILT',
          'native: the built addon is older than its sources (no rxFlags or offload fields); run `npm rebuild @lvskit/native`',
        );
      }
      // The addon keeps raw pointers into these buffers: transferring one to a worker (postMessage with a
      // transfer list) would detach it and leave the addon writing into freed memory. Marked, they are copied
      // instead of moved.
      for (const b of [raw.rxBuffer, raw.txBuffer]) markAsUntransferable(b.buffer);
      return new PacketSocket(raw, options);
    } catch (err) {
      throw toLvsError(err, `open packet socket on ${options.ifname}${options.netns ? ` in ${options.netns}` : ''}`);
    }
  }

  /** True once {@link PacketSocket.close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  #check(): void {
    if (this.#closed) throw new LvsError('NATIVE_CLOSED', `native: packet socket on ${this.ifname} is closed`);
  }

  /**
   * Receives one batch without waiting (recvmmsg, MSG_DONTWAIT) into {@link PacketSocket.rx}.
   * @returns the number of frames, 0 when none is waiting
   */
  receive(): number {
    this.#check();
    try {
      return this.#raw.receive();
    } catch (err) {
      throw toLvsError(err, 'receive');
    }
  }

  /**
   * Sends frames 0..count-1 described by {@link PacketSocket.tx} in one sendmmsg. A frame larger than the
   * interface's MTU allows is dropped and counted (`stats().txDropped`) without stopping the batch.
   * @returns how many frames were consumed, sent or dropped (fewer than `count` only when the kernel's
   *   queue is full; resend the rest)
   */
  send(count: number): number {
    this.#check();
    try {
      return this.#raw.send(count);
    } catch (err) {
      throw toLvsError(err, 'send');
    }
  }

  /**
   * Sends received frames without copying them: like {@link PacketSocket.send}, but `tx.offsets[i]` and
   * `tx.lengths[i]` describe frames inside `rx.buffer` (typically `rx.offsets[j]` of a frame rewritten in
   * place). Call it before the next receive, while those frames are still valid.
   * @returns how many frames were consumed, sent or dropped
   */
  sendReceived(count: number): number {
    this.#check();
    try {
      return this.#raw.send(count, true);
    } catch (err) {
      throw toLvsError(err, 'send');
    }
  }

  /**
   * Calls `handler(count)` from the event loop for each received batch (uv_poll readiness, then recvmmsg;
   * at most 16 batches per wake-up so timers still run). The frames are valid only until the handler
   * returns. A second call replaces the handler. `onError` gets receive failures (the socket keeps polling).
   */
  onBatch(handler: (count: number) => void, onError?: (err: LvsError) => void): void {
    this.#check();
    try {
      this.#raw.startPolling((c) => {
        if (typeof c === 'number') handler(c);
        else if (onError !== undefined) onError(toLvsError(c, 'receive'));
      });
    } catch (err) {
      throw toLvsError(err, 'start polling');
    }
  }

  /**
   * Attaches a classic BPF program (SO_ATTACH_FILTER): from then on the kernel queues to this socket only the
   * frames the program accepts, and cuts each to the length it returns. `null` detaches it.
   * @throws LvsError `INVALID_ARGUMENT` for a program out of range or one the kernel's verifier refuses
   */
  setFilter(program: readonly BpfInstruction[] | null): void {
    this.#check();
    const bytes = program === null ? null : encodeBpf(program);
    try {
      this.#raw.setFilter(bytes);
    } catch (err) {
      // EINVAL from SO_ATTACH_FILTER is the kernel's verifier refusing the program: the caller's argument.
      if ((err as { errno?: unknown }).errno === 22) {
        throw new LvsError('INVALID_ARGUMENT', 'native: the kernel refused the filter program (EINVAL)', {
          cause: err,
        });
      }
      throw toLvsError(err, 'attach filter');
    }
  }

  /** Stops calling the batch handler (frames queue in the kernel until {@link PacketSocket.onBatch} again). */
  pause(): void {
    if (!this.#closed) this.#raw.stopPolling();
  }

  /** Lets the process exit even while polling (like `socket.unref()`). */
  unref(): void {
    if (!this.#closed) this.#raw.setRef(false);
  }

  /** Undoes {@link PacketSocket.unref}. */
  ref(): void {
    if (!this.#closed) this.#raw.setRef(true);
  }

  /** Counters; the kernel's are read (and accumulated) now. */
  stats(): PacketSocketStats {
    return this.#raw.stats();
  }

  /** Stops polling and closes the socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#raw.close();
  }
}
