/**
 * The runner driven by a fake clock and scripted checkers (the checkers' protocols are tested against real
 * servers in test/lab). Expected timings are derived from keepalived's rules by hand in each test.
 */

import { FakeClock } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import {
  HealthRunner,
  keepalivedPolicy,
  ldirectordPolicy,
  type RealServerTransition,
  ScriptedChecker,
} from '../src/index.js';

function setup(random = () => 0) {
  const clock = new FakeClock(0);
  const runner = new HealthRunner({ clock, random });
  const events: string[] = [];
  const rsEvents: RealServerTransition[] = [];
  runner.on('realServerUp', (e) => {
    events.push(`${clock.now()} ${e.realServer} up`);
    rsEvents.push(e);
  });
  runner.on('realServerDown', (e) => {
    events.push(`${clock.now()} ${e.realServer} down`);
    rsEvents.push(e);
  });
  return { clock, runner, events, rsEvents };
}

describe('HealthRunner (keepalived policy)', () => {
  it('server dies → down after retry × delay_before_retry; returns → up at the next delay_loop', async () => {
    const { clock, runner, events } = setup();
    const c = new ScriptedChecker('tcp');
    // delay_loop 10 s, retry 3, delay_before_retry 2 s, warmup 0: checks at 0, 10, 20, …
    runner.apply([
      {
        id: 'rs1',
        checkers: [
          {
            checker: c,
            policy: keepalivedPolicy('TCP_CHECK', {
              delayLoopMs: 10_000,
              retry: 3,
              delayBeforeRetryMs: 2000,
              warmupMs: 0,
            }),
            timeoutMs: 1000,
          },
        ],
      },
    ]);
    runner.start();
    await clock.advanceAsync(15_000); // checks at 0 and 10 s pass
    expect(c.calls).toBe(2);
    c.set(false);
    // failures at 20 (retry_it 1), 22 (2), 24 (3), 26 → retry_it >= retry → DOWN at 26 s = 20 + 3 × 2 s.
    await clock.advanceAsync(11_500);
    expect(events).toEqual(['26000 rs1 down']);
    c.set(true);
    // next check after delay_loop at 36 s → UP.
    await clock.advanceAsync(10_000);
    expect(events).toEqual(['26000 rs1 down', '36000 rs1 up']);
    runner.stop();
  });

  it('emits only transitions, never a repeat', async () => {
    const { clock, runner, events } = setup();
    const c = new ScriptedChecker('tcp').set(false);
    runner.apply([
      {
        id: 'a',
        checkers: [
          {
            checker: c,
            policy: keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0 }),
            timeoutMs: 500,
          },
        ],
      },
    ]);
    runner.start();
    await clock.advanceAsync(10_000);
    expect(events).toEqual(['0 a down']);
    runner.stop();
  });

  it('a hung checker is timed out by the runner and the schedule continues', async () => {
    const { clock, runner, events } = setup();
    const c = new ScriptedChecker('hang', 'HANG', { honourAbort: false });
    runner.apply([
      {
        id: 'h',
        checkers: [
          {
            checker: c,
            policy: keepalivedPolicy('TCP_CHECK', {
              delayLoopMs: 5000,
              retry: 1,
              delayBeforeRetryMs: 1000,
              warmupMs: 0,
            }),
            timeoutMs: 3000,
          },
        ],
      },
    ]);
    runner.start();
    await clock.advanceAsync(100); // the check at 0 passes (retry_it back to 0)
    c.hang();
    // check at 5 s times out at 8 s (retry_it 1, next at 9 s); check at 9 s times out at 12 s → DOWN.
    await clock.advanceAsync(12_000);
    expect(events).toEqual(['12000 h down']);
    expect(c.calls).toBe(3);
    expect(runner.inflight).toBe(0);
    runner.stop();
  });

  it('at startup one failure takes a server down; a server added by a reload gets its retries', async () => {
    const { clock, runner, events } = setup();
    const pol = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 2, delayBeforeRetryMs: 100, warmupMs: 0 });
    runner.apply([
      { id: 'boot', checkers: [{ checker: new ScriptedChecker('b').set(false), policy: pol, timeoutMs: 50 }] },
    ]);
    runner.start();
    await clock.advanceAsync(10);
    expect(events).toEqual(['0 boot down']);
    const late = new ScriptedChecker('l').set(false);
    runner.apply([
      { id: 'boot', checkers: [{ checker: new ScriptedChecker('b').set(false), policy: pol, timeoutMs: 50 }] },
      { id: 'late', checkers: [{ checker: late, policy: pol, timeoutMs: 50 }] },
    ]);
    // late: failures at 10 (retry_it 1), 110 (2), 210 → DOWN.
    await clock.advanceAsync(250);
    expect(events).toEqual(['0 boot down', '210 late down']);
    runner.stop();
  });

  it('a real server is up only when all its checkers are up', async () => {
    const { clock, runner, events } = setup();
    const a = new ScriptedChecker('a');
    const b = new ScriptedChecker('b');
    const pol = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0 });
    runner.apply([
      {
        id: 'rs',
        checkers: [
          { checker: a, policy: pol, timeoutMs: 500 },
          { checker: b, policy: pol, timeoutMs: 500 },
        ],
      },
    ]);
    runner.start();
    await clock.advanceAsync(500);
    a.set(false);
    await clock.advanceAsync(1000); // a fails at 1000 → rs down
    b.set(false);
    await clock.advanceAsync(1000); // at 2000: both down
    a.set(true);
    await clock.advanceAsync(1000); // at 3000: a up, b still down → rs stays down
    b.set(true);
    await clock.advanceAsync(1000); // at 4000: both up → rs up
    expect(events).toEqual(['1000 rs down', '4000 rs up']);
    runner.stop();
  });

  it('alpha keeps the server down until its first success', async () => {
    const { clock, runner, events } = setup();
    const c = new ScriptedChecker('x').set(false);
    runner.apply([
      {
        id: 'rs',
        checkers: [
          {
            checker: c,
            policy: keepalivedPolicy('TCP_CHECK', { alpha: true, delayLoopMs: 1000, warmupMs: 0 }),
            timeoutMs: 500,
          },
        ],
      },
    ]);
    expect(runner.statusOf('rs')?.up).toBe(false);
    runner.start();
    await clock.advanceAsync(2500);
    expect(events).toEqual([]);
    c.set(true);
    await clock.advanceAsync(1000);
    expect(events).toEqual(['3000 rs up']);
    runner.stop();
  });

  it('warmup staggers first checks over [0, warmup)', async () => {
    let i = 0;
    const rnd = [0.1, 0.5, 0.9];
    const { clock, runner } = setup(() => rnd[i++ % 3] as number);
    const cs = [new ScriptedChecker('a'), new ScriptedChecker('b'), new ScriptedChecker('c')];
    runner.apply(
      cs.map((c, j) => ({
        id: `rs${j}`,
        checkers: [{ checker: c, policy: keepalivedPolicy('TCP_CHECK', { delayLoopMs: 10_000 }), timeoutMs: 500 }],
      })),
    );
    runner.start();
    // warmup = delay_loop 10 s → first checks at 1 s, 5 s, 9 s.
    await clock.advanceAsync(1000);
    expect(cs.map((c) => c.calls)).toEqual([1, 0, 0]);
    await clock.advanceAsync(4000);
    expect(cs.map((c) => c.calls)).toEqual([1, 1, 0]);
    await clock.advanceAsync(4000);
    expect(cs.map((c) => c.calls)).toEqual([1, 1, 1]);
    runner.stop();
  });

  it('reload keeps state and schedule of checkers matched by identity: no flap, no extra check', async () => {
    const { clock, runner, events } = setup();
    const pol = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 2, delayBeforeRetryMs: 100, warmupMs: 0 });
    const old = new ScriptedChecker('k');
    const down = new ScriptedChecker('d').set(false);
    runner.apply([
      { id: 'rs1', checkers: [{ checker: old, policy: pol, timeoutMs: 50 }] },
      { id: 'rs2', checkers: [{ checker: down, policy: { ...pol, retry: 0 }, timeoutMs: 50 }] },
    ]);
    runner.start();
    await clock.advanceAsync(500);
    expect(events).toEqual(['0 rs2 down']);
    old.set(false);
    await clock.advanceAsync(500); // rs1 fails once at 1000: retry_it 1
    expect(runner.statusOf('rs1')?.checkers[0]?.state.retryIt).toBe(1);
    // New objects, same identity (key 'k' / 'd'), alpha on the new config: state must carry over.
    const fresh = new ScriptedChecker('k');
    const fresh2 = new ScriptedChecker('d');
    const alphaPol = { ...pol, alpha: true };
    runner.apply([
      { id: 'rs1', checkers: [{ checker: fresh, policy: alphaPol, timeoutMs: 50 }] },
      { id: 'rs2', checkers: [{ checker: fresh2, policy: { ...alphaPol, retry: 0 }, timeoutMs: 50 }] },
    ]);
    expect(runner.statusOf('rs1')).toMatchObject({ up: true });
    expect(runner.statusOf('rs1')?.checkers[0]?.state.retryIt).toBe(1);
    expect(runner.statusOf('rs2')).toMatchObject({ up: false });
    // The pending retry (at 1100) runs with the new checker object: it succeeds → still up, counter reset.
    // rs2 keeps its delay_loop schedule (0, 1000, 2000): the new object first runs at 2000 and succeeds.
    await clock.advanceAsync(100);
    expect(fresh.calls).toBe(1);
    expect(old.calls).toBe(2);
    expect(runner.statusOf('rs1')?.checkers[0]?.state.retryIt).toBe(0);
    await clock.advanceAsync(1000);
    expect(events).toEqual(['0 rs2 down', '2000 rs2 up']);
    runner.stop();
  });

  it('reload: removing the only failing checker brings the server up with cause reload', async () => {
    const { clock, runner, rsEvents } = setup();
    const pol = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0 });
    const good = new ScriptedChecker('g');
    const bad = new ScriptedChecker('b').set(false);
    runner.apply([
      {
        id: 'rs',
        checkers: [
          { checker: good, policy: pol, timeoutMs: 50 },
          { checker: bad, policy: pol, timeoutMs: 50 },
        ],
      },
    ]);
    runner.start();
    await clock.advanceAsync(10);
    runner.apply([{ id: 'rs', checkers: [{ checker: good, policy: pol, timeoutMs: 50 }] }]);
    expect(rsEvents.map((e) => [e.up, e.cause === 'reload' ? 'reload' : 'check'])).toEqual([
      [false, 'check'],
      [true, 'reload'],
    ]);
    const before = bad.calls;
    await clock.advanceAsync(5000);
    expect(bad.calls).toBe(before); // retired checker no longer runs
    runner.stop();
  });

  it('rejects an invalid configuration as a whole and keeps the old one', async () => {
    const { runner } = setup();
    const pol = keepalivedPolicy('TCP_CHECK');
    runner.apply([{ id: 'keep', checkers: [] }]);
    expect(() =>
      runner.apply([
        { id: 'x', checkers: [{ checker: new ScriptedChecker('a'), policy: pol, timeoutMs: 0 }] },
        { id: 'x', checkers: [] },
      ]),
    ).toThrow(
      expect.objectContaining({
        code: 'HEALTH_INVALID_CONFIG',
        issues: expect.arrayContaining([expect.objectContaining({ code: 'HEALTH_DUPLICATE_ID' })]),
      }),
    );
    expect(runner.status().map((s) => s.id)).toEqual(['keep']);
  });

  it('MISC dynamic weight is reported as weightChanged', async () => {
    const { clock, runner } = setup();
    const weights: (number | null)[] = [];
    runner.on('weightChanged', (e) => weights.push(e.weight));
    const c = new ScriptedChecker('m').set(true, 8);
    runner.apply([
      {
        id: 'rs',
        checkers: [
          { checker: c, policy: keepalivedPolicy('MISC_CHECK', { delayLoopMs: 1000, warmupMs: 0 }), timeoutMs: 500 },
        ],
      },
    ]);
    runner.start();
    await clock.advanceAsync(1500);
    c.set(true);
    await clock.advanceAsync(1000);
    expect(weights).toEqual([8, null]);
    runner.stop();
  });

  it('a flap damper holds a flapping server down, then releases it', async () => {
    const { clock, runner, events } = setup();
    const c = new ScriptedChecker('f');
    runner.apply([
      {
        id: 'rs',
        checkers: [
          {
            checker: c,
            policy: keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0 }),
            timeoutMs: 100,
          },
        ],
        damper: { penalty: 1000, suppressAt: 2000, reuseAt: 750, halfLifeMs: 10_000 },
      },
    ]);
    runner.start();
    for (const ok of [false, true, false, true]) {
      c.set(ok);
      await clock.advanceAsync(1000);
    }
    // fall at 1000 (penalty 1000) → down; rise at 2000 → up; fall at 3000 (penalty ≈ 1000·2^-0.2 + 1000 ≈ 1870.6 < 2000)
    // → down; rise at 4000 → up … the third fall at 5000 crosses 2000 → suppressed.
    c.set(false);
    await clock.advanceAsync(1000);
    c.set(true);
    await clock.advanceAsync(1000);
    expect(events.slice(-1)).toEqual(['5000 rs down']);
    expect(runner.statusOf('rs')?.up).toBe(false); // held down although the checker is up at 6000
    // Released once the penalty decays below 750: penalty p at 5000, wake at 5000 + 10 s · log2(p/750).
    await clock.advanceAsync(20_000);
    expect(runner.statusOf('rs')?.up).toBe(true);
    runner.stop();
  });
});

describe('HealthRunner (ldirectord policy)', () => {
  it('failurecount failures in a row take the real down; the first success adds it', async () => {
    const { clock, runner, events } = setup();
    const c = new ScriptedChecker('n');
    runner.apply([
      {
        id: 'r',
        checkers: [
          { checker: c, policy: ldirectordPolicy({ checkIntervalMs: 1000, failureCount: 3 }), timeoutMs: 500 },
        ],
      },
    ]);
    runner.start();
    await clock.advanceAsync(500);
    expect(events).toEqual(['0 r up']);
    c.set(false);
    await clock.advanceAsync(3000); // failures at 1000, 2000, 3000 → down at 3000
    expect(events).toEqual(['0 r up', '3000 r down']);
    runner.stop();
  });
});
