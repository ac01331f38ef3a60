/**
 * STYLE rules 8 and 17: the golden rows run through the WHOLE datapath — core's engine deciding, the
 * datapath parsing, routing, resolving next hops, rewriting, fragmenting, answering ARP/NDP and serving — on
 * `MemoryFramePort`s instead of packet sockets, so without root. Each row's input frame is injected on the
 * director's interface and the frame the datapath sent must equal the row's expected output byte for byte
 * (only the IPv4 identification of an ICMP error or a tunnel header the datapath numbers itself is taken
 * from what was sent, where a row asked the pure rewrite for a chosen ident). The engine opens connections
 * as IPVS does, so a row carrying a non-SYN segment or a reply is preceded by its connection's first packet.
 * The masquerading rows of ICMP errors about a connection run through the pure rewrite only: core's packet
 * summary carries no embedded flow, so the engine leaves such errors to the kernel (LEFT_TO_KERNEL) today.
 * Then what only the datapath does: routing over two interfaces and a gateway, neighbour misses (ARP / NS
 * sent, answers learnt), reassembly and fragmentation, ARP/NDP answers and announcements, serving off.
 */
import { DROP_REASON_NAMES, DropReason, Verdict } from '@lvskit/base';
import { FakeClock } from '@lvskit/base/testing';
import { ipvs } from '@lvskit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatapath, type Datapath, type DatapathOptions } from '../../src/index.js';
import { MemoryFramePort } from '../../src/testing.js';
import { bytes, eth, eth4, eth6, icmp6, ip, ipv4, ipv6, mac, noise, raw, rfc1071, tcp, udp } from './builder.js';
import { drRows } from './dr.rows.js';
import { CLIENT, CLIENT6, DIP, MAC_CLIENT, MAC_DIRECTOR, MAC_RS, RIP, RIP6, ROUTER, VIP, VIP6 } from './fixtures.js';
import { natRows } from './nat.rows.js';
import type { GoldenRow } from './table.js';
import { tunRows } from './tun.rows.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
type Method = 'route' | 'masq' | 'tunnel';

interface Director {
  readonly dp: Datapath;
  readonly lan: MemoryFramePort;
  readonly clock: FakeClock;
  stop(): Promise<void>;
}

const running: Director[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

interface Service {
  readonly protocol: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}

/** A director on one memory interface (198.18.0.0/15 and 2001:db8::/32 on-link), one real server. */
async function director(
  method: Method,
  service: Service,
  rs: { address: string; port?: number },
  extra: { mtu?: number; options?: Partial<DatapathOptions>; lan?: MemoryFramePort } = {},
): Promise<Director> {
  const clock = new FakeClock(1000);
  const lan =
    extra.lan ??
    new MemoryFramePort({
      ifname: 'eth0',
      mac: MAC_DIRECTOR,
      ...(extra.mtu === undefined ? {} : { mtu: extra.mtu }),
      addresses: ['198.18.0.1/15', '2001:db8::1/32', 'fe80::1/64'],
    });
  const dp = createDatapath({
    ifname: 'eth0',
    vips: [VIP, VIP6],
    address: DIP,
    clock,
    neighbours: { [RIP]: MAC_RS, [CLIENT]: MAC_CLIENT, [RIP6]: MAC_RS, [CLIENT6]: MAC_CLIENT },
    framePort: MemoryFramePort.factory(lan),
    ...extra.options,
  });
  const lvs = await ipvs()
    .maxConnections(1024)
    .service('s', { ...service, scheduler: 'rr' })
    .realServer('s', { address: rs.address, method, ...(rs.port === undefined ? {} : { port: rs.port }) })
    .start({ packets: dp, clock });
  const d = { dp, lan, clock, stop: () => lvs.stop() };
  running.push(d);
  return d;
}

function row(rows: GoldenRow[], name: string): GoldenRow {
  const r = rows.find((x) => x.name === name);
  if (r === undefined) throw new Error(`golden row not found: ${name}`);
  return r;
}

/**
 * `expected` with the outer IPv4 identification of `actual` (and its header checksum recomputed): for rows
 * whose pure-rewrite params chose an ident, where the datapath uses its own generator.
 */
function withIdOf(expected: Uint8Array, actual: Uint8Array): Uint8Array {
  const out = Uint8Array.from(expected);
  if (actual.length < 34 || out[12] !== 0x08 || out[13] !== 0x00) return out;
  out[18] = actual[18]!;
  out[19] = actual[19]!;
  out[24] = 0;
  out[25] = 0;
  const ck = rfc1071(Array.from(out.subarray(14, 14 + (out[14]! & 0x0f) * 4)));
  out[24] = ck >> 8;
  out[25] = ck & 0xff;
  return out;
}

interface RowCase {
  readonly rows: GoldenRow[];
  readonly name: string;
  readonly method: Method;
  readonly service: Service;
  readonly rs: { address: string; port?: number };
  /** Frames that open the row's connection first (their output is not checked here). */
  readonly before?: readonly Uint8Array[];
  readonly mtu?: number;
  /** The row chose an IPv4 ident the datapath's generator does not (compare everything else). */
  readonly ownId?: boolean;
}

const syn = (sport: number, dport: number) =>
  eth4(
    MAC_DIRECTOR,
    MAC_CLIENT,
    ipv4({ src: CLIENT, dst: VIP, df: true }, tcp({ sport, dport, seq: 0x01020303, flags: 0x02 })),
  );
const syn6 = (sport: number, dport: number) =>
  eth6(
    MAC_DIRECTOR,
    MAC_CLIENT,
    ipv6({ src: CLIENT6, dst: VIP6 }, tcp({ sport, dport, seq: 0x01020303, flags: 0x02 })),
  );
const udpTo = (dst: string, sport: number, dport: number) =>
  dst.includes(':')
    ? eth6(MAC_DIRECTOR, MAC_CLIENT, ipv6({ src: CLIENT6, dst }, udp({ sport, dport })))
    : eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst }, udp({ sport, dport })));

