/**
 * Golden packets for masquerading. Expected frames are written from the kernel's handlers: requests get
 * daddr/dport = RIP:rport (tcp_dnat_handler, udp_dnat_handler), replies saddr/sport = VIP:vport
 * (*_snat_handler), every checksum as a full recomputation gives it (the builder sums from scratch); a UDP
 * zero checksum takes the handlers' "full checksum calculation" branch; ICMP errors are translated as
 * ip_vs_nat_icmp does: outer address, embedded address and port, embedded header checksum recomputed,
 * embedded transport checksum left alone, ICMP checksum over the result.
 */
import { DropReason, Verdict } from '@lvskit/base';
import { rewriteMasqIn, rewriteMasqOut } from '../../src/index.js';
import { bytes, eth4, eth6, icmp4, icmp6, ipv4, ipv6, raw, tcp, udp } from './builder.js';
import {
  CLIENT,
  CLIENT6,
  DIP,
  MAC_CLIENT,
  MAC_DIRECTOR,
  MAC_RS,
  RIP,
  RIP6,
  ROUTER,
  ROUTER6,
  VIP,
  VIP6,
} from './fixtures.js';
import type { GoldenRow } from './table.js';

const toRs = { ourMac: MAC_DIRECTOR, nextHopMac: MAC_RS, address: RIP, port: 8080 };
const toClient = { ourMac: MAC_DIRECTOR, nextHopMac: MAC_CLIENT, address: VIP, port: 80 };
const req = (sport: number, dport: number, flags = 0x18) =>
  tcp({ sport, dport, seq: 0x01020304, ack: 0x0a0b0c0d, flags, data: bytes(33) });
const rr = [7, 7, 4, 0, 0, 0, 0, 0];

// A 1000-byte UDP datagram split at 512 bytes of payload: its checksum covers the whole datagram.
const bigData = bytes(992, 5);
const udpWhole = (src: string, dst: string, dport: number) =>
  udp({ sport: 5000, dport, data: bigData }).build(src.split('.').map(Number), dst.split('.').map(Number));
const frag1 = (dst: string, dport: number, ttl: number, l4Dst: string) =>
  ipv4({ src: CLIENT, dst, ttl, id: 77, mf: true }, raw(17, udpWhole(CLIENT, l4Dst, dport).slice(0, 512)));
const frag2 = (dst: string, ttl: number) =>
  ipv4({ src: CLIENT, dst, ttl, id: 77, fragOffset: 512 }, raw(17, udpWhole(CLIENT, VIP, 80).slice(512)));

