/**
 * The header views read the fields the test-side builder wrote (gVisor-style accessors over bytes), and
 * `isValid(len)` rejects what does not fit.
 */
import { describe, expect, it } from 'vitest';
import {
  ArpView,
  createIPv6Walk,
  EthernetView,
  IcmpView,
  IPv4View,
  IPv6View,
  PacketInfo,
  parsePacket,
  TcpView,
  UdpView,
} from '../src/index.js';
import { eth, eth4, eth6, icmp4, ip, ipv4, ipv6, raw, tcp, udp } from './golden/builder.js';

describe('header views', () => {
  it('Ethernet: untagged and 802.1Q-tagged EtherType, VLAN id, header length', () => {
    const e = new EthernetView();
    const f = eth4(
      '02:00:00:00:00:01',
      '02:00:00:00:00:02',
      ipv4({ src: '198.18.0.1', dst: '198.18.0.2' }, udp({ sport: 1, dport: 2 })),
    );
    expect(e.attach(f).isValid(f.length)).toBe(true);
    expect(e.etherType()).toBe(0x0800);
    expect(e.vlanId()).toBe(-1);
    const t = eth4('02:00:00:00:00:01', '02:00:00:00:00:02', [0x45], 0x123);
    e.attach(t);
    expect(e.headerLength()).toBe(18);
    expect(e.vlanTags()).toBe(1);
    expect(e.vlanId()).toBe(0x123);
    expect(e.etherType()).toBe(0x0800);
    expect(e.isValid(13)).toBe(false);
  });

  it('ARP: operation and addresses; only Ethernet/IPv4 ARP is valid', () => {
    const body = [0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 9, ...ip('198.18.0.9'), 2, 0, 0, 0, 0, 1, ...ip('198.18.0.1')];
    const f = eth('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:09', 0x0806, body);
    const a = new ArpView().attach(f, 14);
    expect(a.isValid(28)).toBe(true);
    expect(a.isValid(27)).toBe(false);
    expect(a.operation()).toBe(2);
    expect([...f.subarray(a.senderAddressOffset(), a.senderAddressOffset() + 4)]).toEqual(ip('198.18.0.9'));
    expect([...f.subarray(a.targetAddressOffset(), a.targetAddressOffset() + 4)]).toEqual(ip('198.18.0.1'));
    f[14 + 5] = 16; // plen 16: not IPv4 ARP
    expect(a.isValid(28)).toBe(false);
  });

  it('IPv4: every field, options, fragments, checksum; invalid lengths rejected', () => {
    const pkt = ipv4(
      {
        src: '198.18.0.1',
        dst: '198.18.0.2',
        ttl: 9,
        tos: 0x28,
        id: 0xabcd,
        mf: true,
        fragOffset: 1480,
        options: [1, 1, 1, 0],
      },
      raw(17, [1, 2, 3, 4, 5, 6, 7, 8]),
    );
    const b = Uint8Array.from(pkt);
    const v = new IPv4View().attach(b, 0);
    expect(v.isValid(b.length)).toBe(true);
    expect(v.headerLength()).toBe(24);
    expect(v.totalLength()).toBe(32);
    expect(v.tos()).toBe(0x28);
    expect(v.id()).toBe(0xabcd);
    expect(v.moreFragments()).toBe(true);
    expect(v.dontFragment()).toBe(false);
    expect(v.fragmentOffset()).toBe(1480);
    expect(v.isFragment()).toBe(true);
    expect(v.ttl()).toBe(9);
    expect(v.protocol()).toBe(17);
    expect(v.source()).toBe(0xc6120001);
    expect(v.destination()).toBe(0xc6120002);
    expect(v.payloadOffset()).toBe(24);
    expect(v.payloadLength()).toBe(8);
    expect(v.isChecksumValid()).toBe(true);
    expect(v.computeChecksum()).toBe(v.checksum());
    expect(v.isValid(31)).toBe(false);
    b[0] = 0x44;
    expect(v.isValid(b.length)).toBe(false);
  });

  it('IPv6: fields and the walk over hop-by-hop, fragment and destination options to UDP', () => {
    const pkt = ipv6(
      {
        src: '2001:db8::1',
        dst: '2001:db8::2',
        hop: 7,
        tc: 0xb8,
        flow: 0x12345,
        ext: [
          { type: 0, body: [0, 1, 4, 0, 0, 0, 0] },
          { type: 44, body: [0, 0x00, 0xa1, 0, 0, 0, 1] }, // offset word 0x00a1: 20 units = 160 bytes, M = 1
          { type: 60, body: [0, 1, 4, 0, 0, 0, 0] },
        ],
      },
      udp({ sport: 7, dport: 9 }),
    );
    const b = Uint8Array.from(pkt);
    const v = new IPv6View().attach(b, 0);
    expect(v.isValid(b.length)).toBe(true);
    expect(v.hopLimit()).toBe(7);
    expect(v.trafficClass()).toBe(0xb8);
    expect(v.flowLabel()).toBe(0x12345);
    expect(v.nextHeader()).toBe(0);
    const w = createIPv6Walk();
    expect(v.walk(w)).toBe(true);
    expect(w.protocol).toBe(17);
    expect(w.transportOffset).toBe(40 + 8 + 8 + 8);
    expect(w.fragmentOffset).toBe(160);
    expect(w.moreFragments).toBe(true);
    expect(v.isValid(b.length - 1)).toBe(false);
  });

  it('TCP, UDP, ICMP views', () => {
    const t = Uint8Array.from(
      tcp({ sport: 1234, dport: 80, seq: 7, ack: 9, flags: 0x12, options: [2, 4, 5, 0xb4] }).build(
        ip('198.18.0.1'),
        ip('198.18.0.2'),
      ),
    );
    const tv = new TcpView().attach(t, 0);
    expect(tv.isValid(t.length)).toBe(true);
    expect([
      tv.sourcePort(),
      tv.destinationPort(),
      tv.sequence(),
      tv.acknowledgment(),
      tv.headerLength(),
      tv.flags(),
    ]).toEqual([1234, 80, 7, 9, 24, 0x12]);
    expect(tv.isValid(23)).toBe(false);
    const u = Uint8Array.from(udp({ sport: 53, dport: 5353, data: [1, 2] }).build(ip('198.18.0.1'), ip('198.18.0.2')));
    const uv = new UdpView().attach(u, 0);
    expect([uv.isValid(8), uv.isValid(7), uv.sourcePort(), uv.destinationPort(), uv.length()]).toEqual([
      true,
      false,
      53,
      5353,
      10,
    ]);
    const i = Uint8Array.from(icmp4(3, 4, 1480, [0x45]).build([], []));
    const iv = new IcmpView().attach(i, 0);
    expect([iv.type(), iv.code(), iv.mtu(), iv.bodyOffset()]).toEqual([3, 4, 1480, 8]);
  });
});

