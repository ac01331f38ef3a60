/**
 * Interoperability with real keepalived 2.2.7 on the wire: keepalived and lvskit in separate lab namespaces
 * on one bridge, VRRP over multicast 224.0.0.18 with PASS authentication (v2) or VRRPv3 at 100 ms. Who
 * holds the VIP is read from `ip addr` in each namespace. Scenarios follow keepalived.conf(5): election,
 * failover on stop, preemption and nopreempt, PASS mismatch, v3 fast adverts, two lvskit routers.
 */
import { buildSegmentLab, type Lab, type LabHost, requireLab } from '@lvskit/netlab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VrrpInstanceConfig } from '../../src/index.js';
import { cleanupTemp, hasKeepalived, holders, startKeepalived, startLvskit, waitFor } from './helpers.js';

const canRun = requireLab() && hasKeepalived('the vrrp keepalived interop lab');

const VIP = '198.18.9.100';
const cfg = (priority: number, over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig => ({
  name: 'VI_1',
  interface: 'eth0',
  virtualRouterId: 51,
  priority,
  virtualIpAddresses: [`${VIP}/24`],
  authentication: { type: 'PASS', password: 'lab-pw' },
  ...over,
});

describe.runIf(canRun)('VRRP interop with keepalived 2.2.7', () => {
  let lab: Lab;
  let hosts: { ka: LabHost; lv: LabHost; lv2: LabHost };
  const procs: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['ka', 'lv', 'lv2'], subnet: '198.18.9.0/24' });
    lab = built.lab;
    hosts = built.hosts;
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.stop();
    // Nobody may keep the VIP between scenarios.
    for (const h of Object.values(hosts)) await lab.exec(h, ['ip', 'addr', 'flush', 'dev', 'eth0', 'to', `${VIP}/32`]);
  });
  afterAll(async () => {
    await lab?.destroy();
    cleanupTemp();
  });
  const two = () => ({ ka: hosts.ka, lv: hosts.lv });

  it('lvskit (150) is elected over keepalived (100); stopping lvskit moves the VIP to keepalived', async () => {
    const ka = startKeepalived(lab, hosts.ka, cfg(100));
    const lv = startLvskit(lab, hosts.lv, cfg(150));
    procs.push(ka, lv);
    await waitFor('lvskit MASTER', async () => (await holders(lab, two(), VIP)).join() === 'lv');
    // Stay stable for three advert intervals: keepalived stays BACKUP.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await holders(lab, two(), VIP)).toEqual(['lv']);
    expect(ka.output()).toMatch(/Entering BACKUP STATE/);
    await lv.stop(); // SIGTERM: priority-0 advert, VIP removed
    await waitFor('keepalived MASTER', async () => (await holders(lab, two(), VIP)).join() === 'ka', 5000);
    expect(ka.output()).toMatch(/Backup received priority 0 advertisement|Entering MASTER STATE/);
  });

  it('keepalived (150) is elected over lvskit (100); stopping keepalived moves the VIP to lvskit', async () => {
    const ka = startKeepalived(lab, hosts.ka, cfg(150));
    const lv = startLvskit(lab, hosts.lv, cfg(100));
    procs.push(ka, lv);
    await waitFor('keepalived MASTER', async () => (await holders(lab, two(), VIP)).join() === 'ka');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await holders(lab, two(), VIP)).toEqual(['ka']);
    expect(lv.output()).not.toMatch(/"to":"MASTER"/);
    expect(lv.output()).not.toMatch(/"event":"dropped"/);
    await ka.stop();
    await waitFor('lvskit MASTER', async () => (await holders(lab, two(), VIP)).join() === 'lv', 5000);
  });

  it('preemption: a higher-priority lvskit started later takes over from keepalived', async () => {
    const ka = startKeepalived(lab, hosts.ka, cfg(100));
    procs.push(ka);
    await waitFor('keepalived MASTER alone', async () => (await holders(lab, two(), VIP)).join() === 'ka');
    const lv = startLvskit(lab, hosts.lv, cfg(150));
    procs.push(lv);
    await waitFor('lvskit preempts', async () => (await holders(lab, two(), VIP)).join() === 'lv');
    expect(ka.output()).toMatch(/higher priority 150/);
  });

  it('nopreempt: a higher-priority lvskit started later stays BACKUP behind keepalived', async () => {
    const ka = startKeepalived(lab, hosts.ka, cfg(100));
    procs.push(ka);
    await waitFor('keepalived MASTER alone', async () => (await holders(lab, two(), VIP)).join() === 'ka');
    const lv = startLvskit(lab, hosts.lv, cfg(150, { nopreempt: true }));
    procs.push(lv);
    await lv.waitForOutput(/"event":"started"/, 10_000);
    await new Promise((r) => setTimeout(r, 6000)); // well past Master_Down_Interval (3.41 s)
    expect(await holders(lab, two(), VIP)).toEqual(['ka']);
    expect(lv.output()).not.toMatch(/"to":"MASTER"/);
  });

  it('a PASS mismatch keeps them apart: both become MASTER, each drops the other', async () => {
    const ka = startKeepalived(lab, hosts.ka, cfg(100, { authentication: { type: 'PASS', password: 'other' } }));
    const lv = startLvskit(lab, hosts.lv, cfg(150));
    procs.push(ka, lv);
    await waitFor('both MASTER', async () => (await holders(lab, two(), VIP)).join() === 'ka,lv');
    await lv.waitForOutput(/"reason":"auth-failure"/, 5000);
    expect(ka.output()).toMatch(/received an invalid passwd/);
  });

  it('VRRPv3 with 100 ms adverts: keepalived master, lvskit takes over within ~Master_Down_Interval', async () => {
    const v3 = { version: 3 as const, advertInt: 0.1, authentication: undefined };
    const ka = startKeepalived(lab, hosts.ka, cfg(150, v3));
    const lv = startLvskit(lab, hosts.lv, cfg(100, v3));
    procs.push(ka, lv);
    await waitFor('keepalived MASTER', async () => (await holders(lab, two(), VIP)).join() === 'ka');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await holders(lab, two(), VIP)).toEqual(['ka']);
    expect(lv.output()).not.toMatch(/"event":"dropped"/);
    await ka.stop();
    await waitFor('lvskit MASTER', async () => (await holders(lab, two(), VIP)).join() === 'lv', 3000);
  });

  it('VRRPv3 with 100 ms adverts: lvskit master, keepalived backup stays quiet, then takes over', async () => {
    const v3 = { version: 3 as const, advertInt: 0.1, authentication: undefined };
    const ka = startKeepalived(lab, hosts.ka, cfg(100, v3));
    const lv = startLvskit(lab, hosts.lv, cfg(150, v3));
    procs.push(ka, lv);
    await waitFor('lvskit MASTER', async () => (await holders(lab, two(), VIP)).join() === 'lv');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await holders(lab, two(), VIP)).toEqual(['lv']);
    expect(ka.output()).not.toMatch(/Invalid VRRPv3 checksum/);
    await lv.stop();
    await waitFor('keepalived MASTER', async () => (await holders(lab, two(), VIP)).join() === 'ka', 3000);
  });

  it('unicast peers (unicast_src_ip / unicast_peer): keepalived master, lvskit takes over when it stops', async () => {
    const ka = startKeepalived(lab, hosts.ka, cfg(150, { sourceIp: '198.18.9.1', unicastPeers: ['198.18.9.2'] }));
    const lv = startLvskit(lab, hosts.lv, cfg(100, { sourceIp: '198.18.9.2', unicastPeers: ['198.18.9.1'] }));
    procs.push(ka, lv);
    await waitFor('keepalived MASTER', async () => (await holders(lab, two(), VIP)).join() === 'ka');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await holders(lab, two(), VIP)).toEqual(['ka']);
    expect(lv.output()).not.toMatch(/"event":"dropped"/);
    await ka.stop();
    await waitFor('lvskit MASTER', async () => (await holders(lab, two(), VIP)).join() === 'lv', 5000);
    // And back: keepalived (150) preempts the unicast lvskit master.
    const ka2 = startKeepalived(lab, hosts.ka, cfg(150, { sourceIp: '198.18.9.1', unicastPeers: ['198.18.9.2'] }));
    procs.push(ka2);
    await waitFor('keepalived preempts', async () => (await holders(lab, two(), VIP)).join() === 'ka', 10_000);
  });

  it('master-master with two VIPs and a custom group (seed 004: VRIDs 38/39, vrrp_mcast_group4 224.0.38.12)', async () => {
    const group = '224.0.38.12';
    const vip1 = '198.18.9.19';
    const vip2 = '198.18.9.20';
    const inst = (vrid: number, prio: number, vip: string): VrrpInstanceConfig => ({
      name: `VI_${vrid - 37}`,
      interface: 'eth0',
      virtualRouterId: vrid,
      priority: prio,
      advertInt: 1,
      authentication: { type: 'PASS', password: 'x1er44q' },
      virtualIpAddresses: [`${vip}/24`],
      multicastGroup: group,
    });
    // node-00 (keepalived) owns VIP1 (100 vs 97), node-01 (lvskit) owns VIP2.
    const ka = startKeepalived(lab, hosts.ka, [inst(38, 100, vip1), inst(39, 97, vip2)], { mcastGroup4: group });
    const lv1 = startLvskit(lab, hosts.lv, inst(38, 97, vip1));
    const lv2 = startLvskit(lab, hosts.lv, inst(39, 100, vip2));
    procs.push(ka, lv1, lv2);
    await waitFor('VIP1 on keepalived', async () => (await holders(lab, two(), vip1)).join() === 'ka');
    await waitFor('VIP2 on lvskit', async () => (await holders(lab, two(), vip2)).join() === 'lv');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await holders(lab, two(), vip1)).toEqual(['ka']);
    expect(await holders(lab, two(), vip2)).toEqual(['lv']);
    // "simulate node-00 down": both VIPs flow to lvskit.
    await ka.stop();
    await waitFor('VIP1 moves to lvskit', async () => (await holders(lab, two(), vip1)).join() === 'lv', 5000);
    expect(await holders(lab, two(), vip2)).toEqual(['lv']);
    for (const h of Object.values(hosts)) {
      for (const v of [vip1, vip2]) await lab.exec(h, ['ip', 'addr', 'flush', 'dev', 'eth0', 'to', `${v}/32`]);
    }
  });

  it('VRRPv3 over IPv6 (ff02::12, link-local source): keepalived master, lvskit takes over when it stops', async () => {
    const vip6 = '2001:2:0:9::100';
    const v6 = { virtualIpAddresses: [`${vip6}/64`], authentication: undefined, version: 3 as const, advertInt: 0.1 };
    // Link-local addresses must have finished DAD before either side can send from them.
    for (const h of [hosts.ka, hosts.lv]) {
      await waitFor('link-local address ready', async () => {
        const r = await lab.exec(h, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']);
        return r.stdout.includes('fe80') && !r.stdout.includes('tentative');
      });
    }
    const ka = startKeepalived(lab, hosts.ka, cfg(150, v6));
    const lv = startLvskit(lab, hosts.lv, cfg(100, v6));
    procs.push(ka, lv);
    await waitFor('keepalived MASTER', async () => (await holders(lab, two(), vip6)).join() === 'ka');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await holders(lab, two(), vip6)).toEqual(['ka']);
    expect(lv.output()).not.toMatch(/"event":"dropped"/);
    await ka.stop();
    await waitFor('lvskit MASTER', async () => (await holders(lab, two(), vip6)).join() === 'lv', 3000);
    // keepalived (150) comes back and preempts: it accepts lvskit's IPv6 adverts and outranks them.
    const ka2 = startKeepalived(lab, hosts.ka, cfg(150, v6));
    procs.push(ka2);
    await waitFor('keepalived preempts', async () => (await holders(lab, two(), vip6)).join() === 'ka', 10_000);
    expect(ka2.output()).toMatch(/received lower priority \(100\) advert from fe80::/);
    for (const h of [hosts.ka, hosts.lv])
      await lab.exec(h, ['ip', '-6', 'addr', 'flush', 'dev', 'eth0', 'to', `${vip6}/128`]);
  });

  it('two lvskit routers pair: the higher wins, the other takes over when it stops', async () => {
    const a = startLvskit(lab, hosts.lv, cfg(150));
    const b = startLvskit(lab, hosts.lv2, cfg(100));
    procs.push(a, b);
    const pairHosts = { lv: hosts.lv, lv2: hosts.lv2 };
    await waitFor('lv MASTER', async () => (await holders(lab, pairHosts, VIP)).join() === 'lv');
    await new Promise((r) => setTimeout(r, 2500));
    expect(await holders(lab, pairHosts, VIP)).toEqual(['lv']);
    await a.stop();
    await waitFor('lv2 MASTER', async () => (await holders(lab, pairHosts, VIP)).join() === 'lv2', 5000);
  });
});
