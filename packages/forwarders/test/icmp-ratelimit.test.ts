/**
 * IcmpRateLimiter against sequences derived by hand from the kernel code (current mainline): the masks
 * (`icmpv4_mask_allow`, `icmpv6_mask_allow`), the host-wide bucket (`icmp_global_allow` refills only when the
 * credit is ≤ 0, at most one second's worth and only after 20 ms; `icmp_global_consume` spends 0/1/2 credits)
 * and the per-destination bucket (`inet_peer_xrlim_allow` with XRLIM_BURST_FACTOR 6; a new peer starts full).
 * With HZ modelled as 1000, one jiffy is one ms. Each expected number says in a comment how it follows from
 * those rules; none was produced by running the limiter. `random: () => 0.5` makes `get_random_u32_below(3)`
 * spend exactly one credit (floor(0.5 × 3) = 1), 0.99 spends two, 0 spends none.
 */
import { LvsError } from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IcmpRateLimiter, icmpRateLimitDefaults } from '../src/icmp-ratelimit.js';

const TIME_EXCEEDED = 11; // ICMP_TIME_EXCEEDED
const DEST_UNREACH = 3; // ICMP_DEST_UNREACH
const FRAG_NEEDED = 4; // ICMP_FRAG_NEEDED
const V6_DEST_UNREACH = 1; // ICMPV6_DEST_UNREACH
const V6_PKT_TOOBIG = 2; // ICMPV6_PKT_TOOBIG
const V6_TIME_EXCEED = 3; // ICMPV6_TIME_EXCEED

const one = () => 0.5; // icmp_global_consume spends 1
const two = () => 0.99; // spends 2
const none = () => 0; // spends 0

/** 198.18.x.y as 4 bytes. */
const ip4 = (x: number, y: number) => Uint8Array.of(198, 18, x, y);
/** 2001:db8::n as 16 bytes. */
const ip6 = (n: number) => {
  const b = new Uint8Array(16);
  b.set([0x20, 0x01, 0x0d, 0xb8]);
  b[14] = n >> 8;
  b[15] = n & 0xff;
  return b;
};

/** Results of `count` calls at one instant. */
function burst(count: number, send: () => boolean): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < count; i++) out.push(send());
  return out;
}
const trues = (n: number) => Array<boolean>(n).fill(true);
const falses = (n: number) => Array<boolean>(n).fill(false);

