/**
 * The C library address routines reproduced in inet.ts, checked against glibc's documented behaviour:
 * inet_aton(3) ("a", "a.b", "a.b.c", "a.b.c.d"; 0x hex and leading-0 octal parts; trailing text after a
 * blank ignored), inet_pton(3) (strict), inet_ntop(3) for IPv6 (longest run of at least two zero words
 * compressed, the first of equal runs; IPv4-mapped and IPv4-compatible tails dotted).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inetAton, inetNtop, inetPton4, inetPton6 } from '../../src/ipvsadm/index.js';

const v6 = (text: string) => {
  const b = new Uint8Array(16);
  expect(inetPton6(text, b)).toBe(true);
  return b;
};

describe('inet_aton', () => {
  it.each([
    ['1', 0x00000001],
    ['1.2', 0x01000002],
    ['1.2.3', 0x01020003],
    ['1.2.3.4', 0x01020304],
    ['0x7f.1', 0x7f000001],
    ['010.0.0.1', 0x08000001],
    ['1.256', 0x01000100],
    ['4294967295', 0xffffffff],
    ['255.255.255.0', 0xffffff00],
    ['1.2.3.4 trailing words', 0x01020304],
  ])('%j → %d', (text, value) => {
    expect(inetAton(text)).toBe(value);
  });

  it.each(['', '0x', '08.0.0.1', '256.0.0.1', '1.2.3.4.', '1..2', '4294967296', '1.2.3.4x', 'a.b.c.d', '1.2.65536'])(
    'refuses %j',
    (text) => {
      expect(inetAton(text)).toBeUndefined();
    },
  );
});

describe('inet_pton', () => {
  it('IPv4 is strict: four decimal parts, no leading zeros', () => {
    expect(inetPton4('192.0.2.1')).toBe(true);
    for (const bad of ['192.0.2', '192.0.2.01', '192.0.2.256', '0x1.0.0.1', ' 1.2.3.4'])
      expect(inetPton4(bad)).toBe(false);
  });

  it('IPv6 forms', () => {
    expect([...v6('::')]).toEqual(new Array(16).fill(0));
    expect([...v6('1::')].slice(0, 2)).toEqual([0, 1]);
    expect([...v6('::ffff:192.0.2.1')].slice(10)).toEqual([0xff, 0xff, 192, 0, 2, 1]);
    expect([...v6('1:2:3:4:5:6:7::')].slice(12)).toEqual([0, 7, 0, 0]);
    for (const bad of [
      ':::',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      ':1::',
      '1:2:3:4:5:6:7:8::',
      '12345::',
      '::1.2.3',
      '1.2.3.4::',
      'g::1',
    ]) {
      expect(inetPton6(bad)).toBe(false);
    }
  });
});

describe('inet_ntop (IPv6)', () => {
  it.each([
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:db8:0:0:0:0:0:0', '2001:db8::'],
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
    ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
    ['2001:DB8:0:0:8:800:200C:417A', '2001:db8::8:800:200c:417a'],
    ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'],
    ['0:0:0:0:0:0:c000:201', '::192.0.2.1'],
    ['0:0:0:0:1:ffff:c000:201', '::1:ffff:c000:201'],
  ])('%s → %s', (text, expected) => {
    expect(inetNtop(6, v6(text))).toBe(expected);
  });

  it('pton(ntop(x)) = x for any 16 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const back = new Uint8Array(16);
        expect(inetPton6(inetNtop(6, bytes), back)).toBe(true);
        expect([...back]).toEqual([...bytes]);
      }),
    );
  });
});
