/**
 * The live datapath: core's director fed by createDatapath on the director's interface in a netlab
 * namespace, for each forwarding method. The client's ARP for the VIP is answered by the datapath.
 * DR: rr over two real servers (VIP on lo through applyDrRealServer), replies straight to the client.
 * NAT (one-armed, the real servers route the client via the director): VIP:80 → RIP:8080 and back.
 * TUN: IPIP to a real server running the user-space decapsulation agent, replies straight to the client.
 *
 * Senders keep the veth's tx checksum offload ON: their segments reach the director with the checksum
 * still to be filled in (CHECKSUM_PARTIAL, flagged by the native socket). DR and NAT run both ways: with
 * offload (the default) the datapath hands the partial checksum back to the kernel with the frame; with
 * `offload: false` it completes it in software before forwarding (counted in `counters[7]`). TUN always
 * completes in software (the real server's decapsulation agent cannot finish a partial checksum).
 */

import { ipvs } from '@lvskit/core';
import { buildSegmentLab, offloadsOn, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { applyDrRealServer, createDatapath } from '../../src/index.js';
import { tunRealServer } from './dr-lab.js';

const canRun = requireLab();
const VIP = '198.18.0.100';

describe.runIf(canRun)('lab: datapath (core director + createDatapath)', () => {
  it.each([true, false])(
    'DR (offload %s): curl through the VIP reaches both real servers in rr order, replies bypass the director',
    async (offload) => {
      const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1', 'rs2'] });
      try {
        const undo: (() => Promise<void>)[] = [];
        for (const rs of [hosts.rs1, hosts.rs2]) {
          undo.push((await applyDrRealServer({ vips: [VIP], netns: rs.ns })).undo);
          await lab.httpServer(rs, 80, rs.name);
        }
        // Offload explicitly on (the veth default): nothing computes the client's checksums but the datapath.
        await offloadsOn(lab, hosts.client);
        const datapath = createDatapath({
          ifname: 'eth0',
          netns: hosts.director.ns,
          vips: [VIP],
          address: ip.director,
          offload,
          neighbours: {
            [ip.rs1]: hosts.rs1.interfaces.get('eth0')!.mac,
            [ip.rs2]: hosts.rs2.interfaces.get('eth0')!.mac,
          },
        });
        const lvs = await ipvs()
          .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
          .realServer('web', { address: ip.rs1, method: 'route' })
          .realServer('web', { address: ip.rs2, method: 'route' })
          .start({ packets: datapath });
        try {
          const served: string[] = [];
          for (let i = 0; i < 6; i++) {
            const r = await lab.exec(hosts.client, ['curl', '-s', '--max-time', '5', `http://${VIP}/`], {
              check: false,
              timeoutMs: 15_000,
            });
            served.push(r.stdout.trim());
          }
          // rr alternates between the two real servers (which one is first follows the kernel's list order).
          expect(new Set(served)).toEqual(new Set(['rs1', 'rs2']));
          for (let i = 1; i < served.length; i++) expect(served[i]).not.toBe(served[i - 1]);
          expect(datapath.counters[3]).toBeGreaterThan(0); // ARP for the VIP answered by the datapath
          expect(datapath.counters[1]).toBeGreaterThan(0); // frames forwarded
          // CHECKSUM_PARTIAL segments completed here only without offload (else the kernel finishes them).
          if (offload) expect(datapath.counters[7]).toBe(0);
          else expect(datapath.counters[7]).toBeGreaterThan(0);
        } finally {
          await lvs.stop();
          for (const u of undo) await u();
        }
      } finally {
        await lab.destroy();
      }
    },
  );

  it.each([true, false])(
    'NAT (offload %s) with port mapping: VIP:80 → RIP:8080, replies translated back to VIP:80',
    async (offload) => {
      const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'] });
      try {
        await lab.httpServer(hosts.rs1, 8080, 'rs1');
        for (const h of [hosts.client, hosts.rs1]) await offloadsOn(lab, h);
        // One-armed NAT: the real server reaches the client through the director, whose kernel (ip_forward 0)
        // drops what the datapath translates.
        await lab.addRoute(hosts.rs1, `${ip.client}/32`, ip.director);
        const mac = (h: typeof hosts.rs1) => h.interfaces.get('eth0')!.mac;
        const datapath = createDatapath({
          ifname: 'eth0',
          netns: hosts.director.ns,
          vips: [VIP],
          offload,
          neighbours: { [ip.rs1]: mac(hosts.rs1), [ip.client]: mac(hosts.client) },
        });
        const lvs = await ipvs()
          .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
          .realServer('web', { address: ip.rs1, port: 8080, method: 'masq' })
          .start({ packets: datapath });
        try {
          for (let i = 0; i < 3; i++) {
            const r = await lab.exec(hosts.client, ['curl', '-s', '--max-time', '5', `http://${VIP}/`], {
              check: false,
              timeoutMs: 15_000,
            });
            expect(r.stdout.trim()).toBe('rs1');
          }
          expect(datapath.counters[1]).toBeGreaterThan(10); // both directions forwarded
          // Offloaded checksums completed in software, both directions, only without offload.
          if (offload) expect(datapath.counters[7]).toBe(0);
          else expect(datapath.counters[7]).toBeGreaterThan(10);
        } finally {
          await lvs.stop();
        }
      } finally {
        await lab.destroy();
      }
    },
  );

  it('TUN: IPIP to a real server without the ipip module (user-space agent), replies straight back', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'] });
    try {
      await offloadsOn(lab, hosts.client);
      const setup = await tunRealServer(lab, hosts.rs1, VIP, ip.director);
      await lab.httpServer(hosts.rs1, 80, 'rs1');
      const datapath = createDatapath({
        ifname: 'eth0',
        netns: hosts.director.ns,
        vips: [VIP],
        address: ip.director,
        neighbours: { [ip.rs1]: hosts.rs1.interfaces.get('eth0')!.mac },
      });
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
        .realServer('web', { address: ip.rs1, method: 'tunnel' })
        .start({ packets: datapath });
      try {
        const r = await lab.exec(hosts.client, ['curl', '-s', '--max-time', '5', `http://${VIP}/`], {
          check: false,
          timeoutMs: 15_000,
        });
        expect(r.stdout.trim()).toBe('rs1');
      } finally {
        await lvs.stop();
        await setup.undo();
      }
    } finally {
      await lab.destroy();
    }
  });
});