const web: Service = { protocol: 'tcp', address: VIP, port: 80 };
const web6: Service = { protocol: 'tcp', address: VIP6, port: 80 };
const dns: Service = { protocol: 'udp', address: VIP, port: 53 };
const dns6: Service = { protocol: 'udp', address: VIP6, port: 53 };

const rowCases: RowCase[] = [
  // Direct routing (ip_vs_dr_xmit): the datapath's default is the kernel's, TTL decremented.
  ...[
    'TCP SYN, kernel DR: MACs change and TTL 64 → 63 with the header checksum recomputed',
    '802.1Q-tagged frame: the tag is kept, MACs change',
  ].map((name) => ({ rows: drRows, name, method: 'route' as const, service: web, rs: { address: RIP } })),
  {
    rows: drRows,
    name: 'UDP with IPv4 options: options carried unchanged',
    method: 'route',
    service: dns,
    rs: { address: RIP },
  },
  {
    rows: drRows,
    name: 'IPv6 TCP: hop limit 64 → 63 (no IPv6 header checksum), MACs change',
    method: 'route',
    service: web6,
    rs: { address: RIP6 },
  },
  {
    rows: drRows,
    name: 'IPv6 UDP behind a hop-by-hop options header',
    method: 'route',
    service: dns6,
    rs: { address: RIP6 },
  },
  {
    rows: drRows,
    name: 'TTL 1: ICMP time exceeded back to the client from the VIP, quoting the packet as received',
    method: 'route',
    service: web,
    rs: { address: RIP },
    ownId: true,
  },
  {
    rows: drRows,
    name: 'IPv6 hop limit 1: ICMPv6 time exceeded (type 3) from the VIP',
    method: 'route',
    service: web6,
    rs: { address: RIP6 },
  },
  {
    rows: drRows,
    name: 'DF packet larger than the egress MTU: fragmentation needed with that MTU, quoting the TTL-decremented packet',
    method: 'route',
    service: { protocol: 'udp', address: VIP, port: 2 },
    rs: { address: RIP },
    mtu: 576,
    ownId: true,
  },
  // Masquerading: requests and replies of one connection, ICMP errors about it.
  ...[
    'TCP request with port mapping: VIP:80 → RIP:8080, TTL − 1, IPv4 and TCP checksums',
    'TCP reply: RIP:8080 → VIP:80 towards the client-side router',
  ].map((name) => ({
    rows: natRows,
    name,
    method: 'masq' as const,
    service: web,
    rs: { address: RIP, port: 8080 },
    before: [syn(40000, 80)],
  })),
  ...[
    'UDP request, same port (53): address and checksum only',
    'UDP request with zero checksum: the kernel computes a full checksum for the translated datagram',
  ].map((name) => ({ rows: natRows, name, method: 'masq' as const, service: dns, rs: { address: RIP, port: 53 } })),
  {
    rows: natRows,
    name: 'UDP reply: RIP:53 → VIP:53',
    method: 'masq',
    service: dns,
    rs: { address: RIP, port: 53 },
    before: [udpTo(VIP, 5353, 53)],
  },
  {
    rows: natRows,
    name: 'IPv6 TCP request with port mapping: [VIP6]:80 → [RIP6]:8080, hop limit − 1',
    method: 'masq',
    service: web6,
    rs: { address: RIP6, port: 8080 },
    before: [syn6(40000, 80)],
  },
  {
    rows: natRows,
    name: 'IPv6 UDP reply: [RIP6]:8053 → [VIP6]:53',
    method: 'masq',
    service: dns6,
    rs: { address: RIP6, port: 8053 },
    before: [udpTo(VIP6, 3000, 53)],
  },
  {
    rows: natRows,
    name: 'TTL 1 on a NAT reply: ICMP time exceeded to the real server from the director (its ourAddress)',
    method: 'masq',
    service: web,
    rs: { address: RIP, port: 8080 },
    before: [syn(40000, 80)],
    ownId: true,
  },
  // Tunnelling (ip_vs_tunnel_xmit), outer source DIP.
  {
    rows: tunRows,
    name: 'TCP with DF: outer DF, ID 0, TOS and TTL copied from the (decremented) inner header',
    method: 'tunnel',
    service: web,
    rs: { address: RIP },
    before: [syn(40000, 80)],
  },
  {
    rows: tunRows,
    name: 'UDP without DF: outer without DF, ID from the ident generator',
    method: 'tunnel',
    service: dns,
    rs: { address: RIP },
    ownId: true,
  },
  {
    rows: tunRows,
    name: '1490-byte DF packet, MTU 1500: ICMP frag-needed with next-hop MTU 1480 back to the client from the VIP',
    method: 'tunnel',
    service: dns,
    rs: { address: RIP },
    ownId: true,
  },
  {
    rows: tunRows,
    name: '1480-byte DF packet, MTU 1500: fits exactly, encapsulated to 1500',
    method: 'tunnel',
    service: {
      protocol: 'udp',
      address: VIP,
      port: get16Of(row(tunRows, '1480-byte DF packet, MTU 1500: fits exactly, encapsulated to 1500').input, 36),
    },
    rs: { address: RIP },
  },
  {
    rows: tunRows,
    name: 'TTL 1: ICMP time exceeded instead of a tunnelled packet',
    method: 'tunnel',
    service: web,
    rs: { address: RIP },
    before: [syn(40000, 80)],
    ownId: true,
  },
  {
    rows: tunRows,
    name: 'link MTU 80: tunnel MTU 60 is below 68, dropped',
    method: 'tunnel',
    service: dns,
    rs: { address: RIP },
    mtu: 80,
  },
];