describe('IcmpRateLimiter: per-destination bucket (inet_peer_xrlim_allow)', () => {
  it('defaults: time exceeded to one IPv4 destination, six at t=0 then one per second', () => {
    const l = new IcmpRateLimiter({ random: one });
    const a = ip4(0, 1);
    const send = (t: number) => l.allow(4, TIME_EXCEEDED, 0, a, 0, t);
    // New peer: rate_last = now − 60 s, so tokens = min(0 + 60000, 6 × 1000) = 6000; each message costs 1000:
    // six pass (6000 → 0), the seventh to tenth find 0 < 1000.
    expect(burst(10, () => send(0))).toEqual([...trues(6), ...falses(4)]);
    // t=999: tokens 0 + 999 < 1000. t=1000: 999 + 1 = 1000 ≥ 1000 → pass, 0 left. Likewise at 1999 / 2000.
    expect(send(999)).toBe(false);
    expect(send(1000)).toBe(true);
    expect(send(1000)).toBe(false);
    expect(send(1999)).toBe(false);
    expect(send(2000)).toBe(true);
    expect(l.allowed).toBe(8);
    expect(l.rateLimitHost).toBe(4 + 1 + 1 + 1);
    expect(l.rateLimitGlobal).toBe(0);
    expect(l.peerCount).toBe(1);
  });

  it('defaults: ICMPv6 time exceeded, six at t=0 then one per 100 ms (net.ipv6.icmp.ratelimit = 100)', () => {
    const l = new IcmpRateLimiter({ random: one });
    const a = ip6(1);
    const send = (t: number) => l.allow(6, V6_TIME_EXCEED, 0, a, 0, t);
    // Cap 6 × 100 = 600 tokens, cost 100: six at once, then one each time 100 more ms have passed.
    expect(burst(8, () => send(0))).toEqual([...trues(6), ...falses(2)]);
    expect(send(99)).toBe(false);
    expect(send(100)).toBe(true);
    expect(send(150)).toBe(false);
    expect(send(200)).toBe(true);
  });

  it('keeps one bucket per destination: two destinations are independent', () => {
    const l = new IcmpRateLimiter({ random: one });
    const a = ip4(0, 1);
    const b = ip4(0, 2);
    // Each new peer starts with 6000 tokens of its own.
    expect(burst(7, () => l.allow(4, TIME_EXCEEDED, 0, a, 0, 0))).toEqual([...trues(6), false]);
    expect(burst(7, () => l.allow(4, TIME_EXCEEDED, 0, b, 0, 0))).toEqual([...trues(6), false]);
    // At t=1000 each has earned exactly one message again.
    expect(l.allow(4, TIME_EXCEEDED, 0, a, 0, 1000)).toBe(true);
    expect(l.allow(4, TIME_EXCEEDED, 0, b, 0, 1000)).toBe(true);
    expect(l.allow(4, TIME_EXCEEDED, 0, a, 0, 1000)).toBe(false);
    expect(l.peerCount).toBe(2);
  });

  it('reads the address at the offset, and keys IPv4 and IPv6 peers apart', () => {
    const l = new IcmpRateLimiter({ random: one });
    const frame = new Uint8Array(64);
    frame.set(ip4(0, 9), 30);
    expect(burst(7, () => l.allow(4, TIME_EXCEEDED, 0, frame, 30, 0))).toEqual([...trues(6), false]);
    // The same four bytes elsewhere are the same destination.
    expect(l.allow(4, TIME_EXCEEDED, 0, ip4(0, 9), 0, 0)).toBe(false);
    // An IPv6 address whose first word equals that IPv4 address is another peer (net->ipv6.peers).
    const v6 = new Uint8Array(16);
    v6.set(ip4(0, 9), 0);
    expect(l.allow(6, V6_TIME_EXCEED, 0, v6, 0, 0)).toBe(true);
  });

  it('caps token accumulation at six messages: an hour of silence still buys six', () => {
    const l = new IcmpRateLimiter({ random: one });
    const a = ip4(0, 1);
    const send = (t: number) => l.allow(4, TIME_EXCEEDED, 0, a, 0, t);
    expect(burst(6, () => send(0))).toEqual(trues(6));
    // 3,600,000 ms accrued, capped at 6 × 1000: six pass, the seventh does not.
    expect(burst(7, () => send(3_600_000))).toEqual([...trues(6), false]);
    // A partial refill: 2500 ms later there are 2500 tokens: two messages (2500 → 1500 → 500), not a third.
    expect(burst(3, () => send(3_602_500))).toEqual([true, true, false]);
  });

  it('drops fractions of a millisecond, as jiffies are whole', () => {
    const l = new IcmpRateLimiter({ random: one });
    const a = ip4(0, 1);
    burst(6, () => l.allow(4, TIME_EXCEEDED, 0, a, 0, 0.7));
    // 999.9 counts as 999: 999 tokens < 1000. 1000.2 counts as 1000.
    expect(l.allow(4, TIME_EXCEEDED, 0, a, 0, 999.9)).toBe(false);
    expect(l.allow(4, TIME_EXCEEDED, 0, a, 0, 1000.2)).toBe(true);
  });

  it('ratelimitMs 0 disables the per-destination limit (tokens ≥ 0 always holds)', () => {
    const l = new IcmpRateLimiter({ ratelimitMs: 0, random: one });
    // The global bucket's first refill is min(10000 × 1 s, 10000) = 10000 credits, far above 100.
    expect(burst(100, () => l.allow(4, TIME_EXCEEDED, 0, ip4(0, 1), 0, 0))).toEqual(trues(100));
    expect(l.peerCount).toBe(0);
  });

  it('evicts the least recently consulted peer of a full set, which then comes back full', () => {
    // peerSlots 4 = one set of four ways: every destination shares it.
    const small = new IcmpRateLimiter({ peerSlots: 4, random: one });
    const big = new IcmpRateLimiter({ peerSlots: 4096, random: one });
    for (const l of [small, big]) {
      expect(burst(6, () => l.allow(4, TIME_EXCEEDED, 0, ip4(0, 1), 0, 0))).toEqual(trues(6)); // A: 0 tokens
      for (let i = 2; i <= 5; i++) expect(l.allow(4, TIME_EXCEEDED, 0, ip4(0, i), 0, i - 1)).toBe(true); // B..E at 1..4
    }
    // Small table: E (t=4) found the set full (A last 0, B 1, C 2, D 3) and replaced A, the oldest. A at t=5 is
    // a new peer again: full, so allowed. Big table: A kept its bucket, 0 + 5 tokens < 1000: refused.
    expect(small.peerCount).toBe(4);
    expect(small.allow(4, TIME_EXCEEDED, 0, ip4(0, 1), 0, 5)).toBe(true);
    expect(big.peerCount).toBe(5);
    expect(big.allow(4, TIME_EXCEEDED, 0, ip4(0, 1), 0, 5)).toBe(false);
  });
});

