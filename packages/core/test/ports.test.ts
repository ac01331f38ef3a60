/**
 * The director with the testing fakes of every port: health transitions remove and re-add (or quiesce
 * and restore) real servers, failover roles are reported, timers run on the fake clock, the estimator
 * ticks every 2 s.
 */
import { describe, expect, it } from 'vitest';
import { ipvs } from '../src/index.js';
import { FakeClock, FakeFailover, FakeHealthSource, SimulatedPacketPort } from '../src/testing/index.js';

function build() {
  return ipvs()
    .service('web', { protocol: 'tcp', address: '198.18.0.10', port: 80, scheduler: 'rr' })
    .realServer('web', { address: '198.18.1.1', method: 'masq', weight: 2 })
    .realServer('web', { address: '198.18.1.2', method: 'masq', weight: 3 });
}

describe('ports', () => {
  it('health down removes a real server and up re-adds it (keepalived default)', async () => {
    const clock = new FakeClock();
    const health = new FakeHealthSource();
    const d = await build().start({ clock, health });
    expect(health.targets.map((t) => t.address).sort()).toEqual(['198.18.1.1', '198.18.1.2']);
    const removed: string[] = [];
    d.on('realServerRemoved', (e) => removed.push(`${e.address} ${e.reason}`));
    health.set('web', '198.18.1.1', 80, false);
    expect(d.get('web').realServers.map((r) => r.address)).toEqual(['198.18.1.2']);
    expect(removed).toEqual(['198.18.1.1 health']);
    health.set('web', '198.18.1.1', 80, true);
    expect(d.get('web').realServers.map((r) => [r.address, r.weight])).toEqual([
      ['198.18.1.1', 2],
      ['198.18.1.2', 3],
    ]);
    await d.stop();
    health.set('web', '198.18.1.1', 80, false); // unsubscribed: no effect
    expect(d.get('web').realServers).toHaveLength(2);
  });

  it('the health source follows run-time changes and keeps watching servers it took down', async () => {
    const health = new FakeHealthSource();
    const d = await build().start({ clock: new FakeClock(), health });
    d.addRealServer('web', { address: '198.18.1.3', method: 'masq' });
    expect(health.targets.map((t) => t.address).sort()).toEqual(['198.18.1.1', '198.18.1.2', '198.18.1.3']);
    health.set('web', '198.18.1.3', 80, false);
    d.removeRealServer('web', { address: '198.18.1.2' });
    // 1.3 is down but still watched; 1.2 was removed by configuration and is not.
    expect(health.targets.map((t) => t.address).sort()).toEqual(['198.18.1.1', '198.18.1.3']);
    health.set('web', '198.18.1.3', 80, true);
    expect(
      d
        .get('web')
        .realServers.map((r) => r.address)
        .sort(),
    ).toEqual(['198.18.1.1', '198.18.1.3']);
  });

  it('never re-watches (which would restart every checker) when the source has no update()', async () => {
    let watches = 0;
    const health = {
      watch: () => {
        watches++;
        return () => {};
      },
    };
    const d = await build().start({ clock: new FakeClock(), health });
    d.addRealServer('web', { address: '198.18.1.3' });
    d.removeRealServer('web', { address: '198.18.1.1' });
    expect(watches).toBe(1);
  });

  it('health down can quiesce instead (inhibit_on_failure), restoring the weight on up', async () => {
    const clock = new FakeClock();
    const health = new FakeHealthSource();
    const d = await build().start({ clock, health, onRealServerDown: 'quiesce' });
    health.set('web', '198.18.1.2', 80, false);
    expect(d.get('web').realServers.find((r) => r.address === '198.18.1.2')?.weight).toBe(0);
    health.set('web', '198.18.1.2', 80, true);
    expect(d.get('web').realServers.find((r) => r.address === '198.18.1.2')?.weight).toBe(3);
  });

  it('reports failover roles and runs the estimator on the clock', async () => {
    const clock = new FakeClock();
    const failover = new FakeFailover('backup');
    const packets = new SimulatedPacketPort(clock);
    const d = await build().start({ clock, failover, packets });
    expect(d.failover).toBe('backup');
    const roles: string[] = [];
    d.on('failover', (e) => roles.push(e.state));
    failover.set('master');
    expect(roles).toEqual(['master']);
    for (let p = 1; p <= 10; p++) packets.connect('198.19.0.1', p, '198.18.0.10', 80);
    clock.advance(2000); // one estimator tick: 10 conns in 2 s → avg 1280 → cps 1 (see stats.test.ts)
    expect(d.totals().cps).toBe(1);
    await d.stop();
    expect(clock.pending).toBe(0);
  });
});
