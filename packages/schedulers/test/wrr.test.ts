import { describe, expect, it } from 'vitest';
import { WeightedRoundRobinScheduler } from '../src/schedulers/wrr.js';
import { h, lettered, picks } from './support.js';

// Every expected sequence below was worked out by hand from net/netfilter/ipvs/ip_vs_wrr.c
// (ip_vs_wrr_init_svc / ip_vs_wrr_dest_changed / ip_vs_wrr_schedule); the static tables are also the
// spec's §1.3 worked examples. List order is the letter order (A is the head).
describe('wrr (ip_vs_wrr.c)', () => {
  // init_svc with the servers present: di = gcd, mw = max - (di - 1), cw = mw, cl = head.
  it.each([
    // 4,3,2: di 1, mw 4: cw=4 A | cw=3 A,B | cw=2 A,B,C | cw=1 A,B,C
    [[4, 3, 2], 'AABABCABC'],
    // 5,1,1: cw=5..2 A each, cw=1 A,B,C
    [[5, 1, 1], 'AAAAABC'],
    // 4,2: di 2, mw 3: cw=3 A | cw=1 A,B
    [[4, 2], 'AAB'],
    // 2,4: di 2, mw 3: cw=3 B | cw=1 A,B
    [[2, 4], 'BAB'],
    // 6,4,2: di 2, mw 5: cw=5 A | cw=3 A,B | cw=1 A,B,C
    [[6, 4, 2], 'AABABC'],
    // 100,50: di 50, mw 51: cw=51 A | cw=1 A,B
    [[100, 50], 'AAB'],
    // 3,0,1: di 1, mw 3: cw=3 A | cw=2 A | cw=1 A,C (B has weight 0 < cw)
    [[3, 0, 1], 'AAAC'],
    [[1, 1, 1], 'ABC'],
  ])('weights %j present at init cycle %s', (weights, cycle) => {
    const s = new WeightedRoundRobinScheduler({ servers: lettered(weights) });
    expect(picks(s, cycle.length * 3)).toBe(cycle.repeat(3));
  });

  it('a service filled one add() at a time starts with cw = 1 (ABC, then AABABCABC)', () => {
    // Empty service (init_svc): di = 1, mw = cw = 0. add C (2): di = 2, mw = 2 - 1 = 1, cw == 0 → cw = mw = 1.
    // add B (3): di = 1, mw = 3, cw = 1 is neither > mw nor 0 and di == 1 → stays 1. add A (4): mw = 4, cw = 1.
    // Hand trace of ip_vs_wrr_schedule from cl = head, cw = 1: A, B, C; end → cw = 0 → cw = mw = 4: A | cw=3:
    // A, B | cw=2: A, B, C | cw=1: A, B, C → then AABABCABC repeats (spec §1.3 "incremental build").
    const s = new WeightedRoundRobinScheduler();
    for (const spec of lettered([4, 3, 2]).reverse()) s.add(spec);
    expect(picks(s, 3 + 9 * 2)).toBe(`ABC${'AABABCABC'.repeat(2)}`);
  });

  it('removing a server between picks resets cl to the head and rounds cw (dest_changed)', () => {
    const s = new WeightedRoundRobinScheduler({ servers: lettered([4, 3, 2]) });
    // cw=4 A | cw=3 A,B | cw=2 A… → after 4 picks cl = A, cw = 2.
    expect(picks(s, 4)).toBe('AABA');
    s.remove(h(s, 'B'));
    // dest_changed: cl = head, di = gcd(4,2) = 2, mw = 3; cw 2 ≤ mw and ≠ 0, di > 1 → cw = (2/2)*2 + 1 = 3.
    // From head at cw=3: A; then C(2<3), end → cw=1 (last pass): A, C; then cw → -1 → mw=3: A | cw=1: A, C …
    expect(picks(s, 9)).toBe('AACAACAAC');
  });

  it('an edit calls dest_changed even when cw is kept', () => {
    const s = new WeightedRoundRobinScheduler({ servers: lettered([1, 1]) });
    expect(picks(s, 1)).toBe('A'); // mw = cw = 1, cl = A
    s.update(h(s, 'B'), { weight: 3 });
    // cl = head, di = 1, mw = 3, cw = 1 stays (not > mw, not 0, di == 1). cw=1 pass: A, B; then cw → 0 →
    // mw = 3: B | cw=2: B | cw=1: A, B | …
    expect(picks(s, 10)).toBe('ABBBABBBAB');
  });

  it('OVERLOAD does not call dest_changed; a failed pick leaves cl on the stop server', () => {
    const s = new WeightedRoundRobinScheduler({ servers: lettered([1, 1, 1]) });
    expect(picks(s, 1)).toBe('A');
    for (const l of 'ABC') s.setOverloaded(h(s, l), true);
    // From after A: B, C overloaded; end → cw = 0 → mw = 1, restarted; last pass with stop = A: A overloaded and
    // is the stop → fail with cl = A.
    expect(picks(s, 2)).toBe('--');
    for (const l of 'ABC') s.setOverloaded(h(s, l), false);
    expect(picks(s, 4)).toBe('BCAB');
  });

  it('all weights 0 (mw = 0) or an empty list schedule nothing', () => {
    expect(picks(new WeightedRoundRobinScheduler(), 2)).toBe('--');
    const s = new WeightedRoundRobinScheduler({ servers: lettered([0, 0]) });
    expect(picks(s, 2)).toBe('--');
    s.update(h(s, 'B'), { weight: 2 }); // mw = 2, cw was 0 → cw = mw
    expect(picks(s, 3)).toBe('BBB');
  });

  it('all servers OVERLOADed from the head fails after one full last pass, then recovers', () => {
    const s = new WeightedRoundRobinScheduler({ servers: lettered([2, 1]) });
    s.setOverloaded(h(s, 'A'), true);
    s.setOverloaded(h(s, 'B'), true);
    // From head: cw=2 pass fails, cw=1 (last pass) fails, cw → 0 with last_pass → fail, cl = head, cw = mw = 2.
    expect(picks(s, 1)).toBe('-');
    s.setOverloaded(h(s, 'A'), false);
    s.setOverloaded(h(s, 'B'), false);
    expect(picks(s, 6)).toBe('AABAAB');
  });
});
