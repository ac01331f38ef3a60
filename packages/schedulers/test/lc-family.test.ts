import { describe, expect, it } from 'vitest';
import { WeightedFailoverScheduler } from '../src/schedulers/fo.js';
import { LeastConnectionScheduler } from '../src/schedulers/lc.js';
import { NeverQueueScheduler } from '../src/schedulers/nq.js';
import { WeightedOverflowScheduler } from '../src/schedulers/ovf.js';
import { ShortestExpectedDelayScheduler } from '../src/schedulers/sed.js';
import { WeightedLeastConnectionScheduler } from '../src/schedulers/wlc.js';
import type { Scheduler, SchedulerName } from '../src/types.js';
import { FLOW, h, lettered, picks } from './support.js';

/** A server row: weight, active, inactive, overloaded. */
type Row = readonly [weight: number, active: number, inactive: number, overloaded?: boolean];

function load<S extends Scheduler<SchedulerName>>(
  make: (o: { servers: ReturnType<typeof lettered> }) => S,
  rows: Row[],
): S {
  const s = make({ servers: lettered(rows.map((r) => r[0])) });
  rows.forEach(([, a, i, o], k) => {
    const l = String.fromCharCode(65 + k);
    s.setConnections(h(s, l), a, i);
    if (o) s.setOverloaded(h(s, l), true);
  });
  return s;
}

// Each expected pick is computed by hand from the kernel function named in the describe title; overhead is
// ip_vs_dest_conn_overhead = active * 256 + inactive (include/net/ip_vs.h) unless stated. List order = letters.
describe('lc (ip_vs_lc.c ip_vs_lc_schedule)', () => {
  const make = (o: { servers: ReturnType<typeof lettered> }) => new LeastConnectionScheduler(o);
  it.each<[string, Row[], string]>([
    [
      'least overhead wins',
      [
        [1, 1, 0],
        [1, 0, 300],
        [1, 0, 255],
      ],
      'C',
    ], // 256, 300, 255
    [
      'ties go to the first in list order (doh < loh strict)',
      [
        [1, 0, 5],
        [1, 0, 5],
        [1, 1, 0],
      ],
      'A',
    ],
    [
      'weight is ignored except 0 = quiesced',
      [
        [0, 0, 0],
        [1, 0, 9],
        [100, 0, 10],
      ],
      'B',
    ],
    [
      'OVERLOAD is skipped',
      [
        [1, 0, 0, true],
        [1, 0, 9],
        [1, 0, 10],
      ],
      'B',
    ],
    [
      'active counts 256 times inactive',
      [
        [1, 1, 0],
        [1, 0, 256],
      ],
      'A',
    ], // 256 vs 256: tie → A
    [
      'nothing eligible',
      [
        [0, 0, 0],
        [1, 0, 0, true],
      ],
      '-',
    ],
  ])('%s', (_name, rows, want) => {
    expect(picks(load(make, rows), 1)).toBe(want);
  });
  it('follows count, weight and overload changes between picks', () => {
    const s = load(make, [
      [1, 0, 5],
      [1, 0, 5],
      [1, 1, 0],
    ]);
    expect(picks(s, 1)).toBe('A');
    s.setConnections(h(s, 'A'), 0, 6); // A 6 > B 5
    expect(picks(s, 1)).toBe('B');
    s.update(h(s, 'B'), { weight: 0 });
    expect(picks(s, 1)).toBe('A');
    s.setOverloaded(h(s, 'A'), true);
    expect(picks(s, 1)).toBe('C');
    s.remove(h(s, 'C'));
    expect(picks(s, 1)).toBe('-');
    s.add({ address: '198.18.1.4', port: 80, weight: 1 }); // D, new head, 0 conns
    expect(picks(s, 1)).toBe('D');
  });
});