function get16Of(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

describe('golden rows through the whole datapath (MemoryFramePort, no root)', () => {
  for (const c of rowCases) {
    it(c.name, async () => {
      const r = row(c.rows, c.name);
      const d = await director(c.method, c.service, c.rs, c.mtu === undefined ? {} : { mtu: c.mtu });
      for (const f of c.before ?? []) {
        d.lan.receive(f);
      }
      const before = d.dp.counterValues();
      const sent = d.lan.receive(r.input);
      const after = d.dp.counterValues();
      if (r.verdict === Verdict.DROP) {
        expect(sent).toEqual([]);
        const name = DROP_REASON_NAMES[r.reason ?? DropReason.NONE];
        expect((after[`DROP_${name}`] ?? 0) - (before[`DROP_${name}`] ?? 0)).toBe(1);
        return;
      }
      expect(sent.length, 'one frame out').toBe(1);
      const out = sent[0]!.bytes;
      const expected = c.ownId ? withIdOf(r.output!, out) : r.output!;
      expect(hex(out)).toBe(hex(expected));
      const counter = r.verdict === Verdict.REPLY ? 'REPLIED' : 'FORWARDED';
      expect(after[counter]! - before[counter]!).toBe(1);
    });
  }
});

// ——— What only the datapath does ———

const MAC_ETH1 = '02:00:00:00:01:fe';
const MAC_ROUTER = '02:00:00:00:00:fd';
const REMOTE = '198.19.5.5';

describe('routing over two interfaces and a gateway', () => {
  it('NAT request leaves by the real servers’ interface; the reply to a remote client goes to the gateway', async () => {
    const lan = new MemoryFramePort({ ifname: 'eth0', mac: MAC_DIRECTOR, addresses: ['198.18.0.1/24'] });
    const back = new MemoryFramePort({ ifname: 'eth1', mac: MAC_ETH1, ifindex: 3, addresses: ['198.18.1.1/24'] });
    const clock = new FakeClock(1000);
    const dp = createDatapath({
      ifname: 'eth0',
      gateway: ROUTER,
      interfaces: [{ ifname: 'eth1' }],
      vips: [VIP],
      clock,
      neighbours: { [RIP]: MAC_RS, [ROUTER]: MAC_ROUTER },
      framePort: MemoryFramePort.factory(lan, back),
    });
    const lvs = await ipvs()
      .maxConnections(1024)
      .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
      .realServer('web', { address: RIP, method: 'masq', port: 8080 })
      .start({ packets: dp, clock });
    try {
      const seg = (sport: number, dport: number, flags: number) =>
        tcp({ sport, dport, seq: 7, flags, data: bytes(10) });
      // The remote client's SYN arrives through the router.
      expect(
        lan.receive(eth4(MAC_DIRECTOR, MAC_ROUTER, ipv4({ src: REMOTE, dst: VIP }, seg(41000, 80, 0x02)))),
      ).toEqual([]);
      const toRs = back.takeSent();
      expect(toRs.map((f) => hex(f.bytes))).toEqual([
        hex(eth4(MAC_RS, MAC_ETH1, ipv4({ src: REMOTE, dst: RIP, ttl: 63 }, seg(41000, 8080, 0x02)))),
      ]);
      expect(toRs[0]!.inPlace, 'out another interface: copied into its send memory').toBe(false);
      // The real server's SYN-ACK comes back on eth1 and leaves by eth0 towards the gateway.
      expect(back.receive(eth4(MAC_ETH1, MAC_RS, ipv4({ src: RIP, dst: REMOTE }, seg(8080, 41000, 0x12))))).toEqual([]);
      expect(lan.takeSent().map((f) => hex(f.bytes))).toEqual([
        hex(eth4(MAC_ROUTER, MAC_DIRECTOR, ipv4({ src: VIP, dst: REMOTE, ttl: 63 }, seg(80, 41000, 0x12)))),
      ]);
      expect(dp.counterValues().FORWARDED).toBe(2);
      // The socket requests: eth0 joins no group without IPv6 VIPs; both keep the kernel's own traffic.
      expect(lan.request).toMatchObject({ ifname: 'eth0', batchSize: 64, offload: true, filter: true, multicast: [] });
      expect(back.request?.ifname).toBe('eth1');
    } finally {
      await lvs.stop();
    }
    expect(lan.isOpen).toBe(false);
  });

  it('a destination on no connected subnet and no gateway leaves by the first interface, to itself', async () => {
    const d = await director('route', web, { address: '198.20.0.9' });
    d.lan.neighbours.set('198.20.0.9', MAC_RS);
    const sent = d.lan.receive(syn(40000, 80));
    expect(sent.length).toBe(1);
    expect(hex(sent[0]!.bytes.subarray(0, 6))).toBe(hex(Uint8Array.from(mac(MAC_RS))));
    expect(d.lan.neighbourQueries).toBe(1);
  });
});

describe('neighbour misses', () => {
  it('IPv4: the frame waits (NEXT_HOP_UNKNOWN), one ARP request goes out per 100 ms, the reply is learnt', async () => {
    const d = await director('route', web, { address: RIP }, { options: { neighbours: {} } });
    expect(d.lan.receive(syn(40000, 80), syn(40001, 80)).map((f) => hex(f.bytes))).toEqual([
      // RFC 826 request from the interface's own address, padded to 60 bytes.
      hex(
        pad60(
          eth('ff:ff:ff:ff:ff:ff', MAC_DIRECTOR, 0x0806, [
            0,
            1,
            8,
            0,
            6,
            4,
            0,
            1,
            ...mac(MAC_DIRECTOR),
            ...ip('198.18.0.1'),
            0,
            0,
            0,
            0,
            0,
            0,
            ...ip(RIP),
          ]),
        ),
      ),
    ]);
    let c = d.dp.counterValues();
    expect([c.NEXT_HOP_UNKNOWN, c.ARP_REQUESTS, c.FORWARDED]).toEqual([2, 1, 0]);
    expect(d.lan.neighbourQueries).toBe(1);
    // A reply addressed to us resolves the waiting entry; the next frame goes out.
    const reply = eth(MAC_DIRECTOR, MAC_RS, 0x0806, [
      0,
      1,
      8,
      0,
      6,
      4,
      0,
      2,
      ...mac(MAC_RS),
      ...ip(RIP),
      ...mac(MAC_DIRECTOR),
      ...ip('198.18.0.1'),
    ]);
    expect(d.lan.receive(reply)).toEqual([]);
    const sent = d.lan.receive(syn(40002, 80));
    expect(sent.length).toBe(1);
    expect(hex(sent[0]!.bytes.subarray(0, 12))).toBe(hex(Uint8Array.from([...mac(MAC_RS), ...mac(MAC_DIRECTOR)])));
    c = d.dp.counterValues();
    expect([c.NEXT_HOP_UNKNOWN, c.ARP_REQUESTS, c.FORWARDED]).toEqual([2, 1, 1]);
  });

  it('an unresolved next hop is asked again only after 100 ms', async () => {
    const d = await director('route', web, { address: RIP }, { options: { neighbours: {} } });
    d.lan.receive(syn(40000, 80));
    d.clock.advance(50);
    d.lan.receive(syn(40001, 80));
    expect(d.lan.neighbourQueries).toBe(1);
    d.clock.advance(60);
    expect(d.lan.receive(syn(40002, 80)).length, 'a second ARP request').toBe(1);
    expect(d.lan.neighbourQueries).toBe(2);
    expect(d.dp.counterValues().ARP_REQUESTS).toBe(2);
  });

  it('the kernel’s neighbour table answers before any request is sent', async () => {
    const d = await director('route', web, { address: RIP }, { options: { neighbours: {} } });
    d.lan.neighbours.set(RIP, MAC_RS);
    expect(d.lan.receive(syn(40000, 80)).length).toBe(1);
    expect(d.dp.counterValues().ARP_REQUESTS).toBe(0);
  });

  it('IPv6: a neighbour solicitation to the solicited-node group, the advertisement is learnt', async () => {
    const d = await director('route', web6, { address: RIP6 }, { options: { neighbours: {} } });
    const sent = d.lan.receive(syn6(40000, 80));
    // From the global address (global before link-local), with our MAC as source link-layer address.
    const ns = eth(
      '33:33:ff:00:00:11',
      MAC_DIRECTOR,
      0x86dd,
      ipv6(
        { src: '2001:db8::1', dst: 'ff02::1:ff00:11', hop: 255 },
        icmp6(135, 0, 0, [...ip(RIP6), 1, 1, ...mac(MAC_DIRECTOR)]),
      ),
    );
    expect(sent.map((f) => hex(f.bytes))).toEqual([hex(ns)]);
    const na = eth6(
      MAC_DIRECTOR,
      MAC_RS,
      ipv6({ src: RIP6, dst: '2001:db8::1', hop: 255 }, icmp6(136, 0, 0x60000000, [...ip(RIP6), 2, 1, ...mac(MAC_RS)])),
    );
    expect(d.lan.receive(na)).toEqual([]);
    const out = d.lan.receive(syn6(40001, 80));
    expect(out.length).toBe(1);
    expect(hex(out[0]!.bytes.subarray(0, 6))).toBe(hex(Uint8Array.from(mac(MAC_RS))));
  });

  it('an advertisement with hop limit 254 (not from the link) is not learnt', async () => {
    const d = await director('route', web6, { address: RIP6 }, { options: { neighbours: {} } });
    d.lan.receive(syn6(40000, 80));
    const na = eth6(
      MAC_DIRECTOR,
      MAC_RS,
      ipv6({ src: RIP6, dst: '2001:db8::1', hop: 254 }, icmp6(136, 0, 0x60000000, [...ip(RIP6), 2, 1, ...mac(MAC_RS)])),
    );
    d.lan.receive(na);
    expect(d.lan.receive(syn6(40001, 80))).toEqual([]);
    expect(d.dp.counterValues().NEXT_HOP_UNKNOWN).toBe(2);
  });
});

describe('fragments', () => {
  const data = noise(992, 5);
  const whole = (dst: string, dport: number) => udp({ sport: 5000, dport, data }).build(ip(CLIENT), ip(dst));
  it('IPv4 fragments to a VIP are reassembled, translated and sent as one datagram', async () => {
    const d = await director('masq', { protocol: 'udp', address: VIP, port: 80 }, { address: RIP, port: 8080 });
    const w = whole(VIP, 80);
    const f1 = eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP, id: 77, mf: true }, raw(17, w.slice(0, 512))),
    );
    const f2 = eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP, id: 77, fragOffset: 512 }, raw(17, w.slice(512))),
    );
    expect(d.lan.receive(f1), 'the first fragment waits for the rest').toEqual([]);
    const sent = d.lan.receive(f2);
    expect(sent.map((f) => hex(f.bytes))).toEqual([
      hex(eth4(MAC_RS, MAC_DIRECTOR, ipv4({ src: CLIENT, dst: RIP, ttl: 63, id: 77 }, raw(17, whole(RIP, 8080))))),
    ]);
    expect(d.dp.reassembly.some((v) => v > 0)).toBe(true);
  });

  it('a datagram too big for the tunnel without DF leaves as IPv4 fragments of the encapsulated packet', async () => {
    const d = await director('tunnel', dns, { address: RIP });
    const big = ipv4({ src: CLIENT, dst: VIP, ttl: 64 }, udp({ sport: 1000, dport: 53, data: noise(1462, 9) }));
    const sent = d.lan.receive(eth4(MAC_DIRECTOR, MAC_CLIENT, big));
    expect(sent.length).toBe(2);
    // Put the fragments' payloads back together: the outer packet's payload is the decremented inner packet.
    const inner = ipv4({ src: CLIENT, dst: VIP, ttl: 63 }, udp({ sport: 1000, dport: 53, data: noise(1462, 9) }));
    const payload: number[] = [];
    for (const [k, f] of sent.entries()) {
      const b = f.bytes;
      expect(hex(b.subarray(0, 14))).toBe(hex(Uint8Array.from([...mac(MAC_RS), ...mac(MAC_DIRECTOR), 8, 0])));
      expect(b.length - 14).toBeLessThanOrEqual(1500);
      expect(rfc1071(Array.from(b.subarray(14, 34))), 'fragment header checksum').toBe(0);
      expect(b[23], 'protocol IPIP').toBe(4);
      const flags = get16Of(b, 20);
      expect((flags & 0x2000) !== 0, 'MF on all but the last').toBe(k === 0);
      expect((flags & 0x1fff) * 8).toBe(payload.length);
      payload.push(...b.subarray(34));
    }
    expect(hex(Uint8Array.from(payload))).toBe(hex(Uint8Array.from(inner)));
    expect(d.dp.counterValues().FRAGMENTS).toBe(2);
  });
});

