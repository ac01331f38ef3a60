import { describe, expect, it } from 'vitest';
import { makeFlow } from '../src/address.js';
import { LocalityBasedLeastConnectionReplicationScheduler } from '../src/schedulers/lblcr.js';
import { NO_SERVER } from '../src/types.js';

// Kernel: net/netfilter/ipvs/ip_vs_lblcr.c — ip_vs_lblcr_schedule (set_min first, then the shrink when
// size > 1 && time_after(now, lastmod + expiration), then !is_overloaded → use it, else WLC and insert),
// ip_vs_dest_set_min / _max / _insert (list_add_rcu: newest first, lastmod = now) / _erase, and the same
// 60 s timer GC as lblc (ip_vs_lblcr_check_expire, ip_vs_lblcr_full_check).
const A = '198.18.1.1';
const B = '198.18.1.2';
const C = '198.18.1.3';
const MIN = 60_000;
const make = (weights: number[], expirationSeconds = 60) =>
  new LocalityBasedLeastConnectionReplicationScheduler({
    servers: [A, B, C].slice(0, weights.length).map((address, i) => ({ address, port: 80, weight: weights[i]! })),
    expirationSeconds,
  });
const X = makeFlow({ source: '198.19.0.1', sourcePort: 999, destination: '10.0.0.1', destinationPort: 80 });
const Y = makeFlow({ source: '198.19.0.1', sourcePort: 999, destination: '10.0.0.2', destinationPort: 80 });
const who = (s: LocalityBasedLeastConnectionReplicationScheduler, h: number) =>
  h === NO_SERVER ? '-' : s.info(h).address;
/** Members of 10.0.0.1's set by address; removed servers too (info() refuses them), so names come from handleOf. */
const set = (s: LocalityBasedLeastConnectionReplicationScheduler) =>
  s.serverSet('10.0.0.1').map((h) => [A, B, C].find((a) => s.handleOf(a, 80) === h) ?? `removed#${h}`);
const conns = (s: LocalityBasedLeastConnectionReplicationScheduler, a: string, active: number, inactive = 0) =>
  s.setConnections(s.handleOf(a, 80), active, inactive);

describe('lblcr (ip_vs_lblcr.c)', () => {
  it('a miss creates the set {WLC pick}; a hit uses the set while its member is not overloaded', () => {
    const s = make([1, 1]);
    expect(who(s, s.schedule(X, 0))).toBe(A);
    expect(set(s)).toEqual([A]);
    conns(s, A, 1); // WLC would now pick B
    expect(who(s, s.schedule(X, 1))).toBe(A);
    expect(who(s, s.schedule(Y, 1))).toBe(B);
    expect(s.entries).toBe(2);
  });

  it('grows the set when its least-loaded member is_overloaded: the WLC pick joins at the head', () => {
    const s = make([1, 4]);
    s.schedule(X, 0); // {A}
    conns(s, A, 2); // 2 > weight 1
    conns(s, B, 1); // 1 * 2 < 4 → a server is under half weight → A is_overloaded
    expect(who(s, s.schedule(X, 1000))).toBe(B); // WLC: A 512/1, B 256/4
    expect(set(s)).toEqual([B, A]);
  });

  it('set_min picks the member with the least overhead per weight', () => {
    const s = make([1, 4]);
    s.schedule(X, 0);
    conns(s, A, 2);
    conns(s, B, 1);
    s.schedule(X, 1000); // set [B, A]
    conns(s, A, 0);
    conns(s, B, 3); // B 768 * w_A 1 > A 0 * w_B 4 → A
    expect(who(s, s.schedule(X, 2000))).toBe(A);
    conns(s, A, 1); // B: loh 768 * 1 > 256 * 4 is false → B stays least
    expect(who(s, s.schedule(X, 3000))).toBe(B);
  });

  it('after lblcr_expiration without change, drops the most loaded member (one per pick, strictly after)', () => {
    const s = make([1, 4], 60);
    s.schedule(X, 0);
    conns(s, A, 2);
    conns(s, B, 1);
    s.schedule(X, 1000); // set [B, A], lastmod 1000
    conns(s, A, 1);
    conns(s, B, 3); // per weight B 768/4 = 192, A 256/1: B is the least loaded, A the most
    expect(who(s, s.schedule(X, 61_000))).toBe(B); // now == lastmod + 60 s: time_after false, no shrink
    expect(set(s)).toEqual([B, A]);
    // set_max: first B (moh 768); A: 768 * 1 < 256 * 4 → A is most loaded → erased, lastmod = now.
    expect(who(s, s.schedule(X, 61_001))).toBe(B);
    expect(set(s)).toEqual([B]);
  });

  it('returns the set_min taken before the shrink, even when the shrink erased it', () => {
    const s = make([1, 4], 60);
    s.schedule(X, 0);
    conns(s, A, 2);
    conns(s, B, 1);
    s.schedule(X, 1000); // set [B, A]
    conns(s, B, 3); // B 768/4
    conns(s, A, 0); // A 0/1
    const a = s.handleOf(A, 80);
    s.remove(a); // set_min skips A (not AVAILABLE) → B; set_max ignores AVAILABLE
    // set_max: first B (moh 768); A: 768 * 1 < 0 * 4 false → B is "most loaded" → B erased, B returned.
    expect(who(s, s.schedule(X, 70_000))).toBe(B);
    expect(set(s)).toEqual([`removed#${a}`]);
  });

  it('set_min skips OVERLOADed members; with none left, WLC (which skips OVERLOAD too) adds one', () => {
    const s = make([1, 1, 1]);
    s.schedule(X, 0); // {A}
    s.setOverloaded(s.handleOf(A, 80), true);
    expect(who(s, s.schedule(X, 1))).toBe(B);
    expect(set(s)).toEqual([B, A]);
    s.setOverloaded(s.handleOf(B, 80), true);
    expect(who(s, s.schedule(X, 2))).toBe(C);
    expect(set(s)).toEqual([C, B, A]);
    s.setOverloaded(s.handleOf(C, 80), true);
    expect(s.schedule(X, 3)).toBe(NO_SERVER);
  });

  it('treats a removed member as unavailable and a revived one (same handle) as valid again', () => {
    const s = make([1, 1]);
    const a = s.handleOf(A, 80);
    s.schedule(X, 0); // {A}
    s.remove(a);
    expect(who(s, s.schedule(X, 1))).toBe(B); // set_min finds nothing available → WLC → B joins
    expect(set(s)).toEqual([B, `removed#${a}`]);
    expect(s.add({ address: A, port: 80, weight: 1 })).toBe(a);
    conns(s, B, 1); // B 256 vs A 0 → A
    expect(s.schedule(X, 2)).toBe(a);
  });

  it('expire(): every 30th timer run drops entries idle for lblcr_expiration', () => {
    const s = make([1], 120);
    s.schedule(X, 0);
    s.schedule(Y, 0);
    for (let k = 1; k <= 29; k++) s.expire(k * MIN);
    s.schedule(Y, 29 * MIN); // idle 1 min at the full check
    expect(s.entries).toBe(2);
    s.expire(30 * MIN);
    expect(s.entries).toBe(1);
    expect(s.serverSet('10.0.0.1')).toEqual([]);
    expect(s.serverSet('10.0.0.2')).toHaveLength(1);
  });

  it('schedules nothing when no server has weight, and caches nothing', () => {
    const s = make([0, 0]);
    expect(s.schedule(X, 0)).toBe(NO_SERVER);
    expect(s.entries).toBe(0);
  });
});
