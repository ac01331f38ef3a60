/**
 * @lvskit/forwarders/testing — the datapath's fakes for users' own tests. {@link MemoryFramePort} is a
 * {@link FramePort} over plain memory: a test injects received frames, runs a batch through the datapath and
 * reads back every frame the datapath sent, with the offload metadata it sent them with — the whole datapath
 * (parse, engine, routing, neighbour misses, fragments, ARP/NDP answers, serving) without root or sockets.
 * It keeps the native socket's memory layout (frame i of a batch at i × frameSize) and its per-frame
 * metadata. This entry must never be imported by production code.
 * @packageDocumentation
 */
import { bytesEqual, canonicalIp, formatMac, LvsError, parseAddress, parseMac } from '@lvskit/base';
import { PacketType, type RxBatch, RxFlag, type TxBatch } from '@lvskit/native';
import type { FramePort, FramePortAddress, FramePortFactory, FramePortRequest } from './frame-port.js';

/** Options of {@link MemoryFramePort}. */
export interface MemoryFramePortOptions {
  /** Interface name the datapath opens it by. */
  readonly ifname: string;
  /** The interface's MAC, `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
  /** MTU (default 1500). */
  readonly mtu?: number;
  /** Interface index (default 2). */
  readonly ifindex?: number;
  /**
   * Addresses on the interface as `address/prefix` (IPv4 and IPv6): the connected subnets the datapath routes
   * by. IPv6 link-local ones (fe80::/10) get link scope, others global.
   */
  readonly addresses?: readonly string[];
  /** The kernel's neighbour table on this interface: MAC by address (change it with {@link MemoryFramePort.neighbours}). */
  readonly neighbours?: Readonly<Record<string, string>>;
  /**
   * Frames one `send`/`sendReceived` call accepts (the kernel's send queue); the rest are refused, as a full
   * queue refuses them. Default: all.
   */
  readonly sendCapacity?: number;
}

/** Per-frame receive metadata a test may set ({@link MemoryFramePort.inject}). */
export interface InjectedFrameMeta {
  /** `PacketType` (default: from the destination MAC — ours HOST, broadcast, multicast, else OTHERHOST). */
  readonly packetType?: number;
  /** `RxFlag` bits (TRUNCATED is set by the port itself for a frame longer than a slot). */
  readonly flags?: number;
  /** GSO type of a super-frame (`GsoType`). */
  readonly gsoType?: number;
  /** Segment payload size of a super-frame. */
  readonly gsoSize?: number;
  /** Where a partial checksum starts, from the frame's first byte. */
  readonly csumStart?: number;
  /** Checksum field position from `csumStart`. */
  readonly csumOffset?: number;
}

/** One frame the datapath sent through a {@link MemoryFramePort}, copied out with its send metadata. */
export interface SentFrame {
  /** The frame's bytes (a copy). */
  readonly bytes: Uint8Array;
  /** True when it was sent from the receive memory (rewritten in place, `sendReceived`). */
  readonly inPlace: boolean;
  /** GSO type it was sent with (0: a plain frame). */
  readonly gsoType: number;
  /** GSO segment size it was sent with. */
  readonly gsoSize: number;
  /** Partial checksum start it was sent with (0: checksums complete). */
  readonly csumStart: number;
  /** Partial checksum field offset it was sent with. */
  readonly csumOffset: number;
}

interface Pending {
  readonly bytes: Uint8Array;
  readonly meta: InjectedFrameMeta;
}

function parseCidr(text: string): FramePortAddress {
  const slash = text.indexOf('/');
  if (slash < 0) throw new LvsError('INVALID_ARGUMENT', `MemoryFramePort: address needs a prefix length: ${text}`);
  const { family, bytes } = parseAddress(text.slice(0, slash));
  const prefixLength = Number(text.slice(slash + 1));
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > (family === 4 ? 32 : 128)) {
    throw new LvsError('INVALID_ARGUMENT', `MemoryFramePort: bad prefix length in ${text}`);
  }
  const linkLocal = family === 6 && bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
  return { family, address: text.slice(0, slash), prefixLength, scope: linkLocal ? 253 : 0 };
}