describe('IcmpRateLimiter: masks (icmpv4_mask_allow, icmpv6_mask_allow)', () => {
  it('never limits IPv4 fragmentation needed, even in a flood and with no global budget at all', () => {
    // msgsPerSec 0: icmp_global_allow can never add credit, so every limited type is refused — but
    // "Don't limit PMTU discovery" returns before either limiter.
    const l = new IcmpRateLimiter({ msgsPerSec: 0, random: one });
    const a = ip4(0, 1);
    expect(burst(100_000, () => l.allow(4, DEST_UNREACH, FRAG_NEEDED, a, 0, 0)).every(Boolean)).toBe(true);
    expect(l.allowed).toBe(100_000);
    expect(l.peerCount).toBe(0);
    // Another code of the same type (host unreachable, 1) is limited: refused globally here.
    expect(l.allow(4, DEST_UNREACH, 1, a, 0, 0)).toBe(false);
    expect(l.rateLimitGlobal).toBe(1);
  });

  it('limits destination unreachable with other codes per destination (type 3 is in the default mask)', () => {
    const l = new IcmpRateLimiter({ random: one });
    expect(burst(7, () => l.allow(4, DEST_UNREACH, 1, ip4(0, 1), 0, 0))).toEqual([...trues(6), false]);
  });

  it('never limits ICMPv6 packet too big by default: its bit is clear in net.ipv6.icmp.ratemask', () => {
    const l = new IcmpRateLimiter({ msgsPerSec: 0, random: one });
    expect(burst(10_000, () => l.allow(6, V6_PKT_TOOBIG, 0, ip6(1), 0, 0)).every(Boolean)).toBe(true);
    // Destination unreachable (1) and time exceeded (3) are in '0-1,3-127': refused (no global budget).
    expect(l.allow(6, V6_DEST_UNREACH, 0, ip6(1), 0, 0)).toBe(false);
    expect(l.allow(6, V6_TIME_EXCEED, 0, ip6(1), 0, 0)).toBe(false);
  });

  it('limits packet too big when the administrator puts type 2 in the ICMPv6 ratemask (no special case in mainline)', () => {
    const l = new IcmpRateLimiter({ v6Ratemask: '0-255', random: one });
    // Then it is an ordinary limited type: six at t=0 (cap 6 × 100), refused after.
    expect(burst(7, () => l.allow(6, V6_PKT_TOOBIG, 0, ip6(1), 0, 0))).toEqual([...trues(6), false]);
  });

  it('never limits a type outside the IPv4 ratemask, and always limits by the mask bits given', () => {
    const l = new IcmpRateLimiter({ msgsPerSec: 0, random: one });
    // Default 0x1818 = types 3, 4, 11, 12. Echo reply (0) and redirect (5) pass; source quench (4) and
    // parameter problem (12) are limited (refused: no global budget).
    expect(l.allow(4, 0, 0, ip4(0, 1), 0, 0)).toBe(true);
    expect(l.allow(4, 5, 1, ip4(0, 1), 0, 0)).toBe(true);
    expect(l.allow(4, 4, 0, ip4(0, 1), 0, 0)).toBe(false);
    expect(l.allow(4, 12, 0, ip4(0, 1), 0, 0)).toBe(false);
    // ratemask 0x20 (only redirect): time exceeded is no longer limited, redirect is.
    const r = new IcmpRateLimiter({ ratemask: 0x20, msgsPerSec: 0, random: one });
    expect(r.allow(4, TIME_EXCEEDED, 0, ip4(0, 1), 0, 0)).toBe(true);
    expect(r.allow(4, 5, 0, ip4(0, 1), 0, 0)).toBe(false);
  });

  it('never limits an IPv4 type above NR_ICMP_TYPES (18), whatever the mask', () => {
    const l = new IcmpRateLimiter({ ratemask: 0x7fffffff, msgsPerSec: 0, random: one });
    expect(l.allow(4, 18, 0, ip4(0, 1), 0, 0)).toBe(false); // 18 is a type the mask can limit
    expect(l.allow(4, 19, 0, ip4(0, 1), 0, 0)).toBe(true);
    expect(l.allow(4, 30, 0, ip4(0, 1), 0, 0)).toBe(true);
  });

  it('never limits ICMPv6 informational types (128..255) under the default mask', () => {
    const l = new IcmpRateLimiter({ msgsPerSec: 0, random: one });
    expect(l.allow(6, 128, 0, ip6(1), 0, 0)).toBe(true);
    expect(l.allow(6, 255, 0, ip6(1), 0, 0)).toBe(true);
    expect(l.allow(6, 127, 0, ip6(1), 0, 0)).toBe(false);
  });
});