const arpRequest = (target: string) =>
  eth('ff:ff:ff:ff:ff:ff', MAC_CLIENT, 0x0806, [
    0,
    1,
    8,
    0,
    6,
    4,
    0,
    1,
    ...mac(MAC_CLIENT),
    ...ip(CLIENT),
    0,
    0,
    0,
    0,
    0,
    0,
    ...ip(target),
  ]);
const arpReply = eth(MAC_CLIENT, MAC_DIRECTOR, 0x0806, [
  0,
  1,
  8,
  0,
  6,
  4,
  0,
  2,
  ...mac(MAC_DIRECTOR),
  ...ip(VIP),
  ...mac(MAC_CLIENT),
  ...ip(CLIENT),
]);
const nsFor = (target: string, src = CLIENT6, hop = 255) => {
  const t = ip(target);
  const group = `ff02::1:ff${t[13]!.toString(16).padStart(2, '0')}:${((t[14]! << 8) | t[15]!).toString(16)}`;
  const dad = src === '::';
  return eth(
    `33:33:ff:${[t[13], t[14], t[15]].map((x) => x!.toString(16).padStart(2, '0')).join(':')}`,
    MAC_CLIENT,
    0x86dd,
    ipv6({ src, dst: group, hop }, icmp6(135, 0, 0, [...t, ...(dad ? [] : [1, 1, ...mac(MAC_CLIENT)])])),
  );
};
const naSolicited = eth6(
  MAC_CLIENT,
  MAC_DIRECTOR,
  ipv6({ src: VIP6, dst: CLIENT6, hop: 255 }, icmp6(136, 0, 0x60000000, [...ip(VIP6), 2, 1, ...mac(MAC_DIRECTOR)])),
);

