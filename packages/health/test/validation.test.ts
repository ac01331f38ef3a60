/**
 * Issue #11 for health, one regression test per defect: delays Node cannot hold (item 2), typos accepted
 * (item 6), wrong shapes crashing with raw errors (item 9), and the messages (item 10) — every issue at once,
 * paths and key names as the user wrote them, the bad value in the message, no NUL byte, IPv6 in brackets,
 * LvsError exported from the package entry.
 */
import { LvsError as BaseLvsError, type LvsIssue } from '@lvskit/base';
import { FakeClock } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import {
  FakeDirector,
  HealthDirector,
  HealthRunner,
  keepalivedChecker,
  keepalivedPolicy,
  LvsError,
  ldirectordChecker,
  parseHttpResponse,
  ScriptedChecker,
  validateKeepalivedTiming,
  validatePolicy,
  validateServices,
} from '../src/index.js';

const scope = { address: '10.0.0.1', port: 80 };
const TOO_LONG_S = 2 ** 31 / 1000; // 2^31 ms, in keepalived/ldirectord seconds

/** The LvsError a call throws (fails the test when it returns or throws anything else). */
function refusal(fn: () => unknown): BaseLvsError {
  try {
    fn();
  } catch (err) {
    expect(BaseLvsError.is(err), `threw ${String(err)}`).toBe(true);
    return err as BaseLvsError;
  }
  throw new Error('expected an LvsError, the call succeeded');
}

const byPath = (issues: readonly LvsIssue[]) => Object.fromEntries(issues.map((i) => [i.path.join('.'), i]));

describe('delays a timer cannot hold are refused at validation (issue 11 item 2)', () => {
  it.each(['delay_loop', 'connect_timeout', 'delay_before_retry', 'warmup'] as const)(
    'keepalived %s of 2^31 ms → TIMER_RANGE with the limit',
    (key) => {
      const e = refusal(() => keepalivedChecker({ type: 'TCP_CHECK', [key]: TOO_LONG_S }, scope));
      expect(e.code).toBe('TIMER_RANGE');
      expect(e.issues).toEqual([expect.objectContaining({ path: [key], code: 'TIMER_RANGE' })]);
      expect(e.message).toContain(key);
      expect(e.message).toContain('2147483 s');
    },
  );

  it('MISC_CHECK misc_timeout, and a delay_loop inherited from the virtual server', () => {
    expect(
      refusal(() => keepalivedChecker({ type: 'MISC_CHECK', misc_path: '/bin/true', misc_timeout: TOO_LONG_S }, scope))
        .issues[0],
    ).toMatchObject({ path: ['misc_timeout'], code: 'TIMER_RANGE' });
    const e = refusal(() =>
      keepalivedChecker({ type: 'TCP_CHECK' }, { ...scope, virtualServer: { delay_loop: TOO_LONG_S } }),
    );
    expect(e.issues[0]).toMatchObject({ path: ['virtualServer', 'delay_loop'], code: 'TIMER_RANGE' });
  });

  it.each(['checkinterval', 'checktimeout', 'negotiatetimeout'] as const)('ldirectord %s', (key) => {
    const e = refusal(() =>
      ldirectordChecker({ address: '10.0.0.100', port: 80, [key]: TOO_LONG_S }, { address: '10.0.0.1', port: 80 }),
    );
    expect(e.code).toBe('TIMER_RANGE');
    expect(e.issues[0]?.path).toEqual([key]);
    const g = refusal(() =>
      ldirectordChecker({ address: '10.0.0.100', port: 80 }, { address: '10.0.0.1', port: 80 }, { [key]: TOO_LONG_S }),
    );
    expect(g.issues[0]?.path).toEqual(['global', key]);
  });

  it('policies, runner timeouts and dampers in ms', () => {
    expect(refusal(() => keepalivedPolicy('TCP_CHECK', { delayLoopMs: 2 ** 31 })).code).toBe('TIMER_RANGE');
    expect(
      refusal(() => validatePolicy({ kind: 'riseFall', intervalMs: 2 ** 31, rise: 1, fall: 1 }, ['p'])).issues[0],
    ).toMatchObject({ path: ['p', 'intervalMs'], code: 'TIMER_RANGE' });
    const runner = new HealthRunner({ clock: new FakeClock() });
    const checker = new ScriptedChecker('a');
    const policy = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000 });
    const e = refusal(() => runner.apply([{ id: 'rs', checkers: [{ checker, policy, timeoutMs: 2 ** 31 }] }]));
    expect(e.issues[0]).toMatchObject({ path: [0, 'checkers', 0, 'timeoutMs'], code: 'TIMER_RANGE' });
    const d = refusal(() => runner.apply([{ id: 'rs', checkers: [], damper: { halfLifeMs: 2 ** 31 } }]));
    expect(d.issues[0]).toMatchObject({ path: [0, 'damper', 'halfLifeMs'], code: 'TIMER_RANGE' });
    expect(runner.status()).toEqual([]);
  });

  it('a long flap-damper suppression waits in steps a timer can hold (no TIMER_RANGE at run time)', async () => {
    const clock = new FakeClock();
    const runner = new HealthRunner({ clock, random: () => 0 });
    const c = new ScriptedChecker('a');
    const policy = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0 });
    // A half-life of 20 days: the release lies months ahead, beyond what one timer can hold.
    const damper = { halfLifeMs: 20 * 86_400_000, penalty: 1000, suppressAt: 1500, reuseAt: 10 };
    runner.apply([{ id: 'rs', checkers: [{ checker: c, policy, timeoutMs: 100 }], damper }]);
    runner.start();
    for (const ok of [false, true, false, true, false]) {
      c.set(ok);
      await clock.advanceAsync(1000);
    }
    expect(runner.statusOf('rs')?.up).toBe(false);
    runner.stop();
  });
});

