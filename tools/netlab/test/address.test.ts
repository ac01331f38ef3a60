/**
 * Address rules: only 198.18.0.0/15 (RFC 2544 §C.2.2: 198.18.0.0–198.19.255.255) and 2001:2::/48 (RFC 5180
 * §8; IANA IPv6 special-purpose registry "Benchmarking"). Boundaries are taken from those RFCs by hand: a /48
 * fixes the first three 16-bit groups, so an address is in exactly when they read 2001, 0002, 0000. The
 * property test checks our parser against Node's own `net.BlockList` (inet_pton underneath), an independent
 * implementation of the same question.
 */
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv6Groups } from '../src/address.js';
import { checkLabCidr, hostAddress, isLabAddress, netlabErrorCodes } from '../src/index.js';

const bad = expect.objectContaining({ code: 'NETLAB_BAD_ADDRESS' });

describe('netlab addresses', () => {
  it('accepts exactly 198.18.0.0–198.19.255.255', () => {
    expect(isLabAddress('198.18.0.0')).toBe(true);
    expect(isLabAddress('198.19.255.255')).toBe(true);
    expect(isLabAddress('198.17.255.255')).toBe(false);
    expect(isLabAddress('198.20.0.0')).toBe(false);
    expect(isLabAddress('10.0.0.1')).toBe(false);
    expect(isLabAddress('not-an-ip')).toBe(false);
  });

  it('accepts IPv6 only inside 2001:2::/48, whatever the text form', () => {
    // In: the first three groups are 2001:0002:0000 (compressed, padded, fourth group used, ends of the /48).
    expect(isLabAddress('2001:2::1')).toBe(true);
    expect(isLabAddress('2001:0002:0000::1')).toBe(true);
    expect(isLabAddress('2001:2:0:5::1')).toBe(true);
    expect(isLabAddress('2001:2::')).toBe(true);
    expect(isLabAddress('2001:2:0:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(isLabAddress('2001:0002:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(isLabAddress('2001:2::198.18.0.1')).toBe(true);
    expect(isLabAddress('2001:2:0::')).toBe(true);
    // Out: third group 1 (2001:2:1::/48 is the next /48), the documentation prefix, 2001:20::/28 (ORCHIDv2),
    // the last address before the /48 and the first /32 after it, and text whose digits merely resemble it.
    expect(isLabAddress('2001:2:1::1')).toBe(false);
    expect(isLabAddress('2001:db8::1')).toBe(false);
    expect(isLabAddress('2001:20::1')).toBe(false);
    expect(isLabAddress('2001:1:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(false);
    expect(isLabAddress('2001:3::1')).toBe(false);
    expect(isLabAddress('2001::2:0:1')).toBe(false);
    expect(isLabAddress('2001:0:2::1')).toBe(false);
    expect(isLabAddress('2001:2:ffff::1')).toBe(false);
    expect(isLabAddress('::ffff:198.18.0.1')).toBe(false);
    expect(isLabAddress('fe80::1')).toBe(false);
    // A zone index names a link, not an address a lab could configure.
    expect(isLabAddress('2001:2::1%eth0')).toBe(false);
  });

  it('parses IPv6 text to its eight groups (RFC 4291 §2.2 forms)', () => {
    expect(ipv6Groups('2001:2::1')).toEqual([0x2001, 2, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('2001:0002:0000::1')).toEqual([0x2001, 2, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('2001:2:0:5::1')).toEqual([0x2001, 2, 0, 5, 0, 0, 0, 1]);
    expect(ipv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('1:2:3:4:5:6:7::')).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
    expect(ipv6Groups('2001:DB8::AbC')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xabc]);
    // Dotted tail: 198.18.0.1 = 0xc612 0x0001.
    expect(ipv6Groups('2001:2::198.18.0.1')).toEqual([0x2001, 2, 0, 0, 0, 0, 0xc612, 0x0001]);
    expect(ipv6Groups('198.18.0.1')).toBeUndefined();
    expect(ipv6Groups('2001:2::1::1')).toBeUndefined();
    expect(ipv6Groups('2001:2:0:0:0:0:0')).toBeUndefined();
    expect(ipv6Groups('2001:2::1%eth0')).toBeUndefined();
  });

  it('agrees with Node net.BlockList on 2001:2::/48 for random addresses in every text form', () => {
    const bench = new BlockList();
    bench.addSubnet('2001:2::', 48, 'ipv6');
    const group = fc.integer({ min: 0, max: 0xffff });
    // Half the cases start inside the prefix, a quarter one bit away from it, so both answers are exercised.
    const prefix = fc.oneof(
      fc.constant([0x2001, 2, 0]),
      fc
        .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 15 }))
        .map(([i, bit]) => [0x2001, 2, 0].map((g, j) => (j === i ? g ^ (1 << bit) : g))),
      fc.tuple(group, group, group),
    );
    const form = fc.record({
      pad: fc.boolean(),
      upper: fc.boolean(),
      zeroRun: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 8 })),
      compress: fc.boolean(),
    });
    fc.assert(
      fc.property(prefix, fc.array(group, { minLength: 5, maxLength: 5 }), form, (head, rest, f) => {
        const groups = [...head, ...rest];
        const [start, length] = f.zeroRun;
        const end = Math.min(8, start + length);
        // Zero a run so `::` has something to stand for (which may also zero part of the prefix).
        if (f.compress) for (let i = start; i < end; i++) groups[i] = 0;
        const hex = groups.map((g) => {
          const t = f.pad ? g.toString(16).padStart(4, '0') : g.toString(16);
          return f.upper ? t.toUpperCase() : t;
        });
        const text = f.compress ? `${hex.slice(0, start).join(':')}::${hex.slice(end).join(':')}` : hex.join(':');
        expect(ipv6Groups(text)).toEqual(groups);
        const inside = groups[0] === 0x2001 && groups[1] === 2 && groups[2] === 0;
        expect(isLabAddress(text)).toBe(inside);
        expect(bench.check(text, 'ipv6')).toBe(inside);
      }),
      { numRuns: 2000 },
    );
  });

  it('checks CIDR syntax', () => {
    expect(checkLabCidr('198.18.1.1/24')).toBe('198.18.1.1/24');
    expect(() => checkLabCidr('198.18.1.1/33')).toThrow(bad);
    expect(() => checkLabCidr('198.18.1.1/24/1')).toThrow(bad);
    expect(() => checkLabCidr('192.168.0.1/24')).toThrow(bad);
    expect(checkLabCidr('2001:2::1/64')).toBe('2001:2::1/64');
    expect(checkLabCidr('2001:2:0:1::2/128')).toBe('2001:2:0:1::2/128');
    expect(checkLabCidr('2001:2::1')).toBe('2001:2::1');
    expect(() => checkLabCidr('2001:2::1/129')).toThrow(bad);
    expect(() => checkLabCidr('2001:2:1::1/64')).toThrow(bad);
    expect(() => checkLabCidr('2001:db8::1/64')).toThrow(bad);
    expect(() => checkLabCidr('2001:20::1/64')).toThrow(bad);
  });

  it('names the lab ranges in the error and in the catalogue sentence', () => {
    expect(() => checkLabCidr('2001:db8::1/64')).toThrow(/198\.18\.0\.0\/15 or 2001:2::\/48/);
    expect(netlabErrorCodes.NETLAB_BAD_ADDRESS).toContain('2001:2::/48');
    expect(netlabErrorCodes.NETLAB_BAD_ADDRESS).not.toContain('2001:db8');
  });

  it('numbers hosts inside a subnet, excluding network and broadcast', () => {
    expect(hostAddress('198.18.2.0/24', 1)).toBe('198.18.2.1/24');
    expect(hostAddress('198.18.2.77/24', 10)).toBe('198.18.2.10/24');
    expect(hostAddress('198.19.0.0/16', 256)).toBe('198.19.1.0/16');
    expect(() => hostAddress('198.18.2.0/24', 255)).toThrow(bad);
    expect(() => hostAddress('198.18.2.0/24', 0)).toThrow(bad);
  });
});
