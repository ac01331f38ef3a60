/**
 * A flap damper as its own pure stream filter (in the spirit of glb-director's HealthResultDampener):
 * up/down verdicts go in with the time, a damped verdict comes out. It follows route-flap damping
 * (RFC 2439 §4.2): every fall adds a penalty that decays exponentially; above `suppressAt` the output is
 * held down until the penalty decays below `reuseAt`. It owns no timers — it says when to call it again.
 */
import { describe, IssueList, LvsError } from '@lvskit/base';
import { checkRecord, duration, positiveNumber, type Shape, throwIssues } from './options.js';

/** Damper tuning. Defaults follow RFC 2439's suggested figures scaled to health checks. */
export interface DamperOptions {
  /** Penalty added by each up→down change (default 1000). */
  readonly penalty?: number;
  /** Suppress when the penalty reaches this (default 2000: the second quick fall suppresses). */
  readonly suppressAt?: number;
  /** Release when the penalty decays below this (default 750). */
  readonly reuseAt?: number;
  /** Penalty half-life in ms (default 60 s). */
  readonly halfLifeMs?: number;
}

/** Damper state; treat as opaque. */
export interface DamperState {
  readonly penalty: number;
  readonly at: number;
  readonly input: boolean | null;
  readonly suppressed: boolean;
}

/** One damper step's output. */
export interface DamperOutput {
  readonly state: DamperState;
  /** The damped verdict. */
  readonly up: boolean;
  /** When suppressed: the time at which {@link dampTick} can release it. */
  readonly wakeAt: number | null;
}

/** Resolved damper options. */
export type DamperConfig = Required<DamperOptions>;

const DAMPER: Shape = {
  penalty: positiveNumber,
  suppressAt: positiveNumber,
  reuseAt: positiveNumber,
  halfLifeMs: duration(1, false),
};

/**
 * Validate and fill defaults.
 * @throws LvsError `HEALTH_INVALID_CONFIG` (paths `['damper', key]`, every issue at once) or `TIMER_RANGE`
 */
export function damperConfig(o: DamperOptions = {}): DamperConfig {
  const issues = new IssueList();
  checkRecord(o, DAMPER, ['damper'], issues, 'damper options');
  throwIssues(issues, 'invalid damper');
  const c: DamperConfig = {
    penalty: o.penalty ?? 1000,
    suppressAt: o.suppressAt ?? 2000,
    reuseAt: o.reuseAt ?? 750,
    halfLifeMs: o.halfLifeMs ?? 60_000,
  };
  if (c.reuseAt >= c.suppressAt) {
    issues.add(
      ['damper', 'reuseAt'],
      'HEALTH_INVALID_CONFIG',
      `reuseAt (${c.reuseAt}) must be below suppressAt (${c.suppressAt})`,
    );
  }
  throwIssues(issues, 'invalid damper');
  return c;
}

function needDamper(c: DamperConfig, s: DamperState | undefined, now: number, what: string): void {
  const ok =
    typeof c === 'object' &&
    c !== null &&
    typeof c.halfLifeMs === 'number' &&
    typeof c.penalty === 'number' &&
    (s === undefined ||
      (typeof s === 'object' && s !== null && typeof s.penalty === 'number' && typeof s.at === 'number')) &&
    typeof now === 'number' &&
    Number.isFinite(now);
  if (!ok) {
    throw new LvsError(
      'INVALID_ARGUMENT',
      `${what}: needs a damperConfig, a damper state and a finite time, got ${describe([c, s, now])}`,
    );
  }
}

/** A fresh damper. */
export function damperInit(now: number): DamperState {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new LvsError('INVALID_ARGUMENT', `damperInit: now must be a finite number, got ${describe(now)}`);
  }
  return { penalty: 0, at: now, input: null, suppressed: false };
}

function decay(c: DamperConfig, s: DamperState, now: number): number {
  const dt = Math.max(0, now - s.at);
  return s.penalty * 2 ** (-dt / c.halfLifeMs);
}

function wake(c: DamperConfig, penalty: number, now: number): number {
  // Time for penalty to decay to reuseAt: halfLife · log2(penalty / reuseAt), rounded up by 1 ms.
  return now + Math.ceil(c.halfLifeMs * Math.log2(penalty / c.reuseAt)) + 1;
}

/** Feed a raw verdict at `now`. */
export function dampStep(c: DamperConfig, s: DamperState, up: boolean, now: number): DamperOutput {
  needDamper(c, s, now, 'dampStep');
  if (typeof up !== 'boolean')
    throw new LvsError('INVALID_ARGUMENT', `dampStep: up must be true or false, got ${describe(up)}`);
  let penalty = decay(c, s, now);
  if (s.input === true && !up) penalty += c.penalty;
  let suppressed = s.suppressed;
  if (!suppressed && penalty >= c.suppressAt) suppressed = true;
  else if (suppressed && penalty < c.reuseAt) suppressed = false;
  const state: DamperState = { penalty, at: now, input: up, suppressed };
  return { state, up: up && !suppressed, wakeAt: suppressed ? wake(c, penalty, now) : null };
}

/** Re-evaluate with no new input (call at `wakeAt`). */
export function dampTick(c: DamperConfig, s: DamperState, now: number): DamperOutput {
  needDamper(c, s, now, 'dampTick');
  const penalty = decay(c, s, now);
  const suppressed = s.suppressed && penalty >= c.reuseAt;
  const state: DamperState = { penalty, at: now, input: s.input, suppressed };
  return { state, up: s.input === true && !suppressed, wakeAt: suppressed ? wake(c, penalty, now) : null };
}
