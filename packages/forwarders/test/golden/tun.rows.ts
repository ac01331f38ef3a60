/**
 * Golden packets for IPIP tunnelling, written from ip_vs_tunnel_xmit / ip_vs_prepare_tunneled_skb: inner
 * TTL decremented (decrement_ttl) and its checksum fixed; outer header version 4, IHL 5, TOS = inner TOS,
 * TTL = inner (decremented) TTL, protocol 4, source = director, destination = real server, DF copied when
 * pmtu_disc is on — and then ID 0 (ip_select_ident_segs), else the ident generator's value. A DF packet
 * longer than MTU − 20 gets ICMP fragmentation-needed with next-hop MTU = MTU − 20.
 */
import { DropReason, Verdict } from '@lvskit/base';
import { rewriteTunnel } from '../../src/index.js';
import { bytes, eth4, eth6, icmp4, ipv4, ipv6, raw, tcp, udp } from './builder.js';
import { CLIENT, CLIENT6, DIP, MAC_CLIENT, MAC_DIRECTOR, MAC_RS, RIP, VIP, VIP6 } from './fixtures.js';
import type { GoldenRow } from './table.js';

const tun = { ourMac: MAC_DIRECTOR, nextHopMac: MAC_RS, address: RIP, ourAddress: DIP, ident: 0x0bad };
const seg = tcp({ sport: 40000, dport: 80, flags: 0x18, data: bytes(100) });
const inner = (o: { ttl: number; df?: boolean; tos?: number; options?: number[] }) =>
  ipv4({ src: CLIENT, dst: VIP, ...o }, seg);
const big = (ttl: number, df: boolean) =>
  ipv4({ src: CLIENT, dst: VIP, ttl, df }, udp({ sport: 1000, dport: 53, data: bytes(1462) })); // 1490 bytes

/** The rows (shared by the unit table and the lab replay, test/lab/golden-replay.test.ts). */
export const tunRows: GoldenRow[] = [
  {
    name: 'TCP with DF: outer DF, ID 0, TOS and TTL copied from the (decremented) inner header',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, inner({ ttl: 64, df: true, tos: 0x28 })),
    rewrite: rewriteTunnel,
    params: tun,
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4(
        { src: DIP, dst: RIP, ttl: 63, df: true, tos: 0x28, id: 0 },
        raw(4, inner({ ttl: 63, df: true, tos: 0x28 })),
      ),
    ),
  },
  {
    name: 'UDP without DF: outer without DF, ID from the ident generator',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, ttl: 20 }, udp({ sport: 9, dport: 53 }))),
    rewrite: rewriteTunnel,
    params: tun,
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4(
        { src: DIP, dst: RIP, ttl: 19, id: 0x0bad },
        raw(4, ipv4({ src: CLIENT, dst: VIP, ttl: 19 }, udp({ sport: 9, dport: 53 }))),
      ),
    ),
  },
  {
    name: 'inner IPv4 options travel inside; short frame: Ethernet padding is not carried into the tunnel',
    input: padded(
      eth4(
        MAC_DIRECTOR,
        MAC_CLIENT,
        ipv4({ src: CLIENT, dst: VIP, options: [1, 1, 1, 0] }, udp({ sport: 9, dport: 53 })),
      ),
      60,
    ),
    rewrite: rewriteTunnel,
    params: { ...tun, decrementTtl: false },
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4(
        { src: DIP, dst: RIP, id: 0x0bad },
        raw(4, ipv4({ src: CLIENT, dst: VIP, options: [1, 1, 1, 0] }, udp({ sport: 9, dport: 53 }))),
      ),
    ),
  },
  {
    name: 'pmtu_disc off: DF is not copied (outer ID from the generator)',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, inner({ ttl: 64, df: true })),
    rewrite: rewriteTunnel,
    params: { ...tun, pmtuDisc: false },
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4({ src: DIP, dst: RIP, ttl: 63, id: 0x0bad }, raw(4, inner({ ttl: 63, df: true }))),
    ),
  },
  {
    name: '1490-byte DF packet, MTU 1500: ICMP frag-needed with next-hop MTU 1480 back to the client from the VIP',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, big(64, true)),
    rewrite: rewriteTunnel,
    params: { ...tun, ident: 0x77 },
    verdict: Verdict.REPLY,
    output: eth4(
      MAC_CLIENT,
      MAC_DIRECTOR,
      ipv4({ src: VIP, dst: CLIENT, tos: 0xc0, id: 0x77 }, icmp4(3, 4, 1480, big(63, true).slice(0, 548))),
    ),
  },
  {
    name: '1480-byte DF packet, MTU 1500: fits exactly, encapsulated to 1500',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, df: true }, raw(17, udpBytes(1452)))),
    rewrite: rewriteTunnel,
    params: tun,
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4(
        { src: DIP, dst: RIP, ttl: 63, df: true, id: 0 },
        raw(4, ipv4({ src: CLIENT, dst: VIP, df: true, ttl: 63 }, raw(17, udpBytes(1452)))),
      ),
    ),
  },
  {
    name: '1490-byte packet without DF: dropped (the kernel would fragment the outer packet)',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, big(64, false)),
    rewrite: rewriteTunnel,
    params: tun,
    verdict: Verdict.DROP,
    reason: DropReason.NEEDS_FRAGMENTATION,
  },
  {
    name: 'TTL 1: ICMP time exceeded instead of a tunnelled packet',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, inner({ ttl: 1 })),
    rewrite: rewriteTunnel,
    params: tun,
    verdict: Verdict.REPLY,
    output: eth4(
      MAC_CLIENT,
      MAC_DIRECTOR,
      ipv4({ src: VIP, dst: CLIENT, tos: 0xc0, id: 0x0bad }, icmp4(11, 0, 0, inner({ ttl: 1 }))),
    ),
  },
  {
    name: 'link MTU 80: tunnel MTU 60 is below 68, dropped',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP }, udp({ sport: 9, dport: 53 }))),
    rewrite: rewriteTunnel,
    params: { ...tun, mtu: 80 },
    verdict: Verdict.DROP,
    reason: DropReason.TUNNEL_MTU_TOO_SMALL,
  },
  {
    name: 'no 20 bytes of room after the frame: dropped',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, inner({ ttl: 64 })),
    rewrite: rewriteTunnel,
    params: tun,
    capacity: 14 + 140 + 19, // the 154-byte frame plus 19 bytes
    verdict: Verdict.DROP,
    reason: DropReason.NO_ROOM,
  },
  {
    name: 'IPv6 packet: IPIP carries IPv4 only',
    input: eth6(MAC_DIRECTOR, MAC_CLIENT, ipv6({ src: CLIENT6, dst: VIP6 }, seg)),
    rewrite: rewriteTunnel,
    params: tun,
    verdict: Verdict.DROP,
    reason: DropReason.FAMILY_MISMATCH,
  },
];

function udpBytes(n: number): number[] {
  return bytes(n, 3);
}

function padded(frame: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(Math.max(size, frame.length));
  out.set(frame);
  return out;
}
