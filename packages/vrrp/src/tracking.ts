/**
 * keepalived's tracking: `vrrp_script` (interval, timeout, weight, rise, fall, init_fail), `track_script`
 * and `track_interface` references, and how their results become an instance's total priority and FAULT
 * state. The rules are pure ({@link ScriptResult}, {@link trackContribution}, {@link Tracker}); a
 * {@link VrrpScriptSet} runs each script once per interval for every instance tracking it (through the base
 * `CommandRunner` and `Clock`), and the {@link TrackingController} joins one instance's scripts and links
 * (the `sysfs` {@link LinkMonitor} by default) and only reports changes. Nothing here decides VRRP state; the machine does that from the priority and fault it is given.
 */
import { readFile } from 'node:fs/promises';
import {
  type Clock,
  type CommandRunner,
  checkDelay,
  describe,
  execCommand,
  IssueList,
  LvsError,
  systemClock,
  type TimerHandle,
} from '@lvskit/base';
import { checkKeys, isRecord } from './input.js';

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

/**
 * Tells whether an interface is up, as keepalived's `IF_ISUP` does from the netlink link flags: IFF_UP and
 * IFF_RUNNING (the kernel sets RUNNING while the operational state is up, `netif_oper_up`).
 */
export interface LinkMonitor {
  /** @param ifname - interface name; an interface that does not exist is down */
  isUp(ifname: string): Promise<boolean>;
}

