/**
 * keepalived's tracking: `vrrp_script` (interval, timeout, weight, rise, fall, init_fail), `track_script`
 * and `track_interface` references, and how their results become an instance's total priority and FAULT
 * state. The rules are pure ({@link ScriptResult}, {@link trackContribution}, {@link Tracker}); the
 * {@link TrackingController} runs scripts and watches links through injected ports and only reports
 * changes. Nothing here decides VRRP state; the machine does that from the priority and fault it is given.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { LvsError, type LvsIssue } from '@lvskit/base';
import type { VrrpClock } from './ports.js';

/** A `vrrp_script` block. */
export interface VrrpScriptConfig {
  /** `vrrp_script NAME`. */
  readonly name: string;
  /** `script`: command line (split into words, quotes honoured, no shell — as keepalived). */
  readonly script: string;
  /** `interval` seconds; default 1. */
  readonly interval?: number;
  /** `timeout` seconds; default = interval (keepalived runs with `timeout ? timeout : interval`). */
  readonly timeout?: number;
  /** `weight` −253..253; default 0 (a failure puts the instance in FAULT). */
  readonly weight?: number;
  /** `weight … reverse`. */
  readonly reverse?: boolean;
  /** `rise`; default 1. */
  readonly rise?: number;
  /** `fall`; default 1. */
  readonly fall?: number;
  /** `init_fail`: start as failed. */
  readonly initFail?: boolean;
}

/** A `track_script` / `track_interface` entry: `NAME [weight W [reverse]]`. */
export interface TrackRef {
  /** Script or interface name. */
  readonly name: string;
  /** Overrides the script's weight; for interfaces default 0 (down → FAULT). */
  readonly weight?: number;
  /** Inverts the sense. */
  readonly reverse?: boolean;
}

/** What an instance tracks. */
export interface TrackingConfig {
  /** `vrrp_script` blocks by name. */
  readonly scripts?: readonly VrrpScriptConfig[];
  /** `track_script { … }`. */
  readonly trackScripts?: readonly TrackRef[];
  /** `track_interface { … }`. */
  readonly trackInterfaces?: readonly TrackRef[];
}

/**
 * keepalived's rise/fall counter for one script (vrrp_scheduler.c `vrrp_script_child_thread`): `result`
 * runs from 0 to rise+fall−1 and the script is OK while `result ≥ rise`. It starts at rise−1 ("one success
 * is enough"), or 0 with `init_fail`; the first result after start is always reported.
 */
export class ScriptResult {
  /** The counter. */
  result: number;
  /** True until the first result. */
  init = true;
  readonly #rise: number;
  readonly #fall: number;

  /**
   * @param rise - successes needed to become OK
   * @param fall - failures needed to become KO
   * @param initFail - start failed
   */
  constructor(rise: number, fall: number, initFail = false) {
    this.#rise = rise;
    this.#fall = fall;
    this.result = initFail ? 0 : rise - 1;
  }
  /** OK now (INIT counts as not OK). */
  get ok(): boolean {
    return !this.init && this.result >= this.#rise;
  }
  /**
   * Records one run; returns `'up'`/`'down'` when keepalived would report a transition, else null.
   * @param success - exit status 0 (a timeout is a failure)
   */
  record(success: boolean): 'up' | 'down' | null {
    const wasInit = this.init;
    this.init = false;
    const rise = this.#rise;
    const top = rise + this.#fall - 1;
    if (success) {
      if (this.result < rise - 1) {
        this.result++;
        return null;
      }
      if (this.result !== top) {
        const report = this.result < rise;
        this.result = top;
        if (report) return 'up';
      }
      return null;
    }
    if (this.result > rise) {
      this.result--;
      return null;
    }
    const report = this.result === rise || wasInit;
    this.result = 0;
    return report ? 'down' : null;
  }
}

/**
 * What a tracked object adds to `total_priority` (keepalived vrrp_track.c `process_script_update_priority`
 * and `initialise_track_script_state`): a positive weight is added while OK, a negative one while failed;
 * `reverse` negates the contribution.
 * @param weight - non-zero weight
 * @param reverse - `reverse` keyword
 * @param ok - current result
 */
