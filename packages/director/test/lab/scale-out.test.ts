/**
 * Scale-out announcing (issue 15 item 2), as root in the network lab: two lvskit directors, each with a
 * {@link ScaleOut} over a real `gobgpd` (its own namespace) peering with a BIRD 2 router (the announce lab,
 * packages/announce/test/lab/ecmp-lab.ts). Checked on the router's kernel FIB: both directors announce the VIP
 * while their service has quorum; a director whose only real server fails its health check loses quorum and
 * its next hop goes at once, and comes back with the server; `drain()` withdraws first and then stops its
 * speaker. The directors run without a datapath (no packets here) and their real server's health is a custom
 * checker the test turns on and off, so nothing in the test process touches the network.
 */
import type { Checker, CheckResult } from '@lvskit/health';
import { requireLab, requireTools } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEcmpLab, type EcmpLab, VIP } from '../../../announce/test/lab/ecmp-lab.js';
import { createDirector, type Director, defineConfig, ScaleOut, type ScaleOutEvents } from '../../src/index.js';

const canRun = requireLab() && requireTools('the scale-out BGP lab', 'gobgpd', 'gobgp', 'bird', 'birdc');

/** A real server check the test decides: up while `up` is true. */
function switchable(name: string): Checker & { up: boolean } {
  return {
    kind: 'CUSTOM',
    key: name,
    up: true,
    async check(): Promise<CheckResult> {
      return { ok: this.up, message: this.up ? 'up' : 'down', durationMs: 0 };
    },
  };
}

function director(check: Checker): Director {
  return createDirector(
    defineConfig({
      vips: { web: VIP },
      drain: { timeoutMs: 2000 },
      services: [
        {
          name: 'http',
          vip: 'web',
          port: 80,
          scheduler: 'mh',
          realServers: [
            { address: '198.18.2.10', checks: [{ type: 'CUSTOM', checker: check, delay_loop: 0.2, retry: 0 }] },
          ],
          health: { quorum: 1 },
        },
      ],
    }),
  );
}

describe.runIf(canRun)('ScaleOut: announce while the service has quorum', () => {
  let e: EcmpLab;
  const checks = [switchable('rs-a'), switchable('rs-b')];
  const directors: Director[] = [];
  const scales: ScaleOut[] = [];
  const events: string[] = [];

  beforeAll(async () => {
    e = await buildEcmpLab(2, false);
    for (let i = 0; i < 2; i++) {
      const d = director(checks[i]!);
      directors.push(d);
      const s = new ScaleOut(d, { announcer: e.announcers[i]!, drainCheckMs: 100 });
      const log =
        <K extends 'announced' | 'withdrawn' | 'drained'>(k: K) =>
        (ev: ScaleOutEvents[K]) =>
          events.push(`d${i + 1} ${k} ${'reason' in ev ? ev.reason : ''}`.trim());
      s.on('announced', log('announced'));
      s.on('withdrawn', log('withdrawn'));
      s.on('drained', log('drained'));
      scales.push(s);
      await d.start();
      await s.start();
    }
  }, 60_000);
  afterAll(async () => {
    for (const s of scales) await s.stop();
    for (const d of directors) await d.stop();
    await e?.destroy();
  });

  it('both directors announce: the router holds both next hops', async () => {
    expect(events).toEqual(['d1 announced', 'd2 announced']);
    expect(scales[0]!.status()).toEqual([{ vip: 'web', prefix: `${VIP}/32`, services: ['http'], announced: true }]);
    expect(scales[0]!.warnings).toEqual([]); // mh: the same choice on every director
    expect(await e.waitNextHops((h) => h.length === 2, 30_000)).toEqual([...e.addresses].sort());
  }, 40_000);

  it('quorum lost: that next hop goes at once; quorum back: it returns', async () => {
    events.length = 0;
    checks[0]!.up = false;
    expect(await e.waitNextHops((h) => h.length === 1, 10_000)).toEqual([e.addresses[1]]);
    expect(events).toEqual(['d1 withdrawn quorum']);
    expect(scales[0]!.status()[0]!.announced).toBe(false);
    checks[0]!.up = true;
    expect(await e.waitNextHops((h) => h.length === 2, 10_000)).toEqual([...e.addresses].sort());
    expect(events).toEqual(['d1 withdrawn quorum', 'd1 announced']);
  }, 30_000);

  it('drain(): withdraw first, then (no connections) drained at once and the speaker stops', async () => {
    events.length = 0;
    const pid = e.announcers[1]!.pid!;
    expect(await scales[1]!.drain()).toBe('drained');
    expect(events).toEqual(['d2 withdrawn drain', 'd2 drained drained']);
    expect(e.announcers[1]!.running).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await e.waitNextHops((h) => h.length === 1, 10_000)).toEqual([e.addresses[0]]);
    // A quorum change after the drain announces nothing.
    checks[1]!.up = false;
    checks[1]!.up = true;
    await new Promise((r) => setTimeout(r, 600));
    expect(events).toEqual(['d2 withdrawn drain', 'd2 drained drained']);
  }, 30_000);
});
