/**
 * The real-server side of LVS-TUN for kernels without the `ipip` module: a user-space decapsulator. It
 * receives IPIP (IP protocol 4) with a raw socket (the `raw-socket` package), checks the outer and inner
 * IPv4 headers, keeps only packets addressed to one of its VIPs (and, when given, sent by one of its
 * directors), and hands the inner packet to the local stack by sending it, header included, through an
 * IPPROTO_RAW socket (IP_HDRINCL) to the VIP — which is local, so the kernel loops it back and delivers it to
 * the listening socket; replies then leave the real server straight for the client, as LVS-TUN intends.
 * Owns the decapsulation checks (a pure function) and the two sockets; must never forward anything that is
 * not for its VIPs, and never throw from the receive path (drops are counted).
 */
import { createRequire } from 'node:module';
import { get16, internetChecksum, LvsError, parseAddress } from '@lvskit/base';
import {
  IPPROTO_IPIP,
  IPV4_DST,
  IPV4_FLAGS_FRAGOFF,
  IPV4_MIN_SIZE,
  IPV4_PROTOCOL,
  IPV4_SRC,
  IPV4_TOTAL_LENGTH,
} from '../headers/ipv4.js';

/** Why {@link decapsulateIpip} refused a packet (0 = accepted). */
export const DecapReason = {
  /** Accepted. */
  NONE: 0,
  /** Outer header malformed, not IPv4, not protocol 4, or its checksum fails. */
  BAD_OUTER: 1,
  /** The outer source is not one of the allowed directors. */
  FOREIGN_SOURCE: 2,
  /** Inner header malformed, not IPv4, or its checksum fails. */
  BAD_INNER: 3,
  /** The inner destination is not one of our VIPs. */
  NOT_OUR_VIP: 4,
} as const;
/** One of {@link DecapReason}'s values. */
export type DecapReason = (typeof DecapReason)[keyof typeof DecapReason];

/** Where the inner packet is, filled by {@link decapsulateIpip}. */
export interface DecapResult {
  /** Offset of the inner IPv4 header. */
  offset: number;
  /** Length of the inner packet (its total length). */
  length: number;
  /** Inner destination as an unsigned 32-bit number. */
  destination: number;
}

function isValidV4(b: Uint8Array, o: number, avail: number): number {
  if (avail < IPV4_MIN_SIZE || b[o]! >>> 4 !== 4) return -1;
  const hl = (b[o]! & 0x0f) << 2;
  const tl = get16(b, o + IPV4_TOTAL_LENGTH);
  if (hl < IPV4_MIN_SIZE || hl > tl || tl > avail) return -1;
  if (internetChecksum(b, o, hl) !== 0) return -1;
  return tl;
}

/**
 * Checks an IPIP packet (`b[0..len)`, starting at the outer IPv4 header as a raw socket delivers it) and
 * finds the inner packet. `vips` and `directors` hold addresses as unsigned 32-bit numbers; an empty
 * `directors` set accepts any source. Pure: reads only.
 */
export function decapsulateIpip(
  b: Uint8Array,
  len: number,
  vips: ReadonlySet<number>,
  directors: ReadonlySet<number>,
  out: DecapResult,
): DecapReason {
  const tl = isValidV4(b, 0, len);
  if (tl < 0 || b[IPV4_PROTOCOL] !== IPPROTO_IPIP) return DecapReason.BAD_OUTER;
  // The kernel reassembles before raw delivery; a fragment here would be malformed.
  if ((get16(b, IPV4_FLAGS_FRAGOFF) & 0x3fff) !== 0) return DecapReason.BAD_OUTER;
  const src = ((b[IPV4_SRC]! << 24) | (b[IPV4_SRC + 1]! << 16) | (b[IPV4_SRC + 2]! << 8) | b[IPV4_SRC + 3]!) >>> 0;
  if (directors.size > 0 && !directors.has(src)) return DecapReason.FOREIGN_SOURCE;
  const io = (b[0]! & 0x0f) << 2;
  const itl = isValidV4(b, io, tl - io);
  if (itl < 0) return DecapReason.BAD_INNER;
  const d = io + IPV4_DST;
  const dst = ((b[d]! << 24) | (b[d + 1]! << 16) | (b[d + 2]! << 8) | b[d + 3]!) >>> 0;
  if (!vips.has(dst)) return DecapReason.NOT_OUR_VIP;
  out.offset = io;
  out.length = itl;
  out.destination = dst;
  return DecapReason.NONE;
}

