/**
 * The health runner: policy around protocol. It owns when each checker runs (interval, warmup stagger,
 * retries), the timeout (an AbortSignal plus a race, so a checker that ignores the signal still cannot
 * stall it), the up/down state of every checker and real server, carrying that state across reloads, and
 * it emits only transitions. Decisions are made by the pure functions in policy.ts and damper.ts; this file
 * is the async shell. It never opens sockets itself and never reads the wall clock except through
 * `Clock` (`@lvskit/base`).
 */
import {
  type Clock,
  describe,
  IssueList,
  MAX_TIMER_DELAY_MS,
  systemClock,
  type TimerHandle,
  TypedEmitter,
} from '@lvskit/base';
import {
  type DamperConfig,
  type DamperOptions,
  type DamperState,
  damperConfig,
  damperInit,
  dampStep,
  dampTick,
} from './damper.js';
import {
  arrayOf,
  checkOptions,
  checkRecord,
  duration,
  each,
  fn,
  isRecord,
  type Path,
  type Rule,
  required,
  rule,
  type Shape,
  text,
  throwIssues,
} from './options.js';
import {
  type CheckerState,
  type CheckPolicy,
  firstDelay,
  initialState,
  migrateState,
  policyIssues,
  step,
} from './policy.js';
import { type Checker, type CheckResult, errorMessage } from './types.js';

/** One checker on one real server, with its policy and timeout. */
export interface CheckerSpec {
  readonly checker: Checker;
  readonly policy: CheckPolicy;
  /** keepalived `connect_timeout` (default 5 s) / ldirectord `checktimeout` or `negotiatetimeout`. */
  readonly timeoutMs: number;
}

/** A real server the runner watches. */
export interface RealServerHealthSpec {
  /** Stable identity, e.g. `10.0.0.1:80` under its virtual service. */
  readonly id: string;
  /** Every checker; the real server is up only when all are up. No checkers ⇒ always up (keepalived). */
  readonly checkers: readonly CheckerSpec[];
  /** Optional flap damper applied to the real server's verdict. */
  readonly damper?: DamperOptions;
}

/** Emitted when a checker's verdict changes. */
export interface CheckerTransition {
  readonly realServer: string;
  readonly checker: string;
  readonly kind: string;
  readonly up: boolean;
  readonly result: CheckResult;
  readonly at: number;
}

/** Emitted when a real server's verdict changes. */
export interface RealServerTransition {
  readonly realServer: string;
  readonly up: boolean;
  /** The checker change that caused it, or `reload` / `damper`. */
  readonly cause: CheckerTransition | 'reload' | 'damper';
  readonly at: number;
}

/** MISC_CHECK `misc_dynamic`: the real server's effective weight changed. */
export interface WeightChange {
  readonly realServer: string;
  /** The new effective weight asked for by the checker, or null when it no longer asks for one. */
  readonly weight: number | null;
  readonly at: number;
}

/** Every result, for those who want raw results (cost: nothing when nobody listens). */
export interface CheckCompleted {
  readonly realServer: string;
  readonly checker: string;
  readonly result: CheckResult;
  readonly at: number;
}

/** The runner's event map. */
export interface HealthRunnerEvents {
  checkerUp: CheckerTransition;
  checkerDown: CheckerTransition;
  realServerUp: RealServerTransition;
  realServerDown: RealServerTransition;
  weightChanged: WeightChange;
  checkCompleted: CheckCompleted;
}

/** Runner construction options. */
export interface HealthRunnerOptions {
  /** Time and timers (default: the system clock). */
  readonly clock?: Clock;
  /** Random numbers in [0,1) for warmup/stagger (default Math.random). */
  readonly random?: () => number;
}

/** A real server's current view. */
export interface RealServerStatus {
  readonly id: string;
  readonly up: boolean;
  readonly weight: number | null;
  readonly checkers: readonly { readonly key: string; readonly kind: string; readonly state: CheckerState }[];
}

interface CheckerEntry {
  spec: CheckerSpec;
  state: CheckerState;
  timer: TimerHandle | null;
  inflight: AbortController | null;
  removed: boolean;
  /** MISC dynamic weight this checker contributes. */
  weight: number | null;
  rs: RsEntry;
}

interface RsEntry {
  id: string;
  checkers: Map<string, CheckerEntry>;
  rawUp: boolean;
  up: boolean;
  weight: number | null;
  damper: DamperConfig | null;
  damperState: DamperState | null;
  damperTimer: TimerHandle | null;
}

const TIMEOUT = Symbol('timeout');

