import { describe, expect, it } from 'vitest';
import { makeFlow } from '../src/address.js';
import { RoundRobinScheduler } from '../src/schedulers/rr.js';
import { NO_SERVER } from '../src/types.js';

const flow = makeFlow({ source: '198.19.0.1', sourcePort: 1000, destination: '198.18.0.1', destinationPort: 80 });
const seq = (s: RoundRobinScheduler, n: number) =>
  Array.from({ length: n }, () => {
    const h = s.schedule(flow);
    return h === NO_SERVER ? '-' : s.info(h).address.split('.')[3];
  }).join('');

// Kernel: net/netfilter/ipvs/ip_vs_rr.c ip_vs_rr_schedule / ip_vs_rr_del_dest.
describe('rr (ip_vs_rr.c)', () => {
  it('walks the list in kernel order: the last server added is the head', () => {
    const s = new RoundRobinScheduler();
    for (const a of ['3', '2', '1']) s.add({ address: `198.18.1.${a}`, port: 80, weight: 1 });
    expect(seq(s, 6)).toBe('123123');
  });
  it('skips weight 0 and OVERLOAD', () => {
    const s = new RoundRobinScheduler({
      servers: ['1', '2', '3'].map((a) => ({ address: `198.18.1.${a}`, port: 80, weight: 1 })),
    });
    s.update(s.handleOf('198.18.1.2', 80), { weight: 0 });
    expect(seq(s, 4)).toBe('1313');
    s.setOverloaded(s.handleOf('198.18.1.3', 80), true);
    expect(seq(s, 3)).toBe('111');
    s.setOverloaded(s.handleOf('198.18.1.1', 80), true);
    expect(seq(s, 2)).toBe('--');
  });
  it('after deleting the last chosen server resumes from its predecessor', () => {
    const s = new RoundRobinScheduler({
      servers: ['1', '2', '3'].map((a) => ({ address: `198.18.1.${a}`, port: 80, weight: 1 })),
    });
    expect(seq(s, 2)).toBe('12');
    s.remove(s.handleOf('198.18.1.2', 80));
    expect(seq(s, 3)).toBe('313');
  });
  it('an empty list schedules nothing', () => {
    expect(seq(new RoundRobinScheduler(), 2)).toBe('--');
  });
});
