/**
 * The per-service controller and the director binding against keepalived's ipwrapper.c
 * (`update_quorum_state`, `perform_svr_state`, `perform_quorum_state`) and ldirectord's
 * `fallback_on`/`fallback_off`; expected tables are worked out by hand from those rules.
 */

import { FakeClock } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import {
  FakeDirector,
  HealthDirector,
  HealthRunner,
  type HealthServerRef,
  keepalivedPolicy,
  quorumFigures,
  ScriptedChecker,
  ServiceController,
  type VirtualServiceHealth,
} from '../src/index.js';

const ref = (id: string): HealthServerRef => ({ id, address: id.split(':')[0] as string, port: 80 });

function vs(over: Partial<VirtualServiceHealth> = {}): VirtualServiceHealth {
  return {
    id: 'TCP 10.0.0.100:80',
    mode: 'keepalived',
    realServers: [
      { server: ref('a:80'), weight: 3, checkers: [] },
      { server: ref('b:80'), weight: 2, checkers: [] },
      { server: ref('c:80'), weight: 1, checkers: [] },
    ],
    ...over,
  };
}

const table = (c: ServiceController) => Object.fromEntries([...c.applied()].sort());

describe('ServiceController (keepalived)', () => {
  it('removes a down server and restores it with its configured weight', () => {
    const c = new ServiceController(vs(), () => true);
    expect(c.init().actions).toHaveLength(3);
    expect(c.setAlive('b:80', false).actions).toEqual([{ op: 'remove', server: ref('b:80') }]);
    expect(c.setAlive('b:80', true).actions).toEqual([{ op: 'add', server: ref('b:80'), weight: 2 }]);
  });

  it('inhibit_on_failure sets weight 0 instead of removing', () => {
    const c = new ServiceController(vs({ inhibitOnFailure: true }), () => true);
    c.init();
    expect(c.setAlive('a:80', false).actions).toEqual([{ op: 'weight', server: ref('a:80'), weight: 0 }]);
    expect(c.setAlive('a:80', true).actions).toEqual([{ op: 'weight', server: ref('a:80'), weight: 3 }]);
  });

  it('quorum with hysteresis swaps in the sorry server and back', () => {
    // quorum 4, hysteresis 1: lose when live < 4 − 1 = 3; gain when live ≥ 4 + 1 = 5.
    const c = new ServiceController(
      vs({ quorum: 4, hysteresis: 1, sorryServer: { server: ref('sorry:80') } }),
      () => true,
    );
    c.init();
    expect(c.setAlive('c:80', false).quorum).toBeNull(); // live 5 → still ≥ 3
    expect(c.setAlive('b:80', false).quorum).toBeNull(); // live 3 → not < 3
    const lost = c.setAlive('a:80', false); // live 0 → lost; sorry added
    expect(lost.quorum).toMatchObject({ up: false, liveWeight: 0, threshold: 3 });
    expect(table(c)).toEqual({ 'sorry:80': 1 });
    c.setAlive('a:80', true); // live 3 < 5: still down, RS changes are not pushed while the sorry server is in
    expect(table(c)).toEqual({ 'sorry:80': 1 });
    const gained = c.setAlive('b:80', true); // live 5 ≥ 5 → gained
    expect(gained.quorum).toMatchObject({ up: true, liveWeight: 5, threshold: 5 });
    expect(table(c)).toEqual({ 'a:80': 3, 'b:80': 2 });
  });

  it('without a sorry server, quorum loss only notifies', () => {
    const c = new ServiceController(vs({ quorum: 6 }), () => true);
    c.init();
    expect(c.setAlive('c:80', false).quorum).toMatchObject({ up: false });
    expect(table(c)).toEqual({ 'a:80': 3, 'b:80': 2 });
  });

  it('starts with quorum down and the sorry server in when nothing is alive', () => {
    const c = new ServiceController(vs({ sorryServer: { server: ref('s:80'), weight: 5 } }), () => false);
    const out = c.init();
    expect(out.quorum).toMatchObject({ up: false });
    expect(out.actions).toEqual([{ op: 'add', server: ref('s:80'), weight: 5 }]);
  });

  it('sanitises quorum and hysteresis as keepalived does', () => {
    expect(quorumFigures(vs({ quorum: 100 }))).toMatchObject({ quorum: 6, hysteresis: 0 });
    expect(quorumFigures(vs({ quorum: 3, hysteresis: 3 }))).toMatchObject({ quorum: 3, hysteresis: 2 });
  });

  it('misc_dynamic weight replaces the configured weight in the table and in the live weight', () => {
    const c = new ServiceController(vs(), () => true);
    c.init();
    expect(c.setDynamicWeight('a:80', 8).actions).toEqual([{ op: 'weight', server: ref('a:80'), weight: 8 }]);
    expect(c.liveWeight()).toBe(11);
    expect(c.setDynamicWeight('a:80', null).actions).toEqual([{ op: 'weight', server: ref('a:80'), weight: 3 }]);
  });
});

