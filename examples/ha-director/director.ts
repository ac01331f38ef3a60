import { createDirector, type DirectorPorts, defineConfig } from '@lvskit/director';

/** An HA director: run it on two boxes; the higher priority serves the VIP, the other takes over. */
export function haDirector(priority: number, ports?: DirectorPorts) {
  const check = { type: 'HTTP_GET', url: [{ path: '/', status_code: [200] }], delay_loop: 1, retry: 1 } as const;
  const config = defineConfig({
    interfaces: [{ name: 'eth0' }],
    vips: { web: '198.18.0.100' },
    services: [
      {
        name: 'http',
        vip: 'web',
        port: 80,
        scheduler: 'wlc',
        method: 'route',
        realServers: [
          { address: '198.18.0.3', checks: [check] },
          { address: '198.18.0.4', checks: [check] },
        ],
      },
    ],
    vrrp: { instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority, vips: ['web'] }] },
  });
  const director = createDirector(config, ports);
  director.on('vrrpTransition', (e) => console.log(`${e.instance}: ${e.from} -> ${e.to} (${e.reason})`));
  director.on('serving', (e) => console.log(`${e.vip}: ${e.serving ? 'serving' : 'not serving'}`));
  director.on('realServerDown', (e) => console.log(`${e.address}:${e.port} down: ${e.reason}`));
  director.on('realServerUp', (e) => console.log(`${e.address}:${e.port} up`));
  return director;
}
