/**
 * Whole-configuration reload: matched services and real servers keep their connections and counters
 * (keepalived's reload keeps what did not change), changes are edited in place, removed ones go, and a
 * reload that cannot apply changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../src/director.js';
import { overrideKey, runIpvsadm } from '../src/index.js';
import type { ServiceConfig } from '../src/model.js';
import { rig } from './helpers.js';

const web = (realServers: ServiceConfig['realServers'], extra: Record<string, unknown> = {}) => ({
  name: 'web',
  config: { protocol: 'tcp', address: '198.18.0.1', port: 80, scheduler: 'rr', realServers, ...extra } as ServiceConfig,
});

describe('Ipvs.reload', () => {
  it('keeps unchanged servers with their connections and stats, edits, adds and removes the rest', async () => {
    const { director, port } = await rig({
      services: [
        web([
          { address: '198.18.1.1', method: 'masq' },
          { address: '198.18.1.2', method: 'masq' },
        ]),
        {
          name: 'old',
          config: { protocol: 'udp', address: '198.18.0.1', port: 53, realServers: [{ address: '198.18.2.1' }] },
        },
      ],
    });
    for (let p = 1; p <= 4; p++) port.connect('198.19.0.1', p, '198.18.0.1', 80);
    const before = director.get('web').realServers.find((r) => r.address === '198.18.1.1');
    const removed: string[] = [];
    director.on('realServerRemoved', (e) => removed.push(e.address));
    director.reload(
      compileConfig({
        services: [
          web(
            [
              { address: '198.18.1.1', method: 'masq' },
              { address: '198.18.1.3', method: 'masq', weight: 5 },
            ],
            { persistence: { timeout: 60 } },
          ),
        ],
        maxConnections: director.engine.table.capacity,
        timeouts: { tcp: 300 },
      }),
    );
    const after = director.get('web');
    expect(after.config.persistent).toBe(true);
    expect(after.realServers.map((r) => r.address)).toEqual(['198.18.1.3', '198.18.1.1']);
    const kept = after.realServers.find((r) => r.address === '198.18.1.1');
    expect(kept?.activeConns).toBe(before?.activeConns);
    expect(kept?.stats.conns).toBe(before?.stats.conns);
    expect(director.list().map((s) => s.name)).toEqual(['web']);
    expect(removed.sort()).toEqual(['198.18.1.2', '198.18.2.1']);
    expect(director.timeouts.tcp).toBe(300);
    // Connections to the kept server still flow; those of the removed one are dropped (expire_nodest_conn off).
    const conns = director.connections().filter((c) => c.clientPort !== 0);
    const toKept = conns.find((c) => c.destAddress === '198.18.1.1');
    const toGone = conns.find((c) => c.destAddress === '198.18.1.2');
    const send = (p: number) =>
      port.send({ source: '198.19.0.1', sourcePort: p, destination: '198.18.0.1', destinationPort: 80, flags: 'A' });
    expect(send(toKept?.clientPort ?? -1)).toMatchObject({ verdict: 'forward', realServer: '198.18.1.1:80' });
    expect(send(toGone?.clientPort ?? -1)).toMatchObject({ verdict: 'drop', reason: 'DEST_UNAVAILABLE' });
  });

  it('refuses a capacity change and applies nothing', async () => {
    const { director } = await rig({ services: [web([{ address: '198.18.1.1' }])], maxConnections: 100 });
    expect(() => director.reload(compileConfig({ services: [], maxConnections: 200 }))).toThrow(
      expect.objectContaining({ code: 'CORE_INVALID_CONFIG' }),
    );
    expect(director.list().map((s) => s.name)).toEqual(['web']);
  });
});

describe('run-time changes and the configuration in force', () => {
  it('survive setOverrides: a health transition never undoes addService, addRealServer, edits or ipvsadm', async () => {
    const { director } = await rig({ services: [web([{ address: '198.18.1.1', method: 'masq' }])] });
    director.addRealServer('web', { address: '198.18.1.2', method: 'masq', weight: 4 });
    director.editRealServer('web', { address: '198.18.1.1' }, { weight: 7 });
    director.addService('dns', {
      protocol: 'udp',
      address: '198.18.0.1',
      port: 53,
      realServers: [{ address: '198.18.2.1' }],
    });
    expect(runIpvsadm(director.ipvsadm, '-A -t 198.18.0.9:80 -s rr').exitCode).toBe(0);
    director.setConnectionTimeouts({ tcp: 100 });
    const before = runIpvsadm(director.ipvsadm, '-S -n').stdout;
    const changes = director.setOverrides(
      new Map([[overrideKey('web', '198.18.1.2', 80), { kind: 'absent' } as const]]),
    );
    expect(changes).toEqual([
      { op: 'removeRealServer', service: 'web', server: { address: '198.18.1.2', port: 80, weight: 4 } },
    ]);
    director.setOverrides(new Map());
    expect(runIpvsadm(director.ipvsadm, '-S -n').stdout).toBe(before);
    expect(director.timeouts.tcp).toBe(100);
    director.removeRealServer('web', { address: '198.18.1.2' });
    director.removeService('dns');
    expect(director.setOverrides(new Map())).toEqual([]);
    expect(director.configuration.services.map((s) => s.name)).toEqual(['web', 'tcp:198.18.0.9:80']);
  });
});
