/**
 * completeTransportChecksum against frames from the independent test builder: a CHECKSUM_PARTIAL frame
 * (checksum field holding only the pseudo-header sum, as linux tcp_v4_send_check / udp4_hwcsum leave it
 * for the NIC) must come out byte-identical to the builder's frame with the full RFC 1071 checksum.
 */
import { describe, expect, it } from 'vitest';
import { completeTransportChecksum, PacketInfo, parsePacket } from '../src/index.js';
import { bytes, eth4, eth6, icmp4, ip, ipv4, ipv6, rfc1071, tcp, udp } from './golden/builder.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

/** The frame as a sender with offload hands it over: checksum field = folded pseudo-header sum. */
function partial(full: Uint8Array, field: number, pseudoBytes: number[]): Uint8Array {
  const f = full.slice();
  const folded = ~rfc1071(pseudoBytes) & 0xffff;
  f[field] = folded >> 8;
  f[field + 1] = folded & 0xff;
  return f;
}

function complete(f: Uint8Array): boolean {
  const info = new PacketInfo();
  expect(parsePacket(f, f.length, info)).toBe(0);
  return completeTransportChecksum(f, info);
}

describe('completeTransportChecksum', () => {
  it('TCP over IPv4: the pseudo-header-only field becomes the full checksum', () => {
    const full = eth4(
      B,
      A,
      ipv4({ src: '198.18.0.1', dst: '198.18.0.100' }, tcp({ sport: 40000, dport: 80, flags: 0x18, data: bytes(77) })),
    );
    const seglen = 20 + 77;
    const f = partial(full, 14 + 20 + 16, [
      ...ip('198.18.0.1'),
      ...ip('198.18.0.100'),
      0,
      6,
      seglen >> 8,
      seglen & 0xff,
    ]);
    expect(f).not.toEqual(full);
    expect(complete(f)).toBe(true);
    expect(f).toEqual(full);
  });

  it('UDP over IPv4 and TCP over IPv6', () => {
    const u = eth4(
      B,
      A,
      ipv4({ src: '198.18.0.1', dst: '198.18.0.100' }, udp({ sport: 5353, dport: 53, data: bytes(31) })),
    );
    const fu = partial(u, 14 + 20 + 6, [...ip('198.18.0.1'), ...ip('198.18.0.100'), 0, 17, 0, 39]);
    expect(complete(fu)).toBe(true);
    expect(fu).toEqual(u);
    const t6 = eth6(
      B,
      A,
      ipv6({ src: '2001:db8::1', dst: '2001:db8::100' }, tcp({ sport: 1, dport: 443, data: bytes(9) })),
    );
    const f6 = partial(t6, 14 + 40 + 16, [...ip('2001:db8::1'), ...ip('2001:db8::100'), 0, 0, 0, 29, 0, 0, 0, 6]);
    expect(complete(f6)).toBe(true);
    expect(f6).toEqual(t6);
  });

  it('leaves ICMP and fragments alone', () => {
    const ping = eth4(B, A, ipv4({ src: '198.18.0.1', dst: '198.18.0.100' }, icmp4(8, 0, 0x00010001, bytes(8))));
    const p = ping.slice();
    expect(complete(p)).toBe(false);
    expect(p).toEqual(ping);
    const frag = eth4(
      B,
      A,
      ipv4({ src: '198.18.0.1', dst: '198.18.0.100', mf: true }, udp({ sport: 1, dport: 2, data: bytes(40) })),
    );
    const q = frag.slice();
    const info = new PacketInfo();
    parsePacket(q, q.length, info);
    expect(completeTransportChecksum(q, info)).toBe(false);
    expect(q).toEqual(frag);
  });
});
