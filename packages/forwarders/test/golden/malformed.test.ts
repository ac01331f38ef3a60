/**
 * Golden rows for frames that must be dropped with a reason, never thrown on: truncated, wrong versions and
 * lengths, bad checksums, broken extension chains. Each is run through every method, since the datapath
 * parses before it knows the method.
 */

import { DropReason, Verdict } from '@lvskit/base';
import { describe } from 'vitest';
import { rewriteMasqIn, rewriteRoute, rewriteTunnel } from '../../src/index.js';
import { eth, eth4, eth6, ip, ipv4, ipv6, tcp, udp } from './builder.js';
import { CLIENT, CLIENT6, MAC_CLIENT, MAC_DIRECTOR, MAC_RS, RIP, VIP, VIP6 } from './fixtures.js';
import { type GoldenRow, runGolden } from './table.js';

const params = { ourMac: MAC_DIRECTOR, nextHopMac: MAC_RS, address: RIP, port: 80, ourAddress: '198.18.1.1' };
const syn = tcp({ sport: 1, dport: 80 });
const good = ipv4({ src: CLIENT, dst: VIP }, syn);

const cases: { name: string; input: Uint8Array; reason: DropReason }[] = [
  { name: 'empty frame', input: new Uint8Array(0), reason: DropReason.TRUNCATED_ETHERNET },
  {
    name: '13 bytes',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, good).subarray(0, 13),
    reason: DropReason.TRUNCATED_ETHERNET,
  },
  {
    name: '802.1Q tag announced, frame ends inside it',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, good, 5).subarray(0, 16),
    reason: DropReason.TRUNCATED_ETHERNET,
  },
  {
    name: 'ARP request (not IP)',
    input: eth(MAC_DIRECTOR, MAC_CLIENT, 0x0806, [
      0,
      1,
      8,
      0,
      6,
      4,
      0,
      1,
      ...Array(6).fill(2),
      ...ip(CLIENT),
      ...Array(6).fill(0),
      ...ip(VIP),
    ]),
    reason: DropReason.NOT_IP,
  },
  {
    name: 'IPv4 header cut at 19 bytes',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, good.slice(0, 19)),
    reason: DropReason.MALFORMED_IPV4,
  },
  {
    name: 'version 5 in an IPv4 EtherType',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, versionIhl: 0x55 }, syn)),
    reason: DropReason.MALFORMED_IPV4,
  },
  {
    name: 'IHL 4 (16-byte header)',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, versionIhl: 0x44 }, syn)),
    reason: DropReason.MALFORMED_IPV4,
  },
  {
    name: 'total length beyond the frame',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, totalLength: 200 }, syn)),
    reason: DropReason.MALFORMED_IPV4,
  },
  {
    name: 'total length shorter than the header',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, totalLength: 16 }, syn)),
    reason: DropReason.MALFORMED_IPV4,
  },
  {
    name: 'IPv4 header checksum wrong',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP, checksum: 0xbeef }, syn)),
    reason: DropReason.BAD_IPV4_CHECKSUM,
  },
  {
    name: 'TCP data offset 4',
    input: eth4(MAC_DIRECTOR, MAC_CLIENT, withByte(good, 20 + 12, 0x40)),
    reason: DropReason.TRUNCATED_TRANSPORT,
  },
  {
    name: 'TCP header cut at 12 bytes (IP total length says so)',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP }, { proto: 6, build: () => Array(12).fill(0) }),
    ),
    reason: DropReason.TRUNCATED_TRANSPORT,
  },
  {
    name: 'UDP header cut at 6 bytes',
    input: eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP }, { proto: 17, build: () => [0, 1, 0, 2, 0, 8] }),
    ),
    reason: DropReason.TRUNCATED_TRANSPORT,
  },
  {
    name: 'IPv6 payload length beyond the frame',
    input: eth6(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv6({ src: CLIENT6, dst: VIP6, payloadLength: 500 }, udp({ sport: 1, dport: 2 })),
    ),
    reason: DropReason.MALFORMED_IPV6,
  },
  {
    name: 'IPv6 destination-options header longer than the packet',
    input: eth6(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv6({ src: CLIENT6, dst: VIP6, ext: [{ type: 60, body: [9, 1, 2, 3, 4, 5, 6] }] }, udp({ sport: 1, dport: 2 })),
    ),
    reason: DropReason.BAD_IPV6_EXTENSION,
  },
  {
    name: 'version 4 in an IPv6 EtherType',
    input: eth(MAC_DIRECTOR, MAC_CLIENT, 0x86dd, [...good, ...Array(40).fill(0)]),
    reason: DropReason.MALFORMED_IPV6,
  },
];

function withByte(pkt: number[], at: number, v: number): number[] {
  const out = [...pkt];
  out[at] = v;
  return out;
}

const rows: GoldenRow[] = cases.flatMap((c) =>
  [rewriteRoute, rewriteMasqIn, rewriteTunnel].map((rewrite) => ({
    name: `${c.name} (${rewrite.name})`,
    input: c.input,
    rewrite,
    params,
    verdict: Verdict.DROP,
    reason: c.reason,
  })),
);

describe('golden: malformed frames are dropped with a reason', () => {
  runGolden(rows);
});