describe('IcmpRateLimiter: host-wide bucket (icmp_global_allow / icmp_global_consume)', () => {
  it('caps many destinations with the global budget, then refills from the time since the last refill', () => {
    const l = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 50, random: one });
    // First call: credit 0, never refilled → delta capped at 1 s → incr 1000 → credit min(1000, 50) = 50;
    // each pass spends 1: calls 1..50 pass (the 50th sees credit 1). Call 51: credit 0, delta 0 < 20 → refused.
    let i = 0;
    const first = burst(100, () => l.allow(4, TIME_EXCEEDED, 0, ip4(1, ++i), 0, 0));
    expect(first).toEqual([...trues(50), ...falses(50)]);
    expect(l.rateLimitGlobal).toBe(50);
    expect(l.rateLimitHost).toBe(0);
    // t=19: delta 19 < HZ/50 = 20 → refused. t=20: incr = 1000 × 20 / 1000 = 20 → credit 20: twenty pass.
    expect(l.allow(4, TIME_EXCEEDED, 0, ip4(2, 0), 0, 19)).toBe(false);
    let j = 0;
    expect(burst(30, () => l.allow(4, TIME_EXCEEDED, 0, ip4(3, ++j), 0, 20))).toEqual([...trues(20), ...falses(10)]);
  });

  it('measures refill time from the last refill, not from the last message (icmp_global_stamp moves only on refill)', () => {
    const l = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 50, random: one });
    let i = 0;
    const send = (t: number) => l.allow(4, TIME_EXCEEDED, 0, ip4(1, ++i), 0, t);
    // t=0: refill (stamp 0) to 50, one spent → 49. t=15: 49 pass on credit alone (stamp stays 0) → 0.
    expect(send(0)).toBe(true);
    expect(burst(49, () => send(15))).toEqual(trues(49));
    // t=20: credit 0, delta = 20 − 0 = 20 ≥ 20 → refill 20: passes. (Had t=15 moved the stamp, delta would be 5.)
    expect(send(20)).toBe(true);
  });

  it('spends global credit only after the destination bucket agreed (mainline order, 8c2bd38b95f7)', () => {
    const l = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 50, random: one });
    // Ten to one destination: six pass (peer bucket), four are refused by it and spend no credit → 44 left.
    expect(burst(10, () => l.allow(4, TIME_EXCEEDED, 0, ip4(0, 1), 0, 0))).toEqual([...trues(6), ...falses(4)]);
    // So 44 more destinations pass at t=0, not 40 (the pre-6.12 order spent credit before the peer check).
    let i = 0;
    const rest = burst(60, () => l.allow(4, TIME_EXCEEDED, 0, ip4(1, ++i), 0, 0));
    expect(rest).toEqual([...trues(44), ...falses(16)]);
    expect(l.rateLimitHost).toBe(4);
    expect(l.rateLimitGlobal).toBe(16);
    expect(l.allowed).toBe(50);
  });

  it('spends 0, 1 or 2 credits per message as get_random_u32_below(3) says, and may go negative', () => {
    let i = 0;
    const dest = () => ip4(1, ++i);
    // Two credits each: 50 → 48 → … → 0 after 25 messages; the 26th finds 0 with no time passed.
    const t2 = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 50, random: two });
    expect(burst(30, () => t2.allow(4, TIME_EXCEEDED, 0, dest(), 0, 0))).toEqual([...trues(25), ...falses(5)]);
    // No credit spent: the first refill's 50 never runs out.
    const t0 = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 50, random: none });
    expect(burst(200, () => t0.allow(4, TIME_EXCEEDED, 0, dest(), 0, 0))).toEqual(trues(200));
    // Burst 3, two credits each: refill to 3 → pass → 1 → pass (1 > 0) → −1 → refused.
    const neg = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 3, random: two });
    expect(burst(3, () => neg.allow(4, TIME_EXCEEDED, 0, dest(), 0, 0))).toEqual([true, true, false]);
    // t=20: incr 20, credit min(−1 + 20, 3) = 3: again two pass (3 → 1 → −1), the third is refused.
    expect(burst(3, () => neg.allow(4, TIME_EXCEEDED, 0, dest(), 0, 20))).toEqual([true, true, false]);
  });

  it('refills at most one second of credit, so the burst is reached only when a second of refill reaches it', () => {
    // msgsPerSec 1000, burst 10000: a refill adds ≤ 1000 (delta capped at HZ) and only happens at credit ≤ 0.
    const l = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 10_000, random: one });
    let i = 0;
    const dest = () => ip4(i >> 8, ++i & 0xff);
    const at0 = burst(1001, () => l.allow(4, TIME_EXCEEDED, 0, dest(), 0, 0));
    expect(at0.filter(Boolean).length).toBe(1000);
    // Ten idle seconds still add only 1000.
    const at10s = burst(1001, () => l.allow(4, TIME_EXCEEDED, 0, dest(), 0, 10_000));
    expect(at10s.filter(Boolean).length).toBe(1000);
  });

  it('with msgsBurst 0 still passes one message per refill (icmp_global_allow returns true once it added credit)', () => {
    const l = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 0, random: one });
    let i = 0;
    const send = (t: number) => l.allow(4, TIME_EXCEEDED, 0, ip4(1, ++i), 0, t);
    // t=0: refill → credit min(1000, 0) = 0 but true → spend 1 → −1. Then nothing until 20 ms have passed:
    // t=20: credit min(−1 + 20, 0) = 0, true → −1. So one per 20 ms.
    expect([send(0), send(0), send(19), send(20), send(20), send(39), send(40)]).toEqual([
      true,
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
  });

  it('shares one host-wide bucket between ICMP and ICMPv6', () => {
    const l = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 4, random: one });
    // Credit 4: two IPv4 and two IPv6 messages to four destinations use it up; the fifth (either family) waits.
    expect(l.allow(4, TIME_EXCEEDED, 0, ip4(0, 1), 0, 0)).toBe(true);
    expect(l.allow(6, V6_TIME_EXCEED, 0, ip6(1), 0, 0)).toBe(true);
    expect(l.allow(4, TIME_EXCEEDED, 0, ip4(0, 2), 0, 0)).toBe(true);
    expect(l.allow(6, V6_TIME_EXCEED, 0, ip6(2), 0, 0)).toBe(true);
    expect(l.allow(6, V6_TIME_EXCEED, 0, ip6(3), 0, 0)).toBe(false);
    expect(l.allow(4, TIME_EXCEEDED, 0, ip4(0, 3), 0, 0)).toBe(false);
  });

  it('creates no peer for a message the global bucket refused; the peer starts full when first consulted', () => {
    const l = new IcmpRateLimiter({ msgsPerSec: 1000, msgsBurst: 1, random: one });
    const a = ip4(0, 1);
    expect(l.allow(4, TIME_EXCEEDED, 0, ip4(0, 2), 0, 0)).toBe(true); // credit 1 → 0
    expect(l.allow(4, TIME_EXCEEDED, 0, a, 0, 0)).toBe(false); // credit 0, delta 0: refused before any peer lookup
    expect(l.rateLimitGlobal).toBe(1);
    expect(l.peerCount).toBe(1);
    // Every 20 ms the global bucket refills min(0 + 20, 1) = 1 credit. A's peer, created at t=20, is full
    // (6000 tokens) and earns 20 per step: 6000 → 5000, 5020 → 4020, 4040 → 3040, 3060 → 2060, 2080 → 1080,
    // 1100 → 100; at t=140 it holds 120 < 1000, so the per-destination bucket refuses.
    const seq = [20, 40, 60, 80, 100, 120, 140].map((t) => l.allow(4, TIME_EXCEEDED, 0, a, 0, t));
    expect(seq).toEqual([...trues(6), false]);
    expect(l.rateLimitHost).toBe(1);
    expect(l.peerCount).toBe(2);
  });
});

