/**
 * Fuzzing the parser and every rewrite (STYLE rule 9): random bytes and random well-formed frames (then
 * randomly corrupted) never make them throw, never make them write outside the frame's output, and — for
 * well-formed input — every checksum in a forwarded or replied frame verifies when recomputed from scratch
 * by the test side's own RFC 1071 loop, i.e. the incremental updates always equal a full recomputation.
 */

import { DropReason, Verdict } from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createForwardParams,
  PacketInfo,
  parsePacket,
  RewriteResult,
  rewriteMasqIn,
  rewriteMasqOut,
  rewriteRoute,
  rewriteTunnel,
} from '../src/index.js';
import { eth4, eth6, icmp4, icmp6, ipv4, ipv6, rfc1071, tcp, udp } from './golden/builder.js';

const REWRITES = [rewriteRoute, rewriteMasqIn, rewriteMasqOut, rewriteTunnel] as const;
const SENTINEL = 0xa5;

const paramsArb = fc.record({
  v6: fc.boolean(),
  port: fc.integer({ min: 0, max: 0xffff }),
  mtu: fc.integer({ min: 68, max: 9000 }),
  decrementTtl: fc.boolean(),
  pmtuDisc: fc.boolean(),
  ident: fc.integer({ min: 0, max: 0xffff }),
});

type ParamsSeed = { v6: boolean; port: number; mtu: number; decrementTtl: boolean; pmtuDisc: boolean; ident: number };

function params(s: ParamsSeed) {
  return createForwardParams({
    ourMac: '02:00:00:00:00:fe',
    nextHopMac: '02:00:00:00:01:0b',
    address: s.v6 ? '2001:db8:1::11' : '198.18.1.11',
    ourAddress: '198.18.1.1',
    port: s.port,
    mtu: s.mtu,
    decrementTtl: s.decrementTtl,
    pmtuDisc: s.pmtuDisc,
    ident: s.ident,
  });
}

const info = new PacketInfo();
const result = new RewriteResult();

/** Runs one rewrite over a copy of `input` in a buffer with `room` spare bytes; checks the safety properties. */
function runOne(input: Uint8Array, room: number, rewrite: (typeof REWRITES)[number], seed: ParamsSeed) {
  const cap = input.length + room;
  const buf = new Uint8Array(cap).fill(SENTINEL);
  buf.set(input);
  const reason = parsePacket(buf, input.length, info);
  let verdict: Verdict = Verdict.DROP;
  if (reason === DropReason.NONE) verdict = rewrite(buf, input.length, info, params(seed), result);
  const outLen = verdict === Verdict.DROP ? 0 : result.length;
  expect(outLen).toBeLessThanOrEqual(cap);
  if (verdict === Verdict.DROP && reason === DropReason.NONE) expect(result.reason).not.toBe(DropReason.NONE);
  const end = Math.max(input.length, outLen);
  for (let i = end; i < cap; i++) if (buf[i] !== SENTINEL) expect.fail(`wrote outside the frame at ${i} (end ${end})`);
  return { verdict, out: buf.subarray(0, outLen) };
}

