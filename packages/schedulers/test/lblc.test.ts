import { describe, expect, it } from 'vitest';
import { GOLDEN_RATIO_32, hash32, makeFlow } from '../src/address.js';
import { LocalityBasedLeastConnectionScheduler } from '../src/schedulers/lblc.js';
import { NO_SERVER } from '../src/types.js';

// Kernel: net/netfilter/ipvs/ip_vs_lblc.c — ip_vs_lblc_schedule (cache lookup, the cached-dest test
// AVAILABLE && weight > 0 && !is_overloaded, no OVERLOAD test), __ip_vs_lblc_schedule (WLC), is_overloaded,
// ip_vs_lblc_new, ip_vs_lblc_check_expire / ip_vs_lblc_full_check (60 s timer, every 30th run a full check,
// else a partial one over 16384 entries), ip_vs_lblc_hashkey (hash_32(addr_fold, 10)).
const A = '198.18.1.1';
const B = '198.18.1.2';
const MIN = 60_000;
const make = (weights: number[], expirationSeconds?: number) =>
  new LocalityBasedLeastConnectionScheduler({
    servers: [A, B].slice(0, weights.length).map((address, i) => ({ address, port: 80, weight: weights[i]! })),
    ...(expirationSeconds === undefined ? {} : { expirationSeconds }),
  });
const to = (destination: string) =>
  makeFlow({ source: '198.19.0.1', sourcePort: 999, destination, destinationPort: 80 });
const who = (s: LocalityBasedLeastConnectionScheduler, h: number) => (h === NO_SERVER ? '-' : s.info(h).address);

