/**
 * Codec golden packets (checksums derived by hand from RFC 1071 one's-complement arithmetic, shown in each
 * comment) and property tests: encode → view round trip, checksum detects any single-byte corruption.
 */
import { formatIp, internetChecksum, parseIp } from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPV4_HEADER_LENGTH } from '../src/codec.js';
import {
  advertLength,
  checksumValid,
  encodeAdvert,
  encodeIpv4Header,
  passAuthData,
  VRRP_AUTH_PASS,
  VrrpView,
} from '../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('VRRPv2 encoding (RFC 3768 §5.1, §5.3.8)', () => {
  it('encodes a one-address advert with the hand-computed checksum', () => {
    // Words 0x2101 0x6401 0x0001 0xc0a8 0x0001 (+ 8 zero auth bytes): sum 0x145ac → fold 0x45ad → ~ 0xba52.
    const out = new Uint8Array(64);
    const n = encodeAdvert(
      out,
      0,
      { version: 2, family: 4, vrid: 1, priority: 100, interval: 1, addresses: [parseIp('192.168.0.1')] },
      null,
    );
    expect(n).toBe(20);
    expect(hex(out.subarray(0, n))).toBe('2101640100 01ba52c0a800010000000000000000'.replaceAll(' ', ''));
  });

  it('encodes keepalived PASS authentication as in the seed config (VI_1, vrid 38, auth_pass x1er44q)', () => {
    // 0x2126+0x6401+0x0101+0x0a01+0x2613+0x7831+0x6572+0x3434+0x7100 = 0x23913 → 0x3915 → ~ 0xc6ea.
    const out = new Uint8Array(32);
    const n = encodeAdvert(
      out,
      4,
      {
        version: 2,
        family: 4,
        vrid: 38,
        priority: 100,
        interval: 1,
        addresses: [parseIp('10.1.38.19')],
        authType: VRRP_AUTH_PASS,
        authData: passAuthData('x1er44q'),
      },
      null,
    );
    expect(hex(out.subarray(4, 4 + n))).toBe('21266401' + '0101c6ea' + '0a012613' + '7831657234347100');
    const v = new VrrpView().reset(out, 4, n);
    expect(v.isComplete(4)).toBe(true);
    expect(checksumValid(v, 4, null)).toBe(true);
    expect(v.authType).toBe(1);
    expect(Buffer.from(out.subarray(v.authDataOffset(4), v.authDataOffset(4) + 7)).toString()).toBe('x1er44q');
  });

  it('refuses a buffer too small with VRRP_BUFFER_TOO_SMALL', () => {
    expect(() =>
      encodeAdvert(
        new Uint8Array(10),
        0,
        { version: 2, family: 4, vrid: 1, priority: 1, interval: 1, addresses: [] },
        null,
      ),
    ).toThrow(expect.objectContaining({ code: 'VRRP_BUFFER_TOO_SMALL' }));
  });
});

describe('VRRPv3 encoding (RFC 5798 §5.2, §5.2.8)', () => {
  const fields = {
    version: 3 as const,
    family: 4 as const,
    vrid: 1,
    priority: 100,
    interval: 100,
    addresses: [parseIp('192.168.0.1')],
  };
  it('sums the IPv4 pseudo-header (keepalived ipv4_phdr_t) by default', () => {
    // Message 0x3101+0x6401+0x0064+0xc0a8+0x0001 = 0x1560f; pseudo 0xc0a8+0x0002+0xe000+0x0012+0x0070(112)+0x000c(len 12)
    // = 0x1a138; total 0x2f747 → 0xf749 → ~ 0x08b6.
    const out = new Uint8Array(12);
    const ph = { source: parseIp('192.168.0.2'), destination: parseIp('224.0.0.18') };
    encodeAdvert(out, 0, fields, ph);
    expect(hex(out)).toBe('310164010064' + '08b6' + 'c0a80001');
    expect(checksumValid(new VrrpView().reset(out, 0, 12), 4, ph)).toBe(true);
    // The same bytes fail without the pseudo-header.
    expect(checksumValid(new VrrpView().reset(out, 0, 12), 4, null)).toBe(false);
  });
  it('omits the pseudo-header for v3_checksum_as_v2', () => {
    // 0x1560f → 0x5610 → ~ 0xa9ef.
    const out = new Uint8Array(12);
    encodeAdvert(out, 0, fields, null);
    expect(hex(out.subarray(6, 8))).toBe('a9ef');
  });
  it('keeps the 4 reserved bits zero and ignores them on receive (RFC 5798 §5.2.6)', () => {
    const out = new Uint8Array(12);
    encodeAdvert(out, 0, { ...fields, interval: 4095 }, null);
    expect(out[4]).toBe(0x0f);
    out[4] = 0xff;
    expect(new VrrpView().reset(out, 0, 12).maxAdverIntCs).toBe(4095);
  });
  it('encodes IPv6 addresses, 16 bytes each, with the RFC 2460 pseudo-header', () => {
    const out = new Uint8Array(40);
    const ph = { source: parseIp('fe80::1'), destination: parseIp('ff02::12') };
    const n = encodeAdvert(
      out,
      0,
      {
        version: 3,
        family: 6,
        vrid: 7,
        priority: 200,
        interval: 10,
        addresses: [parseIp('fe80::7'), parseIp('2001:db8::7')],
      },
      ph,
    );
    expect(n).toBe(8 + 32);
    const v = new VrrpView().reset(out, 0, n);
    expect(v.isComplete(6)).toBe(true);
    expect(formatIp(out.subarray(v.addressOffset(1, 6), v.addressOffset(1, 6) + 16))).toBe('2001:db8::7');
    expect(checksumValid(v, 6, ph)).toBe(true);
  });
});