describe('fuzz: random bytes', () => {
  it('no parser or rewrite throws or writes outside the frame, for any 0..2000 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(64), paramsArb, (bytes, room, seed) => {
        for (const rw of REWRITES) runOne(bytes, room, rw, seed);
      }),
      { numRuns: 300 },
    );
  });

  it("a caller's len past the buffer, negative or NaN never becomes a result length past the buffer (issue 11 item 11)", () => {
    const frame = eth4(
      '02:00:00:00:00:fe',
      '02:00:00:00:00:01',
      ipv4({ src: '198.18.2.1', dst: '198.18.0.100' }, tcp({ sport: 40000, dport: 80 })),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: frame.length + 1, max: 1 << 20 }), fc.constantFrom(-1, Number.NaN, Infinity)),
        paramsArb,
        (len, seed) => {
          for (const rw of REWRITES) {
            const buf = Uint8Array.from(frame);
            expect(parsePacket(buf, buf.length, info)).toBe(DropReason.NONE);
            const verdict = rw(buf, len, info, params(seed), result);
            if (verdict !== Verdict.DROP) expect(result.length).toBeLessThanOrEqual(buf.length);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the same with an IPv4 or IPv6 EtherType forced, so the IP parsers see the bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 14, maxLength: 2000 }),
        fc.boolean(),
        fc.nat(64),
        paramsArb,
        (b, v6, room, seed) => {
          const bytes = Uint8Array.from(b);
          bytes[12] = v6 ? 0x86 : 0x08;
          bytes[13] = v6 ? 0xdd : 0x00;
          bytes[14] = (v6 ? 0x60 : 0x45) | (bytes[14]! & 0x0f & (v6 ? 0x0f : 0));
          for (const rw of REWRITES) runOne(bytes, room, rw, seed);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---- well-formed frames ----

const v4Addr = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map((a) => a.join('.'));
const v6Addr = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 7, maxLength: 7 })
  .map((g) => ['2001', ...g.map((x) => x.toString(16))].join(':'));

const frameArb = fc
  .record({
    v6: fc.boolean(),
    kind: fc.constantFrom('tcp', 'udp', 'udp0', 'icmperr', 'echo'),
    ttl: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 255 })), // TTL 1 often: the ICMP reply path
    tos: fc.nat(255),
    df: fc.boolean(),
    options: fc.boolean(),
    vlan: fc.option(fc.nat(4095), { nil: undefined }),
    data: fc.uint8Array({ maxLength: 1600 }),
    sport: fc.integer({ min: 0, max: 0xffff }),
    dport: fc.integer({ min: 0, max: 0xffff }),
    a4: fc.tuple(v4Addr, v4Addr),
    a6: fc.tuple(v6Addr, v6Addr),
  })
  .map((f) => {
    const data = [...f.data];
    const [src, dst] = f.v6 ? f.a6 : f.a4;
    const inner = (v6: boolean) =>
      v6
        ? ipv6({ src: dst, dst: src }, udp({ sport: f.dport, dport: f.sport, data: data.slice(0, 20) })).slice(0, 48)
        : ipv4({ src: dst, dst: src }, tcp({ sport: f.dport, dport: f.sport, data: data.slice(0, 20) })).slice(0, 28);
    const l4 =
      f.kind === 'tcp'
        ? tcp({ sport: f.sport, dport: f.dport, data })
        : f.kind === 'udp'
          ? udp({ sport: f.sport, dport: f.dport, data })
          : f.kind === 'udp0'
            ? udp({ sport: f.sport, dport: f.dport, data, checksum: 0 })
            : f.kind === 'icmperr'
              ? f.v6
                ? icmp6(1, 4, 0, inner(true))
                : icmp4(3, 3, 0, inner(false))
              : f.v6
                ? icmp6(128, 0, 0x10001, data.slice(0, 64))
                : icmp4(8, 0, 0x10001, data.slice(0, 64));
    const mac = ['02:00:00:00:00:fe', '02:00:00:00:00:0a'] as const;
    return {
      v6: f.v6,
      udp0: f.kind === 'udp0',
      frame: f.v6
        ? eth6(mac[0], mac[1], ipv6({ src, dst, hop: f.ttl, tc: f.tos }, l4))
        : eth4(
            mac[0],
            mac[1],
            ipv4({ src, dst, ttl: f.ttl, tos: f.tos, df: f.df, options: f.options ? [1, 1, 1, 0] : [] }, l4),
            f.vlan,
          ),
    };
  });

