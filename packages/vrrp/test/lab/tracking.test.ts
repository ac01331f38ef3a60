/**
 * Link watching on a real veth (issue #11 item 13): an lvskit instance with `track_interface eth0` — which
 * the old flags-based monitor read as down at once (a live veth's `flags` is 0x1003, never IFF_RUNNING) —
 * becomes MASTER; its own interface taken down (no tracking option: keepalived watches it by default) moves
 * it to FAULT and the VIP off; brought up again it returns to BACKUP and, alone, to MASTER. And an IPv6
 * unicast pair with keepalived 2.2.7 `check_unicast_src`: lvskit's adverts must leave from its
 * `unicast_src_ip` even once the VIP is up, or keepalived drops them ("not a unicast peer") and becomes a
 * second master.
 */
import { buildSegmentLab, type Lab, type LabHost, requireLab } from '@lvskit/netlab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VrrpInstanceConfig } from '../../src/index.js';
import { cleanupTemp, hasKeepalived, holders, holds, startKeepalived, startLvskit, waitFor } from './helpers.js';

const canRun = requireLab();

const VIP = '198.18.11.100';
const cfg = (priority: number, over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig => ({
  name: 'VI_1',
  interface: 'eth0',
  virtualRouterId: 61,
  priority,
  virtualIpAddresses: [`${VIP}/24`],
  ...over,
});

describe.runIf(canRun)('VRRP on real links', () => {
  let lab: Lab;
  let hosts: { a: LabHost; b: LabHost };
  const procs: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['a', 'b'], subnet: '198.18.11.0/24' });
    lab = built.lab;
    hosts = built.hosts;
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.stop();
    for (const h of Object.values(hosts)) await lab.exec(h, ['ip', 'link', 'set', 'eth0', 'up']);
  });
  afterAll(async () => {
    await lab?.destroy();
    cleanupTemp();
  });

  it('track_interface on a live veth: MASTER (was FAULT for good); its link down → FAULT, up → MASTER', async () => {
    const lv = startLvskit(lab, hosts.a, cfg(150), { tracking: { trackInterfaces: [{ name: 'eth0' }] } });
    procs.push(lv);
    await waitFor('lvskit MASTER', () => holds(lab, hosts.a, VIP), 10_000);
    expect(lv.output()).not.toMatch(/"to":"FAULT"/);
    await lab.exec(hosts.a, ['ip', 'link', 'set', 'eth0', 'down']);
    await lv.waitForOutput(/"to":"FAULT","reason":"fault"/, 5_000);
    // The VIP goes with the fault (checked on the interface, which still lists addresses while down).
    await waitFor('VIP released', async () => !(await holds(lab, hosts.a, VIP)), 5_000);
    await lab.exec(hosts.a, ['ip', 'link', 'set', 'eth0', 'up']);
    await lv.waitForOutput(/"to":"BACKUP","reason":"fault-cleared"/, 5_000);
    await waitFor('lvskit MASTER again', () => holds(lab, hosts.a, VIP), 10_000);
  });

  it('without any tracking option, the instance interface is watched: down → FAULT (priority 0 is not sent)', async () => {
    const a = startLvskit(lab, hosts.a, cfg(150));
    const b = startLvskit(lab, hosts.b, cfg(100));
    procs.push(a, b);
    await waitFor('a MASTER', async () => (await holders(lab, hosts, VIP)).join() === 'a', 10_000);
    await lab.exec(hosts.a, ['ip', 'link', 'set', 'eth0', 'down']);
    await a.waitForOutput(/"to":"FAULT"/, 5_000);
    // b hears nothing more from a and takes over after its Master_Down_Interval (3.61 s).
    await waitFor('b MASTER', async () => (await holders(lab, hosts, VIP)).join() === 'b', 8_000);
    await lab.exec(hosts.a, ['ip', 'link', 'set', 'eth0', 'up']);
    await waitFor('a preempts again', async () => (await holders(lab, hosts, VIP)).join() === 'a', 10_000);
  });

  describe.runIf(hasKeepalived('the vrrp keepalived IPv6 unicast test'))(
    'IPv6 unicast with keepalived check_unicast_src',
    () => {
      const V6 = { a: '2001:2:0:b::1', b: '2001:2:0:b::2', vip: '2001:2:0:b::100' };
      const v6 = (priority: number, self: string, peer: string): VrrpInstanceConfig => ({
        name: 'VI_6',
        interface: 'eth0',
        virtualRouterId: 62,
        priority,
        version: 3,
        virtualIpAddresses: [`${V6.vip}/64`],
        sourceIp: self,
        unicastPeers: [peer],
        checkUnicastSrc: true,
      });
      it('lvskit adverts leave from unicast_src_ip, VIP up or not: keepalived stays BACKUP, takes over on stop', async () => {
        await lab.exec(hosts.a, ['ip', '-6', 'addr', 'add', `${V6.a}/64`, 'dev', 'eth0', 'nodad']);
        await lab.exec(hosts.b, ['ip', '-6', 'addr', 'add', `${V6.b}/64`, 'dev', 'eth0', 'nodad']);
        // lvskit first, so it is MASTER with the VIP up (the case where the kernel would pick the VIP as source)
        // before keepalived hears a single advert.
        const lv = startLvskit(lab, hosts.a, v6(150, V6.a, V6.b));
        procs.push(lv);
        await waitFor('lvskit MASTER', async () => (await holders(lab, hosts, V6.vip)).join() === 'a', 10_000);
        const ka = startKeepalived(lab, hosts.b, v6(100, V6.b, V6.a));
        procs.push(ka);
        await ka.waitForOutput(/Entering BACKUP STATE/, 5_000);
        // Well past keepalived's Master_Down_Interval with the VIP on lvskit's interface all along.
        await new Promise((r) => setTimeout(r, 4_500));
        expect(await holders(lab, hosts, V6.vip)).toEqual(['a']);
        expect(ka.output()).not.toMatch(/not a unicast peer/);
        expect(ka.output()).toMatch(/Entering BACKUP STATE/);
        expect(ka.output()).not.toMatch(/Entering MASTER STATE/);
        // The priority-0 advert of a stop comes from the configured source too: keepalived takes over at once.
        await lv.stop();
        await waitFor('keepalived MASTER', async () => (await holders(lab, hosts, V6.vip)).join() === 'b', 3_000);
        expect(ka.output()).toMatch(/priority 0/);
        expect(ka.output()).not.toMatch(/not a unicast peer/);
      });
    },
  );
});
