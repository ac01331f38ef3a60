/**
 * The one clock of lvskit: milliseconds on a monotonic scale, and one-shot timers. Every timer in every
 * package goes through a {@link Clock}, so one `FakeClock` (`@lvskit/base/testing`) drives a whole director
 * in a test, and a delay Node cannot hold is refused here instead of firing every millisecond (Node clamps
 * a `setTimeout` delay ≥ 2^31 ms to 1 ms). This file must never read the wall clock for scheduling.
 */

import { describe } from './address.js';
import { LvsError } from './errors.js';

/** The longest delay a Node timer holds: 2^31 − 1 ms (about 24.8 days). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A cancellable one-shot timer. */
export interface TimerHandle {
  /** Cancels the timer; calling it twice, or after it fired, is harmless. */
  cancel(): void;
}

/**
 * Time as lvskit sees it. Production uses {@link systemClock}; tests use `FakeClock` from
 * `@lvskit/base/testing` and advance it by hand.
 */
export interface Clock {
  /** Milliseconds, monotonic non-decreasing, any epoch; may carry a fraction. */
  now(): number;
  /**
   * Calls `callback` once after `delayMs` milliseconds of this clock's time. A delay below 0 counts as 0.
   * @throws LvsError `TIMER_RANGE` when `delayMs` exceeds {@link MAX_TIMER_DELAY_MS}, `INVALID_ARGUMENT`
   *   when it is not a number
   */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
}

/**
 * Checks a delay before it reaches a timer, and returns it (negative → 0). Validation calls this too, so a
 * configured interval Node cannot hold is refused when the configuration is checked, with the limit.
 * @param delayMs - the delay
 * @param what - how the user wrote it, for the message (e.g. `delay_loop`)
 * @throws LvsError `TIMER_RANGE` or `INVALID_ARGUMENT`
 */
export function checkDelay(delayMs: number, what = 'delay'): number {
  if (typeof delayMs !== 'number' || Number.isNaN(delayMs)) {
    throw new LvsError('INVALID_ARGUMENT', `${what} is not a number of milliseconds: ${describe(delayMs)}`);
  }
  if (delayMs > MAX_TIMER_DELAY_MS) {
    throw new LvsError(
      'TIMER_RANGE',
      `${what} of ${delayMs} ms is longer than a timer can hold (at most ${MAX_TIMER_DELAY_MS} ms, about 24.8 days)`,
    );
  }
  return Math.max(delayMs, 0);
}

/**
 * The real clock: `performance.now()` and Node's timers. Timers keep the process alive until they fire or
 * are cancelled (a director's `stop()` cancels its own).
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, delayMs) {
    const t = setTimeout(callback, checkDelay(delayMs));
    return { cancel: () => clearTimeout(t) };
  },
};
