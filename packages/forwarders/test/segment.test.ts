/**
 * Software GSO (src/segment.ts) against frames from the independent test builder. Golden rows: a super-frame
 * and, for each segment, the frame the kernel's software GSO would emit (tcp_gso_segment, __udp_gso_segment,
 * inet_gso_segment, ipv6_gso_segment), every field hand-derived from those functions and every checksum
 * computed from scratch by the builder — compared byte for byte. Then the edges (range, room, refusals) and a
 * property: any payload cut at any gsoSize reassembles to the input, and every checksum verifies when
 * recomputed by this file's own RFC 1071 loop.
 */
import { GsoType } from '@lvskit/native';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketInfo, parsePacket } from '../src/parse.js';
import { gsoSegmentCount, writeSegment } from '../src/segment.js';
import { eth, eth4, ip, ipv4, ipv6, noise, tcp, udp } from './golden/builder.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const C4 = '198.18.0.1';
const V4 = '198.18.0.100';
const C6 = '2001:db8::1';
const V6 = '2001:db8::100';
const SENTINEL = 0xa5;

function parsed(f: Uint8Array): PacketInfo {
  const info = new PacketInfo();
  expect(parsePacket(f, f.length, info)).toBe(0);
  return info;
}

/** Every segment of `f`, each written into its own exactly-sized buffer. */
function segments(f: Uint8Array, type: number, size: number): Uint8Array[] {
  const info = parsed(f);
  const n = gsoSegmentCount(f, info, type, size);
  const out: Uint8Array[] = [];
  const scratch = new Uint8Array(70000);
  for (let k = 0; k < n; k++) {
    const len = writeSegment(f, info, type, size, k, scratch, 0);
    expect(len).toBeGreaterThan(0);
    out.push(scratch.slice(0, len));
  }
  return out;
}

/** Overwrites the 16-bit field at `off` (e.g. a TCP checksum) with `v`: the super-frame's field is ignored. */
function poke16(f: Uint8Array, off: number, v: number): Uint8Array {
  const g = f.slice();
  g[off] = v >> 8;
  g[off + 1] = v & 0xff;
  return g;
}

// ---- the test side's own reading of a frame, sharing nothing with src/ ----