/**
 * Runs checkers on a schedule and turns results into real-server up/down transitions.
 * @example
 * const runner = new HealthRunner();
 * runner.on('realServerDown', (e) => director.remove(e.realServer));
 * runner.apply([{ id: 'rs1', checkers: [{ checker: tcpCheck({ host, port }), policy: keepalivedPolicy('TCP_CHECK'), timeoutMs: 5000 }] }]);
 * runner.start();
 */
export class HealthRunner extends TypedEmitter<HealthRunnerEvents> {
  readonly #clock: Clock;
  readonly #random: () => number;
  #servers = new Map<string, RsEntry>();
  #running = false;
  /** False until the first apply(): keepalived treats the first configuration as startup. */
  #configured = false;

  /**
   * @param options - the clock (default `systemClock`) and the random source for warmup/stagger
   * @throws LvsError `HEALTH_INVALID_CONFIG` for malformed options
   */
  constructor(options: HealthRunnerOptions = {}) {
    super();
    checkOptions(
      options,
      {
        clock: rule(
          (c) => isRecord(c) && typeof c.now === 'function' && typeof c.setTimeout === 'function',
          'a Clock (now, setTimeout)',
        ),
        random: fn,
      },
      'HealthRunner options',
    );
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Install a whole configuration (first time or reload). Everything is validated first and nothing changes
   * if any issue is found. Checkers matched by real-server id and checker key keep their state, timers and
   * in-flight checks (keepalived `migrate_checkers`), so a reload never makes a healthy server flap.
   */
  apply(specs: readonly RealServerHealthSpec[]): void {
    throwIssues(validateSpecs(specs), 'invalid health configuration');
    const now = this.#clock.now();
    const next = new Map<string, RsEntry>();
    const fresh: CheckerEntry[] = [];
    for (const spec of specs) {
      const old = this.#servers.get(spec.id);
      const rs: RsEntry = old ?? {
        id: spec.id,
        checkers: new Map(),
        rawUp: true,
        up: true,
        weight: null,
        damper: null,
        damperState: null,
        damperTimer: null,
      };
      const oldCheckers = rs.checkers;
      const checkers = new Map<string, CheckerEntry>();
      const newOnes: CheckerEntry[] = [];
      for (const c of spec.checkers) {
        const prev = oldCheckers.get(c.checker.key);
        if (prev && prev.spec.checker.kind === c.checker.kind) {
          prev.state = migrateState(c.policy, prev.state);
          prev.spec = c;
          checkers.set(c.checker.key, prev);
        } else {
          const e: CheckerEntry = {
            spec: c,
            state: initialState(c.policy, !this.#configured),
            timer: null,
            inflight: null,
            removed: false,
            weight: null,
            rs,
          };
          checkers.set(c.checker.key, e);
          newOnes.push(e);
        }
      }
      for (const [key, e] of oldCheckers) if (checkers.get(key) !== e) this.#retire(e);
      // migrate_checkers: if a kept checker has failed, new checkers need only one failure (retry_it = retry).
      if (old && [...checkers.values()].some((e) => e.state.hasRun && !e.state.up)) {
        for (const e of newOnes) {
          if (e.spec.policy.kind === 'keepalived') e.state = { ...e.state, retryIt: e.spec.policy.retry };
        }
      }
      rs.checkers = checkers;
      if (spec.damper) {
        rs.damper = damperConfig(spec.damper);
        rs.damperState ??= damperInit(now);
      } else {
        rs.damper = null;
        rs.damperState = null;
        this.#clearDamperTimer(rs);
      }
      next.set(spec.id, rs);
      fresh.push(...newOnes);
      if (!old) {
        rs.rawUp = this.#allUp(rs);
        rs.up = rs.rawUp;
      }
    }
    for (const [id, rs] of this.#servers) {
      if (next.get(id) !== rs) {
        for (const e of rs.checkers.values()) this.#retire(e);
        this.#clearDamperTimer(rs);
      }
    }
    this.#servers = next;
    this.#configured = true;
    // Reload may change a kept real server's verdict (a failing checker removed, an alpha checker added).
    for (const rs of next.values()) {
      this.#recomputeWeight(rs, now);
      this.#settle(rs, 'reload', now);
    }
    if (this.#running) for (const e of fresh) this.#schedule(e, firstDelay(e.spec.policy, this.#random()));
  }

  /** Start scheduling checks (warmup offsets apply). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const rs of this.#servers.values()) {
      for (const e of rs.checkers.values()) {
        if (e.timer === null && e.inflight === null) this.#schedule(e, firstDelay(e.spec.policy, this.#random()));
      }
    }
  }

  /** Stop: cancel timers and abort in-flight checks. State is kept; `start()` resumes. */
  stop(): void {
    this.#running = false;
    for (const rs of this.#servers.values()) {
      this.#clearDamperTimer(rs);
      for (const e of rs.checkers.values()) {
        if (e.timer !== null) e.timer.cancel();
        e.timer = null;
        e.inflight?.abort();
        e.inflight = null;
      }
    }
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** Current status of every real server. */
  status(): RealServerStatus[] {
    return [...this.#servers.values()].map((rs) => this.#status(rs));
  }

  /** Current status of one real server, or undefined. */
  statusOf(id: string): RealServerStatus | undefined {
    const rs = this.#servers.get(id);
    return rs ? this.#status(rs) : undefined;
  }

  /** Number of checks currently running. */
  get inflight(): number {
    let n = 0;
    for (const rs of this.#servers.values()) for (const e of rs.checkers.values()) if (e.inflight) n++;
    return n;
  }

  #status(rs: RsEntry): RealServerStatus {
    return {
      id: rs.id,
      up: rs.up,
      weight: rs.weight,
      checkers: [...rs.checkers.values()].map((e) => ({
        key: e.spec.checker.key,
        kind: e.spec.checker.kind,
        state: e.state,
      })),
    };
  }

  #retire(e: CheckerEntry): void {
    e.removed = true;
    if (e.timer !== null) e.timer.cancel();
    e.timer = null;
    e.inflight?.abort();
    e.inflight = null;
  }

  #clearDamperTimer(rs: RsEntry): void {
    if (rs.damperTimer !== null) rs.damperTimer.cancel();
    rs.damperTimer = null;
  }

  #schedule(e: CheckerEntry, delayMs: number): void {
    if (!this.#running || e.removed) return;
    e.timer = this.#clock.setTimeout(() => {
      e.timer = null;
      void this.#run(e);
    }, delayMs);
  }

  async #run(e: CheckerEntry): Promise<void> {
    if (e.removed || !this.#running) return;
    const ac = new AbortController();
    e.inflight = ac;
    const { checker, timeoutMs } = e.spec;
    const started = this.#clock.now();
    let fire: (v: typeof TIMEOUT) => void = () => {};
    const timedOut = new Promise<typeof TIMEOUT>((resolve) => {
      fire = resolve;
    });
    const timer = this.#clock.setTimeout(() => {
      ac.abort(new Error(`timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    // Any abort (timeout, stop, retire) ends the race at once, even if the checker ignores its signal.
    ac.signal.addEventListener('abort', () => fire(TIMEOUT), { once: true });
    let res: CheckResult;
    try {
      const out = await Promise.race([checker.check(ac.signal), timedOut]);
      res =
        out === TIMEOUT
          ? { ok: false, message: `timeout after ${timeoutMs} ms`, durationMs: this.#clock.now() - started }
          : out;
    } catch (err) {
      // A checker must not throw; if one does, that is a failed check, not a broken runner.
      res = { ok: false, message: `checker threw: ${errorMessage(err)}`, durationMs: this.#clock.now() - started };
    } finally {
      timer.cancel();
    }
    if (e.inflight !== ac) return; // stopped or retired meanwhile
    e.inflight = null;
    if (e.removed || !this.#running) return;
    this.#deliver(e, res);
  }

  /** Synchronous core: apply one result, emit transitions, schedule the next check. */
  #deliver(e: CheckerEntry, res: CheckResult): void {
    const now = this.#clock.now();
    const rs = e.rs;
    if (this.listens('checkCompleted')) {
      this.emit('checkCompleted', { realServer: rs.id, checker: e.spec.checker.key, result: res, at: now });
    }
    const out = step(e.spec.policy, e.state, res.ok);
    e.state = out.state;
    if (res.ok && e.weight !== (res.weight ?? null)) {
      e.weight = res.weight ?? null;
      this.#recomputeWeight(rs, now);
    }
    if (out.transition) {
      const ev: CheckerTransition = {
        realServer: rs.id,
        checker: e.spec.checker.key,
        kind: e.spec.checker.kind,
        up: out.transition === 'up',
        result: res,
        at: now,
      };
      this.emit(ev.up ? 'checkerUp' : 'checkerDown', ev);
      this.#settle(rs, ev, now);
    }
    this.#schedule(e, out.delayMs);
  }

  #allUp(rs: RsEntry): boolean {
    for (const e of rs.checkers.values()) if (!e.state.up) return false;
    return true;
  }

  #recomputeWeight(rs: RsEntry, now: number): void {
    let w: number | null = null;
    for (const e of rs.checkers.values()) if (e.weight !== null) w = (w ?? 0) + e.weight;
    if (w !== rs.weight) {
      rs.weight = w;
      this.emit('weightChanged', { realServer: rs.id, weight: w, at: now });
    }
  }

  // keepalived ipwrapper.c `update_svr_checker_state`: the RS is alive only when no checker is failed.
  #settle(rs: RsEntry, cause: CheckerTransition | 'reload' | 'damper', now: number): void {
    rs.rawUp = this.#allUp(rs);
    let up = rs.rawUp;
    if (rs.damper && rs.damperState) {
      const d =
        cause === 'damper' ? dampTick(rs.damper, rs.damperState, now) : dampStep(rs.damper, rs.damperState, up, now);
      rs.damperState = d.state;
      up = d.up;
      this.#clearDamperTimer(rs);
      if (d.wakeAt !== null && this.#running) {
        // A long suppression is waited out in steps a timer can hold; dampTick simply re-arms.
        rs.damperTimer = this.#clock.setTimeout(
          () => {
            rs.damperTimer = null;
            if (this.#servers.get(rs.id) === rs) this.#settle(rs, 'damper', this.#clock.now());
          },
          Math.min(d.wakeAt - now, MAX_TIMER_DELAY_MS),
        );
      }
    }
    if (up !== rs.up) {
      rs.up = up;
      this.emit(up ? 'realServerUp' : 'realServerDown', { realServer: rs.id, up, cause, at: now });
    }
  }
}

const CHECKER: Shape = { kind: required(text), key: required(text), check: required(fn) };
/**
 * Records every issue of one checker spec under `path` (its checker's shape, its policy, its timeout), and
 * a key already in `keys` as a duplicate.
 * @internal
 */
export function checkerSpecIssues(c: unknown, path: Path, issues: IssueList, keys: Set<string>): void {
  const o = checkRecord(
    c,
    {
      checker: required(rule(isRecord, 'a checker')),
      policy: required(rule(isRecord, 'a policy')),
      timeoutMs: required(duration(1, false)),
    },
    path,
    issues,
    'a checker spec',
  );
  if (!o) return;
  const checker = isRecord(o.checker) ? o.checker : undefined;
  if (checker) {
    // A checker may be a class instance with more members: check only what the runner uses.
    for (const [k, r] of Object.entries(CHECKER)) {
      const v = checker[k];
      if (v === undefined || v === null)
        issues.add([...path, 'checker', k], 'HEALTH_INVALID_CONFIG', `a checker needs ${k}, got ${describe(v)}`);
      else (r as { rule: Rule }).rule(v, [...path, 'checker', k], issues, k);
    }
    if (typeof checker.key === 'string') {
      if (keys.has(checker.key)) {
        issues.add(
          [...path, 'checker', 'key'],
          'HEALTH_DUPLICATE_ID',
          `checker key ${describe(checker.key)} repeated on one real server`,
        );
      }
      keys.add(checker.key);
    }
  }
  if (isRecord(o.policy)) policyIssues(o.policy, [...path, 'policy'], issues);
}

function validateSpecs(specs: readonly RealServerHealthSpec[]): IssueList {
  const issues = new IssueList();
  if (!Array.isArray(specs)) {
    issues.add([], 'HEALTH_INVALID_CONFIG', `specs must be an array of real servers, got ${describe(specs)}`);
    return issues;
  }
  const ids = new Set<string>();
  each(specs, (rs, i) => {
    const o = checkRecord(
      rs,
      {
        id: required(text),
        checkers: required(arrayOf(rule(isRecord, 'an object'), 'an array of checker specs')),
        damper: rule(isRecord, 'an object'),
      },
      [i],
      issues,
      'a real server',
    );
    if (!o) return;
    if (typeof o.id === 'string') {
      if (ids.has(o.id)) issues.add([i, 'id'], 'HEALTH_DUPLICATE_ID', `real server id ${describe(o.id)} repeated`);
      ids.add(o.id);
    }
    const keys = new Set<string>();
    if (Array.isArray(o.checkers)) {
      each(o.checkers, (c: unknown, j: number) => {
        checkerSpecIssues(c, [i, 'checkers', j], issues, keys);
      });
    }
    if (isRecord(o.damper)) {
      try {
        damperConfig(o.damper as DamperOptions);
      } catch (err) {
        issues.addError([i], err, 'HEALTH_INVALID_CONFIG');
      }
    }
  });
  return issues;
}