export function trackContribution(weight: number, reverse: boolean, ok: boolean): number {
  const c = weight > 0 ? (ok ? weight : 0) : ok ? 0 : weight;
  return reverse ? -c : c;
}

interface Item {
  readonly key: string;
  readonly weight: number;
  readonly reverse: boolean;
  ok: boolean;
  init: boolean;
}

/**
 * Aggregates tracked objects into keepalived's total priority and fault: weight-0 objects fault the
 * instance when failed (or OK with `reverse`) and while a weight-0 script has no result yet
 * (keepalived `num_script_init`); weighted ones add {@link trackContribution}.
 */
export class Tracker {
  readonly #base: number;
  readonly #items = new Map<string, Item>();

  /** @param basePriority - the configured priority */
  constructor(basePriority: number) {
    this.#base = basePriority;
  }
  /**
   * Adds an object.
   * @param key - `script:NAME` or `interface:NAME`
   * @param weight - weight (0: fault on failure)
   * @param reverse - reverse sense
   * @param ok - initial result
   * @param init - no result yet (scripts)
   */
  add(key: string, weight: number, reverse: boolean, ok: boolean, init: boolean): void {
    this.#items.set(key, { key, weight, reverse, ok, init });
  }
  /**
   * Sets an object's result.
   * @param key - as given to {@link Tracker.add}
   * @param ok - result
   */
  set(key: string, ok: boolean): void {
    const it = this.#items.get(key);
    if (!it) return;
    it.ok = ok;
    it.init = false;
  }
  /** keepalived `total_priority` (unclamped; the machine clamps). */
  total(): number {
    let t = this.#base;
    for (const it of this.#items.values()) {
      if (it.weight !== 0 && !it.init) t += trackContribution(it.weight, it.reverse, it.ok);
    }
    return t;
  }
  /** True while any weight-0 object holds the instance down. */
  fault(): boolean {
    for (const it of this.#items.values()) {
      if (it.weight !== 0) continue;
      if (it.init) return true;
      if (it.ok === it.reverse) return true;
    }
    return false;
  }
}

/** Runs one script; resolves true for exit status 0, false for any failure or timeout. */
export interface ScriptRunner {
  /** @param argv - command and arguments; @param timeoutMs - SIGTERM, then SIGKILL 2 s later (keepalived) */
  run(argv: readonly string[], timeoutMs: number): Promise<boolean>;
}

/** Tells whether an interface is up (keepalived `IF_ISUP`: IFF_UP and IFF_RUNNING). */
export interface LinkMonitor {
  /** @param ifname - interface name */
  isUp(ifname: string): Promise<boolean>;
}

/** keepalived splits a script line into words, honouring quotes (notify.c); no shell is involved. */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** The real {@link ScriptRunner}: a child process per run. */
export const processScriptRunner: ScriptRunner = {
  run(argv, timeoutMs) {
    return new Promise((resolve) => {
      let done = false;
      const child = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
      const finish = (ok: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(term);
        clearTimeout(kill);
        resolve(ok);
      };
      let kill: ReturnType<typeof setTimeout> | undefined;
      const term = setTimeout(() => {
        child.kill('SIGTERM');
        kill = setTimeout(() => child.kill('SIGKILL'), 2000);
        finish(false);
      }, timeoutMs);
      child.on('error', () => finish(false));
      child.on('exit', (code) => finish(code === 0));
    });
  },
};

/** The real {@link LinkMonitor}: reads `/sys/class/net/<if>/flags` (IFF_UP 0x1, IFF_RUNNING 0x40). */
export const sysfsLinkMonitor: LinkMonitor = {
  async isUp(ifname) {
    try {
      const flags = Number.parseInt((await readFile(`/sys/class/net/${ifname}/flags`, 'utf8')).trim(), 16);
      return (flags & 0x41) === 0x41;
    } catch {
      return false;
    }
  },
};

