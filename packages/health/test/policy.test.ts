/**
 * The pure policies against keepalived's and ldirectord's rules, traced by hand from the cited code:
 * keepalived/check/check_tcp.c `tcp_epilog`, ipwrapper.c `migrate_checkers`, ldirectord.in `_service_down`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckerState, CheckPolicy } from '../src/index.js';
import { initialState, keepalivedPolicy, ldirectordPolicy, migrateState, step, validatePolicy } from '../src/index.js';

function run(p: CheckPolicy, results: boolean[], s0: CheckerState = initialState(p)) {
  let s = s0;
  return results.map((ok) => {
    const o = step(p, s, ok);
    s = o.state;
    return { t: o.transition, d: o.delayMs, up: s.up, retryIt: s.retryIt };
  });
}

describe('keepalived policy', () => {
  it('uses the keepalived defaults per checker type (spec §4.1)', () => {
    expect(keepalivedPolicy('TCP_CHECK')).toMatchObject({
      delayLoopMs: 60_000,
      retry: 1,
      delayBeforeRetryMs: 1000,
      warmupMs: 60_000,
    });
    expect(keepalivedPolicy('HTTP_GET')).toMatchObject({ retry: 1, delayBeforeRetryMs: 3000, downDelay: 'max' });
    expect(keepalivedPolicy('DNS_CHECK', { delayLoopMs: 7000 })).toMatchObject({ retry: 3, delayBeforeRetryMs: 7000 });
    expect(keepalivedPolicy('MISC_CHECK')).toMatchObject({ retry: 0 });
  });

  it('goes down after retry+1 consecutive failures, retrying at delay_before_retry', () => {
    // retry 2: failure 1 → retry_it 1 (dbr), failure 2 → retry_it 2 (dbr), failure 3 → retry_it >= retry → DOWN.
    const p = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 10_000, retry: 2, delayBeforeRetryMs: 500 });
    expect(run(p, [true, false, false, false, false])).toEqual([
      { t: null, d: 10_000, up: true, retryIt: 0 },
      { t: null, d: 500, up: true, retryIt: 1 },
      { t: null, d: 500, up: true, retryIt: 2 },
      { t: 'down', d: 10_000, up: false, retryIt: 0 },
      { t: null, d: 10_000, up: false, retryIt: 0 },
    ]);
  });

  it('a success between failures resets the retry counter', () => {
    const p = keepalivedPolicy('TCP_CHECK', { retry: 1 });
    // Started from a reload-added state (retry_it 0): fail → retry_it 1; success → 0; fail → 1; fail → DOWN.
    const r = run(p, [false, true, false, false], initialState(p, false));
    expect(r.map((x) => x.t)).toEqual([null, null, null, 'down']);
  });

  it('at startup one failure is enough (check_data.c: retry_it = retry when not reloading)', () => {
    const p = keepalivedPolicy('TCP_CHECK', { retry: 3 });
    expect(initialState(p)).toMatchObject({ up: true, retryIt: 3 });
    expect(run(p, [false]).map((x) => x.t)).toEqual(['down']);
    // A first success resets the counter: later failures get their retries again.
    expect(run(p, [true, false, false, false, false]).map((x) => x.t)).toEqual([null, null, null, null, 'down']);
  });

  it('comes back up on the first success', () => {
    const p = keepalivedPolicy('TCP_CHECK', { retry: 0 });
    expect(run(p, [false, true]).map((x) => x.t)).toEqual(['down', 'up']);
  });

  it('alpha starts down, a failure before the first success changes nothing, success brings it up', () => {
    const p = keepalivedPolicy('TCP_CHECK', { alpha: true, retry: 1 });
    expect(initialState(p).up).toBe(false);
    expect(run(p, [false, false, true]).map((x) => x.t)).toEqual([null, null, 'up']);
  });

  it('HTTP while down waits max(delay_before_retry, delay_loop) (check_http.c epilog)', () => {
    const p = keepalivedPolicy('HTTP_GET', { delayLoopMs: 1000, delayBeforeRetryMs: 5000, retry: 0 });
    expect(run(p, [false, false]).map((x) => x.d)).toEqual([1000, 5000]);
  });

  it('migrate keeps the verdict; a down checker needs only one more failure', () => {
    const p = keepalivedPolicy('TCP_CHECK', { retry: 3 });
    const down: CheckerState = { up: false, hasRun: true, retryIt: 0, okStreak: 0 };
    expect(migrateState(p, down)).toEqual({ up: false, hasRun: true, retryIt: 4, okStreak: 0 });
    const upWithRetries: CheckerState = { up: true, hasRun: true, retryIt: 2, okStreak: 0 };
    const p1 = keepalivedPolicy('TCP_CHECK', { retry: 1 });
    // old retry_it 2 >= new retry 1 → retry_it = 1: next failure takes it down.
    expect(migrateState(p1, upWithRetries).retryIt).toBe(1);
    expect(step(p1, migrateState(p1, upWithRetries), false).transition).toBe('down');
  });

  it('property: once it has passed, a checker goes down after exactly retry+1 failures in a row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), (retry) => {
        const p = keepalivedPolicy('TCP_CHECK', { retry });
        const r = run(p, [true, ...Array(retry + 1).fill(false)]).slice(1);
        return r.slice(0, retry).every((x) => x.t === null) && r[retry]?.t === 'down';
      }),
    );
  });

  it('rejects bad values with HEALTH_INVALID_CONFIG', () => {
    expect(() => keepalivedPolicy('TCP_CHECK', { retry: -1 })).toThrow(
      expect.objectContaining({ code: 'HEALTH_INVALID_CONFIG' }),
    );
    expect(() => validatePolicy({ kind: 'ldirectord', checkIntervalMs: 0, failureCount: 1 }, [])).toThrow(
      /checkIntervalMs/,
    );
  });
});

describe('ldirectord policy', () => {
  it('starts down, one success adds, failurecount consecutive failures remove, success resets', () => {
    const p = ldirectordPolicy({ failureCount: 3 });
    // ldirectord.in: _service_down returns early while down; failcount++ while up; removed at >= failurecount.
    expect(run(p, [false, true, false, false, true, false, false, false]).map((x) => x.t)).toEqual([
      null,
      'up',
      null,
      null,
      null,
      null,
      null,
      'down',
    ]);
    expect(run(p, [true]).map((x) => x.d)).toEqual([10_000]);
  });
});

describe('rise/fall policy', () => {
  it('needs rise successes to go up and fall failures to go down', () => {
    const p: CheckPolicy = { kind: 'riseFall', intervalMs: 1000, rise: 2, fall: 3 };
    expect(run(p, [true, true, false, false, true, false, false, false]).map((x) => x.t)).toEqual([
      null,
      'up',
      null,
      null,
      null,
      null,
      null,
      'down',
    ]);
  });
});
