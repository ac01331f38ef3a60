/**
 * @lvskit/base/testing — the one fake clock and the fake command runner, for lvskit's own tests and users'.
 * One `FakeClock` drives every package of a director: core, health, VRRP and the datapath all take a
 * `Clock`. Test support only: never imported by production code, never touches real timers or processes.
 * @packageDocumentation
 */
import { type Clock, checkDelay, type TimerHandle } from './clock.js';
import type { CommandOptions, CommandOutcome, CommandRunner } from './command.js';

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

/** Lets pending promise callbacks and I/O callbacks of already-settled work run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A clock that moves only when told to. Timers fire in due order (equal times in the order they were set),
 * each at its own time, during {@link FakeClock.advance} (synchronous code) or
 * {@link FakeClock.advanceAsync} (code that awaits between timers, such as health checks). It refuses the
 * delays the system clock refuses, so a test catches them too.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  // A binary min-heap on (at, seq); cancelled timers are dropped lazily when they reach the top.
  #heap: FakeTimer[] = [];
  #live = 0;

  /** @param start - initial time in ms (default 0) */
  constructor(start = 0) {
    this.#now = start;
  }

  /** Current time, ms. */
  now(): number {
    return this.#now;
  }

  /** Schedules `callback` at `now + delayMs`. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const t: FakeTimer = { at: this.#now + checkDelay(delayMs), seq: this.#seq++, fn: callback, live: true };
    this.#push(t);
    this.#live++;
    return {
      cancel: () => {
        if (t.live) {
          t.live = false;
          this.#live--;
        }
      },
    };
  }

  /** Timers still pending (set, neither fired nor cancelled). */
  get pending(): number {
    return this.#live;
  }

  /** When the next pending timer falls due, or `undefined`. */
  get nextAt(): number | undefined {
    this.#dropDead();
    return this.#heap[0]?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, in order, at its own time (timers they
   * set fire too, when due before the end).
   */
  advance(ms: number): void {
    const end = this.#now + checkDelay(ms, 'advance');
    for (let t = this.#takeDue(end); t; t = this.#takeDue(end)) {
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    this.#now = end;
  }

  /**
   * As {@link FakeClock.advance}, but lets promises settle before the first timer, after each timer and at
   * the end, so code that awaits (checkers, scripts, async ports) makes progress at each simulated instant.
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.#now + checkDelay(ms, 'advance');
    await settle();
    for (let t = this.#takeDue(end); t; t = this.#takeDue(end)) {
      this.#now = Math.max(this.#now, t.at);
      t.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  #takeDue(end: number): FakeTimer | undefined {
    this.#dropDead();
    const top = this.#heap[0];
    if (!top || top.at > end) return undefined;
    this.#pop();
    top.live = false;
    this.#live--;
    return top;
  }

  #dropDead(): void {
    while (this.#heap.length > 0 && !this.#heap[0]!.live) this.#pop();
  }

  static #less(a: FakeTimer, b: FakeTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(t: FakeTimer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!FakeClock.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && FakeClock.#less(h[l]!, h[m]!)) m = l;
      if (r < h.length && FakeClock.#less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** One call a {@link FakeCommandRunner} received. */
export interface CommandCall {
  /** The argv. */
  readonly argv: readonly string[];
  /** The options given. */
  readonly options: CommandOptions;
}

/**
 * A command runner that runs nothing: it records every call and answers from a handler (default: exit 0,
 * no output). `runner` is the {@link CommandRunner} to inject.
 */
export class FakeCommandRunner {
  /** Every call so far, in order. */
  readonly calls: CommandCall[] = [];
  #handler: (argv: readonly string[]) => Partial<CommandOutcome> | Promise<Partial<CommandOutcome>>;

  /** @param handler - the answer for each argv (missing fields: code 0, empty output, not timed out) */
  constructor(
    handler: (argv: readonly string[]) => Partial<CommandOutcome> | Promise<Partial<CommandOutcome>> = () => ({}),
  ) {
    this.#handler = handler;
  }

  /** Replaces the handler. */
  answer(handler: (argv: readonly string[]) => Partial<CommandOutcome> | Promise<Partial<CommandOutcome>>): this {
    this.#handler = handler;
    return this;
  }

  /** The runner to inject. */
  readonly runner: CommandRunner = async (argv, options = {}) => {
    this.calls.push({ argv: [...argv], options });
    const r = await this.#handler(argv);
    return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut: r.timedOut ?? false };
  };
}
