import { LvsError } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import {
  type CompiledIpvsConfig,
  compileConfig,
  Ipvs,
  overrideKey,
  type RealServerOverride,
  reconcile,
} from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

function config(weights: Record<string, number>, extra: string[] = []): CompiledIpvsConfig {
  return compileConfig({
    services: [
      {
        name: 'web',
        config: {
          protocol: 'tcp',
          address: '198.18.0.100',
          port: 80,
          scheduler: 'rr',
          realServers: [
            ...Object.entries(weights).map(([address, weight]) => ({ address, weight })),
            ...extra.map((address) => ({ address })),
          ],
        },
      },
    ],
    maxConnections: 1024,
  });
}

const rows = (d: Ipvs) =>
  d
    .get('web')
    .realServers.map((r) => `${r.address}/${r.weight}`)
    .sort();

describe('reconcile', () => {
  it('is pure and lists the changes a reload makes', () => {
    const a = config({ '198.18.1.1': 1, '198.18.1.2': 1 });
    const b = config({ '198.18.1.1': 2, '198.18.1.3': 1 });
    const before = JSON.stringify(a.services.map((s) => s.realServers.map((r) => r.weight)));
    const changes = reconcile(a, b);
    expect(JSON.stringify(a.services.map((s) => s.realServers.map((r) => r.weight)))).toBe(before);
    expect(changes).toEqual([
      { op: 'removeRealServer', service: 'web', server: { address: '198.18.1.2', port: 80, weight: 1 } },
      {
        op: 'editRealServer',
        service: 'web',
        server: { address: '198.18.1.1', port: 80, weight: 2 },
        fields: ['weight'],
      },
      { op: 'addRealServer', service: 'web', server: { address: '198.18.1.3', port: 80, weight: 1 } },
    ]);
    expect(reconcile(a, a)).toEqual([]);
  });

  it('keeps a health-down server out and a quiesced one at weight 0 across a reload', () => {
    const d = new Ipvs(config({ '198.18.1.1': 1, '198.18.1.2': 1, '198.18.1.3': 1 }), { clock: new FakeClock() });
    const overrides = new Map<string, RealServerOverride>([
      [overrideKey('web', '198.18.1.2', 80), { kind: 'absent' }],
      [overrideKey('web', '198.18.1.3', 80), { kind: 'weight', weight: 0 }],
    ]);
    d.setOverrides(overrides);
    expect(rows(d)).toEqual(['198.18.1.1/1', '198.18.1.3/0']);
    // A reload that raises every weight: 1.2 must stay out, 1.3 must stay quiesced.
    const changes = d.reload(config({ '198.18.1.1': 5, '198.18.1.2': 5, '198.18.1.3': 5 }));
    expect(rows(d)).toEqual(['198.18.1.1/5', '198.18.1.3/0']);
    expect(changes).toEqual([
      {
        op: 'editRealServer',
        service: 'web',
        server: { address: '198.18.1.1', port: 80, weight: 5 },
        fields: ['weight'],
      },
    ]);
    // Health lets go: the configured weights come back.
    d.setOverrides(new Map());
    expect(rows(d)).toEqual(['198.18.1.1/5', '198.18.1.2/5', '198.18.1.3/5']);
  });

  it('refuses a config that did not come from compileConfig, and changes nothing', () => {
    const d = new Ipvs(config({ '198.18.1.1': 1 }), { clock: new FakeClock() });
    for (const bad of [
      undefined,
      {},
      { services: [{ name: 'web' }], maxConnections: 1024 },
      { ...config({}), services: 'x' },
    ])
      expect(() => d.reload(bad as unknown as CompiledIpvsConfig)).toThrow(
        expect.objectContaining({ code: 'CORE_INVALID_CONFIG' }),
      );
    expect(() => d.reload(undefined as unknown as CompiledIpvsConfig)).toThrow(LvsError);
    expect(rows(d)).toEqual(['198.18.1.1/1']);
  });
});

describe('periodic timers', () => {
  it('hold one handle per task however long the table runs (issue 11: 4,052 handles after 45 minutes)', async () => {
    const clock = new FakeClock();
    const d = new Ipvs(config({ '198.18.1.1': 1 }), { clock });
    await d.start();
    clock.advance(45 * 60_000);
    expect(d.timerCount).toBe(2);
    expect(clock.pending).toBe(2);
    await d.stop();
    expect(clock.pending).toBe(0);
  });
});