describe('IPv4 header for IP_HDRINCL (keepalived vrrp_build_ip4)', () => {
  it('writes TOS 0xc0, TTL 255, protocol 112 and a valid header checksum', () => {
    const out = new Uint8Array(IPV4_HEADER_LENGTH);
    encodeIpv4Header(out, 0, 40, 255, parseIp('198.18.0.1'), parseIp('224.0.0.18'));
    expect(out[0]).toBe(0x45);
    expect(out[1]).toBe(0xc0);
    expect(out[8]).toBe(255);
    expect(out[9]).toBe(112);
    expect(internetChecksum(out, 0, 20)).toBe(0);
  });
});

describe('properties', () => {
  const arbFields = fc.record({
    version: fc.constantFrom(2 as const, 3 as const),
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    count: fc.integer({ min: 0, max: 12 }),
    seed: fc.integer({ min: 0, max: 0xffffff }),
    pass: fc.option(fc.stringMatching(/^[a-z0-9]{1,8}$/), { nil: undefined }),
  });
  it('encode then view returns every field, and the checksum verifies', () => {
    fc.assert(
      fc.property(arbFields, (f) => {
        const addresses = Array.from({ length: f.count }, (_, i) =>
          Uint8Array.of(198, 18, (f.seed >> 8) & 0xff, (f.seed + i) & 0xff),
        );
        const interval = f.version === 2 ? 1 + (f.seed % 255) : 1 + (f.seed % 4095);
        const ph = f.version === 3 ? { source: parseIp('198.18.0.1'), destination: parseIp('224.0.0.18') } : null;
        const out = new Uint8Array(300);
        const n = encodeAdvert(
          out,
          3,
          {
            version: f.version,
            family: 4,
            vrid: f.vrid,
            priority: f.priority,
            interval,
            addresses,
            ...(f.version === 2 && f.pass ? { authType: 1, authData: passAuthData(f.pass) } : {}),
          },
          ph,
        );
        expect(n).toBe(advertLength(f.version, 4, f.count));
        const v = new VrrpView().reset(out, 3, n);
        expect(v.isComplete(4)).toBe(true);
        expect([v.version, v.type, v.vrid, v.priority, v.count]).toEqual([f.version, 1, f.vrid, f.priority, f.count]);
        expect(f.version === 2 ? v.adverIntSeconds : v.maxAdverIntCs).toBe(interval);
        expect(checksumValid(v, 4, ph)).toBe(true);
      }),
    );
  });
  it('any single corrupted byte fails the checksum', () => {
    fc.assert(
      fc.property(arbFields, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, pos, flip) => {
        const addresses = Array.from({ length: f.count }, (_, i) => Uint8Array.of(10, 0, 0, i));
        const out = new Uint8Array(300);
        const n = encodeAdvert(
          out,
          0,
          { version: f.version, family: 4, vrid: f.vrid, priority: f.priority, interval: 1, addresses },
          null,
        );
        const p = pos % n;
        out[p] = (out[p] as number) ^ flip;
        const v = new VrrpView().reset(out, 0, n);
        // A corrupted count byte changes the expected length; only judge complete messages.
        if (v.isComplete(4)) expect(checksumValid(v, 4, null)).toBe(false);
      }),
    );
  });
  it('a view over random bytes never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const v = new VrrpView().reset(bytes, 0, bytes.length);
        if (v.hasHeader() && v.isComplete(4)) checksumValid(v, 4, null);
      }),
    );
  });
});

describe('addresses', () => {
  it('parses and formats IPv4 and IPv6', () => {
    expect([...parseIp('198.18.0.10')]).toEqual([198, 18, 0, 10]);
    expect(formatIp(parseIp('ff02::12'))).toBe('ff02::12');
    expect(formatIp(parseIp('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(() => parseIp('300.1.1.1')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
