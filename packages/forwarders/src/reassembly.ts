/**
 * IPv4 fragment reassembly for the datapath, as the kernel's `ip_defrag` does before IPVS sees a datagram
 * (IPVS hooks LOCAL_IN, after net/ipv4/ip_input.c has reassembled): fragments are queued by (source,
 * destination, protocol, ID) in preallocated slots, placed by offset, and the datagram is handed back whole
 * once its first and last fragments are in and nothing is missing (`ip_frag_queue`, `ip_frag_reasm` in
 * net/ipv4/ip_fragment.c). The kernel's rules kept: a non-last fragment is cut down to a multiple of 8 bytes;
 * a fragment that overlaps data already queued discards the whole datagram (`inet_frag_queue_insert` →
 * IPFRAG_OVERLAP, the CVE-2018-5391 fix) while an exact repeat is dropped alone (IPFRAG_DUP); a last fragment
 * that disagrees with the known end, data past the end, or a datagram over 65,535 bytes discards the queue;
 * a queue not completed within `timeoutMs` (net.ipv4.ipfrag_time, 30 s) is dropped. The reassembled header is
 * the first fragment's with the total length and checksum recomputed and the fragment field cleared (DF kept
 * when the largest fragment had it, as `ip_frag_reasm` sets it from max_df_size). Owns the slots and their
 * bookkeeping; allocates nothing per fragment and never throws on packet input.
 */

import { get16, get32, internetChecksum, LvsError, put16 } from '@lvskit/base';
import {
  IPV4_CHECKSUM,
  IPV4_DF,
  IPV4_DST,
  IPV4_FLAGS_FRAGOFF,
  IPV4_ID,
  IPV4_MF,
  IPV4_PROTOCOL,
  IPV4_SRC,
  IPV4_TOTAL_LENGTH,
} from './headers/ipv4.js';
import type { PacketInfo } from './parse.js';

/** Options of {@link Reassembler}. */
export interface ReassemblerOptions {
  /** Datagrams being reassembled at once, 1–1024 (each slot holds up to 64 KiB). Default 32. */
  readonly slots?: number;
  /** Milliseconds a datagram may take to complete (net.ipv4.ipfrag_time, 30 s). Default 30,000. */
  readonly timeoutMs?: number;
}

/** Indexes of {@link Reassembler.counters}. */
export const ReassemblyCounter = {
  /** Datagrams handed back whole. */
  REASSEMBLED: 0,
  /** Queues dropped after `timeoutMs` (IPSTATS_MIB_REASMTIMEOUT). */
  TIMED_OUT: 1,
  /** Queues discarded for overlapping fragments (IPSTATS_MIB_REASM_OVERLAPS). */
  OVERLAPS: 2,
  /** Queues discarded as malformed: ends that disagree, data past the end, over 65,535 bytes. */
  MALFORMED: 3,
  /** Queues dropped to make room for a new datagram (all slots busy; the oldest goes, as the evictor's). */
  EVICTED: 4,
  /** Repeated fragments dropped (IPFRAG_DUP). */
  DUPLICATES: 5,
} as const;

/** Room for the link and IP headers of the first fragment, ahead of the data. */
const HEAD = 128;
/** Most data bytes a datagram can carry (65,535 minus a minimal header), rounded up to 8-byte units. */
const MAX_DATA = 65_536;
/** Bytes per slot: headers plus data. */
export const REASSEMBLY_SLOT = HEAD + MAX_DATA;

const FREE = 0;
const COLLECTING = 1;
const COMPLETE = 2;
const FIRST_IN = 1;
const LAST_IN = 2;

/**
 * Reassembles IPv4 fragments into whole datagrams in preallocated memory. {@link Reassembler.add} takes each
 * fragment; when it completes a datagram it returns the slot, whose {@link Reassembler.view} holds the whole
 * frame (the first fragment's link header, then the IPv4 packet) of {@link Reassembler.length} bytes, with
 * room after it. {@link Reassembler.release} frees the slot once the frame has been sent.
 */
