/**
 * keepalived's tracking rules, derived by hand from vrrp_scheduler.c `vrrp_script_child_thread` (rise/fall
 * counter), vrrp_track.c `process_script_update_priority` (weights) and `vrrp_set_effective_priority`
 * (clamping), then the controller driving a router through fake ports.
 */

import type { LvsError } from '@lvskit/base';
import { FakeClock, FakeCommandRunner } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import {
  ScriptResult,
  Tracker,
  type TrackingConfig,
  trackContribution,
  type VrrpInstanceConfig,
  VrrpRouter,
  VrrpScriptSet,
  validateTracking,
} from '../src/index.js';
import { createVrrpTestbed, FakeLinkMonitor, FakeOwnership, FakeSegment } from '../src/testing.js';

const seq = (r: ScriptResult, runs: boolean[]): (string | null)[] => runs.map((ok) => r.record(ok));

describe('vrrp_script rise/fall (keepalived vrrp_script_child_thread)', () => {
  it('rise 1 fall 1: starts at result 0 = rise−1; every change is reported, the first result always', () => {
    const r = new ScriptResult(1, 1);
    expect(r.ok).toBe(false);
    expect(seq(r, [true, true, false, false, true])).toEqual(['up', null, 'down', null, 'up']);
  });
  it('rise 3 fall 2: INIT at result 2 means one success is enough; then two failures to go down', () => {
    // result: 2 →(ok) top=4 'up'; →(ko) 3; →(ko) result == rise? 3 == 3 → 0 'down';
    // →(ok) 1; →(ok) 2; →(ok) 2 == rise−1 → 4 'up'.
    const r = new ScriptResult(3, 2);
    expect(seq(r, [true, false, false, true, true, true])).toEqual(['up', null, 'down', null, null, 'up']);
  });
  it('a first failure from INIT is reported even with rise > 1', () => {
    const r = new ScriptResult(3, 2);
    expect(r.record(false)).toBe('down');
    expect(r.result).toBe(0);
  });
  it('init_fail starts failed (result 0) and needs rise successes', () => {
    const r = new ScriptResult(2, 1, true);
    expect(seq(r, [true, true])).toEqual([null, 'up']);
  });
});

describe('weights (keepalived process_script_update_priority)', () => {
  it.each([
    [10, false, true, 10],
    [10, false, false, 0],
    [-10, false, true, 0],
    [-10, false, false, -10],
    [10, true, true, -10],
    [-10, true, false, 10],
  ])('weight %i reverse %s ok %s → %i', (w, rev, ok, c) => {
    expect(trackContribution(w, rev, ok)).toBe(c);
  });
  it('weight 0 faults on failure, reverse on success; weight-0 scripts hold FAULT until their first result', () => {
    const t = new Tracker(100);
    t.add('script:a', 0, false, false, true);
    expect(t.fault()).toBe(true);
    t.set('script:a', true);
    expect(t.fault()).toBe(false);
    t.add('interface:eth1', 0, true, true, false);
    expect(t.fault()).toBe(true);
  });
  it('sums weights onto the base priority', () => {
    const t = new Tracker(100);
    t.add('script:a', 20, false, true, false);
    t.add('script:b', -30, false, false, false);
    expect(t.total()).toBe(90);
  });
  it('rejects unknown scripts and bad weights, all at once', () => {
    expect(() =>
      validateTracking({ scripts: [{ name: 's', script: 'x', weight: 300 }], trackScripts: [{ name: 'nope' }] }),
    ).toThrow(expect.objectContaining({ code: 'VRRP_INVALID_CONFIG', issues: expect.any(Array) }));
    try {
      validateTracking({ scripts: [{ name: 's', script: 'x', weight: 300 }], trackScripts: [{ name: 'nope' }] });
    } catch (e) {
      expect((e as { issues: unknown[] }).issues).toHaveLength(2);
    }
  });
});

