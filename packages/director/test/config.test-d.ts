import { describe, expectTypeOf, it } from 'vitest';
import { defineConfig } from '../src/index.js';

describe('defineConfig', () => {
  it('keeps VIP names literal, so a service or instance naming an unknown VIP does not compile', () => {
    const ok = defineConfig({
      vips: { web: '198.18.0.100', mail: { address: '198.18.0.101' } },
      services: [{ name: 'http', vip: 'web', port: 80, realServers: [{ address: '198.18.1.1' }] }],
      vrrp: { instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, vips: ['web', 'mail'] }] },
    });
    expectTypeOf(ok.services[0]!.vip).toEqualTypeOf<'web' | 'mail'>();
    defineConfig({
      vips: { web: '198.18.0.100' },
      // @ts-expect-error: no VIP named 'wbe'
      services: [{ name: 'http', vip: 'wbe', port: 80, realServers: [] }],
    });
    defineConfig({
      vips: { web: '198.18.0.100' },
      services: [],
      // @ts-expect-error: no VIP named 'mail'
      vrrp: { instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, vips: ['mail'] }] },
    });
    defineConfig({
      vips: { web: '198.18.0.100' },
      // @ts-expect-error: method is route, masq or tunnel
      services: [{ name: 'http', vip: 'web', port: 80, method: 'dr', realServers: [] }],
    });
  });

  it('types the sync block: roles and version are literals', () => {
    defineConfig({
      vips: { web: '198.18.0.100' },
      services: [],
      sync: {
        instance: 'VI_1',
        interface: 'eth0',
        version: 0,
        rules: { threshold: 3 },
        extensions: { sequence: true },
      },
    });
    defineConfig({
      vips: { web: '198.18.0.100' },
      services: [],
      // @ts-expect-error: roles is follow, master, backup or both
      sync: { roles: 'primary' },
    });
    defineConfig({
      vips: { web: '198.18.0.100' },
      services: [],
      // @ts-expect-error: version is 0 or 1
      sync: { version: 2 },
    });
  });
});