describe('typos and wrong values are coded issues naming key and value (issue 11 item 6)', () => {
  it("an ldirectord service of 'htp'", () => {
    const e = refusal(() =>
      ldirectordChecker(
        { address: '10.0.0.100', port: 80, service: 'htp' as never },
        { address: '10.0.0.1', port: 80 },
      ),
    );
    expect(e.code).toBe('HEALTH_INVALID_CONFIG');
    expect(e.issues).toEqual([expect.objectContaining({ path: ['service'] })]);
    expect(e.issues[0]?.message).toMatch(/service "htp" is not an ldirectord service/);
  });

  it('an unknown ldirectord checktype, key and real-server key', () => {
    const e = refusal(() =>
      ldirectordChecker(
        { address: '10.0.0.100', port: 80, checktype: 'negociate' as never, tcpp: 1 } as never,
        { address: '10.0.0.1', port: 80, wieght: 2 } as never,
      ),
    );
    const p = byPath(e.issues);
    expect(p.checktype?.message).toContain('"negociate"');
    expect(p.tcpp?.message).toContain('unknown key "tcpp"');
    expect(p['real.wieght']?.message).toContain('unknown key "wieght"');
  });

  it('an unknown keepalived checker type, an unknown key, connect_port 70000, null', () => {
    const t = refusal(() => keepalivedChecker({ type: 'TCPCHECK' } as never, scope));
    expect(t.issues).toEqual([expect.objectContaining({ path: ['type'], code: 'HEALTH_INVALID_CONFIG' })]);
    expect(t.message).toContain('"TCPCHECK"');
    const e = refusal(() =>
      keepalivedChecker({ type: 'TCP_CHECK', tcpp: 1, connect_port: 70000, retry: null } as never, scope),
    );
    const p = byPath(e.issues);
    expect(Object.keys(p).sort()).toEqual(['connect_port', 'retry', 'tcpp']);
    expect(p.tcpp?.message).toContain('"tcpp"');
    expect(p.connect_port?.message).toContain('70000');
    expect(p.retry?.message).toContain('null');
    expect(e.issues.every((i) => i.code === 'HEALTH_INVALID_CONFIG')).toBe(true);
  });

  it('the HealthDirector refuses a service whose checker would fail later in the runner', () => {
    const director = new FakeDirector();
    const hd = new HealthDirector({ director, runner: new HealthRunner({ clock: new FakeClock() }) });
    const e = refusal(() =>
      hd.apply([
        {
          id: 'svc',
          mode: 'keepalived',
          realServers: [{ server: { id: 'a', address: '10.0.0.1', port: 80 }, weight: null, checkers: [{}] }],
        } as never,
      ]),
    );
    const p = byPath(e.issues);
    expect(p['0.realServers.0.weight']?.message).toContain('null');
    expect(p['0.realServers.0.checkers.0.checker']).toBeDefined();
    expect(director.log).toEqual([]);
  });
});

