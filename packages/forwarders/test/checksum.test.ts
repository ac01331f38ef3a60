/**
 * Checksum arithmetic against the RFCs' own worked examples and against full recomputation by the test
 * side's independent RFC 1071 loop.
 */

import {
  checksumUpdate16,
  checksumUpdate32,
  checksumUpdateBytes,
  internetChecksum,
  onesSum,
  pseudoSum4,
  pseudoSum6,
} from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ip, rfc1071, tcp, udp } from './golden/builder.js';

describe('internet checksum (RFC 1071)', () => {
  it('matches the RFC 1071 §3 numerical example: 0001 f203 f4f5 f6f7 sums to ddf2', () => {
    const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(onesSum(b, 0, 8)).toBe(0xddf2);
    expect(internetChecksum(b, 0, 8)).toBe(0x220d);
  });

  it('pads an odd trailing byte with zero', () => {
    const b = Uint8Array.from([0x12, 0x34, 0x56]);
    expect(onesSum(b, 0, 3)).toBe(0x1234 + 0x5600);
  });

  it('equals the independent RFC 1071 loop on any data, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(3), (data, off) => {
        const buf = new Uint8Array(data.length + off);
        buf.set(data, off);
        expect(internetChecksum(buf, off, data.length)).toBe(rfc1071([...data]));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps its accumulator exact over 70 000 bytes of 0xff (many folds)', () => {
    const big = new Uint8Array(70_000).fill(0xff);
    expect(internetChecksum(big, 0, big.length)).toBe(rfc1071([...big]));
  });

  it('verifies TCP and UDP checksums the builder made, through the IPv4 and IPv6 pseudo-headers', () => {
    for (const [s, d] of [
      ['198.18.0.1', '198.18.0.2'],
      ['2001:db8::1', '2001:db8::2'],
    ] as const) {
      for (const l4 of [tcp({ sport: 1, dport: 2, data: [1, 2, 3] }), udp({ sport: 3, dport: 4, data: [9] })]) {
        const seg = Uint8Array.from(l4.build(ip(s), ip(d)));
        const addrs = Uint8Array.from([...ip(s), ...ip(d)]);
        const n = addrs.length / 2;
        const ps =
          n === 4 ? pseudoSum4(addrs, 0, 4, l4.proto, seg.length) : pseudoSum6(addrs, 0, 16, l4.proto, seg.length);
        expect(internetChecksum(seg, 0, seg.length, ps)).toBe(0);
      }
    }
  });
});

describe('incremental update (RFC 1624 eqn. 3)', () => {
  it('gives 0x0000 for the RFC 1624 §4 example where eqn. 2 gives 0xffff', () => {
    // HC = 0xdd2f, m = 0x5555 → m' = 0x3285; recomputation: ~(0xcd7a + 0x3285) = 0x0000.
    expect(checksumUpdate16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  // Real headers never sum to +0 (a version/IHL or protocol word is always non-zero), which is the one
  // case eqn. 3 and recomputation represent differently (0x0000 vs 0xffff). Word 0 plays that part here
  // and is never the word that changes.
  const headerLike = (min: number) =>
    fc.uint8Array({ minLength: min, maxLength: 200 }).map((a) => {
      const b = Uint8Array.from(a.length % 2 ? a.subarray(0, a.length - 1) : a);
      b[0] = 0x45;
      return b;
    });

  it('16-bit change: always equals a full recomputation', () => {
    fc.assert(
      fc.property(headerLike(4), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (b, at, nv) => {
        const w = 2 + 2 * (at % (b.length / 2 - 1));
        const before = rfc1071([...b]);
        const old = (b[w]! << 8) | b[w + 1]!;
        b[w] = nv >> 8;
        b[w + 1] = nv & 0xff;
        expect(checksumUpdate16(before, old, nv)).toBe(rfc1071([...b]));
      }),
      { numRuns: 500 },
    );
  });

  it('32-bit and 16-byte changes (IPv4 / IPv6 addresses): always equal a full recomputation', () => {
    fc.assert(
      fc.property(headerLike(20), fc.nat(), fc.uint8Array({ minLength: 16, maxLength: 16 }), (data, at, nv) => {
        const b = Uint8Array.from(data);
        const w4 = 2 + 2 * (at % ((b.length - 4) / 2));
        const before = rfc1071([...b]);
        const old32 = ((b[w4]! << 24) | (b[w4 + 1]! << 16) | (b[w4 + 2]! << 8) | b[w4 + 3]!) >>> 0;
        const new32 = ((nv[0]! << 24) | (nv[1]! << 16) | (nv[2]! << 8) | nv[3]!) >>> 0;
        const via32 = checksumUpdate32(before, old32, new32);
        const viaBytes = checksumUpdateBytes(before, b, w4, nv, 0, 4);
        b.set(nv.subarray(0, 4), w4);
        expect(via32).toBe(rfc1071([...b]));
        expect(viaBytes).toBe(rfc1071([...b]));
        const c = Uint8Array.from(data);
        const w16 = 2 + 2 * (at % ((c.length - 16) / 2));
        const before16 = rfc1071([...c]);
        const via16 = checksumUpdateBytes(before16, c, w16, nv, 0, 16);
        c.set(nv, w16);
        expect(via16).toBe(rfc1071([...c]));
      }),
      { numRuns: 500 },
    );
  });
});