/** keepalived splits a script line into words, honouring quotes (notify.c); no shell is involved. */
export function splitCommand(line: string): string[] {
  if (typeof line !== 'string')
    throw new LvsError('INVALID_ARGUMENT', `a command line is a string, not ${describe(line)}`);
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** Options of {@link createSysfsLinkMonitor}. */
export interface SysfsLinkMonitorOptions {
  /** Directory holding one directory per interface; default `/sys/class/net` (of the caller's namespace). */
  readonly root?: string;
}

/**
 * A {@link LinkMonitor} over sysfs. `/sys/class/net/<if>/flags` holds `dev->flags` only, which never carries
 * IFF_RUNNING (a live veth reads 0x1003), so RUNNING is read where the kernel exposes it: `operstate` `up`
 * (or `unknown`, which `netif_oper_up` also counts as running: loopback, dummy, tun without carrier
 * reporting), falling back to `carrier` = 1 when `operstate` cannot be read. IFF_UP (0x1) comes from `flags`.
 * @see linux Documentation/ABI/testing/sysfs-class-net (operstate, carrier); net/core/dev.c `dev_get_flags`
 */
export function createSysfsLinkMonitor(opts: SysfsLinkMonitorOptions = {}): LinkMonitor {
  if (typeof opts !== 'object' || opts === null) {
    throw new LvsError('INVALID_ARGUMENT', `createSysfsLinkMonitor options must be an object, not ${describe(opts)}`);
  }
  if (opts.root !== undefined && typeof opts.root !== 'string') {
    throw new LvsError('INVALID_ARGUMENT', `root must be a directory path, not ${describe(opts.root)}`);
  }
  const root = opts.root ?? '/sys/class/net';
  const read = async (ifname: string, file: string): Promise<string | undefined> => {
    try {
      return (await readFile(`${root}/${ifname}/${file}`, 'utf8')).trim();
    } catch {
      return undefined;
    }
  };
  return {
    async isUp(ifname) {
      // An interface name never holds a path separator; refuse one rather than read outside `root`.
      if (ifname.includes('/') || ifname === '.' || ifname === '..') return false;
      const flags = Number.parseInt((await read(ifname, 'flags')) ?? '', 16);
      if (!Number.isInteger(flags) || (flags & 0x1) === 0) return false;
      const oper = await read(ifname, 'operstate');
      if (oper !== undefined) return oper === 'up' || oper === 'unknown';
      return (await read(ifname, 'carrier')) === '1';
    },
  };
}

/** The {@link LinkMonitor} of `/sys/class/net` (see {@link createSysfsLinkMonitor}). */
export const sysfsLinkMonitor: LinkMonitor = createSysfsLinkMonitor();

/** Ports of a {@link VrrpScriptSet}. */
export interface VrrpScriptSetPorts {
  /** The one clock (milliseconds); default the system clock. */
  readonly clock?: Clock;
  /** Runs the scripts; default `execCommand` (argv, no shell, killed by PID at the timeout). */
  readonly commandRunner?: CommandRunner;
}

/** The result of one `vrrp_script`, as instances tracking it see it. */
export interface ScriptState {
  /** No result yet (keepalived `SCRIPT_INIT_STATE`). */
  readonly init: boolean;
  /** OK (rise reached); false while init. */
  readonly ok: boolean;
}

interface ScriptEntry {
  readonly config: VrrpScriptConfig;
  readonly argv: string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly result: ScriptResult;
  readonly listeners: Set<(s: ScriptState) => void>;
  timer: TimerHandle | undefined;
  running: boolean;
  generation: number;
}

/**
 * keepalived's global `vrrp_script` blocks: each script runs once per interval however many instances track
 * it (keepalived keeps one `vrrp_script_t` and one result per script), its result shared by every watcher.
 * A script runs while someone watches it: the first watcher starts it — a first run at once, as keepalived
 * runs every script at start-up — and each later run is due one interval after the previous one completed
 * (`vrrp_script_child_thread`). Pass one set to several routers to share scripts between instances.
 */
export class VrrpScriptSet {
  readonly #entries = new Map<string, ScriptEntry>();
  readonly #clock: Clock;
  readonly #run: CommandRunner;

  /**
   * @param scripts - the `vrrp_script` blocks (validated here: every issue at once, `VRRP_INVALID_CONFIG`,
   *   or `TIMER_RANGE` for an interval or timeout a timer cannot hold)
   * @param ports - clock and command runner
   */
  constructor(scripts: readonly VrrpScriptConfig[], ports: VrrpScriptSetPorts = {}) {
    const list: unknown = scripts;
    if (!Array.isArray(list)) {
      throw new LvsError('VRRP_INVALID_CONFIG', `vrrp_script: the scripts are a list, not ${describe(list)}`);
    }
    validateTracking({ scripts });
    if (!isRecord(ports as unknown)) {
      throw new LvsError('INVALID_ARGUMENT', `VrrpScriptSet ports must be an object, not ${describe(ports)}`);
    }
    this.#clock = ports.clock ?? systemClock;
    this.#run = ports.commandRunner ?? execCommand;
    for (const s of scripts) {
      const interval = s.interval ?? 1;
      this.#entries.set(s.name, {
        config: s,
        argv: splitCommand(s.script),
        intervalMs: interval * 1000,
        timeoutMs: (s.timeout ?? interval) * 1000,
        result: new ScriptResult(s.rise ?? 1, s.fall ?? 1, s.initFail === true),
        listeners: new Set(),
        timer: undefined,
        running: false,
        generation: 0,
      });
    }
  }

  /** The names of the scripts, in configuration order. */
  get names(): readonly string[] {
    return [...this.#entries.keys()];
  }

  /** The configuration of one script, or undefined. */
  script(name: string): VrrpScriptConfig | undefined {
    return this.#entries.get(name)?.config;
  }

  /** The current result of one script (init until its first run completes), or undefined for an unknown name. */
  state(name: string): ScriptState | undefined {
    const e = this.#entries.get(name);
    return e ? { init: e.result.init, ok: e.result.ok } : undefined;
  }

  /**
   * Watches one script: `listener` is called on every result keepalived reports (a change, and always the
   * first). The first watcher of a script starts its runs; the last one leaving stops them.
   * @returns the unsubscribe function
   * @throws LvsError `VRRP_INVALID_CONFIG` for an unknown name
   */
  watch(name: string, listener: (state: ScriptState) => void): () => void {
    const e = this.#entries.get(name);
    if (!e) throw new LvsError('VRRP_INVALID_CONFIG', `no vrrp_script named ${describe(name)}`);
    if (typeof listener !== 'function') {
      throw new LvsError('INVALID_ARGUMENT', `a vrrp_script listener is a function, not ${describe(listener)}`);
    }
    e.listeners.add(listener);
    if (e.listeners.size === 1) {
      e.generation++;
      void this.#runOnce(e, e.generation);
    }
    return () => {
      if (!e.listeners.delete(listener) || e.listeners.size > 0) return;
      e.generation++;
      e.timer?.cancel();
      e.timer = undefined;
    };
  }

  async #runOnce(e: ScriptEntry, generation: number): Promise<void> {
    e.timer = undefined;
    if (e.running) return;
    e.running = true;
    let ok: boolean;
    try {
      const r = await this.#run(e.argv, { timeoutMs: e.timeoutMs, processGroup: true });
      ok = r.code === 0 && !r.timedOut;
    } catch {
      ok = false;
    } finally {
      e.running = false;
    }
    if (generation !== e.generation) {
      // Stopped meanwhile (and maybe restarted: the restart's own run was refused while this one ran).
      if (e.listeners.size > 0 && e.timer === undefined) void this.#runOnce(e, e.generation);
      return;
    }
    const change = e.result.record(ok);
    if (change !== null) {
      const state = { init: false, ok: change === 'up' };
      for (const l of [...e.listeners]) l(state);
    }
    if (e.listeners.size === 0 || generation !== e.generation) return;
    e.timer = this.#clock.setTimeout(() => void this.#runOnce(e, generation), e.intervalMs);
  }
}