/** The rows (shared by the unit table and the lab replay, test/lab/golden-replay.test.ts). */
export const natRows: GoldenRow[] = [
  {
    name: 'TCP request with port mapping: VIP:80 → RIP:8080, TTL − 1, IPv4 and TCP checksums',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, df: true }, req(40000, 80))),
    rewrite: rewriteMasqIn,
    params: toRs,
    verdict: Verdict.FORWARD,
    output: eth4(MAC_RS, MAC_DIRECTOR, ipv4({ src: CLIENT, dst: RIP, ttl: 63, df: true }, req(40000, 8080))),
  },
  {
    name: 'TCP reply: RIP:8080 → VIP:80 towards the client-side router',
    input: eth4(MAC_DIRECTOR, MAC_RS, ipv4({ src: RIP, dst: CLIENT, df: true }, req(8080, 40000, 0x12))),
    rewrite: rewriteMasqOut,
    params: toClient,
    verdict: Verdict.FORWARD,
    output: eth4(MAC_CLIENT, MAC_DIRECTOR, ipv4({ src: VIP, dst: CLIENT, ttl: 63, df: true }, req(80, 40000, 0x12))),
  },
  {
    name: 'TCP request with IPv4 options: options kept, checksums right',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, options: rr }, req(40001, 80))),
    rewrite: rewriteMasqIn,
    params: { ...toRs, decrementTtl: false },
    verdict: Verdict.FORWARD,
    output: eth4(MAC_RS, MAC_DIRECTOR, ipv4({ src: CLIENT, dst: RIP, options: rr }, req(40001, 8080))),
  },
  {
    name: 'UDP request, same port (53): address and checksum only',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP }, udp({ sport: 5353, dport: 53, data: bytes(31) })),
    ),
    rewrite: rewriteMasqIn,
    params: { ...toRs, port: 53 },
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4({ src: CLIENT, dst: RIP, ttl: 63 }, udp({ sport: 5353, dport: 53, data: bytes(31) })),
    ),
  },
  {
    name: 'UDP request with zero checksum: the kernel computes a full checksum for the translated datagram',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP }, udp({ sport: 5353, dport: 53, data: bytes(31), checksum: 0 })),
    ),
    rewrite: rewriteMasqIn,
    params: { ...toRs, port: 53 },
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4({ src: CLIENT, dst: RIP, ttl: 63 }, udp({ sport: 5353, dport: 53, data: bytes(31) })),
    ),
  },
  {
    name: 'UDP reply: RIP:53 → VIP:53',
    input: eth4(
      MAC_DIRECTOR,
      MAC_RS,
      ipv4({ src: RIP, dst: CLIENT }, udp({ sport: 53, dport: 5353, data: bytes(64) })),
    ),
    rewrite: rewriteMasqOut,
    params: { ...toClient, port: 53 },
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_CLIENT,
      MAC_DIRECTOR,
      ipv4({ src: VIP, dst: CLIENT, ttl: 63 }, udp({ sport: 53, dport: 5353, data: bytes(64) })),
    ),
  },
  {
    name: 'first UDP fragment (MF): port and checksum of the whole datagram translated incrementally',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, frag1(VIP, 80, 64, VIP)),
    rewrite: rewriteMasqIn,
    params: toRs,
    verdict: Verdict.FORWARD,
    // The expected checksum is the builder's sum over the whole translated datagram (RIP:8080).
    output: eth4(MAC_RS, MAC_DIRECTOR, frag1(RIP, 8080, 63, RIP)),
  },
  {
    name: 'second UDP fragment (offset 512): only the destination address (and TTL) change',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, frag2(VIP, 64)),
    rewrite: rewriteMasqIn,
    params: toRs,
    verdict: Verdict.FORWARD,
    output: eth4(MAC_RS, MAC_DIRECTOR, frag2(RIP, 63)),
  },
  {
    name: 'ICMP frag-needed from a router behind the real server about client→RIP:8080: outer source and embedded destination become VIP:80',
    input: eth4(
      MAC_DIRECTOR,
      MAC_RS,
      ipv4(
        { src: RIP, dst: CLIENT },
        icmp4(3, 4, 1400, ipv4({ src: CLIENT, dst: RIP, ttl: 62, df: true }, req(40000, 8080)).slice(0, 28)),
      ),
    ),
    rewrite: rewriteMasqOut,
    params: toClient,
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_CLIENT,
      MAC_DIRECTOR,
      ipv4(
        { src: VIP, dst: CLIENT, ttl: 63 },
        icmp4(
          3,
          4,
          1400,
          // Embedded: daddr and dport rewritten, its header checksum recomputed, its TCP checksum left as it was.
          ipv4(
            { src: CLIENT, dst: VIP, ttl: 62, df: true },
            tcp({
              sport: 40000,
              dport: 80,
              seq: 0x01020304,
              ack: 0x0a0b0c0d,
              flags: 0x18,
              data: bytes(33),
              checksum: ckOf(ipv4({ src: CLIENT, dst: RIP, ttl: 62, df: true }, req(40000, 8080))),
            }),
          ).slice(0, 28),
        ),
      ),
    ),
  },
  {
    name: 'ICMP port unreachable from the client about a reply VIP:80→client: outer destination and embedded source become RIP:8080',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4(
        { src: CLIENT, dst: VIP },
        icmp4(3, 3, 0, ipv4({ src: VIP, dst: CLIENT }, udp({ sport: 80, dport: 5000, data: bytes(12) }))),
      ),
    ),
    rewrite: rewriteMasqIn,
    params: toRs,
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4(
        { src: CLIENT, dst: RIP, ttl: 63 },
        icmp4(
          3,
          3,
          0,
          ipv4(
            { src: RIP, dst: CLIENT, l4Src: VIP },
            udp({ sport: 8080, dport: 5000, data: bytes(12), checksum: udpCk(VIP, CLIENT, 80, 5000, bytes(12)) }),
          ),
        ),
      ),
    ),
  },
  {
    name: 'ICMP time exceeded from a router about a reply VIP:80→client (8 bytes quoted)',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4(
        { src: ROUTER, dst: VIP },
        icmp4(11, 0, 0, ipv4({ src: VIP, dst: CLIENT, ttl: 1 }, req(80, 40000)).slice(0, 28)),
      ),
    ),
    rewrite: rewriteMasqIn,
    params: toRs,
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4(
        { src: ROUTER, dst: RIP, ttl: 63 },
        icmp4(
          11,
          0,
          0,
          ipv4(
            { src: RIP, dst: CLIENT, ttl: 1 },
            tcp({
              sport: 8080,
              dport: 40000,
              seq: 0x01020304,
              ack: 0x0a0b0c0d,
              flags: 0x18,
              data: bytes(33),
            }),
          ).slice(0, 28),
        ),
      ),
    ),
  },
  {
    name: 'IPv6 TCP request with port mapping: [VIP6]:80 → [RIP6]:8080, hop limit − 1',
    input: eth6(MAC_DIRECTOR, MAC_CLIENT, ipv6({ src: CLIENT6, dst: VIP6 }, req(40000, 80))),
    rewrite: rewriteMasqIn,
    params: { ...toRs, address: RIP6 },
    verdict: Verdict.FORWARD,
    output: eth6(MAC_RS, MAC_DIRECTOR, ipv6({ src: CLIENT6, dst: RIP6, hop: 63 }, req(40000, 8080))),
  },
  {
    name: 'IPv6 UDP reply: [RIP6]:8053 → [VIP6]:53',
    input: eth6(
      MAC_DIRECTOR,
      MAC_RS,
      ipv6({ src: RIP6, dst: CLIENT6 }, udp({ sport: 8053, dport: 3000, data: bytes(40) })),
    ),
    rewrite: rewriteMasqOut,
    params: { ...toClient, address: VIP6, port: 53 },
    verdict: Verdict.FORWARD,
    output: eth6(
      MAC_CLIENT,
      MAC_DIRECTOR,
      ipv6({ src: VIP6, dst: CLIENT6, hop: 63 }, udp({ sport: 53, dport: 3000, data: bytes(40) })),
    ),
  },
  {
    name: 'ICMPv6 packet-too-big from a router about a reply [VIP6]:80→client: pseudo-header and embedded source translated',
    input: eth6(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv6(
        { src: ROUTER6, dst: VIP6 },
        icmp6(2, 0, 1280, ipv6({ src: VIP6, dst: CLIENT6 }, req(80, 40000)).slice(0, 64)),
      ),
    ),
    rewrite: rewriteMasqIn,
    params: { ...toRs, address: RIP6 },
    verdict: Verdict.FORWARD,
    output: eth6(
      MAC_RS,
      MAC_DIRECTOR,
      ipv6(
        { src: ROUTER6, dst: RIP6, hop: 63 },
        icmp6(
          2,
          0,
          1280,
          withBytes(
            ipv6({ src: RIP6, dst: CLIENT6 }, req(8080, 40000)),
            56,
            ipv6({ src: VIP6, dst: CLIENT6 }, req(80, 40000)),
            56,
            2,
          ).slice(0, 64),
        ),
      ),
    ),
  },
  {
    name: 'TTL 1 on a NAT reply: ICMP time exceeded to the real server from the director (its ourAddress)',
    input: eth4(MAC_DIRECTOR, MAC_RS, ipv4({ src: RIP, dst: CLIENT, ttl: 1 }, req(8080, 40000, 0x12))),
    rewrite: rewriteMasqOut,
    params: { ...toClient, ourAddress: DIP, ident: 5 },
    verdict: Verdict.REPLY,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4(
        { src: DIP, dst: RIP, tos: 0xc0, id: 5 },
        icmp4(11, 0, 0, ipv4({ src: RIP, dst: CLIENT, ttl: 1 }, req(8080, 40000, 0x12))),
      ),
    ),
  },
  {
    name: 'TTL 1 on a NAT reply without a director address: dropped, never an error sent from the client’s address',
    input: eth4(MAC_DIRECTOR, MAC_RS, ipv4({ src: RIP, dst: CLIENT, ttl: 1 }, req(8080, 40000, 0x12))),
    rewrite: rewriteMasqOut,
    params: toClient,
    verdict: Verdict.DROP,
    reason: DropReason.TTL_EXCEEDED,
  },
  {
    name: 'ICMP error with a wrong checksum: dropped',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4(
        { src: CLIENT, dst: VIP },
        icmp4(3, 3, 0, ipv4({ src: VIP, dst: CLIENT }, udp({ sport: 80, dport: 1 })), 0x1234),
      ),
    ),
    rewrite: rewriteMasqIn,
    params: toRs,
    verdict: Verdict.DROP,
    reason: DropReason.BAD_ICMP_CHECKSUM,
  },
  {
    name: 'ICMP echo request to the VIP: not a NAT flow',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP }, icmp4(8, 0, 0x00010001, bytes(16)))),
    rewrite: rewriteMasqIn,
    params: toRs,
    verdict: Verdict.DROP,
    reason: DropReason.UNSUPPORTED_PROTOCOL,
  },
  {
    name: 'IPv6 packet with an IPv4 decision: dropped as a family mismatch',
    input: eth6(MAC_DIRECTOR, MAC_CLIENT, ipv6({ src: CLIENT6, dst: VIP6 }, req(40000, 80))),
    rewrite: rewriteMasqIn,
    params: toRs,
    verdict: Verdict.DROP,
    reason: DropReason.FAMILY_MISMATCH,
  },
];

/** The TCP checksum field (bytes 16–17 of the segment) of an IPv4 packet without options. */
function ckOf(pkt: number[]): number {
  return (pkt[20 + 16]! << 8) | pkt[20 + 17]!;
}

/** The UDP checksum the builder computes for these fields. */
function udpCk(src: string, dst: string, sport: number, dport: number, data: number[]): number {
  const d = udp({ sport, dport, data }).build(src.split('.').map(Number), dst.split('.').map(Number));
  return (d[6]! << 8) | d[7]!;
}

/** `base` with `len` bytes at `at` replaced by those of `from` at `fromAt` (keeps an untouched checksum). */
function withBytes(base: number[], at: number, from: number[], fromAt: number, len: number): number[] {
  const out = [...base];
  for (let i = 0; i < len; i++) out[at + i] = from[fromAt + i]!;
  return out;
}