export class Reassembler {
  /** Counters by {@link ReassemblyCounter}. */
  readonly counters = new Float64Array(6);
  private readonly timeoutMs: number;
  private readonly state: Uint8Array;
  private readonly flags: Uint8Array;
  private readonly src: Uint32Array;
  private readonly dst: Uint32Array;
  private readonly id: Uint16Array;
  private readonly proto: Uint8Array;
  private readonly expires: Float64Array;
  private readonly started: Float64Array;
  /** Link + IP header length of the first fragment (0 until it arrives). */
  private readonly headLen: Uint16Array;
  /** Where the first fragment's IP header starts (its link header's length). */
  private readonly l3Off: Uint8Array;
  /** Data length known from the last fragment (or the furthest end seen). */
  private readonly end: Uint32Array;
  /** Data bytes received. */
  private readonly meat: Uint32Array;
  private readonly maxSize: Uint32Array;
  private readonly maxDfSize: Uint32Array;
  private readonly frameLen: Uint32Array;
  /** One bit per 8-byte unit of data received, per slot. */
  private readonly bits: Uint8Array;
  private readonly memory: Uint8Array;
  private readonly views: Uint8Array[];

  /** @throws LvsError `INVALID_ARGUMENT` for a slot count or timeout out of range */
  constructor(options: ReassemblerOptions = {}) {
    const slots = options.slots ?? 32;
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isInteger(slots) || slots < 1 || slots > 1024) {
      throw new LvsError('INVALID_ARGUMENT', `reassembly: slots must be an integer in 1..1024, got ${slots}`);
    }
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new LvsError('INVALID_ARGUMENT', `reassembly: timeoutMs must be a positive number, got ${timeoutMs}`);
    }
    this.timeoutMs = timeoutMs;
    this.state = new Uint8Array(slots);
    this.flags = new Uint8Array(slots);
    this.src = new Uint32Array(slots);
    this.dst = new Uint32Array(slots);
    this.id = new Uint16Array(slots);
    this.proto = new Uint8Array(slots);
    this.expires = new Float64Array(slots);
    this.started = new Float64Array(slots);
    this.headLen = new Uint16Array(slots);
    this.l3Off = new Uint8Array(slots);
    this.end = new Uint32Array(slots);
    this.meat = new Uint32Array(slots);
    this.maxSize = new Uint32Array(slots);
    this.maxDfSize = new Uint32Array(slots);
    this.frameLen = new Uint32Array(slots);
    this.bits = new Uint8Array(slots * (MAX_DATA / 64));
    this.memory = new Uint8Array(slots * REASSEMBLY_SLOT);
    this.views = Array.from({ length: slots }, (_, i) =>
      this.memory.subarray(i * REASSEMBLY_SLOT, (i + 1) * REASSEMBLY_SLOT),
    );
  }

  /** The whole slot (the reassembled frame starts at 0). */
  view(slot: number): Uint8Array {
    return this.views[slot]!;
  }

  /** Length of the reassembled frame in `slot`. */
  length(slot: number): number {
    return this.frameLen[slot]!;
  }

  /** Frees a slot {@link Reassembler.add} returned. */
  release(slot: number): void {
    this.state[slot] = FREE;
  }

  /**
   * Queues the IPv4 fragment in `frame` (parsed into `info`: `isFragment` set) at time `now` (ms). Returns the
   * slot of the datagram it completes, or -1 (queued, or dropped and counted).
   */
  add(frame: Uint8Array, info: PacketInfo, now: number): number {
    if (info.family !== 4 || !info.isFragment) return -1;
    const l3 = info.l3Offset;
    const hl = info.l4Offset - l3;
    const fo = get16(frame, l3 + IPV4_FLAGS_FRAGOFF);
    const offset = (fo & 0x1fff) * 8;
    const more = (fo & IPV4_MF) !== 0;
    let len = info.l3Length - hl;
    let end = offset + len;
    const s = this.find(frame, l3, now);
    if (s < 0) return -1;
    if (!more) {
      // The last fragment fixes the end; it must agree with what is known (ip_frag_queue).
      if (end < this.end[s]! || ((this.flags[s]! & LAST_IN) !== 0 && end !== this.end[s])) return this.discard(s, 3);
      this.flags[s] = this.flags[s]! | LAST_IN;
      this.end[s] = end;
    } else {
      // "Check if the fragment is rounded to 8 bytes. Required by the RFC."
      if ((end & 7) !== 0) {
        end &= ~7;
        len = end - offset;
      }
      if (end > this.end[s]!) {
        if ((this.flags[s]! & LAST_IN) !== 0) return this.discard(s, 3);
        this.end[s] = end;
      }
    }
    if (len <= 0) return -1;
    if (end + hl > 0xffff || end > MAX_DATA) return this.discard(s, 3);
    // Overlap check over 8-byte units: all set is a repeat (dropped alone), some set an overlap (queue gone).
    const base = s * (MAX_DATA / 64);
    const u0 = offset >> 3;
    const u1 = (end + 7) >> 3;
    let set = 0;
    for (let u = u0; u < u1; u++) if ((this.bits[base + (u >> 3)]! & (1 << (u & 7))) !== 0) set++;
    if (set === u1 - u0) {
      this.counters[5]! += 1;
      return -1;
    }
    if (set > 0) return this.discard(s, 2);
    for (let u = u0; u < u1; u++) this.bits[base + (u >> 3)] = this.bits[base + (u >> 3)]! | (1 << (u & 7));
    const mem = this.views[s]!;
    const data = info.l4Offset;
    for (let i = 0; i < len; i++) mem[HEAD + offset + i] = frame[data + i]!;
    if (offset === 0) {
      // The first fragment's link and IP headers head the datagram.
      for (let i = 0; i < data; i++) mem[i] = frame[i]!;
      this.headLen[s] = data;
      this.l3Off[s] = l3;
      this.flags[s] = this.flags[s]! | FIRST_IN;
    }
    this.meat[s] = this.meat[s]! + len;
    const size = hl + len;
    if (size > this.maxSize[s]!) this.maxSize[s] = size;
    if ((fo & IPV4_DF) !== 0 && size > this.maxDfSize[s]!) this.maxDfSize[s] = size;
    if (this.flags[s] !== (FIRST_IN | LAST_IN) || this.meat[s] !== this.end[s]) return -1;
    return this.finish(s);
  }

  /** The datagram's slot: its queue if one is open (expiring it when due), else a new one. */
  private find(frame: Uint8Array, l3: number, now: number): number {
    const sa = get32(frame, l3 + IPV4_SRC);
    const da = get32(frame, l3 + IPV4_DST);
    const id = get16(frame, l3 + IPV4_ID);
    const proto = frame[l3 + IPV4_PROTOCOL]!;
    let free = -1;
    let oldest = -1;
    for (let s = 0; s < this.state.length; s++) {
      const st = this.state[s]!;
      if (st === COLLECTING && now >= this.expires[s]!) {
        this.counters[1]! += 1;
        this.state[s] = FREE;
      }
      if (this.state[s] === FREE) {
        if (free < 0) free = s;
        continue;
      }
      if (this.state[s] !== COLLECTING) continue;
      if (this.src[s] === sa && this.dst[s] === da && this.id[s] === id && this.proto[s] === proto) return s;
      if (oldest < 0 || this.started[s]! < this.started[oldest]!) oldest = s;
    }
    let s = free;
    if (s < 0) {
      if (oldest < 0) return -1; // every slot holds a finished datagram not yet released
      this.counters[4]! += 1;
      s = oldest;
    }
    this.state[s] = COLLECTING;
    this.flags[s] = 0;
    this.src[s] = sa;
    this.dst[s] = da;
    this.id[s] = id;
    this.proto[s] = proto;
    this.started[s] = now;
    this.expires[s] = now + this.timeoutMs;
    this.headLen[s] = 0;
    this.end[s] = 0;
    this.meat[s] = 0;
    this.maxSize[s] = 0;
    this.maxDfSize[s] = 0;
    this.bits.fill(0, s * (MAX_DATA / 64), (s + 1) * (MAX_DATA / 64));
    return s;
  }

  private discard(s: number, counter: number): number {
    this.counters[counter]! += 1;
    this.state[s] = FREE;
    return -1;
  }

  /** Moves the data behind the first fragment's headers and fixes the IP header (ip_frag_reasm). */
  private finish(s: number): number {
    const mem = this.views[s]!;
    const h = this.headLen[s]!;
    const end = this.end[s]!;
    mem.copyWithin(h, HEAD, HEAD + end);
    const l3 = this.l3Off[s]!;
    put16(mem, l3 + IPV4_TOTAL_LENGTH, h - l3 + end);
    put16(mem, l3 + IPV4_FLAGS_FRAGOFF, this.maxDfSize[s] !== 0 && this.maxDfSize[s] === this.maxSize[s] ? IPV4_DF : 0);
    put16(mem, l3 + IPV4_CHECKSUM, 0);
    put16(mem, l3 + IPV4_CHECKSUM, internetChecksum(mem, l3, h - l3));
    this.frameLen[s] = h + end;
    this.state[s] = COMPLETE;
    this.counters[0]! += 1;
    return s;
  }
}
