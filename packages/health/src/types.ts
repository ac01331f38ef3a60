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
  try {
    return String(err);
  } catch {
    return Object.prototype.toString.call(err); // e.g. an object without a prototype
  }
}