describe('ARP and neighbour discovery answers', () => {
  it('an ARP request for a VIP is answered in place from our MAC (RFC 826)', async () => {
    const d = await director('route', web, { address: RIP });
    const sent = d.lan.receive(arpRequest(VIP));
    expect(sent.map((f) => hex(f.bytes))).toEqual([hex(arpReply)]);
    expect(sent[0]!.inPlace).toBe(true);
    expect(d.dp.counterValues().ARP_ANSWERED).toBe(1);
  });

  it('ARP for another address, or a VIP asked on a second interface, is left alone', async () => {
    const lan = new MemoryFramePort({ ifname: 'eth0', mac: MAC_DIRECTOR, addresses: ['198.18.0.1/24'] });
    const back = new MemoryFramePort({ ifname: 'eth1', mac: MAC_ETH1, ifindex: 3, addresses: ['198.18.1.1/24'] });
    const dp = createDatapath({
      ifname: 'eth0',
      interfaces: [{ ifname: 'eth1' }],
      vips: [VIP],
      framePort: MemoryFramePort.factory(lan, back),
    });
    const lvs = await ipvs()
      .maxConnections(1024)
      .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
      .realServer('web', { address: RIP, method: 'route' })
      .start({ packets: dp });
    try {
      expect(lan.receive(arpRequest('198.18.0.1'))).toEqual([]);
      expect(back.receive(arpRequest(VIP))).toEqual([]);
      expect(dp.counterValues().ARP_ANSWERED).toBe(0);
    } finally {
      await lvs.stop();
    }
  });

  it('a neighbour solicitation for an IPv6 VIP gets a solicited advertisement with our MAC (RFC 4861 §7.2.4)', async () => {
    const d = await director('route', web6, { address: RIP6 });
    expect(d.lan.request?.multicast).toEqual(['33:33:ff:00:01:00']);
    const sent = d.lan.receive(nsFor(VIP6));
    expect(sent.map((f) => hex(f.bytes))).toEqual([hex(naSolicited)]);
    expect(d.dp.counterValues().ARP_ANSWERED).toBe(1);
  });

  it('duplicate address detection (source ::) is answered to all nodes, unsolicited', async () => {
    const d = await director('route', web6, { address: RIP6 });
    const sent = d.lan.receive(nsFor(VIP6, '::'));
    const na = eth(
      '33:33:00:00:00:01',
      MAC_DIRECTOR,
      0x86dd,
      ipv6(
        { src: VIP6, dst: 'ff02::1', hop: 255 },
        icmp6(136, 0, 0x20000000, [...ip(VIP6), 2, 1, ...mac(MAC_DIRECTOR)]),
      ),
    );
    expect(sent.map((f) => hex(f.bytes))).toEqual([hex(na)]);
  });

  it('a solicitation with hop limit 254, a bad checksum, or for another address is not answered (§7.1.1)', async () => {
    const d = await director('route', web6, { address: RIP6 });
    const bad = nsFor(VIP6);
    bad[57] = bad[57]! ^ 0xff;
    expect(d.lan.receive(nsFor(VIP6, CLIENT6, 254), bad, nsFor('2001:db8::1'))).toEqual([]);
    expect(d.dp.counterValues().ARP_ANSWERED).toBe(0);
  });

  it('announce: gratuitous ARP (keepalived’s form) and an unsolicited advertisement with Override', async () => {
    const d = await director('route', web, { address: RIP });
    d.dp.announce(VIP, 2);
    d.dp.announce(VIP6, 1);
    d.dp.announce('198.18.0.99', 1); // not a VIP: nothing
    const garp = pad60(
      eth('ff:ff:ff:ff:ff:ff', MAC_DIRECTOR, 0x0806, [
        0,
        1,
        8,
        0,
        6,
        4,
        0,
        1,
        ...mac(MAC_DIRECTOR),
        ...ip(VIP),
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        ...ip(VIP),
      ]),
    );
    const una = eth(
      '33:33:00:00:00:01',
      MAC_DIRECTOR,
      0x86dd,
      ipv6(
        { src: VIP6, dst: 'ff02::1', hop: 255 },
        icmp6(136, 0, 0x20000000, [...ip(VIP6), 2, 1, ...mac(MAC_DIRECTOR)]),
      ),
    );
    expect(d.lan.takeSent().map((f) => hex(f.bytes))).toEqual([hex(garp), hex(garp), hex(una)]);
    expect(d.dp.counterValues().ANNOUNCED).toBe(3);
  });
});