/** Ports and timing of a {@link TrackingController}. */
export interface TrackingPorts {
  /** Clock for script intervals and link polling. */
  readonly clock: VrrpClock;
  /** Script runner; default {@link processScriptRunner}. */
  readonly runner?: ScriptRunner;
  /** Link monitor; default {@link sysfsLinkMonitor}. */
  readonly links?: LinkMonitor;
  /** Link polling interval, µs; default 100 ms. */
  readonly linkPollUs?: number;
}

/**
 * Validates tracking configuration (every issue, one `VRRP_INVALID_CONFIG`).
 * @param t - the tracking configuration
 */
export function validateTracking(t: TrackingConfig): void {
  const issues: LvsIssue[] = [];
  const bad = (path: (string | number)[], message: string): void => {
    issues.push({ path, code: 'VRRP_INVALID_CONFIG', message });
  };
  const names = new Set<string>();
  (t.scripts ?? []).forEach((s, i) => {
    if (!s.name) bad(['scripts', i, 'name'], 'vrrp_script needs a name');
    names.add(s.name);
    if (splitCommand(s.script ?? '').length === 0) bad(['scripts', i, 'script'], 'script is empty');
    const pos = (k: 'interval' | 'timeout', v: number | undefined): void => {
      if (v !== undefined && !(typeof v === 'number' && v > 0)) bad(['scripts', i, k], `${k} must be > 0 seconds`);
    };
    pos('interval', s.interval);
    pos('timeout', s.timeout);
    if (s.weight !== undefined && !(Number.isInteger(s.weight) && s.weight >= -253 && s.weight <= 253)) {
      bad(['scripts', i, 'weight'], 'weight must be an integer −253..253');
    }
    for (const k of ['rise', 'fall'] as const) {
      const v = s[k];
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) bad(['scripts', i, k], `${k} must be an integer ≥ 1`);
    }
  });
  (t.trackScripts ?? []).forEach((r, i) => {
    if (!names.has(r.name)) bad(['trackScripts', i, 'name'], `no vrrp_script named ${JSON.stringify(r.name)}`);
    if (r.weight !== undefined && !(Number.isInteger(r.weight) && r.weight >= -253 && r.weight <= 253)) {
      bad(['trackScripts', i, 'weight'], 'weight must be an integer −253..253');
    }
  });
  (t.trackInterfaces ?? []).forEach((r, i) => {
    if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(r.name)) bad(['trackInterfaces', i, 'name'], 'not an interface name');
    if (r.weight !== undefined && !(Number.isInteger(r.weight) && r.weight >= -253 && r.weight <= 253)) {
      bad(['trackInterfaces', i, 'weight'], 'weight must be an integer −253..253');
    }
  });
  if (issues.length > 0) throw new LvsError('VRRP_INVALID_CONFIG', `tracking: ${issues[0]?.message}`, { issues });
}

interface ScriptEntry {
  readonly key: string;
  readonly argv: string[];
  readonly intervalUs: number;
  readonly timeoutMs: number;
  readonly result: ScriptResult;
}

/**
 * Runs the tracked scripts at their intervals and polls the tracked links, and calls `onChange(total,
 * fault)` whenever keepalived's total priority or fault state changes.
 */
export class TrackingController {
  /** The aggregate state. */
  readonly tracker: Tracker;
  readonly #ports: TrackingPorts;
  readonly #scripts: ScriptEntry[] = [];
  readonly #links: { key: string; name: string; ok: boolean }[] = [];
  readonly #timers = new Set<unknown>();
  #stopped = false;
  #last = { total: Number.NaN, fault: false };
  readonly #onChange: (total: number, fault: boolean) => void;