const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/**
 * A {@link FramePort} over memory. Create one per interface, hand them to the datapath with
 * {@link MemoryFramePort.factory}, then per batch: {@link MemoryFramePort.inject} frames,
 * {@link MemoryFramePort.flush} them through the datapath, and {@link MemoryFramePort.takeSent} what came
 * out (of this interface). Its memory is allocated when the datapath opens it, in the slot size the datapath
 * asks for; accessing `rx`/`tx` before that throws `INVALID_ARGUMENT`.
 * @example
 * const lan = new MemoryFramePort({ ifname: 'eth0', mac: '02:00:00:00:00:fe', addresses: ['198.18.0.1/24'] });
 * const dp = createDatapath({ ifname: 'eth0', vips: ['198.18.0.100'], framePort: MemoryFramePort.factory(lan) });
 * await lvs.start({ packets: dp });
 * lan.inject(frame);
 * lan.flush();
 * const [reply] = lan.takeSent();
 */
export class MemoryFramePort implements FramePort {
  /** Interface name. */
  readonly ifname: string;
  /** Interface index. */
  readonly ifindex: number;
  /** The interface's MAC. */
  readonly mac: Uint8Array;
  /** MTU. */
  readonly mtu: number;
  /** The interface's addresses. */
  readonly addresses: readonly FramePortAddress[];
  /** The kernel's neighbour table on this interface (MAC text by address text); tests may change it. */
  readonly neighbours: Map<string, string>;
  /** Neighbour-table queries the datapath made (each miss in its cache that reached the "kernel"). */
  neighbourQueries = 0;
  /** What the datapath asked for when it opened this port (undefined before). */
  request: FramePortRequest | undefined;
  /** Frames refused because a send call went over `sendCapacity`. */
  refused = 0;
  readonly #sendCapacity: number;
  readonly #pending: Pending[] = [];
  readonly #sent: SentFrame[] = [];
  #rx: RxBatch | undefined;
  #tx: TxBatch | undefined;
  #handler: ((count: number) => void) | undefined;
  #closed = false;

  /** @param options - the interface's facts; throws `INVALID_ARGUMENT` for a bad MAC or address */
  constructor(options: MemoryFramePortOptions) {
    this.ifname = options.ifname;
    this.ifindex = options.ifindex ?? 2;
    this.mac = parseMac(options.mac);
    this.mtu = options.mtu ?? 1500;
    this.addresses = (options.addresses ?? []).map(parseCidr);
    this.neighbours = new Map(
      Object.entries(options.neighbours ?? {}).map(([a, m]) => [canonicalIp(a), formatMac(parseMac(m))]),
    );
    this.#sendCapacity = options.sendCapacity ?? Number.POSITIVE_INFINITY;
  }

  /**
   * A {@link FramePortFactory} that opens these ports by interface name (for `DatapathOptions.framePort`);
   * an interface without a port throws `INVALID_ARGUMENT`, as a missing interface would.
   */
  static factory(...ports: MemoryFramePort[]): FramePortFactory {
    return (request) => {
      const port = ports.find((p) => p.ifname === request.ifname);
      if (port === undefined) throw new LvsError('INVALID_ARGUMENT', `MemoryFramePort: no port for ${request.ifname}`);
      port.open(request);
      return port;
    };
  }

  /** Frames per batch (the request's; 0 before open). */
  get batchSize(): number {
    return this.request?.batchSize ?? 0;
  }

  /** Bytes per slot (the request's; 0 before open). */
  get frameSize(): number {
    return this.request?.frameSize ?? 0;
  }

  /** Receive memory (after open). */
  get rx(): RxBatch {
    if (this.#rx === undefined) throw new LvsError('INVALID_ARGUMENT', `MemoryFramePort ${this.ifname}: not open`);
    return this.#rx;
  }

  /** Send memory (after open). */
  get tx(): TxBatch {
    if (this.#tx === undefined) throw new LvsError('INVALID_ARGUMENT', `MemoryFramePort ${this.ifname}: not open`);
    return this.#tx;
  }

  /** True while open (between the datapath's `open` and `close`). */
  get isOpen(): boolean {
    return this.#rx !== undefined && !this.#closed;
  }

  /** Allocates the batch memory for `request` (called by {@link MemoryFramePort.factory}). */
  open(request: FramePortRequest): void {
    const n = request.batchSize;
    const size = request.frameSize;
    this.request = request;
    this.#closed = false;
    this.#rx = {
      buffer: Buffer.alloc(n * size),
      offsets: Uint32Array.from({ length: n }, (_, i) => i * size),
      lengths: new Uint32Array(n),
      packetTypes: new Uint8Array(n),
      flags: new Uint8Array(n),
      gsoTypes: new Uint8Array(n),
      gsoSizes: new Uint16Array(n),
      csumStarts: new Uint16Array(n),
      csumOffsets: new Uint16Array(n),
    };
    this.#tx = {
      buffer: Buffer.alloc(n * size),
      offsets: Uint32Array.from({ length: n }, (_, i) => i * size),
      lengths: new Uint32Array(n),
      gsoTypes: new Uint8Array(n),
      gsoSizes: new Uint16Array(n),
      csumStarts: new Uint16Array(n),
      csumOffsets: new Uint16Array(n),
    };
  }

