/**
 * An lvskit director and real keepalived as VRRP peers of one virtual router, as root in the lab: the README's
 * HA director (priority 150) and keepalived (priority 100) on one segment with DR real servers. The VIP and the
 * serving move both ways: lvskit preempts keepalived (keepalived drops the VIP from its kernel, lvskit's datapath
 * answers ARP and forwards), lvskit dies (keepalived takes the VIP), lvskit comes back (and takes it again).
 */
import { applyDrRealServer } from '@lvskit/forwarders';
import { buildSegmentLab, type Lab, type LabHost, type LabProcess, requireLab } from '@lvskit/netlab';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemp, holds, startKeepalived, waitFor } from '../../../vrrp/test/lab/helpers.js';
import { haMain, hasKeepalived, replies, spawnTs, startClient } from './lab-helpers.js';

const canRun = requireLab() && hasKeepalived('the director + keepalived peer lab');
const VIP = '198.18.0.100';
afterAll(() => cleanupTemp());

function startDirector(lab: Lab, host: LabHost, priority: number): LabProcess {
  return spawnTs(lab, host, haMain, [String(priority)]);
}

async function neighbourOf(lab: Lab, host: LabHost): Promise<string | undefined> {
  const r = await lab.exec(host, ['ip', '-j', 'neigh', 'show', VIP, 'dev', 'eth0'], { check: false });
  return (JSON.parse(r.stdout || '[]') as { lladdr?: string }[])[0]?.lladdr;
}

function answered(p: LabProcess, since: number): string[] {
  return replies(p)
    .filter((r) => r.t > since && r.ok)
    .map((r) => r.body ?? '');
}

describe.runIf(canRun)('lab: an lvskit director and keepalived in one virtual router', () => {
  it('the VIP and the serving move both ways', async () => {
    // dir1 = 198.18.0.1 (lvskit), ka = .2, rs1 = .3, rs2 = .4 (the example's real servers), client = .5.
    const { lab, hosts } = await buildSegmentLab({ hosts: ['dir1', 'ka', 'rs1', 'rs2', 'client'] });
    const undo: (() => Promise<void>)[] = [];
    try {
      for (const rs of [hosts.rs1, hosts.rs2]) {
        undo.push((await applyDrRealServer({ vips: [VIP], netns: rs.ns })).undo);
        await lab.httpServer(rs, 80, rs.name);
      }
      const mac = (h: LabHost) => h.interfaces.get('eth0')!.mac;
      const ka = startKeepalived(lab, hosts.ka, {
        name: 'VI_1',
        interface: 'eth0',
        virtualRouterId: 51,
        priority: 100,
        virtualIpAddresses: [`${VIP}/32`],
      });
      await waitFor('keepalived to take the VIP', () => holds(lab, hosts.ka, VIP), 20_000);

      // lvskit (150) preempts: keepalived releases the VIP, lvskit serves it.
      let lv = startDirector(lab, hosts.dir1, 150);
      await lv.waitForOutput(/198\.18\.0\.100: serving/, 20_000);
      await waitFor('keepalived to release the VIP', async () => !(await holds(lab, hosts.ka, VIP)), 10_000);
      const client = startClient(lab, hosts.client, `http://${VIP}/`, 20);
      await sleep(1_500);
      expect(await neighbourOf(lab, hosts.client)).toBe(mac(hosts.dir1));
      expect(new Set(answered(client, 0))).toEqual(new Set(['rs1', 'rs2']));

      // lvskit dies: keepalived takes the VIP (on its kernel) and the client's neighbour entry follows.
      process.kill(lv.pid, 'SIGKILL');
      await lv.exited;
      await waitFor('keepalived to take the VIP back', () => holds(lab, hosts.ka, VIP), 10_000);
      await waitFor(
        'the client to follow keepalived',
        async () => (await neighbourOf(lab, hosts.client)) === mac(hosts.ka),
        5_000,
      );

      // lvskit comes back and preempts again: serving moves back.
      lv = startDirector(lab, hosts.dir1, 150);
      await lv.waitForOutput(/198\.18\.0\.100: serving/, 20_000);
      const back = Date.now();
      await waitFor('keepalived to release the VIP again', async () => !(await holds(lab, hosts.ka, VIP)), 10_000);
      await waitFor(
        'the client to follow lvskit',
        async () => (await neighbourOf(lab, hosts.client)) === mac(hosts.dir1),
        5_000,
      );
      await sleep(1_500);
      expect(answered(client, back + 500).length).toBeGreaterThan(10);
      await client.stop();
      await lv.stop();
      await ka.stop();
    } finally {
      for (const u of undo) await u().catch(() => {});
      await lab.destroy();
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