describe('wrong shapes are LvsErrors with a code and a path (issue 11 item 9)', () => {
  it('HTTP_GET without url, and a bad regex', () => {
    const u = refusal(() => keepalivedChecker({ type: 'HTTP_GET' } as never, scope));
    expect(u.issues).toEqual([expect.objectContaining({ path: ['url'], code: 'HEALTH_INVALID_CONFIG' })]);
    const r = refusal(() => keepalivedChecker({ type: 'HTTP_GET', url: [{ path: '/', regex: '(' }] }, scope));
    expect(r.issues).toEqual([expect.objectContaining({ path: ['url', 0, 'regex'] })]);
    expect(r.message).toContain('"("');
    const ld = refusal(() =>
      ldirectordChecker({ address: '10.0.0.100', port: 80, receive: '[' }, { address: '10.0.0.1', port: 80 }),
    );
    expect(ld.issues[0]?.path).toEqual(['receive']);
  });

  it('parseHttpResponse throws LvsError, not Error', () => {
    const e = refusal(() => parseHttpResponse(Buffer.from('garbage')));
    expect(e.code).toBe('HEALTH_MALFORMED_REPLY');
    expect(refusal(() => parseHttpResponse(Buffer.from('SMTP 220\r\n\r\n'))).code).toBe('HEALTH_MALFORMED_REPLY');
    expect(refusal(() => parseHttpResponse(undefined as never)).code).toBe('INVALID_ARGUMENT');
  });

  it('runner and director inputs of the wrong shape', () => {
    const runner = new HealthRunner({ clock: new FakeClock() });
    for (const bad of [undefined, null, 1, 'x', {}, [null], [{ id: 'a' }], [{ id: 'a', checkers: [{ checker: 1 }] }]]) {
      expect(refusal(() => runner.apply(bad as never)).code).toMatch(/^HEALTH_/);
    }
    expect(validateServices(null as never)[0]?.code).toBe('HEALTH_INVALID_CONFIG');
    expect(refusal(() => new HealthDirector(null as never)).code).toBe('HEALTH_INVALID_CONFIG');
  });
});