describe('IcmpRateLimiter: input and options', () => {
  it('refuses malformed input without throwing, and counts it', () => {
    const l = new IcmpRateLimiter({ random: one });
    const a = ip4(0, 1);
    expect(l.allow(5 as 4, TIME_EXCEEDED, 0, a, 0, 0)).toBe(false);
    expect(l.allow(4, -1, 0, a, 0, 0)).toBe(false);
    expect(l.allow(4, 256, 0, a, 0, 0)).toBe(false);
    expect(l.allow(4, Number.NaN, 0, a, 0, 0)).toBe(false);
    expect(l.allow(4, TIME_EXCEEDED, 0, a, 1, 0)).toBe(false); // 4 bytes from 1 overrun
    expect(l.allow(6, V6_TIME_EXCEED, 0, a, 0, 0)).toBe(false); // 16 bytes needed
    expect(l.allow(4, TIME_EXCEEDED, 0, a, -1, 0)).toBe(false);
    expect(l.allow(4, TIME_EXCEEDED, 0, a, 0, Number.NaN)).toBe(false);
    expect(l.allow(4, TIME_EXCEEDED, 0, a, 0, Number.POSITIVE_INFINITY)).toBe(false);
    expect(l.invalid).toBe(9);
    expect(l.allowed + l.rateLimitHost + l.rateLimitGlobal).toBe(0);
  });

  it('exposes the mainline defaults', () => {
    expect(icmpRateLimitDefaults).toEqual({
      ratelimitMs: 1000, // net.ipv4.icmp_ratelimit = 1 * HZ
      ratemask: 0x1818, // net.ipv4.icmp_ratemask: 3, 4, 11, 12
      msgsPerSec: 10000, // icmp_sk_init, mainline
      msgsBurst: 10000,
      v6RatelimitMs: 100, // inet6_net_init: HZ / 10 since 0201eedb69b2
      v6Ratemask: '0-1,3-127', // bits 0..127 set, ICMPV6_PKT_TOOBIG cleared
      peerSlots: 4096,
    });
    expect(Object.isFrozen(icmpRateLimitDefaults)).toBe(true);
  });

  it('reports every bad option in one INVALID_ARGUMENT error', () => {
    let error: unknown;
    try {
      new IcmpRateLimiter({
        ratelimitMs: -1,
        ratemask: 1.5,
        msgsPerSec: Number.NaN,
        msgsBurst: 2 ** 31,
        v6RatelimitMs: Number.POSITIVE_INFINITY,
        v6Ratemask: '3-1',
        peerSlots: 6,
      });
    } catch (e) {
      error = e;
    }
    expect(LvsError.is(error)).toBe(true);
    const e = error as LvsError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.issues.map((i) => i.path[0])).toEqual([
      'ratelimitMs',
      'v6RatelimitMs',
      'ratemask',
      'msgsPerSec',
      'msgsBurst',
      'peerSlots',
      'v6Ratemask',
    ]);
    expect(e.issues.every((i) => i.code === 'INVALID_ARGUMENT')).toBe(true);
  });

  it.each([['256'], ['abc'], ['1,,2'], ['2-'], ['-1']])('rejects the ICMPv6 ratemask %j', (mask) => {
    expect(() => new IcmpRateLimiter({ v6Ratemask: mask })).toThrow(LvsError);
  });

  it.each([[2], [0], [3], [1 << 21], [Number.NaN]])('rejects peerSlots %d', (peerSlots) => {
    expect(() => new IcmpRateLimiter({ peerSlots })).toThrow(/peerSlots must be a power of two/);
  });

  it('parses the ICMPv6 ratemask syntax: single types, ranges, spaces, empty', () => {
    const only2 = new IcmpRateLimiter({ v6Ratemask: ' 2 ', msgsPerSec: 0, random: one });
    expect(only2.allow(6, V6_PKT_TOOBIG, 0, ip6(1), 0, 0)).toBe(false);
    expect(only2.allow(6, V6_TIME_EXCEED, 0, ip6(1), 0, 0)).toBe(true);
    const ranges = new IcmpRateLimiter({ v6Ratemask: '1, 130-131', msgsPerSec: 0, random: one });
    expect(ranges.allow(6, 1, 0, ip6(1), 0, 0)).toBe(false);
    expect(ranges.allow(6, 129, 0, ip6(1), 0, 0)).toBe(true);
    expect(ranges.allow(6, 131, 0, ip6(1), 0, 0)).toBe(false);
    expect(ranges.allow(6, 132, 0, ip6(1), 0, 0)).toBe(true);
    const empty = new IcmpRateLimiter({ v6Ratemask: '', msgsPerSec: 0, random: one });
    expect(empty.allow(6, V6_TIME_EXCEED, 0, ip6(1), 0, 0)).toBe(true);
  });
});

