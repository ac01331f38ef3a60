/**
 * Interoperability with real keepalived 2.2.7 on the wire: keepalived and lvskit in separate lab namespaces
 * on one bridge, VRRP over multicast 224.0.0.18 with PASS authentication (v2) or VRRPv3 at 100 ms. Who
 * holds the VIP is read from `ip addr` in each namespace. Scenarios follow keepalived.conf(5): election,
 * failover on stop, preemption and nopreempt, PASS mismatch, v3 fast adverts, two lvskit routers.
 */
import { execFileSync } from 'node:child_process';
import { buildSegmentLab, type Lab, type LabHost, requireLab } from '@lvskit/netlab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VrrpInstanceConfig } from '../../src/index.js';
import { cleanupTemp, holders, startKeepalived, startLvskit, waitFor } from './helpers.js';

const canRun = requireLab() && hasKeepalived();

function hasKeepalived(): boolean {
  try {
    execFileSync('keepalived', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('keepalived is not installed (CI=true: failing)');
    console.warn('vrrp lab: skipping: keepalived is not installed');
    return false;
  }
}

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
