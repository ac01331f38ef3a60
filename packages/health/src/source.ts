/**
 * `@lvskit/core`'s `HealthSource` port implemented on the runner: the director hands over its real
 * servers, we run the checkers the caller configured for each and report only transitions. Which checkers
 * a target gets is the caller's decision (`checkersFor`); this file holds no policy of its own.
 */
import type { HealthSource, HealthTarget, HealthTransition } from '@lvskit/core';
import type { DamperOptions } from './damper.js';
import { type CheckerSpec, HealthRunner, type HealthRunnerOptions } from './runner.js';

/** Options of {@link createHealthSource}. */
export interface HealthSourceOptions extends HealthRunnerOptions {
  /** The checkers for one real server (none ⇒ it is always up, as in keepalived). */
  checkersFor(target: HealthTarget): readonly CheckerSpec[];
  /** Optional flap damper for every real server. */
  readonly damper?: DamperOptions;
}

/** A HealthSource that also exposes the runner of its current watch (for status and events). */
export interface RunnerHealthSource extends HealthSource {
  /** The runner of the active watch, or null when nothing is watched. */
  readonly runner: HealthRunner | null;
}

const key = (t: HealthTarget) => `${t.service}\u0000${t.address}\u0000${t.port}`;

/**
 * Build a HealthSource: each `watch()` starts a runner over the targets (initial states follow the
 * policies: keepalived servers start up, alpha/ldirectord ones start down and are reported down at once so
 * the director does not send traffic to unproven servers); the returned function stops it.
 */
export function createHealthSource(options: HealthSourceOptions): RunnerHealthSource {
  let active: HealthRunner | null = null;
  return {
    get runner() {
      return active;
    },
    watch(targets, onTransition) {
      const runner = new HealthRunner(options);
      const byId = new Map<string, HealthTarget>();
      for (const t of targets) byId.set(key(t), t);
      runner.apply(
        [...byId].map(([id, t]) => ({
          id,
          checkers: options.checkersFor(t),
          ...(options.damper ? { damper: options.damper } : {}),
        })),
      );
      const report = (id: string, up: boolean, message: string) => {
        const target = byId.get(id);
        if (target) onTransition({ target, up, message } satisfies HealthTransition);
      };
      const offUp = runner.on('realServerUp', (e) =>
        report(e.realServer, true, typeof e.cause === 'string' ? e.cause : e.cause.result.message),
      );
      const offDown = runner.on('realServerDown', (e) =>
        report(e.realServer, false, typeof e.cause === 'string' ? e.cause : e.cause.result.message),
      );
      for (const s of runner.status()) if (!s.up) report(s.id, false, 'not yet checked (alpha)');
      runner.start();
      active = runner;
      return () => {
        offUp();
        offDown();
        runner.stop();
        if (active === runner) active = null;
      };
    },
  };
}