/** Independent check: every checksum in an output frame verifies (RFC 1071 over the bytes as they are). */
function checksumsVerify(out: Uint8Array): void {
  const b = [...out];
  let l3 = 14;
  if (b[12] === 0x81 && b[13] === 0x00) l3 = 18;
  const type = (b[l3 - 2]! << 8) | b[l3 - 1]!;
  if (type === 0x0800) {
    checkV4(b, l3);
  } else {
    expect(type).toBe(0x86dd);
    const plen = (b[l3 + 4]! << 8) | b[l3 + 5]!;
    const next = b[l3 + 6]!;
    const src = b.slice(l3 + 8, l3 + 24);
    const dst = b.slice(l3 + 24, l3 + 40);
    const l4 = b.slice(l3 + 40, l3 + 40 + plen);
    // A zero UDP checksum is "none" (IPv4) or invalid input (IPv6) that DR and TUN carry unchanged.
    const udpNone = next === 17 && l4[6] === 0 && l4[7] === 0;
    if ((next === 6 || next === 17 || next === 58) && !udpNone) {
      const pseudo = [...src, ...dst, 0, 0, plen >> 8, plen & 0xff, 0, 0, 0, next];
      expect(rfc1071([...pseudo, ...l4])).toBe(0);
    }
  }
}

function checkV4(b: number[], l3: number): void {
  const hl = (b[l3]! & 0x0f) * 4;
  const tl = (b[l3 + 2]! << 8) | b[l3 + 3]!;
  expect(rfc1071(b.slice(l3, l3 + hl))).toBe(0);
  const proto = b[l3 + 9]!;
  const frag = ((b[l3 + 6]! << 8) | b[l3 + 7]!) & 0x3fff;
  const l4 = b.slice(l3 + hl, l3 + tl);
  if (proto === 4) {
    checkV4(b, l3 + hl);
    return;
  }
  if (frag !== 0) return;
  const pseudo = [...b.slice(l3 + 12, l3 + 20), 0, proto, l4.length >> 8, l4.length & 0xff];
  if (proto === 6) expect(rfc1071([...pseudo, ...l4])).toBe(0);
  if (proto === 17 && (l4[6] !== 0 || l4[7] !== 0)) expect(rfc1071([...pseudo, ...l4])).toBe(0);
  if (proto === 1) expect(rfc1071(l4)).toBe(0);
}

describe('fuzz: well-formed frames', () => {
  it('every forwarded or replied frame carries checksums that verify from scratch', () => {
    const seen = [0, 0, 0, 0];
    fc.assert(
      fc.property(frameArb, paramsArb, fc.nat(64), (f, seed, room) => {
        for (const rw of REWRITES) {
          const { verdict, out } = runOne(f.frame, room + 600, rw, seed);
          seen[verdict]! += 1;
          if (verdict !== Verdict.DROP) checksumsVerify(out);
        }
      }),
      { numRuns: 300 },
    );
    // The generator must reach the rewriting code, not only the drops.
    expect(seen[Verdict.FORWARD]).toBeGreaterThan(100);
    expect(seen[Verdict.REPLY]).toBeGreaterThan(5);
  });

  it('NAT of a zero-checksum IPv4 UDP datagram yields a real checksum (the kernel full-recomputation branch)', () => {
    fc.assert(
      fc.property(frameArb, paramsArb, (f, seed) => {
        if (!f.udp0 || f.v6) return;
        const { verdict, out } = runOne(f.frame, 64, rewriteMasqIn, { ...seed, v6: false, mtu: 9000 });
        if (verdict !== Verdict.FORWARD) return;
        const l3 = out[12] === 0x81 ? 18 : 14;
        const l4 = l3 + (out[l3]! & 0x0f) * 4;
        expect((out[l4 + 6]! << 8) | out[l4 + 7]!).not.toBe(0);
        checksumsVerify(out);
      }),
      { numRuns: 200 },
    );
  });

  it('corrupting up to 4 bytes of a well-formed frame never throws or writes outside it', () => {
    fc.assert(
      fc.property(
        frameArb,
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
        fc.nat(),
        paramsArb,
        fc.nat(64),
        (f, flips, cut, seed, room) => {
          const b = Uint8Array.from(f.frame);
          for (const [at, v] of flips) b[at % b.length] = v;
          const len = cut % 3 === 0 ? cut % (b.length + 1) : b.length;
          for (const rw of REWRITES) runOne(b.subarray(0, len), room, rw, seed);
        },
      ),
      { numRuns: 300 },
    );
  });
});
