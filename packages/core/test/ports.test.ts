/**
 * `Ipvs` with the testing fakes of its ports: timers run on the fake clock, the estimator ticks every 2 s,
 * the packet port opens on start and closes on stop. Health and failover are not core ports any more
 * (issue 10): health holds real servers through `setOverrides`, which `@lvskit/director` drives.
 */
import { describe, expect, it } from 'vitest';
import { ipvs, overrideKey, type RealServerOverride } from '../src/index.js';
import { FakeClock, SimulatedPacketPort } from '../src/testing/index.js';

function build() {
  return ipvs()
    .service('web', { protocol: 'tcp', address: '198.18.0.10', port: 80, scheduler: 'rr' })
    .realServer('web', { address: '198.18.1.1', method: 'masq', weight: 2 })
    .realServer('web', { address: '198.18.1.2', method: 'masq', weight: 3 });
}

describe('ports', () => {
  it('opens the packet port on start, runs the estimator on the clock and closes on stop', async () => {
    const clock = new FakeClock();
    const packets = new SimulatedPacketPort(clock);
    const d = await build().start({ clock, packets });
    expect(packets.isOpen).toBe(true);
    for (let p = 1; p <= 10; p++) packets.connect('198.19.0.1', p, '198.18.0.10', 80);
    clock.advance(2000); // one estimator tick: 10 conns in 2 s → avg 1280 → cps 1 (see stats.test.ts)
    expect(d.totals().cps).toBe(1);
    await d.stop();
    expect(packets.isOpen).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('has no health or failover port: overrides take a server out and give it back', async () => {
    const d = await build().start({ clock: new FakeClock() });
    const removed: string[] = [];
    const off = d.on('realServerRemoved', (e) => removed.push(`${e.address} ${e.reason}`));
    d.setOverrides(new Map<string, RealServerOverride>([[overrideKey('web', '198.18.1.1', 80), { kind: 'absent' }]]));
    expect(d.get('web').realServers.map((r) => r.address)).toEqual(['198.18.1.2']);
    expect(removed).toEqual(['198.18.1.1 config']);
    off();
    d.setOverrides(new Map());
    expect(d.get('web').realServers.map((r) => [r.address, r.weight])).toEqual([
      ['198.18.1.1', 2],
      ['198.18.1.2', 3],
    ]);
    d.setOverrides(new Map<string, RealServerOverride>([[overrideKey('web', '198.18.1.2', 80), { kind: 'absent' }]]));
    expect(removed).toEqual(['198.18.1.1 config']); // unsubscribed
    await d.stop();
  });
});