/** Ports and timing of a {@link TrackingController}. */
export interface TrackingPorts {
  /** The one clock (milliseconds), for link polling. */
  readonly clock: Clock;
  /**
   * The `vrrp_script` set the tracked scripts come from. Default: a set of this instance's own
   * `TrackingConfig.scripts`. Give several routers one set and a script they all track runs once per interval.
   */
  readonly scripts?: VrrpScriptSet;
  /** Runs the scripts of the default set; default `execCommand`. Unused when `scripts` is given. */
  readonly commandRunner?: CommandRunner;
  /** Link monitor; default {@link sysfsLinkMonitor}. */
  readonly links?: LinkMonitor;
  /** Link polling interval, ms; default 100. */
  readonly linkPollMs?: number;
}

const WEIGHT_OK = (w: unknown): boolean => Number.isInteger(w) && (w as number) >= -253 && (w as number) <= 253;

/** The keys of each block, with the keepalived keyword a message names. */
const TRACKING_KEYS = { scripts: 'vrrp_script', trackScripts: 'track_script', trackInterfaces: 'track_interface' };
const SCRIPT_KEYS = {
  name: 'vrrp_script',
  script: 'script',
  interval: 'interval',
  timeout: 'timeout',
  weight: 'weight',
  reverse: 'reverse',
  rise: 'rise',
  fall: 'fall',
  initFail: 'init_fail',
} as const satisfies Record<keyof VrrpScriptConfig, string>;
const REF_KEYS = { name: 'name', weight: 'weight', reverse: 'reverse' } as const satisfies Record<
  keyof TrackRef,
  string
>;

/** The list under `key`, or [] (an issue when it is there and not a list). */
function listOf(t: Record<string, unknown>, key: keyof typeof TRACKING_KEYS, nulls: Set<string>, issues: IssueList) {
  const v = t[key];
  if (v === undefined || nulls.has(key)) return [];
  if (!Array.isArray(v)) {
    issues.add([key], 'VRRP_INVALID_CONFIG', `${key} (${TRACKING_KEYS[key]}) must be a list, not ${describe(v)}`);
    return [];
  }
  // Array.from: a hole of a sparse list is checked as the undefined it reads as (forEach would skip it).
  return Array.from(v as readonly unknown[]);
}

/**
 * Validates tracking configuration (every issue at once, one `VRRP_INVALID_CONFIG`; unknown keys, `null` values
 * and wrong shapes are issues naming the key and value). Intervals and timeouts a timer cannot hold (≥ 2^31 ms)
 * are issues with code `TIMER_RANGE`.
 * @param t - the tracking configuration
 * @param knownScripts - script names defined elsewhere (a shared {@link VrrpScriptSet}), besides `t.scripts`
 */
