/**
 * The DR real-server helper in a real network namespace (netlab): the VIP lands on lo, the ARP sysctls
 * make the real server keep quiet about it (a client's ARP for the VIP gets no answer), a frame addressed
 * to the real server's MAC but the VIP's IP — exactly what the director's DR rewrite sends — reaches the
 * server's HTTP listener, and undo puts every setting back, after which the same frame is refused.
 */
import { buildSegmentLab, requireLab, requireOwnTools } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { applyDrRealServer, DR_ARP_SYSCTLS } from '../../src/index.js';

const canRun = requireLab() && requireOwnTools('the DR real-server lab', 'ping', 'arping');
const VIP = '198.18.0.100';

describe.runIf(canRun)('lab: DR real-server setup (applyDrRealServer)', () => {
  it('VIP on lo, ARP silent about it, reachable by MAC, and undone exactly', async () => {
    const { lab, hosts } = await buildSegmentLab({ hosts: ['client', 'rs1'] });
    try {
      const rs = hosts.rs1;
      const sysctl = async (key: string) => (await lab.exec(rs, ['sysctl', '-n', key])).stdout.trim();
      const keys = Object.keys(DR_ARP_SYSCTLS);
      const before = await Promise.all(keys.map(sysctl));
      const loBefore = (await lab.exec(rs, ['ip', '-o', 'addr', 'show', 'dev', 'lo'])).stdout;
      await lab.httpServer(rs, 80, 'rs1');

      const setup = await applyDrRealServer({ vips: [VIP], netns: rs.ns });
      expect((await lab.exec(rs, ['ip', '-o', 'addr', 'show', 'dev', 'lo'])).stdout).toContain(`inet ${VIP}/32`);
      expect(await Promise.all(keys.map(sysctl))).toEqual(keys.map((k) => DR_ARP_SYSCTLS[k]));

      // arp_ignore=1: nobody answers the client's ARP for the VIP, so a ping cannot even leave.
      expect((await lab.arping(hosts.client, 'eth0', VIP, { count: 2, timeoutMs: 500 })).macs).toEqual([]);
      expect((await lab.ping(hosts.client, VIP, { timeoutMs: 1000 })).received).toBe(0);
      const neigh = await lab.exec(hosts.client, ['ip', 'neigh', 'show', VIP]);
      expect(neigh.stdout).not.toMatch(/lladdr/);

      // What DR does at L2: the VIP's packets go to the real server's MAC. Pin that on the client.
      const rsMac = rs.interfaces.get('eth0')!.mac;
      await lab.exec(hosts.client, ['ip', 'neigh', 'replace', VIP, 'lladdr', rsMac, 'dev', 'eth0', 'nud', 'permanent']);
      const curl = ['curl', '-s', '--max-time', '3', `http://${VIP}/`];
      const answered = await lab.exec(hosts.client, curl, { check: false, timeoutMs: 10_000 });
      expect(answered.stdout.trim()).toBe('rs1');

      await setup.undo();
      expect(await Promise.all(keys.map(sysctl))).toEqual(before);
      expect((await lab.exec(rs, ['ip', '-o', 'addr', 'show', 'dev', 'lo'])).stdout).toBe(loBefore);
      // Without the VIP the real server no longer accepts the same frames.
      const refused = await lab.exec(hosts.client, curl, { check: false, timeoutMs: 10_000 });
      expect(refused.stdout.trim()).not.toBe('rs1');
    } finally {
      await lab.destroy();
    }
  });
});