/** The part of `raw-socket` the agent uses (it ships no types). */
interface RawSocket {
  on(event: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, address: string, cb: (err: Error | null) => void): void;
  close(): void;
}
interface RawSocketModule {
  createSocket(options: { protocol: number; bufferSize?: number }): RawSocket;
}

/** Options of {@link startTunnelDecapAgent}. */
export interface TunnelDecapOptions {
  /** The VIPs (IPv4) this real server serves; packets for anything else are dropped. */
  readonly vips: readonly string[];
  /** Directors allowed as outer sources (IPv4); empty or absent: any. */
  readonly directors?: readonly string[];
}

/** A running agent. */
export interface TunnelDecapAgent {
  /** Packets delivered, and packets dropped by {@link DecapReason} (index) — plus index 5: send failures. */
  readonly counters: Float64Array;
  /** Closes both sockets. */
  stop(): void;
}

function v4Number(text: string, what: string): number {
  const { family, bytes } = parseAddress(text);
  if (family !== 4) throw new LvsError('INVALID_ARGUMENT', `${what}: IPIP carries IPv4 only, got ${text}`);
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

/**
 * Starts decapsulating in this process's network namespace (run it in the real server's namespace, e.g.
 * through `ip netns exec`; see `tun-agent-cli.ts`). Needs CAP_NET_RAW. The VIPs must also be local
 * addresses (on lo, as {@link applyDrRealServer} puts them) for the kernel to accept the inner packets.
 * Throws `INVALID_ARGUMENT` for bad addresses and `RS_COMMAND_FAILED` when the raw sockets cannot be opened.
 */
export function startTunnelDecapAgent(options: TunnelDecapOptions): TunnelDecapAgent {
  if (options.vips.length === 0) throw new LvsError('INVALID_ARGUMENT', 'vips: at least one virtual address');
  const vips = new Set(options.vips.map((v) => v4Number(v, 'vips')));
  const directors = new Set((options.directors ?? []).map((v) => v4Number(v, 'directors')));
  let rx: RawSocket;
  let tx: RawSocket;
  try {
    const raw = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
    rx = raw.createSocket({ protocol: IPPROTO_IPIP, bufferSize: 65_535 });
    // IPPROTO_RAW (255) sockets send with IP_HDRINCL implied: the inner header goes out as it is.
    tx = raw.createSocket({ protocol: 255 });
  } catch (e) {
    throw new LvsError('RS_COMMAND_FAILED', `IPIP agent: cannot open raw sockets: ${String(e)}`, { cause: e });
  }
  const counters = new Float64Array(6);
  const res: DecapResult = { offset: 0, length: 0, destination: 0 };
  const vipText = new Map([...vips].map((n) => [n, `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`]));
  rx.on('message', (buf) => {
    const reason = decapsulateIpip(buf, buf.length, vips, directors, res);
    if (reason !== DecapReason.NONE) {
      counters[reason]! += 1;
      return;
    }
    tx.send(buf, res.offset, res.length, vipText.get(res.destination)!, (err) => {
      counters[err ? 5 : 0]! += 1;
    });
  });
  rx.on('error', () => {
    counters[5]! += 1;
  });
  tx.on('error', () => {
    counters[5]! += 1;
  });
  return {
    counters,
    stop() {
      rx.close();
      tx.close();
    },
  };
}