/** The multiplicative inverse of GOLDEN_RATIO_32 mod 2^32 (Newton's iteration), to build addresses per bucket. */
function inverse(g: number): number {
  let x = g;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(g, x));
  return x >>> 0;
}
const INV = inverse(GOLDEN_RATIO_32);
/** The k-th IPv4 address (k < 2^22) whose hash_32(addr, 10) is `bucket`. */
function inBucket(bucket: number, k: number): string {
  const x = Math.imul(((bucket << 22) | k) >>> 0, INV) >>> 0;
  return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

describe('lblc (ip_vs_lblc.c)', () => {
  it('a miss picks by weighted least connection and caches it; a hit returns the cached server', () => {
    const s = make([1, 1]);
    expect(who(s, s.schedule(to('10.0.0.1'), 0))).toBe(A); // WLC tie → first in list
    expect(s.entries).toBe(1);
    s.setConnections(s.handleOf(A, 80), 1, 0); // A overhead 256 > B 0
    expect(who(s, s.schedule(to('10.0.0.2'), 1))).toBe(B); // miss → WLC → B
    expect(who(s, s.schedule(to('10.0.0.1'), 2))).toBe(A); // hit: A has 1 active, not more than weight 1
    expect(who(s, s.cachedServer('10.0.0.1'))).toBe(A);
    expect(s.entries).toBe(2);
  });

  it('leaves a cached server that is_overloaded: more active than weight while another is under half weight', () => {
    const s = make([1, 4]);
    s.schedule(to('10.0.0.1'), 0); // → A
    s.setConnections(s.handleOf(A, 80), 2, 0); // 2 > 1
    s.setConnections(s.handleOf(B, 80), 2, 0); // 2 * 2 < 4 is false: nobody under half
    expect(who(s, s.schedule(to('10.0.0.1'), 1))).toBe(A);
    s.setConnections(s.handleOf(B, 80), 1, 0); // 1 * 2 < 4: B is under half
    // WLC: A 512/1 vs B 256/4 → B; the cache follows.
    expect(who(s, s.schedule(to('10.0.0.1'), 2))).toBe(B);
    expect(who(s, s.cachedServer('10.0.0.1'))).toBe(B);
  });

  it('is_overloaded follows the list: removing or reweighting the only under-half server keeps the cache', () => {
    // A (w1, 2 active) cached; B (w4, 1 active) is under half; C (w1, 1 active) is not (2 < 1 false).
    // Once B leaves the list, or B's weight makes 1 * 2 < w false, no server is under half: A stays, though
    // WLC would now pick C (256/1 < 512/1).
    for (const change of ['remove', 'reweight'] as const) {
      const s = new LocalityBasedLeastConnectionScheduler({
        servers: [A, B, '198.18.1.3'].map((address) => ({ address, port: 80, weight: 1 })),
      });
      const [a, b, c] = [A, B, '198.18.1.3'].map((x) => s.handleOf(x, 80)) as [number, number, number];
      s.update(b, { weight: 4 });
      s.schedule(to('10.0.0.1'), 0); // → A
      s.setConnections(a, 2, 0);
      s.setConnections(b, 1, 0);
      s.setConnections(c, 1, 0);
      expect(s.schedule(to('10.0.0.1'), 1)).toBe(b); // A is_overloaded (B under half): WLC → B 256/4
      // Cache A for a fresh destination (A idle: WLC 0/1 wins), then take B out of the under-half set.
      s.setConnections(a, 0, 0);
      expect(s.schedule(to('10.0.0.2'), 2)).toBe(a);
      s.setConnections(a, 2, 0);
      if (change === 'remove') s.remove(b);
      else s.update(b, { weight: 2 });
      expect(s.schedule(to('10.0.0.2'), 3)).toBe(a);
    }
  });

  it('keeps a cached server whose OVERLOAD flag is set (the kernel does not test it), but never picks it anew', () => {
    const s = make([1, 1]);
    s.schedule(to('10.0.0.1'), 0); // → A
    s.setOverloaded(s.handleOf(A, 80), true);
    expect(who(s, s.schedule(to('10.0.0.1'), 1))).toBe(A);
    expect(who(s, s.schedule(to('10.0.0.2'), 1))).toBe(B); // a miss: WLC skips OVERLOAD
  });

  it('leaves a cached server that is quiesced (weight 0)', () => {
    const s = make([1, 1]);
    s.schedule(to('10.0.0.1'), 0);
    s.update(s.handleOf(A, 80), { weight: 0 });
    expect(who(s, s.schedule(to('10.0.0.1'), 1))).toBe(B);
  });

  it('treats a removed server as unavailable, and the same server revived from the trash as valid again', () => {
    const s = make([1, 1]);
    const a = s.handleOf(A, 80);
    s.schedule(to('10.0.0.1'), 0); // → A
    s.schedule(to('10.0.0.2'), 0); // → A
    s.remove(a);
    expect(who(s, s.schedule(to('10.0.0.2'), 1))).toBe(B); // entry pointed at a removed server
    expect(who(s, s.cachedServer('10.0.0.2'))).toBe(B);
    expect(s.add({ address: A, port: 80, weight: 1 })).toBe(a); // same handle (ip_vs_trash_get_dest)
    s.setConnections(a, 1, 0); // WLC would now pick B
    expect(s.schedule(to('10.0.0.1'), 2)).toBe(a); // the old entry is valid again
  });

  it('keys entries by the full address: two IPv6 destinations with the same fold are two entries', () => {
    // 2001:db8::1 and 2001:db8:0:1:: both fold to 0x20010db8 ^ 1 (same bucket), yet differ.
    const s = make([1, 1]);
    expect(who(s, s.schedule(makeFlow({ source: '2001:db8::9', destination: '2001:db8::1' }), 0))).toBe(A);
    s.setConnections(s.handleOf(A, 80), 1, 0);
    expect(who(s, s.schedule(makeFlow({ source: '2001:db8::9', destination: '2001:db8:0:1::' }), 0))).toBe(B);
    expect(s.entries).toBe(2);
    expect(who(s, s.schedule(makeFlow({ source: '2001:db8::9', destination: '2001:db8::1' }), 0))).toBe(A);
  });

  it('schedules nothing and caches nothing when no server has weight', () => {
    const s = make([0, 0]);
    expect(s.schedule(to('10.0.0.1'), 0)).toBe(NO_SERVER);
    expect(s.entries).toBe(0);
  });

  it('expire(): every 30th timer run drops entries idle for lblc_expiration (now >= lastuse + expiration)', () => {
    const s = make([1, 1], 120);
    s.schedule(to('10.0.0.1'), 0);
    s.schedule(to('10.0.0.2'), 0);
    s.schedule(to('10.0.0.3'), 0);
    for (let k = 1; k <= 29; k++) s.expire(k * MIN); // counter 1 → 30, table small: nothing dropped
    expect(s.entries).toBe(3);
    s.schedule(to('10.0.0.2'), 28 * MIN); // 30 min - 28 min = exactly the expiration → dropped
    s.schedule(to('10.0.0.3'), 28 * MIN + 1); // 1 ms short → kept
    s.expire(30 * MIN); // counter 30: full check
    expect(s.entries).toBe(1);
    expect(s.cachedServer('10.0.0.3')).not.toBe(NO_SERVER);
    for (let k = 31; k <= 59; k++) s.expire(k * MIN); // counter reset to 1: next full check at run 60
    expect(s.entries).toBe(1);
    s.expire(60 * MIN);
    expect(s.entries).toBe(0);
  });

  it('expire(): over 16384 entries, drops entries idle 6 min bucket by bucket after the rover until the goal', () => {
    const s = make([1]);
    // 16 entries in every bucket, 3 more in bucket 500: 16387 entries, goal = (16387 - 16384) * 4 / 3 = 4.
    for (let b = 0; b < 1024; b++) for (let k = 0; k < 16; k++) s.schedule(to(inBucket(b, k)), 0);
    for (let k = 16; k < 19; k++) s.schedule(to(inBucket(500, k)), 0);
    expect(
      hash32(
        Number(
          inBucket(7, 3)
            .split('.')
            .reduce((a, o) => a * 256 + Number(o), 0),
        ),
        10,
      ),
    ).toBe(7);
    expect(s.entries).toBe(16387);
    for (let k = 0; k < 16; k++) s.schedule(to(inBucket(1, k)), MIN); // bucket 1 used at 1 min
    // Run 1 (counter 1): partial. Rover 0 → bucket 1: idle 5 min, kept; bucket 2: idle 6 min, all 16 dropped,
    // goal 4 - 16 <= 0 → stop.
    s.expire(6 * MIN);
    expect(s.entries).toBe(16387 - 16);
    expect(s.cachedServer(inBucket(1, 0))).not.toBe(NO_SERVER);
    expect(s.cachedServer(inBucket(2, 0))).toBe(NO_SERVER);
    expect(s.cachedServer(inBucket(3, 0))).not.toBe(NO_SERVER);
    s.expire(7 * MIN); // 16371 <= 16384: counter++ only
    expect(s.entries).toBe(16371);
  });

  it('rejects a bad expirationSeconds', () => {
    expect(() => make([1], -1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => make([1], 1.5)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
