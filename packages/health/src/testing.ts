/**
 * Fakes for tests (ours and users'): a manual clock implementing {@link HealthClock}, a scripted checker,
 * and an in-memory director. They hold no real timers or sockets and must never be used in production paths.
 */
import type { DirectorPort, RealServerRef } from './director.js';
import type { Checker, CheckResult, HealthClock } from './types.js';

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told; `advance` fires due timers in time order and lets promises settle. */
export class FakeClock implements HealthClock {
  #now: number;
  #seq = 0;
  #timers = new Set<FakeTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t: FakeTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as FakeTimer);
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due, each at its own time. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.#timers)
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.#timers.delete(next);
      this.#now = next.at;
      next.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A checker whose results are set by the test: `set(ok)` for a steady answer, or `hang()` to never answer
 * (it then resolves only when aborted if `honourAbort`).
 */
export class ScriptedChecker implements Checker {
  readonly kind: string;
  readonly key: string;
  /** How many times check() was called. */
  calls = 0;
  #answer: CheckResult | 'hang' = { ok: true, message: 'ok', durationMs: 0 };
  #honourAbort: boolean;

  constructor(key = 'scripted', kind = 'SCRIPTED', options: { honourAbort?: boolean } = {}) {
    this.key = key;
    this.kind = kind;
    this.#honourAbort = options.honourAbort ?? true;
  }

  /** Answer `ok` (and optionally a dynamic weight) from now on. */
  set(ok: boolean, weight?: number): this {
    this.#answer =
      weight === undefined
        ? { ok, message: ok ? 'ok' : 'failed', durationMs: 0 }
        : { ok, message: ok ? 'ok' : 'failed', durationMs: 0, weight };
    return this;
  }

  /** Never answer from now on. */
  hang(): this {
    this.#answer = 'hang';
    return this;
  }

  check(signal: AbortSignal): Promise<CheckResult> {
    this.calls++;
    const a = this.#answer;
    if (a !== 'hang') return Promise.resolve(a);
    return new Promise((resolve) => {
      if (this.#honourAbort) {
        signal.addEventListener('abort', () => resolve({ ok: false, message: 'aborted', durationMs: 0 }), {
          once: true,
        });
      }
    });
  }
}

/** One operation the fake director received. */
export type DirectorOp =
  | { readonly op: 'add'; readonly service: string; readonly server: string; readonly weight: number }
  | { readonly op: 'remove'; readonly service: string; readonly server: string }
  | { readonly op: 'weight'; readonly service: string; readonly server: string; readonly weight: number };

/** An in-memory director: a table service → server → weight, plus the log of operations. */
export class FakeDirector implements DirectorPort {
  readonly log: DirectorOp[] = [];
  readonly table = new Map<string, Map<string, number>>();

  #svc(service: string): Map<string, number> {
    let m = this.table.get(service);
    if (!m) {
      m = new Map();
      this.table.set(service, m);
    }
    return m;
  }

  addRealServer(service: string, server: RealServerRef, weight: number): void {
    this.log.push({ op: 'add', service, server: server.id, weight });
    this.#svc(service).set(server.id, weight);
  }

  removeRealServer(service: string, server: RealServerRef): void {
    this.log.push({ op: 'remove', service, server: server.id });
    this.#svc(service).delete(server.id);
  }

  setWeight(service: string, server: RealServerRef, weight: number): void {
    this.log.push({ op: 'weight', service, server: server.id, weight });
    this.#svc(service).set(server.id, weight);
  }

  /** The servers of `service` with their weights, sorted by id. */
  weights(service: string): Record<string, number> {
    return Object.fromEntries([...(this.table.get(service) ?? new Map<string, number>())].sort());
  }
}
