import { describe, expect, it } from 'vitest';
import { IPPROTO_UDP, makeFlow } from '../src/address.js';
import { MaglevHashingScheduler } from '../src/schedulers/mh.js';
import { hsiphash32, sipHashKey } from '../src/siphash.js';
import { type MhTableSize, NO_SERVER, type RealServerSpec, type SchedulerFlag } from '../src/types.js';

// Kernel: net/netfilter/ipvs/ip_vs_mh.c (generate_hash_secret, ip_vs_mh_hashkey, ip_vs_mh_permutate,
// ip_vs_mh_populate, ip_vs_mh_gcd_weight, ip_vs_mh_shift_weight, ip_vs_mh_get, ip_vs_mh_get_fallback,
// ip_vs_mh_reassign) and lib/siphash.c hsiphash (SipHash-1-3 on 64-bit, validated in siphash.test.ts).
// Expected figures marked "spec" are the [computed] values of lvs-semantics.md §1.12 (an independent
// re-implementation); the others are derived by hand from ip_vs_mh_populate as explained beside them.
const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';
const HASH1 = sipHashKey(2654435761n, 2654435761n);
const HASH2 = sipHashKey(2654446892n, 2654446892n);
const spec = (address: string, weight = 1): RealServerSpec => ({ address, port: 80, weight });
const make = (servers: RealServerSpec[], tableSize: MhTableSize = 4093, flags: SchedulerFlag<'mh'>[] = []) =>
  new MaglevHashingScheduler({ servers, tableSize, flags });
const counts = (s: MaglevHashingScheduler) => {
  const c = new Map<string, number>();
  for (let i = 0; i < s.tableSize; i++) {
    const h = s.slot(i);
    const k = h === NO_SERVER ? '-' : s.info(h).address;
    c.set(k, (c.get(k) ?? 0) + 1);
  }
  return Object.fromEntries(c);
};
const slots = (s: MaglevHashingScheduler) => Array.from({ length: s.tableSize }, (_, i) => s.slot(i));
const client = makeFlow({ source: '192.168.1.10', sourcePort: 40000, destination: '10.9.9.9', destinationPort: 80 });

