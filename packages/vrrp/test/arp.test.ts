/**
 * The gratuitous ARP frame, byte for byte as keepalived's vrrp_arp.c `send_gratuitous_arp_immediate` builds
 * it (RFC 826 layout written out by hand below).
 */
import { describe, expect, it } from 'vitest';
import { encodeGratuitousArp, parseIp } from '../src/index.js';

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