export function validateTracking(t: TrackingConfig, knownScripts: readonly string[] = []): void {
  const issues = new IssueList();
  const input: unknown = t;
  if (!isRecord(input)) {
    throw new LvsError(
      'VRRP_INVALID_CONFIG',
      `tracking: a tracking configuration is an object, not ${describe(input)}`,
    );
  }
  const bad = (path: (string | number)[], message: string): void => issues.add(path, 'VRRP_INVALID_CONFIG', message);
  const known: unknown = knownScripts;
  if (!Array.isArray(known)) {
    issues.add([], 'INVALID_ARGUMENT', `knownScripts must be a list of script names, not ${describe(known)}`);
  }
  const names = new Set<unknown>(Array.isArray(known) ? known : []);
  const own = new Set<string>();
  const topNulls = checkKeys(input, TRACKING_KEYS, [], issues);
  listOf(input, 'scripts', topNulls, issues).forEach((s, i) => {
    if (!isRecord(s)) {
      bad(['scripts', i], `a vrrp_script is an object { name, script, … }, not ${describe(s)}`);
      return;
    }
    const nulls = checkKeys(s, SCRIPT_KEYS, ['scripts', i], issues);
    const get = (k: keyof VrrpScriptConfig): unknown => (nulls.has(k) ? undefined : s[k]);
    const name = get('name');
    if (!nulls.has('name')) {
      if (typeof name !== 'string' || name === '')
        bad(['scripts', i, 'name'], `vrrp_script needs a name, not ${describe(name)}`);
      else if (own.has(name)) bad(['scripts', i, 'name'], `vrrp_script ${describe(name)} is defined twice`);
      else own.add(name);
    }
    names.add(name);
    const script = get('script');
    if (!nulls.has('script') && (typeof script !== 'string' || splitCommand(script).length === 0)) {
      bad(['scripts', i, 'script'], `script must be a command line, not ${describe(script)}`);
    }
    const pos = (k: 'interval' | 'timeout'): void => {
      const v = get(k);
      if (v === undefined) return;
      if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
        bad(['scripts', i, k], `${k} must be > 0 seconds, not ${describe(v)}`);
        return;
      }
      try {
        checkDelay(v * 1000, k);
      } catch (err) {
        issues.addError(['scripts', i, k], err);
      }
    };
    pos('interval');
    pos('timeout');
    const weight = get('weight');
    if (weight !== undefined && !WEIGHT_OK(weight)) {
      bad(['scripts', i, 'weight'], `weight must be an integer −253..253, not ${describe(weight)}`);
    }
    for (const k of ['rise', 'fall'] as const) {
      const v = get(k);
      if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1_000_000)) {
        bad(['scripts', i, k], `${k} must be an integer 1..1000000, not ${describe(v)}`);
      }
    }
    for (const k of ['reverse', 'initFail'] as const) {
      const v = get(k);
      if (v !== undefined && typeof v !== 'boolean') {
        bad(['scripts', i, k], `${k} (${SCRIPT_KEYS[k]}) must be true or false, not ${describe(v)}`);
      }
    }
  });
  const refs = (key: 'trackScripts' | 'trackInterfaces', check: (r: Record<string, unknown>, i: number) => void) => {
    listOf(input, key, topNulls, issues).forEach((r, i) => {
      if (!isRecord(r)) {
        bad([key], `a ${TRACKING_KEYS[key]} entry is an object { name, weight?, reverse? }, not ${describe(r)}`);
        return;
      }
      const nulls = checkKeys(r, REF_KEYS, [key, i], issues);
      if (!nulls.has('name')) check(r, i);
      if (!nulls.has('weight') && r.weight !== undefined && !WEIGHT_OK(r.weight)) {
        bad([key, i, 'weight'], `weight must be an integer −253..253, not ${describe(r.weight)}`);
      }
      if (!nulls.has('reverse') && r.reverse !== undefined && typeof r.reverse !== 'boolean') {
        bad([key, i, 'reverse'], `reverse must be true or false, not ${describe(r.reverse)}`);
      }
    });
  };
  refs('trackScripts', (r, i) => {
    if (typeof r.name !== 'string' || !names.has(r.name)) {
      bad(['trackScripts', i, 'name'], `no vrrp_script named ${describe(r.name)}`);
    }
  });
  refs('trackInterfaces', (r, i) => {
    if (typeof r.name !== 'string' || !/^[A-Za-z0-9_.:@-]{1,15}$/.test(r.name)) {
      bad(['trackInterfaces', i, 'name'], `not an interface name: ${describe(r.name)}`);
    }
  });
  issues.throwIfAny('VRRP_INVALID_CONFIG', 'tracking');
}

/**
 * Watches what one instance tracks — its scripts (through a {@link VrrpScriptSet}) and its links (polled) —
 * and calls `onChange(total, fault)` whenever keepalived's total priority or fault state changes. The
 * instance's own interface is always watched with weight 0 (down → FAULT), unless `dont_track_primary`, as
 * keepalived does without any `track_interface`.
 */
export class TrackingController {
  /** The aggregate state. */
  readonly tracker: Tracker;
  readonly #ports: TrackingPorts;
  readonly #set: VrrpScriptSet;
  readonly #scriptKeys: { key: string; name: string }[] = [];
  /** Which set each tracked script comes from (the instance's own, or the shared one). */
  readonly #sets = new Map<string, VrrpScriptSet>();
  readonly #links: { key: string; name: string; ok: boolean }[] = [];
  readonly #unwatch: (() => void)[] = [];
  #timer: TimerHandle | undefined;
  #stopped = false;
  #last = { total: Number.NaN, fault: false };
  readonly #onChange: (total: number, fault: boolean) => void;

