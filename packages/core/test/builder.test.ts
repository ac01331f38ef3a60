/**
 * The builder at run time: a complete declaration starts a director that forwards; validation reports
 * every issue at once and applies nothing; a started builder refuses changes; build() is frozen.
 */
import { describe, expect, it } from 'vitest';
import { ipvs, LvsError } from '../src/index.js';
import { FakeClock, SimulatedPacketPort } from '../src/testing/index.js';

describe('director builder', () => {
  it('builds a frozen configuration and starts a working director', async () => {
    const clock = new FakeClock();
    const packets = new SimulatedPacketPort(clock);
    const b = ipvs()
      .service('web', { protocol: 'tcp', address: '198.18.0.10', port: 80, scheduler: 'wrr' })
      .realServer('web', { address: '198.18.1.1', method: 'masq', weight: 1 })
      .realServer('web', { address: '198.18.1.2', method: 'masq', weight: 3 })
      .timeouts({ tcp: 600 });
    const cfg = b.build();
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.services)).toBe(true);
    expect(cfg.services[0]?.realServers.map((r) => r.weight)).toEqual([1, 3]);
    const d = await b.start({ clock, packets });
    const picks = new Map<string, number>();
    for (let p = 1; p <= 8; p++) {
      const r = packets.connect('198.19.0.1', p, '198.18.0.10', 80).realServer ?? '';
      picks.set(r, (picks.get(r) ?? 0) + 1);
    }
    // wrr with weights 1 and 3: 2 and 6 of every 8 new connections.
    expect(picks.get('198.18.1.1:80')).toBe(2);
    expect(picks.get('198.18.1.2:80')).toBe(6);
    expect(d.timeouts.tcp).toBe(600);
    expect(() => b.service('x' as never, { protocol: 'tcp', address: '198.18.0.11', port: 80 })).toThrow(
      expect.objectContaining({ code: 'CORE_BUILDER_STARTED' }),
    );
    expect(() => b.timeouts({ tcp: 1 })).toThrow(expect.objectContaining({ code: 'CORE_BUILDER_STARTED' }));
    await d.stop();
    expect(packets.isOpen).toBe(false);
  });

  it('reports every issue at once with its path, and starts nothing', async () => {
    const b = ipvs()
      .service('a', { protocol: 'tcp', address: '198.18.0.300', port: 80 })
      .service('b', { protocol: 'tcp', address: '198.18.0.1', port: 0 as number }) // untyped callers reach validation
      .service('c', { protocol: 'tcp', address: '198.18.0.1', port: 70000, persistence: { timeout: 0 } })
      .service('d', { protocol: 'udp', address: '198.18.0.1', port: 53, scheduler: 'sh', flags: ['mh-port' as never] })
      .realServer('b', { address: '2001:db8::1' })
      .realServer('d', { address: '198.18.1.1', weight: -1, upperThreshold: 1, lowerThreshold: 2, method: 'masq' })
      .maxConnections(0);
    let err: unknown;
    try {
      b.build();
    } catch (e) {
      err = e;
    }
    expect(LvsError.is(err)).toBe(true);
    const e = err as LvsError;
    expect(e.code).toBe('CORE_INVALID_CONFIG');
    expect(e.issues.map((i) => [i.path.join('.'), i.code])).toEqual([
      ['services.a.address', 'CORE_INVALID_ADDRESS'],
      ['services.b.port', 'CORE_PORT_ZERO_NOT_PERSISTENT'],
      ['services.b.realServers.0.address', 'CORE_FAMILY_MISMATCH'],
      ['services.c.port', 'CORE_INVALID_PORT'],
      ['services.c.persistence.timeout', 'CORE_INVALID_PERSISTENCE'],
      ['services.d.flags.0', 'CORE_INVALID_SCHED_FLAG'],
      ['services.d.realServers.0.weight', 'CORE_INVALID_WEIGHT'],
      ['services.d.realServers.0.lowerThreshold', 'CORE_THRESHOLD_RANGE'],
      ['maxConnections', 'CORE_INVALID_OPTION'],
    ]);
  });

  it('a run-time change with issues applies nothing', async () => {
    const clock = new FakeClock();
    const d = await ipvs()
      .service('web', { protocol: 'tcp', address: '198.18.0.10', port: 80 })
      .realServer('web', { address: '198.18.1.1' })
      .start({ clock });
    expect(() => d.addRealServer('web', { address: '198.18.1.1' })).toThrow(
      expect.objectContaining({ code: 'CORE_INVALID_CONFIG' }),
    );
    expect(() =>
      d.editRealServer('web', { address: '198.18.1.1' }, { weight: 1, lowerThreshold: 9, upperThreshold: 1 }),
    ).toThrow(expect.objectContaining({ code: 'CORE_INVALID_CONFIG' }));
    expect(d.get('web').realServers).toHaveLength(1);
    expect(d.get('web').realServers[0]).toMatchObject({ weight: 1, upperThreshold: 0, lowerThreshold: 0 });
    expect(() => d.editService('web', { persistence: { timeout: -5 } })).toThrow(
      expect.objectContaining({ code: 'CORE_INVALID_CONFIG' }),
    );
    expect(d.get('web').config.persistent).toBe(false);
    await expect(d.start()).rejects.toMatchObject({ code: 'CORE_DIRECTOR_STATE' });
  });

  it('events are typed and emitted for run-time changes', async () => {
    const d = await ipvs()
      .service('web', { protocol: 'tcp', address: '198.18.0.10', port: 80 })
      .start({ clock: new FakeClock() });
    const seen: string[] = [];
    d.on('realServerAdded', (e) => seen.push(`add ${e.address}:${e.port} w${e.weight}`));
    d.on('realServerQuiesced', (e) => seen.push(`quiesce ${e.address}`));
    d.on('realServerRemoved', (e) => seen.push(`remove ${e.address}`));
    d.on('serviceChanged', (e) => seen.push(`${e.change} ${e.service}`));
    d.addRealServer('web', { address: '198.18.1.1', weight: 2 });
    d.editRealServer('web', { address: '198.18.1.1' }, { weight: 0 });
    d.removeRealServer('web', { address: '198.18.1.1' });
    d.editService('web', { scheduler: 'rr' });
    d.removeService('web');
    expect(seen).toEqual([
      'add 198.18.1.1:80 w2',
      'quiesce 198.18.1.1',
      'remove 198.18.1.1',
      'edited web',
      'removed web',
    ]);
  });
});