describe('ServiceController (ldirectord)', () => {
  it('fallback is in only while no real server is up; quiescent keeps downs at weight 0', () => {
    const c = new ServiceController(
      vs({ mode: 'ldirectord', inhibitOnFailure: true, sorryServer: { server: ref('fb:80'), weight: 9 } }),
      () => false,
    );
    c.init();
    // fallback weight is always 1 (fallback_on: _restore_service(..., "1", "fallback")).
    expect(table(c)).toEqual({ 'a:80': 0, 'b:80': 0, 'c:80': 0, 'fb:80': 1 });
    c.setAlive('a:80', true);
    expect(table(c)).toEqual({ 'a:80': 3, 'b:80': 0, 'c:80': 0 });
    c.setAlive('a:80', false);
    expect(table(c)).toEqual({ 'a:80': 0, 'b:80': 0, 'c:80': 0, 'fb:80': 1 });
  });
});

describe('HealthDirector binding', () => {
  it('drives the director from checker results, with events and scripts', async () => {
    const clock = new FakeClock();
    const runner = new HealthRunner({ clock, random: () => 0 });
    const director = new FakeDirector();
    const hd = new HealthDirector({ director, runner });
    const events: string[] = [];
    hd.on('realServerDown', (e) => events.push(`down ${e.server.id}`));
    hd.on('realServerUp', (e) => events.push(`up ${e.server.id}`));
    hd.on('quorumDown', () => events.push('quorum down'));
    hd.on('quorumUp', () => events.push('quorum up'));
    const a = new ScriptedChecker('a');
    const pol = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0 });
    const cfg = vs({
      quorum: 1,
      sorryServer: { server: ref('sorry:80') },
      realServers: [{ server: ref('a:80'), weight: 4, checkers: [{ checker: a, policy: pol, timeoutMs: 100 }] }],
    });
    hd.apply([cfg]);
    hd.start();
    await hd.idle();
    expect(director.weights(cfg.id)).toEqual({ 'a:80': 4 });
    a.set(false);
    await clock.advanceAsync(1000);
    await hd.idle();
    expect(director.weights(cfg.id)).toEqual({ 'sorry:80': 1 });
    a.set(true);
    await clock.advanceAsync(1000);
    await hd.idle();
    expect(director.weights(cfg.id)).toEqual({ 'a:80': 4 });
    expect(events).toEqual(['down a:80', 'quorum down', 'up a:80', 'quorum up']);
    // Reload with a new checker object of the same identity: no director call at all.
    const before = director.log.length;
    hd.apply([
      {
        ...cfg,
        realServers: [
          {
            server: ref('a:80'),
            weight: 4,
            checkers: [{ checker: new ScriptedChecker('a'), policy: pol, timeoutMs: 100 }],
          },
        ],
      },
    ]);
    await hd.idle();
    expect(director.log.length).toBe(before);
    // Reload with a new weight: one weight change.
    hd.apply([
      {
        ...cfg,
        realServers: [{ server: ref('a:80'), weight: 7, checkers: [{ checker: a, policy: pol, timeoutMs: 100 }] }],
      },
    ]);
    await hd.idle();
    expect(director.log.slice(before)).toEqual([{ op: 'weight', service: cfg.id, server: 'a:80', weight: 7 }]);
    hd.stop();
  });

  it('alerts follow smtp_alert: real servers by default, quorum only when the service asks', async () => {
    const clock = new FakeClock();
    const runner = new HealthRunner({ clock, random: () => 0 });
    const alerts: string[] = [];
    const hd = new HealthDirector({
      director: new FakeDirector(),
      runner,
      notifier: { notify: async (a) => void alerts.push(`${a.kind} ${a.realServer ?? a.service}`) },
    });
    const a = new ScriptedChecker('a');
    const b = new ScriptedChecker('b');
    const pol = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0 });
    const base = vs({
      realServers: [
        { server: ref('a:80'), weight: 1, checkers: [{ checker: a, policy: pol, timeoutMs: 100 }] },
        { server: ref('b:80'), weight: 1, smtpAlert: false, checkers: [{ checker: b, policy: pol, timeoutMs: 100 }] },
      ],
    });
    hd.apply([base]);
    hd.start();
    a.set(false);
    b.set(false);
    await clock.advanceAsync(500);
    await hd.idle();
    expect(alerts).toEqual(['realServerDown a:80']); // quorum lost too, but smtp_alert is off on the service
    hd.apply([{ ...base, smtpAlert: true }]);
    a.set(true);
    await clock.advanceAsync(1000);
    await hd.idle();
    expect(alerts).toEqual(['realServerDown a:80', 'realServerUp a:80', `quorumUp ${base.id}`]);
    hd.stop();
  });

  it('rejects a bad configuration without touching the director', () => {
    const director = new FakeDirector();
    const hd = new HealthDirector({ director, runner: new HealthRunner({ clock: new FakeClock() }) });
    expect(() => hd.apply([vs({ realServers: [{ server: ref('a:80'), weight: -1, checkers: [] }] })])).toThrow(
      expect.objectContaining({ code: 'HEALTH_INVALID_CONFIG' }),
    );
    expect(director.log).toEqual([]);
  });
});