describe('IcmpRateLimiter: properties', () => {
  it('never allows one destination more than the token bucket permits in any window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 1500 }), dest: fc.integer({ min: 0, max: 2 }) }), {
          maxLength: 150,
        }),
        (timeout, events) => {
          const l = new IcmpRateLimiter({ ratelimitMs: timeout, random: one });
          const times: number[][] = [[], [], []];
          let t = 0;
          for (const e of events) {
            t += e.dt;
            if (l.allow(4, TIME_EXCEEDED, 0, ip4(0, e.dest), 0, t)) times[e.dest]!.push(t);
          }
          // Just before the first pass of a window [ti, tj] the bucket holds ≤ 6T; it earns ≤ tj − ti meanwhile;
          // each pass costs T and tokens never go negative: passes ≤ 6 + floor((tj − ti) / T).
          for (const ts of times) {
            for (let i = 0; i < ts.length; i++) {
              for (let j = i; j < ts.length; j++) {
                expect(j - i + 1).toBeLessThanOrEqual(6 + Math.floor((ts[j]! - ts[i]!) / timeout));
              }
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('always allows the exempt types and never throws, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            family: fc.constantFrom(4, 6, 5, 0),
            type: fc.oneof(fc.integer({ min: -2, max: 300 }), fc.constant(Number.NaN)),
            code: fc.integer({ min: 0, max: 255 }),
            bytes: fc.uint8Array({ maxLength: 24 }),
            off: fc.integer({ min: -2, max: 26 }),
            now: fc.oneof(fc.integer({ min: 0, max: 1e9 }), fc.double()),
          }),
          { maxLength: 60 },
        ),
        (calls) => {
          const l = new IcmpRateLimiter({ peerSlots: 4, random: one });
          for (const c of calls) {
            const ok = l.allow(c.family as 4 | 6, c.type, c.code, c.bytes, c.off, c.now);
            expect(typeof ok).toBe('boolean');
            const wellFormed =
              (c.family === 4 || c.family === 6) &&
              c.off >= 0 &&
              c.off + (c.family === 4 ? 4 : 16) <= c.bytes.length &&
              Number.isFinite(c.now);
            // PMTU discovery (IPv4 3/4) and ICMPv6 packet too big are exempt under the default masks.
            if (wellFormed && c.family === 4 && c.type === DEST_UNREACH && c.code === FRAG_NEEDED)
              expect(ok).toBe(true);
            if (wellFormed && c.family === 6 && c.type === V6_PKT_TOOBIG) expect(ok).toBe(true);
          }
          expect(l.allowed + l.rateLimitHost + l.rateLimitGlobal + l.invalid).toBe(calls.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