describe('tracking drives the router', () => {
  async function setup(tracking: TrackingConfig, over: Partial<VrrpInstanceConfig> = {}) {
    const clock = new FakeClock(0);
    const seg = new FakeSegment(clock);
    const results = new Map<string, boolean>();
    const commands = new FakeCommandRunner((argv) => ({ code: results.get(argv[0] as string) === false ? 1 : 0 }));
    const links = new FakeLinkMonitor();
    const r = new VrrpRouter(
      {
        name: 'VI_1',
        interface: 'eth0',
        virtualRouterId: 9,
        priority: 100,
        virtualIpAddresses: ['198.18.0.100/24'],
        sourceIp: '198.18.0.1',
        ...over,
      },
      {
        transport: seg.transport('198.18.0.1'),
        ownership: new FakeOwnership(),
        clock,
        tracking,
        commandRunner: commands.runner,
        linkMonitor: links,
      },
    );
    const states: string[] = [];
    r.on('stateChanged', (e) => states.push(`${e.to}@${clock.now()}`));
    return { clock, r, results, commands, links, states };
  }
  const tick = async (clock: FakeClock, ms: number) => {
    for (let i = 0; i < ms / 50; i++) {
      clock.advance(50);
      await new Promise((res) => setImmediate(res));
    }
  };
  it('a failing weight-0 script takes a master to FAULT; recovery returns it to BACKUP then MASTER', async () => {
    const { clock, r, results } = await setup({
      scripts: [{ name: 'chk', script: 'check-nginx' }],
      trackScripts: [{ name: 'chk' }],
    });
    await r.start();
    await tick(clock, 4_000);
    expect(r.state).toBe('MASTER');
    results.set('check-nginx', false);
    await tick(clock, 1_100);
    expect(r.state).toBe('FAULT');
    results.set('check-nginx', true);
    await tick(clock, 1_100);
    expect(r.state).toBe('BACKUP');
  });
  it('runs a vrrp_script at start, as keepalived does, not one interval later (issue #11 item 13)', async () => {
    const { clock, r, commands, states } = await setup({
      scripts: [{ name: 'chk', script: 'check-nginx', interval: 2 }],
      trackScripts: [{ name: 'chk' }],
    });
    await r.start();
    await clock.advanceAsync(0);
    expect(commands.calls.map((c) => c.argv.join(' '))).toEqual(['check-nginx']);
    // keepalived num_script_init holds FAULT only until that first result, at time 0.
    expect(states).toEqual(['FAULT@0', 'BACKUP@0']);
    await clock.advanceAsync(1_999);
    expect(commands.calls).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(commands.calls).toHaveLength(2);
  });
  it('a negative weight lowers the priority sent in adverts, and effectivePriority is public', async () => {
    const { clock, r, results } = await setup({
      scripts: [{ name: 'chk', script: 'chk', weight: -30 }],
      trackScripts: [{ name: 'chk' }],
    });
    results.set('chk', false);
    expect(r.effectivePriority).toBe(100);
    await r.start();
    await tick(clock, 200);
    expect(r.effectivePriority).toBe(70);
    expect(r.machine?.effectivePriority).toBe(70);
  });
  it('watches the instance interface without any tracking option: down → FAULT, up → BACKUP (issue #11 item 13)', async () => {
    const { clock, r, links } = await setup(undefined as unknown as TrackingConfig);
    await r.start();
    await tick(clock, 4_000);
    expect(r.state).toBe('MASTER');
    links.up.set('eth0', false);
    await tick(clock, 200);
    expect(r.state).toBe('FAULT');
    links.up.set('eth0', true);
    await tick(clock, 200);
    expect(r.state).toBe('BACKUP');
  });
  it('an instance whose interface is down at start starts in FAULT; dont_track_primary ignores it', async () => {
    const a = await setup(undefined as unknown as TrackingConfig);
    a.links.up.set('eth0', false);
    await a.r.start();
    expect(a.states).toEqual(['FAULT@0']);
    const b = await setup(undefined as unknown as TrackingConfig, { dontTrackPrimary: true });
    b.links.up.set('eth0', false);
    await b.r.start();
    await tick(b.clock, 4_000);
    expect(b.r.state).toBe('MASTER');
  });
  it('a script tracked by two instances runs once per interval (one shared VrrpScriptSet)', async () => {
    const tb = createVrrpTestbed([
      { name: 'VI_1', virtualRouterId: 1, virtualIpAddresses: ['198.18.1.100/24'] },
      { name: 'VI_2', virtualRouterId: 2, virtualIpAddresses: ['198.18.2.100/24'] },
    ]);
    const commands = new FakeCommandRunner();
    const scripts = new VrrpScriptSet([{ name: 'chk', script: 'check-nginx', interval: 1, weight: -20 }], {
      clock: tb.clock,
      commandRunner: commands.runner,
    });
    const tracking = { trackScripts: [{ name: 'chk' }] };
    const routers = [0, 1].map(
      (i) =>
        new VrrpRouter(
          {
            name: `VI_${i + 1}`,
            interface: 'eth0',
            virtualRouterId: i + 1,
            virtualIpAddresses: [`198.18.${i + 1}.100/24`],
            sourceIp: `198.18.0.${i + 1}`,
          },
          {
            clock: tb.clock,
            transport: tb.segment.transport(`198.18.0.${i + 1}`),
            ownership: new FakeOwnership(),
            linkMonitor: new FakeLinkMonitor(),
            scripts,
            tracking,
          },
        ),
    );
    for (const r of routers) await r.start();
    await tb.clock.advanceAsync(10_000);
    // At 0, 1, …, 10 s: eleven runs for both instances, not twenty-two.
    expect(commands.calls).toHaveLength(11);
    for (const r of routers) await r.stop();
    await tb.clock.advanceAsync(5_000);
    expect(commands.calls).toHaveLength(11);
  });
  it('refuses a script interval or timeout of 2^31 ms or more with TIMER_RANGE (issue #11 item 2)', () => {
    const t = { scripts: [{ name: 's', script: 'x', interval: 2 ** 31 / 1000, timeout: 3e6 }] };
    try {
      validateTracking(t);
      expect.unreachable();
    } catch (e) {
      expect((e as LvsError).code).toBe('VRRP_INVALID_CONFIG');
      expect((e as LvsError).issues.map((i) => [i.path.join('.'), i.code])).toEqual([
        ['scripts.0.interval', 'TIMER_RANGE'],
        ['scripts.0.timeout', 'TIMER_RANGE'],
      ]);
      expect((e as LvsError).message).toMatch(/2147483647 ms/);
    }
    expect(() => validateTracking({ scripts: [{ name: 's', script: 'x', interval: 2_147_483 }] })).not.toThrow();
  });
});