describe('serving off', () => {
  it('no ARP/NA answers, no forwarding (NOT_SERVING), no announcements; on again, the connection is still there', async () => {
    const d = await director('masq', web, { address: RIP, port: 8080 });
    d.lan.receive(syn(40000, 80));
    d.dp.serve([]);
    const reply = eth4(
      MAC_DIRECTOR,
      MAC_RS,
      ipv4({ src: RIP, dst: CLIENT }, tcp({ sport: 8080, dport: 40000, flags: 0x12 })),
    );
    expect(d.lan.receive(arpRequest(VIP), nsFor(VIP6), syn(40001, 80), reply)).toEqual([]);
    d.dp.announce(VIP, 1);
    expect(d.lan.takeSent()).toEqual([]);
    let c = d.dp.counterValues();
    expect([c.ARP_ANSWERED, c.DROP_NOT_SERVING, c.FORWARDED]).toEqual([0, 2, 1]);
    d.dp.serve([VIP]);
    const sent = d.lan.receive(arpRequest(VIP), reply);
    expect(sent.map((f) => hex(f.bytes))).toEqual([
      hex(arpReply),
      hex(
        eth4(
          MAC_CLIENT,
          MAC_DIRECTOR,
          ipv4({ src: VIP, dst: CLIENT, ttl: 63 }, tcp({ sport: 80, dport: 40000, flags: 0x12 })),
        ),
      ),
    ]);
    // Only the served VIP is answered: the IPv6 one stays off.
    expect(d.lan.receive(nsFor(VIP6))).toEqual([]);
    c = d.dp.counterValues();
    expect([c.ARP_ANSWERED, c.FORWARDED]).toEqual([1, 2]);
  });

  it('created with serving: [] it answers nothing until served', async () => {
    const d = await director('route', web, { address: RIP }, { options: { serving: [] } });
    expect(d.lan.receive(arpRequest(VIP), syn(40000, 80))).toEqual([]);
    d.dp.serve([VIP, VIP6]);
    expect(d.lan.receive(arpRequest(VIP), syn(40001, 80)).length).toBe(2);
  });
});