  /**
   * @param t - tracking configuration (validated here)
   * @param basePriority - the instance priority
   * @param primaryInterface - the instance interface, tracked with weight 0 unless null (`dont_track_primary`)
   * @param ports - clock, scripts, link monitor
   * @param onChange - called with the new total priority and fault
   */
  constructor(
    t: TrackingConfig,
    basePriority: number,
    primaryInterface: string | null,
    ports: TrackingPorts,
    onChange: (total: number, fault: boolean) => void,
  ) {
    if (!isRecord(ports))
      throw new LvsError('INVALID_ARGUMENT', `tracking ports must be an object, not ${describe(ports)}`);
    if (ports.scripts !== undefined && !(ports.scripts instanceof VrrpScriptSet)) {
      throw new LvsError('INVALID_ARGUMENT', `ports.scripts must be a VrrpScriptSet, not ${describe(ports.scripts)}`);
    }
    validateTracking(t, ports.scripts?.names ?? []);
    if (ports.linkPollMs !== undefined) checkDelay(ports.linkPollMs, 'linkPollMs');
    this.#ports = ports;
    this.#onChange = onChange;
    // The instance's own scripts join the shared set's, unless the shared set already defines them.
    const own = (t.scripts ?? []).filter((s) => ports.scripts?.script(s.name) === undefined);
    this.#set =
      ports.scripts && own.length === 0
        ? ports.scripts
        : new VrrpScriptSet(own, {
            clock: ports.clock,
            ...(ports.commandRunner ? { commandRunner: ports.commandRunner } : {}),
          });
    this.tracker = new Tracker(basePriority);
    for (const ref of t.trackScripts ?? []) {
      const set = this.#set.script(ref.name) ? this.#set : (ports.scripts as VrrpScriptSet);
      const s = set.script(ref.name) as VrrpScriptConfig;
      const key = `script:${s.name}`;
      const st = set.state(s.name) as ScriptState;
      // keepalived: a track_script weight overrides the script's; reverse on either applies.
      const weight = basePriority === 255 ? 0 : (ref.weight ?? s.weight ?? 0);
      // init_fail counts as a result (failed); a plain script without a result yet holds weight 0 in FAULT.
      const init = st.init && !s.initFail;
      this.tracker.add(key, weight, ref.reverse ?? s.reverse ?? false, st.ok, init);
      this.#scriptKeys.push({ key, name: s.name });
      this.#sets.set(s.name, set);
    }
    const ifs = [...(t.trackInterfaces ?? [])];
    if (primaryInterface && !ifs.some((r) => r.name === primaryInterface)) {
      ifs.push({ name: primaryInterface, weight: 0 });
    }
    for (const r of ifs) {
      const key = `interface:${r.name}`;
      this.tracker.add(key, basePriority === 255 ? 0 : (r.weight ?? 0), r.reverse ?? false, true, false);
      this.#links.push({ key, name: r.name, ok: true });
    }
  }

  /**
   * Reads every watched link once (before the machine starts, so an interface already down starts the
   * instance in FAULT rather than moving it there a moment later).
   */
  async readLinks(): Promise<void> {
    const links = this.#ports.links ?? sysfsLinkMonitor;
    for (const l of this.#links) {
      l.ok = await links.isUp(l.name);
      this.tracker.set(l.key, l.ok);
    }
    this.#last = { total: this.tracker.total(), fault: this.tracker.fault() };
  }

  /** Total priority and fault now. */
  current(): { readonly total: number; readonly fault: boolean } {
    return { total: this.tracker.total(), fault: this.tracker.fault() };
  }

  /** Fault state now (weight-0 scripts without a result and links down hold the instance down). */
  initialFault(): boolean {
    return this.tracker.fault();
  }

  /** Starts watching the scripts (each runs at once if nobody ran it yet) and polling the links. */
  start(): void {
    for (const { key, name } of this.#scriptKeys) {
      const set = this.#sets.get(name) ?? this.#set;
      this.#unwatch.push(
        set.watch(name, (st) => {
          if (this.#stopped) return;
          this.tracker.set(key, st.ok);
          this.#report();
        }),
      );
    }
    if (this.#links.length > 0) this.#schedulePoll();
    this.#report();
  }

  /** Stops watching; a script nobody else watches stops running (a run in flight finishes on its own). */
  stop(): void {
    this.#stopped = true;
    for (const off of this.#unwatch.splice(0)) off();
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedulePoll(): void {
    if (this.#stopped) return;
    this.#timer = this.#ports.clock.setTimeout(() => void this.#poll(), this.#ports.linkPollMs ?? 100);
  }

  #report(): void {
    const total = this.tracker.total();
    const fault = this.tracker.fault();
    if (total === this.#last.total && fault === this.#last.fault) return;
    this.#last = { total, fault };
    this.#onChange(total, fault);
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
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
    this.#schedulePoll();
  }
}
