/**
 * The gratuitous ARP frame, byte for byte as keepalived's vrrp_arp.c `send_gratuitous_arp_immediate` builds
 * it (RFC 826 layout written out by hand below), through vrrp's entry: the encoders are `@lvskit/base`'s,
 * re-exported (the same objects).
 */

import * as base from '@lvskit/base';
import { formatIp, parseIp } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { encodeGratuitousArp, encodeUnsolicitedNa } from '../src/index.js';

it('vrrp re-exports the one encoder of @lvskit/base', () => {
  expect(encodeGratuitousArp).toBe(base.encodeGratuitousArp);
  expect(encodeUnsolicitedNa).toBe(base.encodeUnsolicitedNa);
});

describe('gratuitous ARP (keepalived send_gratuitous_arp_immediate)', () => {
  it('is an Ethernet broadcast ARP REQUEST with sender = target = VIP and broadcast target MAC', () => {
    const out = new Uint8Array(50).fill(0xee);
    const mac = Uint8Array.of(0x02, 0x00, 0x5e, 0x10, 0x20, 0x30);
    const n = encodeGratuitousArp(out, 4, mac, parseIp('198.18.0.100'));
    expect(n).toBe(42);
    expect(Buffer.from(out.subarray(4, 46)).toString('hex')).toBe(
      [
        'ffffffffffff', // Ethernet destination: broadcast
        '02005e102030', // source: interface MAC
        '0806', // EtherType ARP
        '0001', // htype Ethernet
        '0800', // ptype IPv4
        '06', // hlen
        '04', // plen
        '0001', // op REQUEST
        '02005e102030', // sha
        'c6120064', // spa 198.18.0.100
        'ffffffffffff', // tha broadcast
        'c6120064', // tpa 198.18.0.100
      ].join(''),
    );
    expect(out[3]).toBe(0xee);
    expect(out[46]).toBe(0xee);
  });
});

describe('unsolicited neighbour advertisement (keepalived ndisc_send_unsolicited_na_immediate)', () => {
  it('is addressed to ff02::1 from the VIP with O set, the VIP as target and the MAC as option', () => {
    const out = new Uint8Array(100);
    const mac = Uint8Array.of(0x02, 0, 0x5e, 0x10, 0x20, 0x30);
    const vip = parseIp('2001:db8::100');
    expect(encodeUnsolicitedNa(out, 0, mac, vip, false)).toBe(86);
    const hex = Buffer.from(out.subarray(0, 86)).toString('hex');
    expect(hex.slice(0, 28)).toBe('33330000000102005e1020308' + '6dd'); // Ethernet: ff02::1 mapping, MAC, IPv6
    expect(hex.slice(28, 44)).toBe('6000000000203aff'); // version 6, payload 32, ICMPv6, hop limit 255
    expect(Buffer.from(out.subarray(22, 38))).toEqual(Buffer.from(vip)); // source = VIP
    expect(formatIp(out.subarray(38, 54))).toBe('ff02::1');
    expect([out[54], out[55], out[58]]).toEqual([136, 0, 0x20]); // type NA, code 0, flags O
    expect(Buffer.from(out.subarray(62, 78))).toEqual(Buffer.from(vip)); // target
    expect(hex.slice(156, 172)).toBe('020102005e102030'); // option 2, length 1, MAC
    expect(encodeUnsolicitedNa(out, 0, mac, vip, true)).toBe(86);
    expect(out[58]).toBe(0xa0); // R | O
  });
});
