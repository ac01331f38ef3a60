/**
 * GoBGP announcers against a real router, as root in the network lab (issue 15 items 1 and 4): three director
 * namespaces each run `gobgpd` through a {@link GobgpAnnouncer}; the router runs BIRD 2 and merges their paths
 * into one ECMP route in its kernel FIB with a 5-tuple hash. Checked on the router's FIB and with real flows:
 * three announcements give three next hops and 3,000 fresh flows from one client split within 10 % of even;
 * a withdraw removes exactly that next hop; a frozen `gobgpd` (SIGSTOP) is withdrawn by the router's hold
 * timer; `stop()` ends the session and the route goes; peer states and events follow.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireLab, requireTools } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEcmpLab, type EcmpLab, HOLD_TIME_SEC, VIP } from './ecmp-lab.js';

const canRun = requireLab() && requireTools('the BGP/ECMP lab', 'gobgpd', 'gobgp', 'bird', 'birdc');
const flowsScript = fileURLToPath(new URL('./flows.mjs', import.meta.url));
const ownerScript = fileURLToPath(new URL('./fixtures/announcer.ts', import.meta.url));

describe.runIf(canRun)('GobgpAnnouncer behind a BIRD ECMP router', () => {
  let e: EcmpLab;
  beforeAll(async () => {
    e = await buildEcmpLab(3);
    for (let i = 0; i < 3; i++) {
      await e.lab.addAddress(e.directors[i]!, 'lo', `${VIP}/32`);
      await e.lab.httpServer(e.directors[i]!, 80, `d${i + 1}`, VIP);
    }
  }, 60_000);
  afterAll(async () => {
    await e?.destroy();
  });

  it('three announcements: three sessions established, three next hops, flows reach every director', async () => {
    const events: string[] = [];
    e.announcers[0]!.on('announced', (ev) => events.push(`announced ${ev.prefix}`));
    for (const a of e.announcers) await a.announce(VIP);
    expect(events).toEqual([`${VIP}/32`].map((p) => `announced ${p}`));
    await e.announcers[0]!.announce(`${VIP}/32`); // idempotent: no second event
    expect(events).toHaveLength(1);
    expect(e.announcers[0]!.announced()).toEqual([`${VIP}/32`]);
    const hops = await e.waitNextHops((h) => h.length === 3, 30_000);
    expect(hops).toEqual([...e.addresses].sort());
    // What the gRPC AddPath put in GoBGP's RIB, read back with GoBGP's own client: origin IGP, next hop self.
    const rib = await e.lab.exec(e.directors[0]!, [
      'gobgp',
      '--target',
      e.announcers[0]!.apiTarget!,
      'global',
      'rib',
      '-j',
    ]);
    const paths = (
      JSON.parse(rib.stdout) as Record<string, { attrs: { type: number; value?: number; nexthop?: string }[] }[]>
    )[`${VIP}/32`];
    expect(paths).toHaveLength(1);
    expect(paths![0]!.attrs).toEqual([
      { type: 1, value: 0 },
      { type: 3, nexthop: '0.0.0.0' },
    ]);
    for (const a of e.announcers) {
      const peers = await a.refreshPeers();
      expect(peers).toEqual([{ address: '198.18.1.1', as: 65000, state: 'established' }]);
    }
    // 3,000 fresh flows from one client: the router's 5-tuple hash spreads them over the three next hops
    // within 10 % of even (issue 15: 1,000 ± 100 each; the binomial σ is about 26).
    const r = await e.lab.exec(e.client, [process.execPath, flowsScript, VIP, '80', '3000', '50'], {
      timeoutMs: 60_000,
    });
    const { byBody, flows, failed } = JSON.parse(r.stdout) as {
      byBody: Record<string, number>;
      flows: number;
      failed: number;
    };
    expect(failed, r.stdout).toBe(0);
    expect(flows).toBe(3000);
    expect(Object.keys(byBody).sort()).toEqual(['d1', 'd2', 'd3']);
    for (const n of Object.values(byBody)) expect(Math.abs(n - 1000), JSON.stringify(byBody)).toBeLessThanOrEqual(100);
  }, 90_000);

  it('a withdraw removes that director next hop only; announcing again brings it back', async () => {
    const withdrawn: string[] = [];
    e.announcers[0]!.on('withdrawn', (ev) => withdrawn.push(ev.prefix));
    await e.announcers[0]!.withdraw(VIP);
    expect(withdrawn).toEqual([`${VIP}/32`]);
    expect(e.announcers[0]!.announced()).toEqual([]);
    const hops = await e.waitNextHops((h) => h.length === 2, 10_000, 5);
    expect(hops).toEqual([e.addresses[1], e.addresses[2]]);
    await e.announcers[0]!.withdraw(VIP); // idempotent
    await e.announcers[0]!.announce(VIP);
    expect(await e.waitNextHops((h) => h.length === 3, 10_000)).toEqual([...e.addresses].sort());
  }, 30_000);

  it('a frozen gobgpd (SIGSTOP) is withdrawn by the router when the hold time runs out', async () => {
    const pid = e.announcers[1]!.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      // The hold timer is 3 s: the route must go well inside three hold times.
      const hops = await e.waitNextHops((h) => h.length === 2, 3 * HOLD_TIME_SEC * 1000);
      expect(hops).toEqual([e.addresses[0], e.addresses[2]]);
      expect(await e.birdc('show', 'protocols', 'd2')).toMatch(/d2\s+BGP\s+---\s+(start|down)/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Thawed, it reconnects (connect retry 1 s) and its announcement comes back.
    expect(await e.waitNextHops((h) => h.length === 3, 20_000)).toEqual([...e.addresses].sort());
  }, 40_000);

  it('stop() ends the session: the route goes, peer state returns to idle, and nothing is left', async () => {
    const a = e.announcers[2]!;
    const pid = a.pid!;
    const states: string[] = [];
    a.on('peerState', (ev) => states.push(`${ev.from}->${ev.to}`));
    await a.stop();
    expect(a.running).toBe(false);
    expect(states).toEqual(['established->idle']);
    expect(() => process.kill(pid, 0)).toThrow(); // gobgpd ended
    expect(await e.waitNextHops((h) => h.length === 2, 10_000)).toEqual([e.addresses[0], e.addresses[1]]);
    await expect(a.announce(VIP)).rejects.toMatchObject({ code: 'ANNOUNCE_STATE' });
    await a.stop(); // idempotent
  }, 30_000);

  it('gobgpd dies with the process that started it (SIGKILL): the session closes, the route goes at once', async () => {
    // Director 3's own announcer was stopped above; a separate process now speaks for its address.
    const owner = spawn(
      process.execPath,
      ['--conditions=@lvskit/source', '--import', 'tsx', ownerScript, e.directors[2]!.ns, e.addresses[2]!, VIP],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    owner.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    try {
      const end = Date.now() + 30_000;
      while (!/gobgpd \d+/.test(out)) {
        if (Date.now() > end) throw new Error(`the owner did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const gobgpd = Number(/gobgpd (\d+)/.exec(out)![1]);
      expect(await e.waitNextHops((h) => h.length === 3, 20_000)).toEqual([...e.addresses].sort());
      owner.kill('SIGKILL');
      const gone = Date.now() + 5_000;
      while (Date.now() < gone) {
        try {
          process.kill(gobgpd, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(() => process.kill(gobgpd, 0)).toThrow(); // the kernel killed it with its parent
      expect(await e.waitNextHops((h) => h.length === 2, 10_000)).toEqual([e.addresses[0], e.addresses[1]]);
    } finally {
      owner.kill('SIGKILL');
    }
  }, 60_000);
});