  /**
   * @param t - tracking configuration (validated here)
   * @param basePriority - the instance priority
   * @param primaryInterface - the instance interface, tracked with weight 0 unless null (`dont_track_primary`)
   * @param ports - clock, runner, link monitor
   * @param onChange - called with the new total priority and fault
   */
  constructor(
    t: TrackingConfig,
    basePriority: number,
    primaryInterface: string | null,
    ports: TrackingPorts,
    onChange: (total: number, fault: boolean) => void,
  ) {
    validateTracking(t);
    this.#ports = ports;
    this.#onChange = onChange;
    this.tracker = new Tracker(basePriority);
    const byName = new Map((t.scripts ?? []).map((s) => [s.name, s]));
    for (const ref of t.trackScripts ?? []) {
      const s = byName.get(ref.name) as VrrpScriptConfig;
      const key = `script:${s.name}`;
      const result = new ScriptResult(s.rise ?? 1, s.fall ?? 1, s.initFail === true);
      // keepalived: a track_script weight overrides the script's; reverse on either applies.
      const weight = basePriority === 255 ? 0 : (ref.weight ?? s.weight ?? 0);
      this.tracker.add(key, weight, ref.reverse ?? s.reverse ?? false, result.ok, !s.initFail);
      const interval = s.interval ?? 1;
      this.#scripts.push({
        key,
        argv: splitCommand(s.script),
        intervalUs: Math.round(interval * 1e6),
        timeoutMs: Math.round((s.timeout ?? interval) * 1000),
        result,
      });
    }
    const ifs = [...(t.trackInterfaces ?? [])];
    if (primaryInterface && !ifs.some((r) => r.name === primaryInterface))
      ifs.push({ name: primaryInterface, weight: 0 });
    for (const r of ifs) {
      const key = `interface:${r.name}`;
      this.tracker.add(key, basePriority === 255 ? 0 : (r.weight ?? 0), r.reverse ?? false, true, false);
      this.#links.push({ key, name: r.name, ok: true });
    }
  }

  /** Fault state before any script has run (weight-0 scripts without a result hold the instance down). */
  initialFault(): boolean {
    return this.tracker.fault();
  }

  /** Starts script runs and link polling. */
  async start(): Promise<void> {
    const links = this.#ports.links ?? sysfsLinkMonitor;
    for (const l of this.#links) {
      l.ok = await links.isUp(l.name);
      this.tracker.set(l.key, l.ok);
    }
    this.#report();
    const now = this.#ports.clock.now();
    for (const s of this.#scripts) this.#after(now + s.intervalUs, () => this.#runScript(s));
    if (this.#links.length > 0) this.#after(now + (this.#ports.linkPollUs ?? 100_000), () => this.#poll());
  }

  /** Stops every timer; running scripts finish on their own. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) this.#ports.clock.cancel(t);
    this.#timers.clear();
  }

  #after(at: number, fn: () => void): void {
    if (this.#stopped) return;
    const h = this.#ports.clock.at(at, () => {
      this.#timers.delete(h);
      fn();
    });
    this.#timers.add(h);
  }

  #report(): void {
    const total = this.tracker.total();
    const fault = this.tracker.fault();
    if (total === this.#last.total && fault === this.#last.fault) return;
    this.#last = { total, fault };
    this.#onChange(total, fault);
  }

  async #runScript(s: ScriptEntry): Promise<void> {
    const ok = await (this.#ports.runner ?? processScriptRunner).run(s.argv, s.timeoutMs);
    if (this.#stopped) return;
    const change = s.result.record(ok);
    if (change !== null) {
      this.tracker.set(s.key, change === 'up');
      this.#report();
    }
    // keepalived schedules the next run an interval after this one completed.
    this.#after(this.#ports.clock.now() + s.intervalUs, () => this.#runScript(s));
  }

  async #poll(): Promise<void> {
    const links = this.#ports.links ?? sysfsLinkMonitor;
    let changed = false;
    for (const l of this.#links) {
      const up = await links.isUp(l.name);
      if (up !== l.ok) {
        l.ok = up;
        this.tracker.set(l.key, up);
        changed = true;
      }
    }
    if (this.#stopped) return;
    if (changed) this.#report();
    this.#after(this.#ports.clock.now() + (this.#ports.linkPollUs ?? 100_000), () => this.#poll());
  }
}
