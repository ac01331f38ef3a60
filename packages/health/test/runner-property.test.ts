/**
 * Property tests of the runner over random result sequences (fake clock, scripted checkers): real-server
 * transitions strictly alternate and never repeat, and the server's verdict always equals "every checker
 * is up" in the runner's own status — for keepalived, ldirectord and rise/fall policies.
 */

import { FakeClock } from '@lvskit/base/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CheckPolicy, HealthRunner, keepalivedPolicy, ldirectordPolicy, ScriptedChecker } from '../src/index.js';

const policies: [string, CheckPolicy][] = [
  ['keepalived', keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 2, delayBeforeRetryMs: 300, warmupMs: 0 })],
  ['keepalived alpha', keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0, alpha: true })],
  ['ldirectord', ldirectordPolicy({ checkIntervalMs: 1000, failureCount: 2 })],
  ['riseFall', { kind: 'riseFall', intervalMs: 1000, rise: 2, fall: 2 }],
];

describe.each(policies)('runner properties (%s)', (_name, policy) => {
  it('transitions alternate and the verdict is the AND of the checkers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 25 }),
        async (steps) => {
          const clock = new FakeClock();
          const runner = new HealthRunner({ clock, random: () => 0 });
          const a = new ScriptedChecker('a');
          const b = new ScriptedChecker('b');
          runner.apply([
            {
              id: 'rs',
              checkers: [
                { checker: a, policy, timeoutMs: 100 },
                { checker: b, policy, timeoutMs: 100 },
              ],
            },
          ]);
          const seen: boolean[] = [];
          runner.on('realServerUp', () => seen.push(true));
          runner.on('realServerDown', () => seen.push(false));
          let last = runner.statusOf('rs')?.up as boolean;
          runner.start();
          for (const [okA, okB] of steps) {
            a.set(okA);
            b.set(okB);
            await clock.advanceAsync(1000);
            const st = runner.statusOf('rs');
            expect(st?.up).toBe(st?.checkers.every((c) => c.state.up));
          }
          runner.stop();
          for (const up of seen) {
            expect(up).toBe(!last);
            last = up;
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
