import { LvsError } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { PowerOfTwoChoicesScheduler } from '../src/schedulers/twos.js';
import { FLOW, h, lettered, letterOf } from './support.js';

/** A random source that replays `values` and records the bounds it was asked for. */
function scripted(values: number[]) {
  const bounds: number[] = [];
  let i = 0;
  const random = (bound: number) => {
    bounds.push(bound);
    const v = values[i++];
    if (v === undefined) throw new Error('script exhausted');
    return v;
  };
  return { random, bounds };
}

// Worked by hand from net/netfilter/ipvs/ip_vs_twos.c ip_vs_twos_schedule. Servers A w2, B w3, C w1 (list
// order A, B, C): total = 6, both draws are random(7) ∈ [0, 6]. Walking the list subtracting weights, a draw r
// selects the first server where r - (running sum) ≤ 0: r = 0,1,2 → A; 3,4,5 → B; 6 → C.
describe('twos (ip_vs_twos.c)', () => {
  const make = (values: number[]) => {
    const rnd = scripted(values);
    const s = new PowerOfTwoChoicesScheduler({ servers: lettered([2, 3, 1]), random: rnd.random });
    return { s, rnd };
  };

  it.each([
    [0, 'A'],
    [1, 'A'],
    [2, 'A'],
    [3, 'B'],
    [5, 'B'],
    [6, 'C'],
  ])('draw %i (both draws equal) selects %s', (r, want) => {
    const { s, rnd } = make([r, r]);
    expect(letterOf(s, s.schedule(FLOW))).toBe(want);
    expect(rnd.bounds).toEqual([7, 7]); // total + 1, drawn twice (r1 then r2)
  });

  it('keeps choice2 only when weight2 * overhead1 > weight1 * overhead2', () => {
    const { s } = make([0, 6, 4, 1, 3, 4]);
    s.setConnections(h(s, 'A'), 1, 0); // overhead 256
    // r1 = 0 → A (w2, oh 256), r2 = 6 → C (w1, oh 0): 1*256 > 2*0 → C
    expect(letterOf(s, s.schedule(FLOW))).toBe('C');
    // r1 = 4 → B (w3, oh 0), r2 = 1 → A: 2*0 > 3*256 is false → B
    expect(letterOf(s, s.schedule(FLOW))).toBe('B');
    // r1 = 3 → B, r2 = 4 → B: equal → choice1 = B
    expect(letterOf(s, s.schedule(FLOW))).toBe('B');
  });

  it('skips OVERLOAD and weight 0 in the total and the walk', () => {
    const { s, rnd } = make([0, 1]);
    s.setOverloaded(h(s, 'A'), true);
    s.update(h(s, 'C'), { weight: 0 });
    // total = 3 (B only): random(4); r = 0 and 1 both → B
    expect(letterOf(s, s.schedule(FLOW))).toBe('B');
    expect(rnd.bounds).toEqual([4, 4]);
  });

  it('draws nothing when no server is eligible', () => {
    const { s, rnd } = make([]);
    for (const l of 'ABC') s.update(h(s, l), { weight: 0 });
    expect(s.schedule(FLOW)).toBe(-1);
    expect(rnd.bounds).toEqual([]);
  });

  it('follows add and remove (list positions shift)', () => {
    const { s, rnd } = make([0, 0, 3, 3]);
    s.add({ address: '198.18.1.4', port: 80, weight: 4 }); // D at the head: D w4, A w2, B w3, C w1; total 10
    expect(letterOf(s, s.schedule(FLOW))).toBe('D'); // r = 0 → first eligible
    s.remove(h(s, 'D'));
    expect(letterOf(s, s.schedule(FLOW))).toBe('B'); // total 6 again, r = 3 → B
    expect(rnd.bounds).toEqual([11, 11, 7, 7]);
  });

  it('compares in 32-bit int like the kernel (products wrap)', () => {
    // A, B both weight 65535, total 131070: r1 = 0 → A, r2 = 65536 → B (A's running sum 65535 < 65536).
    const rnd = scripted([0, 65536]);
    const s = new PowerOfTwoChoicesScheduler({ servers: lettered([65535, 65535]), random: rnd.random });
    s.setConnections(h(s, 'A'), 32768, 0); // overhead1 = 32768 << 8 = 2^23; overhead2 = 0
    // weight2 * overhead1 = 65535 * 2^23 = 2^39 - 2^23, which as a wrapped int is -2^23; weight1 * overhead2 = 0.
    // -8388608 > 0 is false → the kernel keeps choice1 = A although B is idle (exact arithmetic would pick B).
    expect(letterOf(s, s.schedule(FLOW))).toBe('A');
    // Without the wrap (A 1 active: 65535 * 256 fits) choice2 = B wins as expected.
    const rnd2 = scripted([0, 65536]);
    const t = new PowerOfTwoChoicesScheduler({ servers: lettered([65535, 65535]), random: rnd2.random });
    t.setConnections(h(t, 'A'), 1, 0);
    expect(letterOf(t, t.schedule(FLOW))).toBe('B');
  });

  it('rejects a random source that leaves [0, bound)', () => {
    const s = new PowerOfTwoChoicesScheduler({ servers: lettered([1]), random: () => 2 });
    expect(() => s.schedule(FLOW)).toThrow(LvsError);
  });
});
