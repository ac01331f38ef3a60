/**
 * Golden packets for direct routing. Expected frames are written from ip_vs_dr_xmit: only the MACs change,
 * plus the kernel's decrement_ttl (TTL − 1 and a fresh IPv4 header checksum) unless it is switched off;
 * TTL 1 becomes an ICMP time-exceeded from the VIP (icmp_send answers from the local destination) with
 * TOS 0xc0, TTL 64, no DF, the original quoted.
 */
import { DropReason, Verdict } from '@lvskit/base';
import { rewriteRoute } from '../../src/index.js';
import { bytes, eth4, eth6, icmp4, icmp6, ipv4, ipv6, tcp, udp } from './builder.js';
import { CLIENT, CLIENT6, MAC_CLIENT, MAC_DIRECTOR, MAC_RS, VIP, VIP6 } from './fixtures.js';
import type { GoldenRow } from './table.js';

const dr = { ourMac: MAC_DIRECTOR, nextHopMac: MAC_RS };
const syn = tcp({ sport: 40000, dport: 80, seq: 1, flags: 0x02, options: [2, 4, 5, 0xb4] });
const rr = [7, 7, 4, 0, 0, 0, 0, 0]; // Record Route with one empty slot, padded: IPv4 options survive DR
const quote = (pkt: number[]) => pkt.slice(0, 576 - 28);

