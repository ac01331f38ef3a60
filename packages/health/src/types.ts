/**
 * The contracts shared by checkers and the runner: what a check returns, what a checker is, and the clock
 * port the runner is driven by. Pure types plus two tiny helpers; nothing here opens a socket or a timer.
 */

/** What one health check found. A checker returns this and never throws. */
export interface CheckResult {
  /** True when the real server answered as required. */
  readonly ok: boolean;
  /** Why, for a person (and for logs / notify scripts). */
  readonly message: string;
  /** Wall time the check took, in milliseconds. */
  readonly durationMs: number;
  /**
   * keepalived MISC_CHECK with `misc_dynamic`: the weight the script asked for (exit status − 2), if any.
   * @see keepalived/check/check_misc.c `misc_check_child_thread`
   */
  readonly weight?: number;
}

/** A protocol probe against one real server. It must honour `signal` and must never throw or reject. */
export interface Checker {
  /** Short protocol name for messages and events, e.g. `TCP_CHECK`, `HTTP_GET`, `ldirectord:mysql`. */
  readonly kind: string;
  /**
   * Identity used to carry state across a reload (keepalived `compare` in `migrate_checkers`): two checkers
   * with the same key on the same real server are the same checker.
   */
  readonly key: string;
  /** Run one check. The runner aborts `signal` when the timeout expires. */
  check(signal: AbortSignal): Promise<CheckResult>;
}

/** Time source and timers; the runner never touches `Date.now()` or the global timers itself. */
export interface HealthClock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Schedule `fn` after `ms`; returns a handle for {@link HealthClock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a handle returned by {@link HealthClock.setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: `performance.now()` and Node's timers. Timers keep the process alive while the runner
 * runs (a health checker is usually the reason a daemon lives); `stop()` clears them.
 */
export const systemClock: HealthClock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    return setTimeout(fn, ms);
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Build a result; `started` is a `performance.now()` reading taken when the check began. */
export function result(ok: boolean, message: string, started: number, weight?: number): CheckResult {
  const durationMs = Math.max(0, performance.now() - started);
  return weight === undefined ? { ok, message, durationMs } : { ok, message, durationMs, weight };
}

/** The message of anything thrown, without trusting its shape. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