describe('mh (ip_vs_mh.c)', () => {
  it('server offsets and skips: 3167/700, 1231/3544, 1631/3453 for 10.0.0.1-3:80 (spec)', () => {
    // ip_vs_mh_permutate: offset = hsiphash(port + addr, hash1) % M, skip = hsiphash(…, hash2) % (M - 1) + 1.
    const got = [0x0a000001, 0x0a000002, 0x0a000003].map((a) => [
      hsiphash32(80 + a, HASH1) % 4093,
      (hsiphash32(80 + a, HASH2) % 4092) + 1,
    ]);
    expect(got).toEqual([
      [3167, 700],
      [1231, 3544],
      [1631, 3453],
    ]);
    // Each server's first claim is its offset (the table is empty when the first pass starts).
    const s = make([spec(A), spec(B), spec(C)]);
    expect([s.slot(3167), s.slot(1231), s.slot(1631)].map((h) => s.info(h).address)).toEqual([A, B, C]);
  });

  it('three servers of weight 1: 1365/1364/1364 of 4093; 192.168.1.10 → slot 3323 → 10.0.0.1 (spec)', () => {
    const s = make([spec(A), spec(B), spec(C)]);
    expect(counts(s)).toEqual({ [A]: 1365, [B]: 1364, [C]: 1364 });
    expect(s.slotOf(client)).toBe(3323);
    expect(s.info(s.schedule(client)).address).toBe(A);
  });

  it('M = 251: 84/84/83, and weights 2,1 → 168/83 (spec)', () => {
    expect(counts(make([spec(A), spec(B), spec(C)], 251))).toEqual({ [A]: 84, [B]: 84, [C]: 83 });
    expect(counts(make([spec(A, 2), spec(B, 1)], 251))).toEqual({ [A]: 168, [B]: 83 });
  });

  it('shifts large weight ratios: weights 128,1 → turns 32 and 1 (rshift 2)', () => {
    // gcd 1, max/gcd = 128, fls(128) = 8, IP_VS_MH_TAB_BITS = 12/2 = 6 → rshift 2; turns 128 >> 2 = 32 and
    // (1 >> 2) ?: (1 != 0) = 1. Passes of 33 claims: 4093 = 124 * 33 + 1, the extra claim going to A (head).
    expect(counts(make([spec(A, 128), spec(B, 1)]))).toEqual({ [A]: 124 * 32 + 1, [B]: 124 });
  });

  it('quiescing keeps the slots (last_weight) and gives no server; mh-fallback moves on', () => {
    const s = make([spec(A), spec(B), spec(C)]);
    const before = slots(s);
    s.update(s.handleOf(A, 80), { weight: 0 });
    expect(slots(s)).toEqual(before); // rebuilt from last_weight 1: identical
    expect(s.schedule(client)).toBe(NO_SERVER);

    const f = make([spec(A), spec(B), spec(C)], 4093, ['mh-fallback']);
    f.update(f.handleOf(A, 80), { weight: 0 });
    // ip_vs_mh_get_fallback: first available of slot(hashkey(addr, 0, hash1, (offset + ihash) % M) % M).
    const ihash = 3323;
    let expected = NO_SERVER;
    for (let offset = 0; offset < 4093 && expected === NO_SERVER; offset++) {
      const h = f.slot(hsiphash32(((offset + ihash) % 4093) + 0xc0a8010a, HASH1) % 4093);
      if (f.info(h).weight > 0) expected = h;
    }
    expect(expected).not.toBe(NO_SERVER);
    expect(f.schedule(client)).toBe(expected);
    // flag-1 is the same bit (IP_VS_SVC_F_SCHED1):
    const g = make([spec(A), spec(B), spec(C)], 4093, ['flag-1']);
    g.update(g.handleOf(A, 80), { weight: 0 });
    expect(g.schedule(client)).toBe(expected);
  });

  it('OVERLOAD makes a server unavailable too', () => {
    const s = make([spec(A), spec(B), spec(C)]);
    s.setOverloaded(s.handleOf(A, 80), true);
    expect(s.schedule(client)).toBe(NO_SERVER);
  });

  it('a server added with weight 0 gets no slots (turns 0), and nor does one revived with weight 0', () => {
    const s = make([spec(A), spec(B)]);
    const c = s.add(spec(C, 0));
    expect(counts(s)[C]).toBeUndefined();
    expect(s.slot(1631)).not.toBe(c);
    // Revive B from the trash with weight 0: __ip_vs_update_dest(add=1) sets last_weight = 0.
    s.remove(s.handleOf(B, 80));
    s.add(spec(B, 0));
    expect(counts(s)).toEqual({ [A]: 4093 });
  });

  it('mh-port (= flag-2) adds the source port for TCP/UDP/SCTP only', () => {
    for (const flag of ['mh-port', 'flag-2'] as const) {
      const s = make([spec(A), spec(B), spec(C)], 4093, [flag]);
      expect(s.slotOf(client)).toBe(hsiphash32(40000 + 0xc0a8010a, HASH1) % 4093);
      const udp = makeFlow({
        source: '192.168.1.10',
        sourcePort: 40000,
        destination: '10.9.9.9',
        protocol: IPPROTO_UDP,
      });
      expect(s.slotOf(udp)).toBe(s.slotOf(client));
      const icmp = makeFlow({ source: '192.168.1.10', sourcePort: 40000, destination: '10.9.9.9', protocol: 1 });
      expect(s.slotOf(icmp)).toBe(3323);
    }
    expect(make([spec(A)]).slotOf(client)).toBe(3323);
  });

  it('folds IPv6 sources: ::192.168.1.10 → slot 3323', () => {
    const s = make([spec(A), spec(B), spec(C)]);
    expect(s.slotOf(makeFlow({ source: '::192.168.1.10', destination: '2001:db8::1' }))).toBe(3323);
  });

  it('refuses more servers than slots with SCHED_TOO_MANY_SERVERS, changing nothing', () => {
    const many = Array.from({ length: 251 }, (_, i) => spec(`198.18.${i >> 8}.${(i & 255) + 1}`));
    const s = make(many, 251);
    const before = slots(s);
    expect(() => s.add(spec('198.19.0.1'))).toThrow(expect.objectContaining({ code: 'SCHED_TOO_MANY_SERVERS' }));
    expect(s.size).toBe(251);
    expect(s.handleOf('198.19.0.1', 80)).toBe(NO_SERVER);
    expect(slots(s)).toEqual(before);
    expect(() => make([...many, spec('198.19.0.1')], 251)).toThrow(
      expect.objectContaining({ code: 'SCHED_TOO_MANY_SERVERS' }),
    );
  });

  it('rejects table sizes the kernel cannot have', () => {
    expect(() => make([spec(A)], 65537 as MhTableSize)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('an empty list, or all last_weights 0, leaves every slot empty', () => {
    expect(make([]).schedule(client)).toBe(NO_SERVER);
    const s = make([spec(A, 0)]);
    expect(counts(s)).toEqual({ '-': 4093 });
    expect(s.schedule(client)).toBe(NO_SERVER);
  });
});