describe('wlc (ip_vs_wlc.c ip_vs_wlc_schedule)', () => {
  const make = (o: { servers: ReturnType<typeof lettered> }) => new WeightedLeastConnectionScheduler(o);
  it.each<[string, Row[], string]>([
    // spec §1.5: 256/1, 266/2 = 133, 512/3 = 170.7 → B
    [
      'least overhead per weight',
      [
        [1, 1, 0],
        [2, 1, 10],
        [3, 2, 0],
      ],
      'B',
    ],
    // 1/1 vs 2/2: loh*w_d = 1*2 > doh*w_least = 2*1 is false → A stays
    [
      'ties keep the first (strict cross-multiplication)',
      [
        [1, 0, 1],
        [2, 0, 2],
      ],
      'A',
    ],
    // first stage skips weight 0 even with 0 conns; then B 5*256/1 vs C 3*256/1 → C
    [
      'weight 0 is never chosen, not even idle',
      [
        [0, 0, 0],
        [1, 5, 0],
        [1, 3, 0],
      ],
      'C',
    ],
    [
      'a weight-0 server after least never wins (loh*0 > doh*w is false)',
      [
        [1, 9, 0],
        [0, 0, 0],
      ],
      'A',
    ],
    [
      'OVERLOAD is skipped in both stages',
      [
        [1, 0, 0, true],
        [2, 4, 0],
        [1, 3, 0, true],
      ],
      'B',
    ],
    // 2048/4 = 512 vs 1024/2 = 512: tie → A
    [
      'exact ratio ties',
      [
        [4, 8, 0],
        [2, 4, 0],
      ],
      'A',
    ],
    [
      'nothing eligible',
      [
        [0, 0, 0],
        [3, 0, 0, true],
      ],
      '-',
    ],
  ])('%s', (_name, rows, want) => {
    expect(picks(load(make, rows), 1)).toBe(want);
  });
  it('follows changes between picks', () => {
    const s = load(make, [
      [1, 1, 0],
      [2, 1, 10],
      [3, 2, 0],
    ]);
    expect(picks(s, 1)).toBe('B');
    s.setConnections(h(s, 'B'), 2, 0); // 512/2 = 256 vs A 256, C 170.7 → C
    expect(picks(s, 1)).toBe('C');
    s.update(h(s, 'C'), { weight: 1 }); // C 512 → A 256 vs B 256: tie → A
    expect(picks(s, 1)).toBe('A');
  });
});

describe('sed (ip_vs_sed.c ip_vs_sed_schedule)', () => {
  const make = (o: { servers: ReturnType<typeof lettered> }) => new ShortestExpectedDelayScheduler(o);
  it.each<[string, Row[], string]>([
    [
      'spec §1.6: (0+1)/1 vs (2+1)/3 tie → first',
      [
        [1, 0, 0],
        [3, 2, 0],
      ],
      'A',
    ],
    [
      'spec §1.6: (1+1)/1 = 2 vs (2+1)/3 = 1 → B',
      [
        [1, 1, 0],
        [3, 2, 0],
      ],
      'B',
    ],
    [
      'inactive connections are ignored',
      [
        [1, 0, 1000],
        [1, 0, 0],
      ],
      'A',
    ],
    [
      'weight 0 and OVERLOAD skipped',
      [
        [0, 0, 0],
        [1, 0, 0, true],
        [1, 4, 0],
      ],
      'C',
    ],
    ['nothing eligible', [[0, 0, 0]], '-'],
  ])('%s', (_name, rows, want) => {
    expect(picks(load(make, rows), 1)).toBe(want);
  });
});

describe('nq (ip_vs_nq.c ip_vs_nq_schedule)', () => {
  const make = (o: { servers: ReturnType<typeof lettered> }) => new NeverQueueScheduler(o);
  it.each<[string, Row[], string]>([
    // C is idle: the scan returns it at once although B's SED cost 4/5 is lower than C's 1/1
    [
      'the first idle server wins',
      [
        [1, 2, 0],
        [5, 3, 0],
        [1, 0, 0],
      ],
      'C',
    ],
    [
      'two idle: the first in list order',
      [
        [1, 2, 0],
        [5, 0, 0],
        [1, 0, 0],
      ],
      'B',
    ],
    // SED: A 3/1, B 4/5, C 2/1 → B
    [
      'no idle server: the SED minimum',
      [
        [1, 2, 0],
        [5, 3, 0],
        [1, 1, 0],
      ],
      'B',
    ],
    [
      'idle ignores inactive connections',
      [
        [1, 1, 0],
        [1, 0, 500],
      ],
      'B',
    ],
    [
      'idle but weight 0 or OVERLOAD is skipped',
      [
        [0, 0, 0],
        [1, 0, 0, true],
        [1, 7, 0],
      ],
      'C',
    ],
    // SED tie 2/1 vs 4/2 → first
    [
      'SED ties go to the first',
      [
        [1, 1, 0],
        [2, 3, 0],
      ],
      'A',
    ],
    ['nothing eligible', [[0, 0, 0]], '-'],
  ])('%s', (_name, rows, want) => {
    expect(picks(load(make, rows), 1)).toBe(want);
  });
  it('moves to the next idle server as the caller reports connections', () => {
    const s = load(make, [
      [1, 0, 0],
      [1, 0, 0],
      [3, 0, 0],
    ]);
    const got: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = s.schedule(FLOW);
      got.push(String.fromCharCode(64 + Number(s.info(p).address.split('.')[3])));
      const inf = s.info(p);
      s.setConnections(p, inf.activeConns + 1, 0);
    }
    // A, B, C idle in turn; then SED: A 2/1, B 2/1, C 2/3 → C; then C 3/3 = 1 < 2 → C; then C 4/3 < 2 → C
    expect(got.join('')).toBe('ABCCCC');
  });
});

