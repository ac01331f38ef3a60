/**
 * The live datapath in direct routing: core's director (rr over two real servers, method `route`) fed by
 * createDatapath on the director's interface in a netlab namespace. The client's ARP for the VIP is answered
 * by the datapath, every connection's packets are rewritten by rewriteRoute and sent to a real server
 * (which has the VIP on lo through applyDrRealServer), and the replies go straight back to the client.
 */
import { director } from '@lvskit/core';
import { buildSegmentLab, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { applyDrRealServer, createDatapath } from '../../src/index.js';

const canRun = requireLab();
const VIP = '198.18.0.100';

describe.runIf(canRun)('lab: datapath, direct routing', () => {
  it('curl through the VIP reaches both real servers in rr order, replies bypass the director', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1', 'rs2'] });
    try {
      const undo: (() => Promise<void>)[] = [];
      for (const rs of [hosts.rs1, hosts.rs2]) {
        undo.push((await applyDrRealServer({ vips: [VIP], netns: rs.ns })).undo);
        await lab.httpServer(rs, 80, rs.name);
      }
      // A veth hands locally sent TCP segments over with the checksum still to be filled in (CHECKSUM_PARTIAL:
      // offloaded), and a packet socket forwards them as they are; a physical NIC never delivers that. So the
      // client computes its checksums in software, as a remote client's NIC would have.
      await lab.exec(hosts.client, ['ethtool', '-K', 'eth0', 'tx', 'off']);
      const datapath = createDatapath({
        ifname: 'eth0',
        netns: hosts.director.ns,
        vips: [VIP],
        address: ip.director,
        neighbours: {
          [ip.rs1]: hosts.rs1.interfaces.get('eth0')!.mac,
          [ip.rs2]: hosts.rs2.interfaces.get('eth0')!.mac,
        },
      });
      const lvs = await director()
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
      } finally {
        await lvs.stop();
        for (const u of undo) await u();
      }
    } finally {
      await lab.destroy();
    }
  });
});
