/**
 * The ARP and neighbour-discovery frames byte for byte: each expected frame is written out field by field
 * from RFC 826 / RFC 4861 below (or is the frame the encoders this module replaced produced: vrrp's
 * gratuitous ARP and unsolicited NA, captured before they were deleted), the ICMPv6 checksums computed here
 * with a plain RFC 1071 loop independent of the module. Then the views' validity checks and the in-place
 * answers.
 */
import { describe, expect, it } from 'vitest';
import {
  ArpView,
  ETHERNET_MIN_FRAME_LENGTH,
  encodeArpRequest,
  encodeGratuitousArp,
  encodeNeighbourSolicitation,
  encodeUnsolicitedNa,
  NA_FLAG_OVERRIDE,
  NA_FLAG_SOLICITED,
  ND_OPT_SOURCE_LINKADDR,
  ND_OPT_TARGET_LINKADDR,
  NDISC_NEIGHBOUR_SOLICITATION,
  NdiscView,
  padEthernetFrame,
  parseIp,
  parseMac,
  solicitedNodeMac,
  writeArpReply,
  writeNaReply,
} from '../src/index.js';

const MAC = parseMac('02:00:5e:10:20:30');
const ASKER = parseMac('02:00:00:00:00:0a');
const VIP = parseIp('198.18.0.100');
const VIP6 = parseIp('2001:db8::100');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** RFC 1071 over `data` with the IPv6 pseudo-header of `src`, `dst`, next header 58. */
function icmp6Checksum(src: Uint8Array, dst: Uint8Array, message: Uint8Array): number {
  const words = [...src, ...dst, 0, 0, (message.length >> 8) & 0xff, message.length & 0xff, 0, 0, 0, 58, ...message];
  let sum = 0;
  for (let i = 0; i < words.length; i += 2) sum += (words[i]! << 8) + (words[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet + IPv6 (hop limit 255) + ICMPv6 frame with its checksum computed here. */
function ndiscFrame(ethDst: string, ethSrc: string, src: Uint8Array, dst: Uint8Array, message: Uint8Array): Uint8Array {
  const m = Uint8Array.from(message);
  const ck = icmp6Checksum(src, dst, m);
  m[2] = ck >> 8;
  m[3] = ck & 0xff;
  return bytes(
    `${ethDst}${ethSrc}86dd 60000000 ${m.length.toString(16).padStart(4, '0')} 3a ff ${hex(src)}${hex(dst)}${hex(m)}`,
  );
}

describe('ARP frames (RFC 826)', () => {
  it('gratuitous ARP: broadcast REQUEST, sender = target = VIP, target MAC broadcast (keepalived’s form)', () => {
    const out = new Uint8Array(50).fill(0xee);
    expect(encodeGratuitousArp(out, 4, MAC, VIP)).toBe(42);
    expect(hex(out.subarray(4, 46))).toBe(
      // The frame vrrp's encoder wrote before this module replaced it.
      'ffffffffffff02005e1020300806000108000604000102005e102030c6120064ffffffffffffc6120064',
    );
    expect([out[3], out[46]]).toEqual([0xee, 0xee]);
  });

  it('ARP request: broadcast from our MAC and address, target MAC zero; padded to 60 bytes', () => {
    const out = new Uint8Array(64).fill(0xee);
    const n = encodeArpRequest(out, 0, MAC, parseIp('198.18.0.1'), parseIp('198.18.1.11'));
    expect(n).toBe(42);
    expect(padEthernetFrame(out, 0, n)).toBe(ETHERNET_MIN_FRAME_LENGTH);
    expect(hex(out.subarray(0, 60))).toBe(
      [
        'ffffffffffff', // Ethernet destination: broadcast
        '02005e102030', // source
        '0806', // ARP
        '0001 0800 06 04 0001', // Ethernet, IPv4, 6, 4, REQUEST
        '02005e102030 c6120001', // sender: our MAC, 198.18.0.1
        '000000000000 c612010b', // target: unknown MAC, 198.18.1.11
        '00'.repeat(18), // padding
      ]
        .join('')
        .replace(/\s+/g, ''),
    );
    expect(out[60]).toBe(0xee);
    expect(padEthernetFrame(out, 0, 64)).toBe(64);
  });

  it('the view checks htype/ptype/lengths; the reply swaps in place and keeps a VLAN tag', () => {
    const req = bytes(
      `ffffffffffff ${hex(ASKER)} 8100 002a 0806 0001 0800 06 04 0001 ${hex(ASKER)} c612000a 000000000000 ${hex(VIP)}`,
    );
    const view = new ArpView().attach(req, 18);
    expect(view.isValid(req.length - 18)).toBe(true);
    expect(view.isValid(27)).toBe(false);
    expect(view.operation()).toBe(1);
    expect(hex(req.subarray(view.targetAddressOffset(), view.targetAddressOffset() + 4))).toBe(hex(VIP));
    writeArpReply(req, 18, MAC);
    expect(hex(req)).toBe(
      hex(
        bytes(
          `${hex(ASKER)} ${hex(MAC)} 8100 002a 0806 0001 0800 06 04 0002 ${hex(MAC)} ${hex(VIP)} ${hex(ASKER)} c612000a`,
        ),
      ),
    );
    const bad = Uint8Array.from(req);
    bad[18 + 5] = 16; // plen 16: not Ethernet/IPv4
    expect(new ArpView().attach(bad, 18).isValid(28)).toBe(false);
  });
});

describe('neighbour discovery frames (RFC 4861)', () => {
  const allNodes = parseIp('ff02::1');

  it('unsolicited NA: to ff02::1 from the VIP, Override (and Router), target link-layer option', () => {
    const out = new Uint8Array(86);
    expect(encodeUnsolicitedNa(out, 0, MAC, VIP6, false)).toBe(86);
    // vrrp's encoder's frame, before this module replaced it.
    expect(hex(out)).toBe(
      '33330000000102005e10203086dd6000000000203aff20010db8000000000000000000000100ff020000000000000000000000000001880078ed2000000020010db8000000000000000000000100020102005e102030',
    );
    const msg = bytes(`8800 0000 20000000 ${hex(VIP6)} 02 01 ${hex(MAC)}`);
    expect(hex(out)).toBe(hex(ndiscFrame('333300000001', hex(MAC), VIP6, allNodes, msg)));
    expect(encodeUnsolicitedNa(out, 0, MAC, VIP6, true)).toBe(86);
    expect(hex(out)).toBe(
      '33330000000102005e10203086dd6000000000203aff20010db8000000000000000000000100ff0200000000000000000000000000018800f8eca000000020010db8000000000000000000000100020102005e102030',
    );
  });

  it('neighbour solicitation: to the solicited-node group, from our address, source link-layer option', () => {
    const out = new Uint8Array(90).fill(0xee);
    const src = parseIp('2001:db8::1');
    const target = parseIp('2001:db8:1::11');
    expect(encodeNeighbourSolicitation(out, 2, MAC, src, target)).toBe(86);
    const group = parseIp('ff02::1:ff00:11');
    const msg = bytes(`8700 0000 00000000 ${hex(target)} 01 01 ${hex(MAC)}`);
    expect(hex(out.subarray(2, 88))).toBe(hex(ndiscFrame('3333ff000011', hex(MAC), src, group, msg)));
    expect([out[1], out[88]]).toEqual([0xee, 0xee]);
    expect(solicitedNodeMac(target)).toBe('33:33:ff:00:00:11');
  });

  const ns = (src: Uint8Array, hop = 255) => {
    const dst = parseIp('ff02::1:ff00:100');
    const opt = src.every((b) => b === 0) ? '' : `01 01 ${hex(ASKER)}`;
    const f = ndiscFrame('3333ff000100', hex(ASKER), src, dst, bytes(`8700 0000 00000000 ${hex(VIP6)} ${opt}`));
    f[21] = hop;
    return f;
  };

  it('the view applies §7.1.1: hop limit 255, code 0, length, checksum; finds options', () => {
    const asker = parseIp('2001:db8::10');
    const f = ns(asker);
    const v = new NdiscView().attach(f, 14);
    expect(v.isValid(f.length - 14)).toBe(true);
    expect(v.type()).toBe(NDISC_NEIGHBOUR_SOLICITATION);
    expect(hex(f.subarray(v.targetOffset(), v.targetOffset() + 16))).toBe(hex(VIP6));
    const sll = v.linkAddressOffset(ND_OPT_SOURCE_LINKADDR);
    expect(hex(f.subarray(sll, sll + 6))).toBe(hex(ASKER));
    expect(v.linkAddressOffset(ND_OPT_TARGET_LINKADDR)).toBe(-1);
    expect(v.isUnspecifiedSource()).toBe(false);
    expect(new NdiscView().attach(ns(asker, 254), 14).isValid(f.length - 14)).toBe(false);
    const badSum = Uint8Array.from(f);
    badSum[70] = badSum[70]! ^ 1;
    expect(new NdiscView().attach(badSum, 14).isValid(f.length - 14)).toBe(false);
    const code1 = Uint8Array.from(f);
    code1[55] = 1;
    expect(new NdiscView().attach(code1, 14).isValid(f.length - 14)).toBe(false);
    expect(v.isValid(f.length - 15), 'payload longer than what arrived').toBe(false);
    // Ethernet padding after the payload is not part of the message.
    const padded = new Uint8Array(f.length + 6);
    padded.set(f);
    expect(new NdiscView().attach(padded, 14).isValid(padded.length - 14)).toBe(true);
  });

  it('the solicited answer: unicast to the asker from the target, Solicited | Override, our MAC', () => {
    const asker = parseIp('2001:db8::10');
    const f = ns(asker);
    expect(writeNaReply(f, 14, MAC)).toBe(86);
    const msg = bytes(
      `8800 0000 ${(NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE).toString(16)}000000 ${hex(VIP6)} 02 01 ${hex(MAC)}`,
    );
    expect(hex(f)).toBe(hex(ndiscFrame(hex(ASKER), hex(MAC), VIP6, asker, msg)));
    expect(new NdiscView().attach(f, 14).isValid(72)).toBe(true);
  });

  it('duplicate address detection (source ::) is answered to all nodes, not Solicited', () => {
    const f = new Uint8Array(86);
    f.set(ns(new Uint8Array(16)));
    expect(new NdiscView().attach(f, 14).isUnspecifiedSource()).toBe(true);
    expect(writeNaReply(f, 14, MAC)).toBe(86);
    const msg = bytes(`8800 0000 20000000 ${hex(VIP6)} 02 01 ${hex(MAC)}`);
    expect(hex(f)).toBe(hex(ndiscFrame('333300000001', hex(MAC), VIP6, allNodes, msg)));
  });
});