describe('parsePacket summary', () => {
  it('describes an ICMP error by its embedded flow', () => {
    const f = eth4(
      '02:00:00:00:00:fe',
      '02:00:00:00:00:0a',
      ipv4(
        { src: '198.18.0.254', dst: '198.18.0.100' },
        icmp4(
          11,
          0,
          0,
          ipv4({ src: '198.18.0.100', dst: '198.18.0.10' }, tcp({ sport: 80, dport: 40000 })).slice(0, 28),
        ),
      ),
    );
    const info = new PacketInfo();
    expect(parsePacket(f, f.length, info)).toBe(0);
    expect(info.family).toBe(4);
    expect(info.protocol).toBe(1);
    expect([
      info.icmpType,
      info.icmpCode,
      info.icmpInnerValid,
      info.innerProtocol,
      info.innerSrcPort,
      info.innerDstPort,
    ]).toEqual([11, 0, true, 6, 80, 40000]);
    expect([...f.subarray(info.innerSrcAddrOffset, info.innerSrcAddrOffset + 4)]).toEqual(ip('198.18.0.100'));
  });

  it('describes a TCP SYN over IPv6 with its ports and flags', () => {
    const f = eth6(
      '02:00:00:00:00:fe',
      '02:00:00:00:00:0a',
      ipv6({ src: '2001:db8::10', dst: '2001:db8::100' }, tcp({ sport: 40000, dport: 443, flags: 0x02 })),
    );
    const info = new PacketInfo();
    expect(parsePacket(f, f.length, info)).toBe(0);
    expect([
      info.family,
      info.protocol,
      info.srcPort,
      info.dstPort,
      info.tcpFlags,
      info.l4Offset,
      info.hasTransport,
    ]).toEqual([6, 6, 40000, 443, 0x02, 54, true]);
  });
});
