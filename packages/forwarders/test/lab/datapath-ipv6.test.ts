/**
 * IPv6 VIPs through the live datapath. The director's kernel does not own the VIP, so the datapath answers
 * the clients' neighbour solicitations for it itself (RFC 4861 §7.2.4: a solicited, override neighbour
 * advertisement with our MAC), having joined the VIP's solicited-node group on its socket. Then DR over two
 * real servers (the VIP on their loopback, which Linux never advertises on eth0), whose MACs the datapath
 * learns from its own neighbour solicitations, and NAT with port mapping
 * ([VIP]:80 → [RIP]:8080), each checked with curl from a client namespace. Lab addresses come from the IPv6
 * benchmarking prefix 2001:2::/48 (RFC 5180).
 */

import { ipvs } from '@lvskit/core';
import { buildSegmentLab, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { applyDrRealServer, createDatapath, DatapathCounter } from '../../src/index.js';

const canRun = requireLab();
const VIP = '2001:2::100';
const addr = { client: '2001:2::10', director: '2001:2::2', rs1: '2001:2::11', rs2: '2001:2::12' } as const;

async function ipv6Lab() {
  const built = await buildSegmentLab({ hosts: ['client', 'director', 'rs1', 'rs2'] });
  for (const [name, a] of Object.entries(addr)) {
    await built.lab.addAddress(built.hosts[name as keyof typeof addr], 'eth0', `${a}/64`);
  }
  return built;
}

describe.runIf(canRun)('lab: datapath with IPv6 VIPs', () => {
  it('DR: neighbour solicitations for the VIP answered here, curl reaches both real servers', async () => {
    const { lab, hosts } = await ipv6Lab();
    try {
      for (const rs of [hosts.rs1, hosts.rs2]) {
        await applyDrRealServer({ vips: [VIP], netns: rs.ns });
        await lab.httpServer(rs, 80, rs.name);
      }
      // No MAC configured, and the director's kernel never talked to the real servers: the datapath sends
      // neighbour solicitations itself and learns the advertisements.
      const datapath = createDatapath({ ifname: 'eth0', netns: hosts.director.ns, vips: [VIP] });
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
        .realServer('web', { address: addr.rs1, method: 'route' })
        .realServer('web', { address: addr.rs2, method: 'route' })
        .start({ packets: datapath });
      try {
        const served: string[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await lab.exec(hosts.client, ['curl', '-g', '-s', '--max-time', '5', `http://[${VIP}]/`], {
            check: false,
            timeoutMs: 15_000,
          });
          served.push(r.stdout.trim());
        }
        expect(new Set(served)).toEqual(new Set(['rs1', 'rs2']));
        expect(datapath.counters[DatapathCounter.ARP_ANSWERED]).toBeGreaterThan(0); // the NS for the VIP
        expect(datapath.counters[DatapathCounter.ARP_REQUESTS]).toBeGreaterThanOrEqual(2); // our NS, one per RS
        // The client learnt the VIP at the director's MAC, from our advertisement.
        const neigh = await lab.exec(hosts.client, ['ip', '-6', 'neigh', 'show', VIP]);
        expect(neigh.stdout).toContain(hosts.director.interfaces.get('eth0')!.mac);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it('NAT with port mapping: [VIP]:80 → [RIP]:8080 and back', async () => {
    const { lab, hosts } = await ipv6Lab();
    try {
      await lab.httpServer(hosts.rs1, 8080, 'rs1');
      // One-armed NAT: the real server reaches the client through the director.
      await lab.exec(hosts.rs1, ['ip', '-6', 'route', 'add', `${addr.client}/128`, 'via', addr.director]);
      const mac = (h: typeof hosts.rs1) => h.interfaces.get('eth0')!.mac;
      const datapath = createDatapath({
        ifname: 'eth0',
        netns: hosts.director.ns,
        vips: [VIP],
        neighbours: { [addr.rs1]: mac(hosts.rs1), [addr.client]: mac(hosts.client) },
      });
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
        .realServer('web', { address: addr.rs1, port: 8080, method: 'masq' })
        .start({ packets: datapath });
      try {
        for (let i = 0; i < 3; i++) {
          const r = await lab.exec(hosts.client, ['curl', '-g', '-s', '--max-time', '5', `http://[${VIP}]/`], {
            check: false,
            timeoutMs: 15_000,
          });
          expect(r.stdout.trim()).toBe('rs1');
        }
        expect(datapath.counters[DatapathCounter.FORWARDED]).toBeGreaterThan(10); // both directions
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });
});