/** The rows (shared by the unit table and the lab replay, test/lab/golden-replay.test.ts). */
export const drRows: GoldenRow[] = [
  {
    name: 'TCP SYN, textbook DR (decrementTtl off): only the MACs change',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, ttl: 64, df: true }, syn)),
    rewrite: rewriteRoute,
    params: { ...dr, decrementTtl: false },
    verdict: Verdict.FORWARD,
    output: eth4(MAC_RS, MAC_DIRECTOR, ipv4({ src: CLIENT, dst: VIP, ttl: 64, df: true }, syn)),
  },
  {
    name: 'TCP SYN, kernel DR: MACs change and TTL 64 → 63 with the header checksum recomputed',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, ttl: 64, df: true }, syn)),
    rewrite: rewriteRoute,
    params: dr,
    verdict: Verdict.FORWARD,
    output: eth4(MAC_RS, MAC_DIRECTOR, ipv4({ src: CLIENT, dst: VIP, ttl: 63, df: true }, syn)),
  },
  {
    name: 'UDP with IPv4 options: options carried unchanged',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP, ttl: 30, options: rr }, udp({ sport: 5353, dport: 53, data: bytes(20) })),
    ),
    rewrite: rewriteRoute,
    params: dr,
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4({ src: CLIENT, dst: VIP, ttl: 29, options: rr }, udp({ sport: 5353, dport: 53, data: bytes(20) })),
    ),
  },
  {
    name: 'non-first IPv4 fragment (offset 1480): forwarded, only MACs and TTL change',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP, fragOffset: 1480, id: 7, proto: 17 }, { proto: 17, build: () => bytes(100) }),
    ),
    rewrite: rewriteRoute,
    params: dr,
    verdict: Verdict.FORWARD,
    output: eth4(
      MAC_RS,
      MAC_DIRECTOR,
      ipv4({ src: CLIENT, dst: VIP, fragOffset: 1480, id: 7, ttl: 63 }, { proto: 17, build: () => bytes(100) }),
    ),
  },
  {
    name: '802.1Q-tagged frame: the tag is kept, MACs change',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP }, syn), 42),
    rewrite: rewriteRoute,
    params: dr,
    verdict: Verdict.FORWARD,
    output: eth4(MAC_RS, MAC_DIRECTOR, ipv4({ src: CLIENT, dst: VIP, ttl: 63 }, syn), 42),
  },
  {
    name: 'IPv6 TCP: hop limit 64 → 63 (no IPv6 header checksum), MACs change',
    input: eth6(MAC_DIRECTOR, MAC_CLIENT, ipv6({ src: CLIENT6, dst: VIP6 }, syn)),
    rewrite: rewriteRoute,
    params: dr,
    verdict: Verdict.FORWARD,
    output: eth6(MAC_RS, MAC_DIRECTOR, ipv6({ src: CLIENT6, dst: VIP6, hop: 63 }, syn)),
  },
  {
    name: 'IPv6 UDP behind a hop-by-hop options header',
    input: eth6(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv6({ src: CLIENT6, dst: VIP6, ext: [{ type: 0, body: [0, 1, 4, 0, 0, 0, 0] }] }, udp({ sport: 1, dport: 53 })),
    ),
    rewrite: rewriteRoute,
    params: dr,
    verdict: Verdict.FORWARD,
    output: eth6(
      MAC_RS,
      MAC_DIRECTOR,
      ipv6(
        { src: CLIENT6, dst: VIP6, hop: 63, ext: [{ type: 0, body: [0, 1, 4, 0, 0, 0, 0] }] },
        udp({ sport: 1, dport: 53 }),
      ),
    ),
  },
  {
    name: 'TTL 1: ICMP time exceeded back to the client from the VIP, quoting the packet as received',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, ttl: 1, tos: 0x10 }, syn)),
    rewrite: rewriteRoute,
    params: { ...dr, ident: 0x4242 },
    verdict: Verdict.REPLY,
    output: eth4(
      MAC_CLIENT,
      MAC_DIRECTOR,
      ipv4(
        { src: VIP, dst: CLIENT, ttl: 64, tos: 0xd0, id: 0x4242 },
        icmp4(11, 0, 0, quote(ipv4({ src: CLIENT, dst: VIP, ttl: 1, tos: 0x10 }, syn))),
      ),
    ),
  },
  {
    name: 'IPv6 hop limit 1: ICMPv6 time exceeded (type 3) from the VIP',
    input: eth6(MAC_DIRECTOR, MAC_CLIENT, ipv6({ src: CLIENT6, dst: VIP6, hop: 1 }, syn)),
    rewrite: rewriteRoute,
    params: dr,
    verdict: Verdict.REPLY,
    output: eth6(
      MAC_CLIENT,
      MAC_DIRECTOR,
      ipv6({ src: VIP6, dst: CLIENT6, hop: 64 }, icmp6(3, 0, 0, ipv6({ src: CLIENT6, dst: VIP6, hop: 1 }, syn))),
    ),
  },
  {
    name: 'TTL 1 on an ICMP error: dropped, never an ICMP error about an ICMP error',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4(
        { src: CLIENT, dst: VIP, ttl: 1 },
        icmp4(3, 3, 0, ipv4({ src: VIP, dst: CLIENT }, udp({ sport: 53, dport: 9 }))),
      ),
    ),
    rewrite: rewriteRoute,
    params: dr,
    verdict: Verdict.DROP,
    reason: DropReason.TTL_EXCEEDED,
  },
  {
    name: 'DF packet larger than the egress MTU: fragmentation needed with that MTU, quoting the TTL-decremented packet',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP, df: true }, udp({ sport: 1, dport: 2, data: bytes(700) })),
    ),
    rewrite: rewriteRoute,
    params: { ...dr, mtu: 576, ident: 9 },
    verdict: Verdict.REPLY,
    output: eth4(
      MAC_CLIENT,
      MAC_DIRECTOR,
      ipv4(
        { src: VIP, dst: CLIENT, tos: 0xc0, id: 9 },
        icmp4(
          3,
          4,
          576,
          quote(ipv4({ src: CLIENT, dst: VIP, df: true, ttl: 63 }, udp({ sport: 1, dport: 2, data: bytes(700) }))),
        ),
      ),
    ),
  },
  {
    name: 'packet larger than the MTU without DF: dropped (the kernel would fragment; we do not)',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP }, udp({ sport: 1, dport: 2, data: bytes(700) })),
    ),
    rewrite: rewriteRoute,
    params: { ...dr, mtu: 576 },
    verdict: Verdict.DROP,
    reason: DropReason.NEEDS_FRAGMENTATION,
  },
];