/** Ones'-complement sum of big-endian 16-bit words (RFC 1071), not folded to 16 bits until the end. */
function sum16(b: Uint8Array, off: number, len: number, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < len; i += 2) s += (b[off + i]! << 8) | b[off + i + 1]!;
  if (len & 1) s += b[off + len - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

interface Seen {
  /** IPv4 header checksum verifies (always true for IPv6). */
  ipOk: boolean;
  /** TCP/UDP checksum verifies with its pseudo-header. */
  l4Ok: boolean;
  /** The IP length accounts for every byte of the frame. */
  lengthOk: boolean;
  l3: number;
  family: 4 | 6;
  proto: number;
  l4Len: number;
  id: number;
  seq: number;
  flags: number;
  udpLength: number;
  payload: Uint8Array;
}

/** Reads a segment and recomputes its checksums from scratch (no expect() here: the property calls it a lot). */
function read(f: Uint8Array): Seen {
  let l3 = 14;
  if (f[12] === 0x81 && f[13] === 0x00) l3 = 18;
  const type = (f[l3 - 2]! << 8) | f[l3 - 1]!;
  let family: 4 | 6;
  let proto: number;
  let l4: number;
  let end: number;
  let pseudo: number;
  let id = -1;
  let ipOk = true;
  if (type === 0x0800) {
    family = 4;
    const ihl = (f[l3]! & 15) * 4;
    end = l3 + ((f[l3 + 2]! << 8) | f[l3 + 3]!);
    ipOk = sum16(f, l3, ihl) === 0xffff;
    proto = f[l3 + 9]!;
    l4 = l3 + ihl;
    id = (f[l3 + 4]! << 8) | f[l3 + 5]!;
    pseudo = sum16(f, l3 + 12, 8) + proto + (end - l4);
  } else {
    family = 6;
    end = l3 + 40 + ((f[l3 + 4]! << 8) | f[l3 + 5]!);
    let next = f[l3 + 6]!;
    l4 = l3 + 40;
    while (next === 0 || next === 43 || next === 60) {
      next = f[l4]!;
      l4 += (f[l4 + 1]! + 1) * 8;
    }
    proto = next;
    const len = end - l4;
    pseudo = sum16(f, l3 + 8, 32) + (len >>> 16) + (len & 0xffff) + proto;
  }
  const l4Len = end - l4;
  const tcpHdr = proto === 6 ? (f[l4 + 12]! >> 4) * 4 : 8;
  const view = new DataView(f.buffer, f.byteOffset);
  return {
    ipOk,
    // A correct checksum makes the whole sum 0xffff (its complement 0).
    l4Ok: sum16(f, l4, l4Len, pseudo) === 0xffff,
    lengthOk: end === f.length,
    l3,
    family,
    proto,
    l4Len,
    id,
    seq: proto === 6 ? view.getUint32(l4 + 4) : 0,
    flags: proto === 6 ? f[l4 + 13]! : 0,
    udpLength: proto === 17 ? view.getUint16(l4 + 4) : 0,
    payload: f.subarray(l4 + tcpHdr, end),
  };
}

/** {@link read} plus the checks every segment must pass. */
function inspect(f: Uint8Array): Seen {
  const s = read(f);
  expect({ ip: s.ipOk, l4: s.l4Ok, length: s.lengthOk }).toEqual({ ip: true, l4: true, length: true });
  return s;
}

const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;
const CWR = 0x80;

describe('writeSegment: golden TCP/IPv4 (VLAN, IP and TCP options, wrapping sequence and ID)', () => {
  // Router-alert IP option (RFC 2113) and a TCP timestamp option (kind 8, len 10) plus two NOPs.
  const ipOpts = [0x94, 0x04, 0x00, 0x00];
  const tcpOpts = [0x01, 0x01, 0x08, 0x0a, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78];
  const data = noise(3000, 7);
  const ipBase = { src: C4, dst: V4, ttl: 61, tos: 0x12, df: true, options: ipOpts };
  const tcpBase = { sport: 40000, dport: 80, ack: 0x01020304, window: 501, options: tcpOpts };
  const full = eth4(
    B,
    A,
    ipv4({ ...ipBase, id: 0xfffe }, tcp({ ...tcpBase, seq: 0xfffffc00, flags: CWR | ACK | PSH | FIN, data })),
    100,
  );
  // The IPv4 header is 24 bytes, the TCP header 32: the TCP checksum field sits at 18 + 24 + 16.
  // Any value there must be ignored (the kernel hands over a pseudo-header-only sum, CHECKSUM_PARTIAL).
  const superFrame = poke16(full, 18 + 24 + 16, 0x4d2c);

  it('cuts 3000 bytes at 1448 into 1448 + 1448 + 104, each as the kernel would send it', () => {
    // Hand-derived: IDs 0xfffe, 0xffff, 0x0000 (inet_gso_segment id++ in 16 bits); sequence numbers
    // 0xfffffc00, +1448 (0x5a8) = 0x1_000001a8 → 0x000001a8, +2896 (0xb50) → 0x00000750; flags CWR|ACK on the
    // first (FIN, PSH cleared), ACK on the middle one, ACK|PSH|FIN on the last (CWR cleared).
    const expected = [
      { id: 0xfffe, seq: 0xfffffc00, flags: CWR | ACK, data: data.slice(0, 1448) },
      { id: 0xffff, seq: 0x000001a8, flags: ACK, data: data.slice(1448, 2896) },
      { id: 0x0000, seq: 0x00000750, flags: ACK | PSH | FIN, data: data.slice(2896) },
    ].map((s) =>
      eth4(B, A, ipv4({ ...ipBase, id: s.id }, tcp({ ...tcpBase, seq: s.seq, flags: s.flags, data: s.data })), 100),
    );
    const info = parsed(superFrame);
    expect(gsoSegmentCount(superFrame, info, GsoType.TCPV4, 1448)).toBe(3);
    expect(segments(superFrame, GsoType.TCPV4, 1448)).toEqual(expected);
    // The ECN flag on the type changes nothing: CWR stays on the first segment only either way.
    expect(segments(superFrame, GsoType.TCPV4 | GsoType.ECN, 1448)).toEqual(expected);
  });

  it('leaves the super-frame untouched and writes only its own range of a shared buffer', () => {
    const before = superFrame.slice();
    const info = parsed(superFrame);
    const buf = new Uint8Array(4000).fill(SENTINEL);
    const len = writeSegment(superFrame, info, GsoType.TCPV4, 1448, 2, buf, 1000);
    // Last segment: 18 (Ethernet + tag) + 24 + 32 + 104 bytes.
    expect(len).toBe(18 + 24 + 32 + 104);
    expect(buf.subarray(0, 1000).every((b) => b === SENTINEL)).toBe(true);
    expect(buf.subarray(1000 + len).every((b) => b === SENTINEL)).toBe(true);
    expect(superFrame).toEqual(before);
  });
});

describe('writeSegment: golden TCP/IPv6 with a destination-options header, exact multiple', () => {
  // Destination options: header length 0 (8 bytes) holding one PadN option of 4 zero bytes.
  const ext = [{ type: 60, body: [0x00, 0x01, 0x04, 0, 0, 0, 0] }];
  const data = noise(2000, 11);
  const ipBase = { src: C6, dst: V6, hop: 63, tc: 0x28, flow: 0x12345, ext };
  const full = eth(B, A, 0x86dd, ipv6(ipBase, tcp({ sport: 443, dport: 50000, seq: 5000, flags: ACK | PSH, data })));

  it('cuts 2000 bytes at 1000 into two full segments with their own payload lengths', () => {
    // Hand-derived: seq 5000 and 6000; PSH only on the last; payload length 8 + 20 + 1000 = 1028 each.
    const expected = [
      { seq: 5000, flags: ACK, data: data.slice(0, 1000) },
      { seq: 6000, flags: ACK | PSH, data: data.slice(1000) },
    ].map((s) => eth(B, A, 0x86dd, ipv6(ipBase, tcp({ sport: 443, dport: 50000, ...s }))));
    const got = segments(full, GsoType.TCPV6, 1000);
    expect(got).toEqual(expected);
    expect(got.map((g) => (g[18]! << 8) | g[19]!)).toEqual([1028, 1028]);
  });

  it('refuses IPv6 extension headers the kernel does not segment past', () => {
    const tcpData = tcp({ sport: 1, dport: 2, data: noise(3000) });
    // AH (RFC 4302): payload length 4 → (4 + 2) · 4 = 24 bytes; no INET6_PROTO_GSO_EXTHDR, so -EPROTONOSUPPORT.
    const ah = eth(
      B,
      A,
      0x86dd,
      ipv6({ src: C6, dst: V6, ext: [{ type: 51, body: [4, ...new Array(22).fill(0)] }] }, tcpData),
    );
    const ahInfo = parsed(ah);
    expect(gsoSegmentCount(ah, ahInfo, GsoType.TCPV6, 1000)).toBe(0);
    // A routing header with segments left 1: its pseudo-header destination is not the one in the header.
    const rh = (left: number) =>
      eth(
        B,
        A,
        0x86dd,
        ipv6({ src: C6, dst: V6, ext: [{ type: 43, body: [2, 0, left, 0, 0, 0, 0, ...ip(V6)] }] }, tcpData),
      );
    const pending = rh(1);
    expect(gsoSegmentCount(pending, parsed(pending), GsoType.TCPV6, 1000)).toBe(0);
    // With no segments left the destination in the header is final: segmented (3000 / 1000 = 3).
    const done = rh(0);
    expect(gsoSegmentCount(done, parsed(done), GsoType.TCPV6, 1000)).toBe(3);
    for (const s of segments(done, GsoType.TCPV6, 1000)) inspect(s);
  });
});

describe('writeSegment: golden UDP_L4 (one UDP header per segment)', () => {
  it('IPv4: 2500 bytes at 1000 give 1000 + 1000 + 500, each with its own length and checksum', () => {
    const data = noise(2500, 3);
    const ipBase = { src: C4, dst: V4, ttl: 64 };
    const full = eth4(B, A, ipv4({ ...ipBase, id: 0x0100 }, udp({ sport: 4433, dport: 443, data })));
    // Hand-derived: IDs 0x0100..0x0102 (inet_gso_segment, not UFO: no fragment offsets); UDP lengths 1008,
    // 1008, 508 (__udp_gso_segment's newlen and the last segment's own).
    const expected = [0, 1, 2].map((k) =>
      eth4(
        B,
        A,
        ipv4(
          { ...ipBase, id: 0x0100 + k },
          udp({ sport: 4433, dport: 443, data: data.slice(k * 1000, k * 1000 + 1000) }),
        ),
      ),
    );
    const got = segments(poke16(full, 14 + 20 + 6, 0), GsoType.UDP_L4, 1000);
    expect(got).toEqual(expected);
    expect(got.map((g) => inspect(g).udpLength)).toEqual([1008, 1008, 508]);
  });

  it('IPv6: a segment whose checksum computes to 0 carries 0xffff', () => {
    // Build segment 1's two-byte payload so that its ones'-complement sum is 0xffff: with the data word 0 the
    // sum is S; the word 0xffff − S brings it to 0xffff, whose complement (the checksum) is 0 → sent as 0xffff.
    const base = eth(B, A, 0x86dd, ipv6({ src: C6, dst: V6 }, udp({ sport: 7, dport: 9, data: [0, 0] })));
    const seg = base.slice();
    seg[54 + 6] = 0;
    seg[54 + 7] = 0;
    const len = 10;
    const s = sum16(seg, 54, len, sum16(seg, 22, 32) + len + 17);
    const w = 0xffff - s;
    const data = [...noise(2, 5), w >> 8, w & 0xff];
    const full = eth(B, A, 0x86dd, ipv6({ src: C6, dst: V6 }, udp({ sport: 7, dport: 9, data })));
    const got = segments(full, GsoType.UDP_L4, 2);
    expect(got).toHaveLength(2);
    const last = got[1]!;
    expect((last[54 + 6]! << 8) | last[54 + 7]!).toBe(0xffff);
    expect(last).toEqual(
      eth(B, A, 0x86dd, ipv6({ src: C6, dst: V6 }, udp({ sport: 7, dport: 9, data: data.slice(2) }))),
    );
    inspect(last);
  });
});

describe('gsoSegmentCount / writeSegment: edges and refusals', () => {
  const tcp4 = eth4(B, A, ipv4({ src: C4, dst: V4 }, tcp({ sport: 1, dport: 2, flags: ACK, data: noise(1001) })));
  const info4 = parsed(tcp4);

  it('counts ⌈payload / gsoSize⌉, a payload that fits being one segment', () => {
    expect(gsoSegmentCount(tcp4, info4, GsoType.TCPV4, 1000)).toBe(2);
    expect(gsoSegmentCount(tcp4, info4, GsoType.TCPV4, 1001)).toBe(1);
    expect(gsoSegmentCount(tcp4, info4, GsoType.TCPV4, 1)).toBe(1001);
    const one = segments(tcp4, GsoType.TCPV4, 5000);
    expect(one).toEqual([tcp4]);
  });

  it('refuses what it cannot segment', () => {
    const v = GsoType.TCPV4;
    expect(gsoSegmentCount(tcp4, info4, v, 0)).toBe(0);
    expect(gsoSegmentCount(tcp4, info4, v, -5)).toBe(0);
    expect(gsoSegmentCount(tcp4, info4, v, 1.5)).toBe(0);
    expect(gsoSegmentCount(tcp4, info4, GsoType.TCPV6, 1000)).toBe(0); // family mismatch
    expect(gsoSegmentCount(tcp4, info4, GsoType.UDP_L4, 1000)).toBe(0); // protocol mismatch
    expect(gsoSegmentCount(tcp4, info4, GsoType.UDP, 1000)).toBe(0); // UFO: not segmented here
    expect(gsoSegmentCount(tcp4, info4, 0, 1000)).toBe(0);
    const udp4 = eth4(B, A, ipv4({ src: C4, dst: V4 }, udp({ sport: 1, dport: 2, data: noise(3000) })));
    expect(gsoSegmentCount(udp4, parsed(udp4), GsoType.TCPV4, 1000)).toBe(0);
    // A first fragment (MF) is not a super-frame.
    const frag = eth4(B, A, ipv4({ src: C4, dst: V4, mf: true }, tcp({ sport: 1, dport: 2, data: noise(3000) })));
    expect(gsoSegmentCount(frag, parsed(frag), v, 1000)).toBe(0);
    // No payload: nothing to cut.
    const bare = eth4(B, A, ipv4({ src: C4, dst: V4 }, tcp({ sport: 1, dport: 2, flags: ACK })));
    expect(gsoSegmentCount(bare, parsed(bare), v, 1000)).toBe(0);
    expect(writeSegment(bare, parsed(bare), v, 1000, 0, new Uint8Array(2000), 0)).toBe(0);
  });

  it('k out of range writes nothing and returns 0', () => {
    const dst = new Uint8Array(3000).fill(SENTINEL);
    for (const k of [-1, 2, 3, 0.5, Number.NaN]) {
      expect(writeSegment(tcp4, info4, GsoType.TCPV4, 1000, k, dst, 0)).toBe(0);
    }
    expect(dst.every((b) => b === SENTINEL)).toBe(true);
  });

  it('a destination too small (or an offset past it) writes nothing and returns 0', () => {
    // Segment 0: 14 + 20 + 20 + 1000 = 1054 bytes.
    const exact = new Uint8Array(1054);
    expect(writeSegment(tcp4, info4, GsoType.TCPV4, 1000, 0, exact, 0)).toBe(1054);
    const short = new Uint8Array(1053).fill(SENTINEL);
    expect(writeSegment(tcp4, info4, GsoType.TCPV4, 1000, 0, short, 0)).toBe(0);
    expect(short.every((b) => b === SENTINEL)).toBe(true);
    const big = new Uint8Array(2000).fill(SENTINEL);
    expect(writeSegment(tcp4, info4, GsoType.TCPV4, 1000, 0, big, 947)).toBe(0);
    expect(writeSegment(tcp4, info4, GsoType.TCPV4, 1000, 0, big, -1)).toBe(0);
    expect(big.every((b) => b === SENTINEL)).toBe(true);
    expect(writeSegment(tcp4, info4, GsoType.TCPV4, 1000, 0, big, 946)).toBe(1054);
    expect(big.subarray(0, 946).every((b) => b === SENTINEL)).toBe(true);
  });

  it('reads and writes through views at any byte offset of their buffers', () => {
    // The copy goes 4 bytes at a time through DataViews over the whole buffers: views that start at odd
    // offsets (and a switch between buffers) must give the same bytes as plain arrays.
    const want = segments(tcp4, GsoType.TCPV4, 333);
    const backing = new Uint8Array(tcp4.length + 3);
    backing.set(tcp4, 3);
    const view = backing.subarray(3);
    const info = parsed(view);
    const out = new Uint8Array(3000);
    const dview = out.subarray(5);
    want.forEach((w, k) => {
      const len = writeSegment(view, info, GsoType.TCPV4, 333, k, dview, 1 + k);
      expect(dview.subarray(1 + k, 1 + k + len)).toEqual(w);
    });
  });

  it('drops Ethernet padding after the IP packet', () => {
    const padded = new Uint8Array(tcp4.length + 6);
    padded.set(tcp4);
    const info = parsed(padded);
    const a = segments(padded, GsoType.TCPV4, 600);
    const b = segments(tcp4, GsoType.TCPV4, 600);
    expect(info.l3Length).toBe(info4.l3Length);
    expect(a).toEqual(b);
  });
});

/**
 * Kernel reference trace: what Linux 6.18.44 itself emitted for these super-frames, captured once and kept
 * here as the header bytes of every segment (the payload is the super-frame's, byte for byte — checked at
 * capture time). Procedure: two network namespaces joined by a veth pair; on the sending side tx
 * checksumming off, so `validate_xmit_skb` segments in software (`skb_gso_segment`) with full checksums; each
 * super-frame sent by a packet socket with PACKET_VNET_HDR (NEEDS_CSUM, the pseudo-header sum in the
 * checksum field, `gso_type`/`gso_size` as in the row); every segment read on the peer by a packet socket
 * (GRO off; a VLAN tag the rx path moved to PACKET_AUXDATA put back in place).
 */
const KERNEL_SEGMENTS: Record<string, { frame: Uint8Array; type: number; size: number; headers: string[] }> = {
  'TCPv4 + ECN, IP and TCP options, CWR|ACK|PSH|FIN, wrapping ID and sequence': {
    frame: eth(
      B,
      A,
      0x0800,
      ipv4(
        { src: C4, dst: V4, ttl: 61, tos: 0x12, df: true, id: 0xfffe, options: [0x94, 4, 0, 0] },
        tcp({
          sport: 40000,
          dport: 80,
          ack: 0x01020304,
          window: 501,
          options: [1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78],
          seq: 0xfffffc00,
          flags: CWR | ACK | PSH | FIN,
          data: noise(3000, 7),
        }),
      ),
    ),
    type: GsoType.TCPV4 | GsoType.ECN,
    size: 1448,
    headers: [
      '02000000000b02000000000a0800461205e0fffe40003d061679c6120001c6120064940400009c400050fffffc0001020304809001f5cd3500000101080a0000123400005678',
      '02000000000b02000000000a0800461205e0ffff40003d061678c6120001c6120064940400009c400050000001a801020304801001f5299700000101080a0000123400005678',
      '02000000000b02000000000a0800461200a0000040003d061bb8c6120001c6120064940400009c4000500000075001020304801901f5643200000101080a0000123400005678',
    ],
  },
  'TCPv4 in VLAN 100': {
    frame: eth(
      B,
      A,
      0x0800,
      ipv4(
        { src: C4, dst: V4, id: 0x1000 },
        tcp({ sport: 1, dport: 2, seq: 77, flags: ACK | PSH, data: noise(3000, 8) }),
      ),
      100,
    ),
    type: GsoType.TCPV4,
    size: 1000,
    headers: [
      '02000000000b02000000000a81000064080045000410100000004006da5ec6120001c6120064000100020000004d000000005010faf0b7890000',
      '02000000000b02000000000a81000064080045000410100100004006da5dc6120001c61200640001000200000435000000005010faf00adc0000',
      '02000000000b02000000000a81000064080045000410100200004006da5cc6120001c6120064000100020000081d000000005018faf0fe0f0000',
    ],
  },
  'TCPv6 with destination options, exact multiple': {
    frame: eth(
      B,
      A,
      0x86dd,
      ipv6(
        { src: C6, dst: V6, hop: 63, tc: 0x28, flow: 0x12345, ext: [{ type: 60, body: [0, 1, 4, 0, 0, 0, 0] }] },
        tcp({ sport: 443, dport: 50000, seq: 5000, flags: ACK | PSH, data: noise(2000, 11) }),
      ),
    ),
    type: GsoType.TCPV6,
    size: 1000,
    headers: [
      '02000000000b02000000000a86dd6281234504043c3f20010db800000000000000000000000120010db8000000000000000000000100060001040000000001bbc35000001388000000005010faf0fc8a0000',
      '02000000000b02000000000a86dd6281234504043c3f20010db800000000000000000000000120010db8000000000000000000000100060001040000000001bbc35000001770000000005018faf01e5e0000',
    ],
  },
  'TCPv6, FIN, short last segment': {
    frame: eth(
      B,
      A,
      0x86dd,
      ipv6({ src: C6, dst: V6 }, tcp({ sport: 443, dport: 50001, seq: 1, flags: ACK | FIN, data: noise(2500, 12) })),
    ),
    type: GsoType.TCPV6,
    size: 1200,
    headers: [
      '02000000000b02000000000a86dd6000000004c4064020010db800000000000000000000000120010db800000000000000000000010001bbc35100000001000000005010faf0b3010000',
      '02000000000b02000000000a86dd6000000004c4064020010db800000000000000000000000120010db800000000000000000000010001bbc351000004b1000000005010faf036a90000',
      '02000000000b02000000000a86dd600000000078064020010db800000000000000000000000120010db800000000000000000000010001bbc35100000961000000005011faf005fa0000',
    ],
  },
  'UDP_L4 over IPv4': {
    frame: eth(
      B,
      A,
      0x0800,
      ipv4({ src: C4, dst: V4, id: 0x0100 }, udp({ sport: 4433, dport: 443, data: noise(2500, 3) })),
    ),
    type: GsoType.UDP_L4,
    size: 1000,
    headers: [
      '02000000000b02000000000a080045000404010000004011e95fc6120001c6120064115101bb03f02014',
      '02000000000b02000000000a080045000404010100004011e95ec6120001c6120064115101bb03f08f88',
      '02000000000b02000000000a080045000210010200004011eb51c6120001c6120064115101bb01fc21c3',
    ],
  },
  'UDP_L4 over IPv6': {
    frame: eth(B, A, 0x86dd, ipv6({ src: C6, dst: V6 }, udp({ sport: 4433, dport: 443, data: noise(2500, 4) }))),
    type: GsoType.UDP_L4,
    size: 700,
    headers: [
      '02000000000b02000000000a86dd6000000002c4114020010db800000000000000000000000120010db8000000000000000000000100115101bb02c4852a',
      '02000000000b02000000000a86dd6000000002c4114020010db800000000000000000000000120010db8000000000000000000000100115101bb02c44b2c',
      '02000000000b02000000000a86dd6000000002c4114020010db800000000000000000000000120010db8000000000000000000000100115101bb02c40540',
      '02000000000b02000000000a86dd600000000198114020010db800000000000000000000000120010db8000000000000000000000100115101bb0198fcc2',
    ],
  },
};

describe('writeSegment: the kernel reference trace', () => {
  for (const [name, row] of Object.entries(KERNEL_SEGMENTS)) {
    it(`${name}: every segment byte-identical to Linux's`, () => {
      const hl = row.headers[0]!.length / 2;
      const expected = row.headers.map((h, k) => {
        const head = Uint8Array.from(Buffer.from(h, 'hex'));
        const data = row.frame.subarray(hl + k * row.size, Math.min(row.frame.length, hl + (k + 1) * row.size));
        const f = new Uint8Array(head.length + data.length);
        f.set(head);
        f.set(data, head.length);
        return f;
      });
      expect(segments(row.frame, row.type, row.size)).toEqual(expected);
    });
  }
});

describe('writeSegment: property — any payload, any gsoSize', () => {
  const kind = fc.constantFrom('tcp4', 'tcp6', 'udp4', 'udp6');
  it('segments reassemble to the input and every checksum verifies', () => {
    fc.assert(
      fc.property(
        kind,
        fc.integer({ min: 1, max: 65000 }),
        fc.integer({ min: 1, max: 9000 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xff }),
        (k, size, gso, vlan, id, seq, flags) => {
          const data = noise(size, seq);
          const v6 = k.endsWith('6');
          const l4 = k.startsWith('tcp')
            ? tcp({ sport: 1234, dport: 80, seq, flags, data })
            : udp({ sport: 1234, dport: 53, data });
          const pkt = v6 ? ipv6({ src: C6, dst: V6 }, l4) : ipv4({ src: C4, dst: V4, id }, l4);
          const f = eth(B, A, v6 ? 0x86dd : 0x0800, pkt, vlan ? 7 : undefined);
          const type = k === 'tcp4' ? GsoType.TCPV4 : k === 'tcp6' ? GsoType.TCPV6 : GsoType.UDP_L4;
          const info = parsed(f);
          const n = gsoSegmentCount(f, info, type, gso);
          expect(n).toBe(Math.ceil(size / gso));
          const joined = new Uint8Array(size);
          const wrong: string[] = [];
          let at = 0;
          const dst = new Uint8Array(9200);
          for (let i = 0; i < n; i++) {
            const len = writeSegment(f, info, type, gso, i, dst, 0);
            const s = read(dst.subarray(0, len));
            if (!s.ipOk || !s.l4Ok || !s.lengthOk) wrong.push(`${i}: checksum or length`);
            if (s.payload.length !== (i < n - 1 ? gso : size - gso * (n - 1))) wrong.push(`${i}: payload length`);
            joined.set(s.payload, at);
            at += s.payload.length;
            // L2 header (tag included) identical to the super-frame's.
            for (let j = 0; j < s.l3; j++) if (dst[j] !== f[j]) wrong.push(`${i}: L2 byte ${j}`);
            if (s.family === 4 && s.id !== ((id + i) & 0xffff)) wrong.push(`${i}: id`);
            if (s.proto === 6) {
              let want = flags;
              if (i < n - 1) want &= ~(FIN | PSH);
              if (i > 0) want &= ~CWR;
              if (s.seq !== (seq + i * gso) % 2 ** 32 || s.flags !== want) wrong.push(`${i}: seq or flags`);
            } else if (s.udpLength !== s.l4Len) {
              wrong.push(`${i}: udp length`);
            }
          }
          expect(wrong).toEqual([]);
          expect(at).toBe(size);
          // Compared by hand: toEqual over 65000 elements costs more than the rest of the run.
          let firstDiff = -1;
          for (let j = 0; j < size && firstDiff < 0; j++) if (joined[j] !== data[j]) firstDiff = j;
          expect(firstDiff).toBe(-1);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);
});

describe('gsoSegmentCount / writeSegment: fuzz', () => {
  it('never throws nor writes outside its range, whatever parsePacket accepted', () => {
    const base = eth4(B, A, ipv4({ src: C4, dst: V4 }, tcp({ sport: 1, dport: 2, data: noise(300) })));
    const info = new PacketInfo();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 400 }),
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        fc.constantFrom(0, 1, 3, 4, 5, 0x81, 0x85, 0xff),
        fc.integer({ min: -2, max: 400 }),
        fc.integer({ min: -1, max: 40 }),
        fc.integer({ min: 0, max: 300 }),
        (junk, flips, type, size, k, off) => {
          // Either random bytes or the well-formed frame with a few bytes changed.
          const f = junk.length > 200 ? junk : base.slice();
          if (f !== junk) for (const [i, v] of flips) f[i] = v;
          if (parsePacket(f, f.length, info) !== 0) return;
          const dst = new Uint8Array(700).fill(SENTINEL);
          const n = gsoSegmentCount(f, info, type, size);
          expect(n).toBeGreaterThanOrEqual(0);
          const len = writeSegment(f, info, type, size, k, dst, off);
          if (len === 0) expect(dst.every((b) => b === SENTINEL)).toBe(true);
          else {
            expect(k < n && off + len <= dst.length).toBe(true);
            expect(dst.subarray(0, off).every((b) => b === SENTINEL)).toBe(true);
            expect(dst.subarray(off + len).every((b) => b === SENTINEL)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
