import { defineConfig } from '@lvskit/director';

/** A valid director config using most of what a config can hold: the seed of the config mutations. */
export const valid = defineConfig({
  interfaces: [{ name: 'eth0', gateways: ['198.18.0.254'] }],
  vips: { web: '198.18.0.100', v6: { address: '2001:2::100', interface: 'eth0' } },
  services: [
    {
      name: 'http',
      vip: 'web',
      port: 80,
      scheduler: 'wlc',
      method: 'route',
      persistence: { timeout: 300 },
      realServers: [
        { address: '198.18.1.1', weight: 2, checks: [{ type: 'TCP_CHECK', delay_loop: 1, connect_timeout: 1 }] },
        {
          address: '198.18.1.2',
          port: 8080,
          method: 'masq',
          checks: [{ type: 'HTTP_GET', url: [{ path: '/', status_code: [200] }], delay_loop: 2, retry: 1 }],
        },
      ],
      health: { quorum: 1, hysteresis: 0, sorryServer: { address: '198.18.1.9' } },
    },
    { name: 'dns6', vip: 'v6', port: 53, protocol: 'udp', scheduler: 'rr', realServers: [{ address: '2001:2::1:1' }] },
  ],
  vrrp: {
    instances: [
      { name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority: 150, advertInt: 1, vips: ['web'] },
      {
        name: 'VI_6',
        interface: 'eth0',
        virtualRouterId: 52,
        priority: 150,
        version: 3,
        sourceIp: 'fe80::1',
        vips: ['v6'],
      },
    ],
    syncGroups: [{ name: 'G', instances: ['VI_1', 'VI_6'] }],
  },
  timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
  maxConnections: 4096,
});
