/**
 * The simulated clients drive a whole director on a fake clock: connections are scheduled, counted and
 * end up inactive after their FIN, and the estimator reports the configured rate.
 */
import { describe, expect, it } from 'vitest';
import { ipvs } from '../src/index.js';
import { FakeClock, SimulatedClients, SimulatedPacketPort } from '../src/testing/index.js';

describe('SimulatedClients', () => {
  it('produces steady traffic the listing and the estimator see', async () => {
    const clock = new FakeClock();
    const packets = new SimulatedPacketPort(clock);
    const d = await ipvs()
      .service('web', { protocol: 'tcp', address: '198.18.0.10', port: 80, scheduler: 'rr' })
      .realServer('web', { address: '198.18.1.1', method: 'masq' })
      .realServer('web', { address: '198.18.1.2', method: 'masq' })
      .start({ clock, packets });
    const clients = new SimulatedClients(packets, clock, { vip: '198.18.0.10', port: 80, connectionsPerSecond: 10 });
    clients.run(20_000);
    expect(clients.opened).toBe(200);
    const web = d.get('web');
    expect(web.stats.conns).toBe(200);
    // rr alternates; every exchange ended with the client's FIN (IN fin ES → CLOSE_WAIT, inactive).
    expect(web.realServers.map((r) => [r.activeConns, r.inactiveConns])).toEqual([
      [0, 100],
      [0, 100],
    ]);
    // 10 conns/s for 20 s: after ten 2-second ticks the EWMA is within rounding of 10.
    expect(d.totals().cps).toBeGreaterThanOrEqual(9);
    expect(d.totals().cps).toBeLessThanOrEqual(10);
  });
});