  /** Queues one frame as received on this interface (copied now); delivered by {@link MemoryFramePort.flush}. */
  inject(frame: Uint8Array, meta: InjectedFrameMeta = {}): void {
    this.#pending.push({ bytes: Uint8Array.from(frame), meta });
  }

  /**
   * Hands every queued frame to the datapath, `batchSize` at a time, as the socket's poll would: each batch
   * is written at i × frameSize with its metadata, then the batch handler runs. Returns the frames delivered
   * (0 when the port is closed or the datapath has not started).
   */
  flush(): number {
    if (!this.isOpen || this.#handler === undefined) return 0;
    const rx = this.rx;
    const size = this.frameSize;
    let delivered = 0;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.batchSize);
      for (const [i, f] of batch.entries()) {
        const cut = f.bytes.length > size;
        const len = cut ? size : f.bytes.length;
        rx.buffer.set(f.bytes.subarray(0, len), i * size);
        rx.offsets[i] = i * size;
        rx.lengths[i] = len;
        rx.packetTypes[i] = f.meta.packetType ?? this.#packetType(f.bytes);
        rx.flags[i] = (f.meta.flags ?? 0) | (cut ? RxFlag.TRUNCATED : 0);
        rx.gsoTypes[i] = f.meta.gsoType ?? 0;
        rx.gsoSizes[i] = f.meta.gsoSize ?? 0;
        rx.csumStarts[i] = f.meta.csumStart ?? 0;
        rx.csumOffsets[i] = f.meta.csumOffset ?? 0;
      }
      this.#handler(batch.length);
      delivered += batch.length;
    }
    return delivered;
  }

  /** Injects `frames`, flushes them, and returns what this port sent meanwhile (and earlier, not yet taken). */
  receive(...frames: Uint8Array[]): SentFrame[] {
    for (const f of frames) this.inject(f);
    this.flush();
    return this.takeSent();
  }

  /** Every frame sent out this port since the last call, in order; clears the list. */
  takeSent(): SentFrame[] {
    return this.#sent.splice(0);
  }

  /** Frames sent and not taken yet. */
  get sentCount(): number {
    return this.#sent.length;
  }

  /** {@link FramePort.send}: records frames 0..count-1 of `tx` (from the send memory). */
  send(count: number): number {
    return this.#record(count, false);
  }

  /** {@link FramePort.sendReceived}: records frames 0..count-1 of `tx` (from the receive memory). */
  sendReceived(count: number): number {
    return this.#record(count, true);
  }

  /** {@link FramePort.onBatch}. */
  onBatch(handler: (count: number) => void): void {
    this.#handler = handler;
  }

  /** {@link FramePort.neighbour}: looks the address up in {@link MemoryFramePort.neighbours}. */
  neighbour(address: string): string | undefined {
    this.neighbourQueries += 1;
    return this.neighbours.get(canonicalIp(address));
  }

  /** {@link FramePort.close}: stops delivery; queued frames are dropped. */
  close(): void {
    this.#closed = true;
    this.#handler = undefined;
    this.#pending.length = 0;
  }

  #record(count: number, inPlace: boolean): number {
    const tx = this.tx;
    const from = inPlace ? this.rx.buffer : tx.buffer;
    const n = Math.min(count, this.#sendCapacity);
    for (let i = 0; i < n; i++) {
      const off = tx.offsets[i]!;
      this.#sent.push({
        bytes: Uint8Array.from(from.subarray(off, off + tx.lengths[i]!)),
        inPlace,
        gsoType: tx.gsoTypes[i]!,
        gsoSize: tx.gsoSizes[i]!,
        csumStart: tx.csumStarts[i]!,
        csumOffset: tx.csumOffsets[i]!,
      });
    }
    this.refused += count - n;
    return n;
  }

  #packetType(f: Uint8Array): number {
    if (f.length < 6) return PacketType.HOST;
    if (bytesEqual(f, 0, this.mac, 0, 6)) return PacketType.HOST;
    if (bytesEqual(f, 0, BROADCAST, 0, 6)) return PacketType.BROADCAST;
    if ((f[0]! & 1) !== 0) return PacketType.MULTICAST;
    return PacketType.OTHERHOST;
  }
}
