/**
 * keepalived's tracking rules, derived by hand from vrrp_scheduler.c `vrrp_script_child_thread` (rise/fall
 * counter), vrrp_track.c `process_script_update_priority` (weights) and `vrrp_set_effective_priority`
 * (clamping), then the controller driving a router through fake ports.
 */

import { FakeClock } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import {
  ScriptResult,
  Tracker,
  type TrackingConfig,
  trackContribution,
  VrrpRouter,
  validateTracking,
} from '../src/index.js';
import { FakeLinkMonitor, FakeOwnership, FakeScriptRunner, FakeSegment } from '../src/testing.js';

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
  async function setup(tracking: TrackingConfig) {
    const clock = new FakeClock(0);
    const seg = new FakeSegment(clock);
    const runner = new FakeScriptRunner();
    const links = new FakeLinkMonitor();
    const r = new VrrpRouter(
      {
        name: 'VI_1',
        interface: 'eth0',
        virtualRouterId: 9,
        priority: 100,
        virtualIpAddresses: ['198.18.0.100/24'],
        sourceIp: '198.18.0.1',
      },
      {
        transport: seg.transport('198.18.0.1'),
        ownership: new FakeOwnership(),
        clock,
        tracking,
        scriptRunner: runner,
        linkMonitor: links,
      },
    );
    return { clock, r, runner, links };
  }
  const tick = async (clock: FakeClock, us: number) => {
    for (let i = 0; i < us / 50_000; i++) {
      clock.advance(50);
      await new Promise((res) => setImmediate(res));
    }
  };
  it('a failing weight-0 script takes a master to FAULT; recovery returns it to BACKUP then MASTER', async () => {
    const { clock, r, runner } = await setup({
      scripts: [{ name: 'chk', script: 'check-nginx' }],
      trackScripts: [{ name: 'chk' }],
    });
    await r.start();
    expect(r.state).toBe('FAULT'); // keepalived num_script_init: held until the first result
    await tick(clock, 1_100_000);
    expect(r.state).toBe('BACKUP');
    await tick(clock, 4_000_000);
    expect(r.state).toBe('MASTER');
    runner.results.set('check-nginx', false);
    await tick(clock, 1_100_000);
    expect(r.state).toBe('FAULT');
    runner.results.set('check-nginx', true);
    await tick(clock, 1_100_000);
    expect(r.state).toBe('BACKUP');
  });
  it('a negative weight lowers the priority sent in adverts', async () => {
    const { clock, r, runner } = await setup({
      scripts: [{ name: 'chk', script: 'chk', weight: -30 }],
      trackScripts: [{ name: 'chk' }],
    });
    runner.results.set('chk', false);
    await r.start();
    await tick(clock, 1_200_000);
    expect(r.machine?.effectivePriority).toBe(70);
  });
  it('the instance interface going down means FAULT (unless dont_track_primary)', async () => {
    const { clock, r, links } = await setup({});
    await r.start();
    await tick(clock, 4_000_000);
    expect(r.state).toBe('MASTER');
    links.up.set('eth0', false);
    await tick(clock, 200_000);
    expect(r.state).toBe('FAULT');
  });
});