describe('messages (issue 11 item 10)', () => {
  it('every issue of a policy at once, with the bad values', () => {
    const e = refusal(() =>
      validatePolicy(
        {
          kind: 'keepalived',
          delayLoopMs: -1,
          retry: 1.5,
          delayBeforeRetryMs: 'x',
          warmupMs: 0,
          alpha: false,
        } as never,
        [],
      ),
    );
    const p = byPath(e.issues);
    expect(Object.keys(p).sort()).toEqual(['delayBeforeRetryMs', 'delayLoopMs', 'retry']);
    expect(p.delayLoopMs?.message).toContain('-1');
    expect(p.retry?.message).toContain('1.5');
    expect(p.delayBeforeRetryMs?.message).toContain('"x"');
  });

  it('a keepalived block is reported in keepalived keywords, every issue at once', () => {
    const e = refusal(() =>
      keepalivedChecker({ type: 'TCP_CHECK', delay_loop: 0, retry: -2, warmup: -1, connect_timeout: 'x' } as never, {
        ...scope,
        realServer: { delay_before_retry: -3 },
      }),
    );
    expect(e.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'connect_timeout',
      'delay_loop',
      'realServer.delay_before_retry',
      'retry',
      'warmup',
    ]);
    expect(e.message).not.toMatch(/delayLoopMs|warmupMs|delayBeforeRetryMs/);
    expect(byPath(e.issues).retry?.message).toContain('-2');
  });

  it('threshold errors carry the bad value; paths point into the services as given', () => {
    const issues = validateServices([
      { id: 'svc', mode: 'keepalived', quorum: -1, hysteresis: 0.5, realServers: [] },
      {
        id: 'svc2',
        mode: 'keepalived',
        realServers: [
          { server: { id: 'a', address: '10.0.0.1', port: 80 }, weight: 1, checkers: [] },
          { server: { id: 'b', address: '10.0.0.2', port: 80 }, weight: -5, checkers: [] },
        ],
      },
    ]);
    const p = byPath(issues);
    expect(p['0.quorum']?.message).toContain('-1');
    expect(p['0.hysteresis']?.message).toContain('0.5');
    expect(p['1.realServers.1.weight']?.message).toContain('-5');
  });

  it('HealthDirector: no NUL byte, paths into the services (not the runner list), no doubled prefix', () => {
    const hd = new HealthDirector({
      director: new FakeDirector(),
      runner: new HealthRunner({ clock: new FakeClock() }),
    });
    const pol = keepalivedPolicy('TCP_CHECK');
    const e = refusal(() =>
      hd.apply([
        { id: 'one', mode: 'keepalived', realServers: [] },
        {
          id: 'two',
          mode: 'keepalived',
          realServers: [
            {
              server: { id: '10.0.0.1:80', address: '10.0.0.1', port: 80 },
              weight: 1,
              checkers: [
                { checker: new ScriptedChecker('same'), policy: pol, timeoutMs: 100 },
                { checker: new ScriptedChecker('same'), policy: pol, timeoutMs: 0 },
              ],
            },
          ],
        },
      ]),
    );
    expect(e.message).not.toContain('\u0000');
    for (const i of e.issues) expect(i.message).not.toContain('\u0000');
    const p = byPath(e.issues);
    expect(p['1.realServers.0.checkers.1.checker.key']?.code).toBe('HEALTH_DUPLICATE_ID');
    expect(p['1.realServers.0.checkers.1.timeoutMs']?.message).toContain('0');
    expect(e.message.match(/invalid/g)?.length).toBe(1);
  });

  it('IPv6 endpoints are printed with brackets', () => {
    const on = ldirectordChecker({ address: 'fd00::100', port: 80, checktype: 'on' }, { address: 'fd00::1', port: 80 });
    expect(on?.checker.key).toBe('on [fd00::1]:80');
    expect(keepalivedChecker({ type: 'TCP_CHECK' }, { address: 'fd00::1', port: 80 }).checker.key).toBe(
      'TCP_CHECK [fd00::1]:80',
    );
  });

  it('validateKeepalivedTiming reports one timing level where the caller wrote it', () => {
    const issues = validateKeepalivedTiming({ delay_loop: TOO_LONG_S, retry: -1, tcpp: 1 }, [
      'services',
      0,
      'health',
      'timing',
    ]);
    expect(issues.map((i) => [i.path.join('.'), i.code])).toEqual([
      ['services.0.health.timing.tcpp', 'HEALTH_INVALID_CONFIG'],
      ['services.0.health.timing.delay_loop', 'TIMER_RANGE'],
      ['services.0.health.timing.retry', 'HEALTH_INVALID_CONFIG'],
    ]);
    expect(validateKeepalivedTiming({ delay_loop: 6, alpha: true })).toEqual([]);
  });

  it('LvsError is exported from the package entry, as the one base class', () => {
    expect(LvsError).toBe(BaseLvsError);
  });
});