describe('fo (ip_vs_fo.c ip_vs_fo_schedule)', () => {
  const make = (o: { servers: ReturnType<typeof lettered> }) => new WeightedFailoverScheduler(o);
  it.each<[string, Row[], string]>([
    [
      'highest weight; ties to the first (weight > hw strict)',
      [
        [3, 0, 0],
        [5, 9, 0],
        [5, 0, 0],
      ],
      'B',
    ],
    [
      'connections do not matter',
      [
        [3, 0, 0],
        [5, 1000, 0],
      ],
      'B',
    ],
    [
      'OVERLOAD fails over to the next highest',
      [
        [3, 0, 0],
        [5, 0, 0, true],
        [4, 0, 0],
      ],
      'C',
    ],
    [
      'weight 0 never (hw starts at 0)',
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      '-',
    ],
  ])('%s', (_name, rows, want) => {
    expect(picks(load(make, rows), 1)).toBe(want);
  });
  it('fails over and back as overload and weights change', () => {
    const s = load(make, [
      [3, 0, 0],
      [5, 0, 0],
    ]);
    expect(picks(s, 2)).toBe('BB');
    s.setOverloaded(h(s, 'B'), true);
    expect(picks(s, 2)).toBe('AA');
    s.setOverloaded(h(s, 'B'), false);
    s.update(h(s, 'A'), { weight: 5 }); // tie → first in list: A
    expect(picks(s, 1)).toBe('A');
  });
});

describe('ovf (ip_vs_ovf.c ip_vs_ovf_schedule)', () => {
  const make = (o: { servers: ReturnType<typeof lettered> }) => new WeightedOverflowScheduler(o);
  it.each<[string, Row[], string]>([
    [
      'highest weight whose active ≤ weight',
      [
        [5, 0, 0],
        [10, 11, 0],
        [10, 10, 0],
      ],
      'C',
    ],
    [
      'overflows to the next when active > weight',
      [
        [5, 0, 0],
        [10, 11, 0],
        [10, 11, 0],
      ],
      'A',
    ],
    [
      'inactive connections do not count',
      [
        [5, 0, 0],
        [10, 0, 999],
      ],
      'B',
    ],
    [
      'all over their weight',
      [
        [1, 2, 0],
        [2, 3, 0],
      ],
      '-',
    ],
    [
      'weight 0 and OVERLOAD are skipped',
      [
        [0, 0, 0],
        [1, 0, 0, true],
        [1, 1, 0],
      ],
      'C',
    ],
  ])('%s', (_name, rows, want) => {
    expect(picks(load(make, rows), 1)).toBe(want);
  });
  it('overflows as the caller reports active connections', () => {
    const s = load(make, [
      [2, 0, 0],
      [1, 0, 0],
    ]);
    let seq = '';
    for (let i = 0; i < 5; i++) {
      const p = s.schedule(FLOW);
      seq += p < 0 ? '-' : String.fromCharCode(64 + Number(s.info(p).address.split('.')[3]));
      if (p >= 0) s.setConnections(p, s.info(p).activeConns + 1, 0);
    }
    // A takes 0,1,2 active (2 ≤ 2 still eligible), at 3 > 2 B takes 0,1; then both over → '-'
    expect(seq).toBe('AAABB');
  });
});