describe('frames the datapath does not take', () => {
  it('frames for other hosts are ignored; a frame longer than its slot is OVERSIZED; the rest go to the kernel', async () => {
    const d = await director('route', web, { address: RIP }, { options: { offload: false } });
    const other = syn(40000, 80);
    other.set(mac('02:00:00:00:00:99'), 0);
    const long = eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: VIP }, udp({ sport: 1, dport: 53, data: bytes(2100) })),
    );
    const notVip = eth4(
      MAC_DIRECTOR,
      MAC_CLIENT,
      ipv4({ src: CLIENT, dst: '198.18.0.1' }, tcp({ sport: 1, dport: 22 })),
    );
    expect(d.lan.receive(other, long, notVip)).toEqual([]);
    const c = d.dp.counterValues();
    expect([c.RECEIVED, c.DROP_OVERSIZED, c.LEFT_TO_KERNEL, c.FORWARDED, c.BATCHES]).toEqual([3, 1, 1, 0, 1]);
  });

  it('a send the link refuses is counted as TX_REFUSED', async () => {
    const lan = new MemoryFramePort({
      ifname: 'eth0',
      mac: MAC_DIRECTOR,
      addresses: ['198.18.0.1/15'],
      sendCapacity: 1,
    });
    const d = await director('route', web, { address: RIP }, { lan });
    expect(lan.receive(syn(40000, 80), syn(40001, 80), syn(40002, 80)).length).toBe(1);
    expect(d.dp.counterValues().TX_REFUSED).toBe(2);
    expect(lan.refused).toBe(2);
  });
});

