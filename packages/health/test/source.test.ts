/**
 * The HealthSource port of @lvskit/core implemented on the runner: transitions only, alpha servers
 * reported down at once, stop ends checking. Driven by a fake clock and scripted checkers.
 */
import type { HealthSource, HealthTransition } from '@lvskit/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createHealthSource, FakeClock, keepalivedPolicy, ScriptedChecker } from '../src/index.js';

describe('createHealthSource', () => {
  it('reports only transitions for the watched targets and stops', async () => {
    const clock = new FakeClock();
    const checkers = new Map<string, ScriptedChecker>();
    const src = createHealthSource({
      clock,
      random: () => 0,
      checkersFor: (t) => {
        const c = new ScriptedChecker(`tcp ${t.address}`);
        checkers.set(t.address, c);
        const alpha = t.address === '10.0.0.3';
        return [
          {
            checker: c,
            policy: keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0, alpha }),
            timeoutMs: 100,
          },
        ];
      },
    });
    expectTypeOf(src).toMatchTypeOf<HealthSource>();
    const seen: HealthTransition[] = [];
    const stop = src.watch(
      [
        { service: 'web', address: '10.0.0.1', port: 80 },
        { service: 'web', address: '10.0.0.2', port: 80 },
        { service: 'web', address: '10.0.0.3', port: 80 },
      ],
      (t) => seen.push(t),
    );
    expect(seen.map((t) => `${t.target.address} ${t.up}`)).toEqual(['10.0.0.3 false']);
    checkers.get('10.0.0.2')?.set(false);
    await clock.advance(500);
    expect(seen.map((t) => `${t.target.address} ${t.up}`)).toEqual([
      '10.0.0.3 false',
      '10.0.0.2 false',
      '10.0.0.3 true',
    ]);
    stop();
    expect(src.runner).toBeNull();
    const calls = checkers.get('10.0.0.1')?.calls;
    await clock.advance(5000);
    expect(checkers.get('10.0.0.1')?.calls).toBe(calls);
  });
});
