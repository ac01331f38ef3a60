/**
 * What the director's drain uses from core: `withRealServers` (a compiled table with other real servers)
 * and `Ipvs.setDraining`. Persistence through a draining server is driven by frames in the director's
 * drain.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { compileConfig, Ipvs } from '../src/director.js';
import { withRealServers } from '../src/index.js';

const config = compileConfig({
  services: [
    {
      name: 'web',
      config: {
        protocol: 'tcp',
        address: '198.18.0.1',
        port: 80,
        scheduler: 'rr',
        realServers: [{ address: '198.18.1.1' }, { address: '198.18.1.2', weight: 3 }],
      },
    },
  ],
});

describe('drain support', () => {
  it('withRealServers gives a table reload accepts, with the weight it was given', () => {
    const ipvs = new Ipvs(config);
    const next = withRealServers(config, (s) => s.realServers.map((r) => ({ ...r, weight: 0 })));
    const changes = ipvs.reload(next);
    expect(changes.map((c) => c.op)).toEqual(['editRealServer', 'editRealServer']);
    expect(ipvs.get('web').realServers.map((r) => r.weight)).toEqual([0, 0]);
    const fewer = withRealServers(ipvs.configuration, (s) => s.realServers.slice(0, 1));
    expect(ipvs.reload(fewer).map((c) => c.op)).toEqual(['removeRealServer']);
  });

  it('withRealServers refuses a configuration compileConfig did not return', () => {
    expect(() => withRealServers({ ...config }, (s) => s.realServers)).toThrow(/not a compiled configuration/);
  });

  it('setDraining names an unknown real server with a typed error', () => {
    const ipvs = new Ipvs(config);
    expect(() => ipvs.setDraining('web', { address: '198.18.1.9', port: 80 }, true)).toThrow(
      expect.objectContaining({ code: 'CORE_UNKNOWN_REAL_SERVER' }),
    );
    expect(ipvs.setDraining('web', { address: '198.18.1.1', port: 80 }, true)).toBe(ipvs);
  });
});