function pad60(f: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(60, f.length));
  out.set(f);
  return out;
}

describe('malformed input through the whole datapath', () => {
  it('20,000 random, truncated and corrupted frames: no throw, every frame counted, forwarding still works', async () => {
    const d = await director('masq', web, { address: RIP, port: 8080 });
    let seed = 42;
    const rnd = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed >>> 8;
    };
    const good = [syn(40000, 80), arpRequest(VIP), nsFor(VIP6), udpTo(VIP6, 3000, 53)];
    for (let k = 0; k < 20_000; k++) {
      const base = good[k % good.length]!;
      let f: Uint8Array;
      if (k % 3 === 0) f = Uint8Array.from({ length: rnd() % 200 }, () => rnd() & 0xff);
      else if (k % 3 === 1) f = base.subarray(0, rnd() % base.length);
      else {
        f = Uint8Array.from(base);
        for (let j = 0; j < 3; j++) f[rnd() % f.length] = rnd() & 0xff;
      }
      d.lan.inject(f);
    }
    expect(() => d.lan.flush()).not.toThrow();
    d.lan.takeSent();
    expect(d.dp.counterValues().RECEIVED).toBe(20_000);
    const sent = d.lan.receive(syn(41000, 80));
    expect(sent.length).toBe(1);
    expect(hex(sent[0]!.bytes.subarray(0, 6))).toBe(hex(Uint8Array.from(mac(MAC_RS))));
  });
});
