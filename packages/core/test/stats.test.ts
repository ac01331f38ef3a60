/**
 * The rate estimator's integer arithmetic (ip_vs_est.c), with expected values computed by hand:
 * conns/packets: rate = Δ<<9, avg += (rate-avg)>>2, shown = (avg+0x1FF)>>10;
 * bytes: rate = Δ<<4, shown = (avg+0xF)>>5.
 */
import { describe, expect, it } from 'vitest';
import { Stats } from '../src/stats.js';

describe('Stats estimator', () => {
  it('converges by a quarter each 2-second tick with the kernel rounding', () => {
    const s = new Stats();
    const cps: number[] = [];
    const avgs: number[] = [];
    for (let k = 0; k < 3; k++) {
      s.conns += 10; // 5 conns/s
      s.estimate();
      cps.push(s.cps);
      avgs.push(s.cpsAvg);
    }
    // rate = 10<<9 = 5120; avg: 0+5120/4=1280; 1280+(3840>>2)=2240; 2240+(2880>>2)=2960.
    expect(avgs).toEqual([1280, 2240, 2960]);
    // (1280+511)>>10=1, (2240+511)>>10=2, (2960+511)>>10=3.
    expect(cps).toEqual([1, 2, 3]);
  });

  it('bytes use <<4 and (avg+0xF)>>5; a falling rate floors like an arithmetic shift', () => {
    const s = new Stats();
    s.inbytes = 1000;
    s.estimate(); // rate 16000 → avg 4000 → (4015)>>5 = 125
    expect([s.inbpsAvg, s.inbps]).toEqual([4000, 125]);
    s.estimate(); // rate 0 → avg 4000 + ((0-4000)>>2) = 3000 → 3015>>5 = 94
    expect([s.inbpsAvg, s.inbps]).toEqual([3000, 94]);
    s.inpkts = 3;
    s.estimate(); // rate 3<<9=1536 → avg 0 + 384 → (384+511)>>10 = 0
    expect([s.inppsAvg, s.inpps]).toEqual([384, 0]);
    s.estimate(); // rate 0: 384 + floor(-384/4) = 288
    expect(s.inppsAvg).toBe(288);
  });

  it('-Z keeps counters as the new zero point and restarts the estimator', () => {
    const s = new Stats();
    s.conns = 40;
    s.inbytes = 999;
    s.estimate();
    s.zero();
    expect(s.shown()).toEqual({ conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 });
    expect(s.cps).toBe(0);
    s.conns += 2;
    s.estimate(); // Δ 2 since the zero: rate 1024 → avg 256 → (256+511)>>10 = 0
    expect(s.cpsAvg).toBe(256);
    expect(s.shown().conns).toBe(2);
  });
});
