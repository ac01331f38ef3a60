/**
 * The IPVS runtime (`Ipvs`): owns one engine, the clock-driven housekeeping (expiry, the 2-second estimator,
 * event draining), the packet port, and every run-time change in one vocabulary — services and real servers
 * added, edited and removed by name, a whole reload, health overrides — validated first (all issues at once),
 * then applied to the engine in one synchronous step so no packet ever sees half a change; connections and
 * stats survive. ipvsadm's verbs are not here: `./ipvsadm/ipvs-target.ts` translates them into this
 * vocabulary. Must never sit on the packet path itself (the engine does), must never hold a health→weight
 * policy (health's `HealthDirector` does, through {@link Ipvs.setOverrides}) and must never emit events when
 * nobody listens.
 */

import {
  describe,
  type Family,
  formatEndpoint,
  formatIp,
  IssueList,
  LvsError,
  parseAddress,
  systemClock,
  TypedEmitter,
} from '@lvskit/base';
import { type ConnTable, CTPL_ASSURED, F_AF6, F_DAF6, F_TEMPLATE, MAX_CONNECTIONS } from './conn-table.js';
import { Engine, type RealServerState, type ServiceState } from './engine.js';
import type { IpvsEvents, RealServerRef } from './events.js';
import { ipvsadmTarget } from './ipvsadm/ipvs-target.js';
import type { IpvsadmTarget, IpvsConnectionEntry } from './ipvsadm/types.js';
import {
  addressServiceKey,
  checkKeys,
  type EngineSwitches,
  fwmarkServiceKey,
  type NormalizedRealServer,
  type NormalizedService,
  type NormalizedTimeouts,
  normalizeRealServer,
  normalizeService,
  normalizeTimeouts,
  type PacketClassifier,
  type PersistenceConfig,
  type RealServerConfig,
  realServerKey,
  type ServiceConfig,
  type ServiceProtocol,
} from './model.js';
import { METHOD_LOCALNODE } from './packet.js';
import type { Clock, PacketPort, TimerHandle } from './ports.js';
import {
  assertCompiled,
  effectiveConfig,
  type IpvsChange,
  markCompiled,
  type RealServerOverrides,
  reconcile,
} from './reconcile.js';
import type { Stats } from './stats.js';
import type { SyncApplyResult, SyncedEntry, SyncRules, SyncSink } from './sync.js';
import { TCP_STATE_NAMES } from './tcp-states.js';

/** A validated, frozen director configuration (what `build()` returns). */
export interface CompiledIpvsConfig<Names extends string = string> {
  /** Services in declaration order. */
  readonly services: readonly (NormalizedService & { readonly name: Names })[];
  /** Timeouts, seconds. */
  readonly timeouts: NormalizedTimeouts;
  /** Connection table capacity. */
  readonly maxConnections: number;
  /** Switches with defaults applied. */
  readonly switches: Readonly<Required<EngineSwitches>>;
  /** Firewall-mark classifier. */
  readonly classifier: PacketClassifier | undefined;
  /** The director's own addresses (keys), for LOCALNODE real servers. */
  readonly localAddresses: readonly string[];
}

/**
 * What an `Ipvs` plugs into. Every port is optional: no packet port means packets are fed by hand. Health and
 * failover are not ports of core: `@lvskit/director` drives them, through {@link Ipvs.setOverrides} and the
 * datapath's serving switch.
 */
export interface IpvsPorts {
  /** Time; default the system's monotonic clock. */
  readonly clock?: Clock;
  /** Packet source and sink. */
  readonly packets?: PacketPort;
}

/** Default connection table capacity (262,144 entries, about 32 MB preallocated; raise it for production). */
export const DEFAULT_MAX_CONNECTIONS = 1 << 18;
const DEFAULT_SWITCHES: Required<EngineSwitches> = {
  expireNodestConn: false,
  expireQuiescentTemplate: false,
  connReuseMode: 1,
  sloppyTcp: false,
  secureTcp: false,
  dropPacketRate: 0,
};
const DEFAULT_TIMEOUTS: NormalizedTimeouts = { tcp: 900, tcpfin: 120, udp: 300 };

/** Input of {@link compileConfig}. */
export interface IpvsConfigInput {
  /** Services by name, in declaration order. */
  readonly services: readonly { readonly name: string; readonly config: ServiceConfig }[];
  /** Timeouts. */
  readonly timeouts?: { tcp?: number; tcpfin?: number; udp?: number };
  /** Table capacity. */
  readonly maxConnections?: number;
  /** Switches. */
  readonly switches?: EngineSwitches;
  /** Classifier. */
  readonly classifier?: PacketClassifier;
  /** The director's own addresses. */
  readonly localAddresses?: readonly string[];
}

/**
 * Validates a whole configuration, collecting every issue, and returns it frozen.
 * @throws LvsError `CORE_INVALID_CONFIG` with `issues`
 */
export function compileConfig<Names extends string = string>(input: IpvsConfigInput): CompiledIpvsConfig<Names> {
  const issues = new IssueList();
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issues.add([], 'CORE_INVALID_OPTION', `a configuration must be an object { services, … }, got ${describe(input)}`);
    issues.throwIfAny('CORE_INVALID_CONFIG', 'invalid director configuration');
  }
  checkKeys(input, CONFIG_KEYS, [], issues);
  const services: NormalizedService[] = [];
  const names = new Set<string>();
  const keys = new Map<string, string>();
  const list: unknown = input.services;
  if (!Array.isArray(list))
    issues.add(['services'], 'CORE_INVALID_OPTION', `services must be an array, got ${describe(list)}`);
  else
    list.forEach((entry: unknown, i: number) => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        issues.add(
          ['services', i],
          'CORE_INVALID_OPTION',
          `a service must be { name, config }, got ${describe(entry)}`,
        );
        return;
      }
      checkKeys(entry, SERVICE_ENTRY_KEYS, ['services', i], issues);
      const { name, config } = entry as { name: unknown; config: ServiceConfig };
      if (typeof name !== 'string' || name.length === 0) {
        issues.add(
          ['services', i, 'name'],
          'CORE_INVALID_OPTION',
          `a service needs a non-empty name, got ${describe(name)}`,
        );
        return;
      }
      const path = ['services', name];
      if (names.has(name)) issues.add(path, 'CORE_DUPLICATE_SERVICE', `service name ${name} is used twice`);
      names.add(name);
      const n = normalizeService(name, config, path, issues);
      if (!n) return;
      const other = keys.get(n.key);
      if (other !== undefined)
        issues.add(
          path,
          'CORE_DUPLICATE_SERVICE',
          `service ${name} has the same protocol, address and port (or mark) as ${other}`,
        );
      keys.set(n.key, name);
      services.push(n);
    });
  const timeouts = normalizeTimeouts(input.timeouts, DEFAULT_TIMEOUTS, ['timeouts'], issues);
  const cap: unknown = input.maxConnections === undefined ? DEFAULT_MAX_CONNECTIONS : input.maxConnections;
  if (!Number.isInteger(cap) || (cap as number) < 1 || (cap as number) > MAX_CONNECTIONS)
    issues.add(
      ['maxConnections'],
      'CORE_INVALID_OPTION',
      `maxConnections must be an integer 1..${MAX_CONNECTIONS} (MAX_CONNECTIONS: each entry is preallocated, about 128 bytes, so the limit is about 2 GB), got ${describe(cap)}`,
    );
  const given: unknown = input.switches;
  let sw = { ...DEFAULT_SWITCHES };
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given)))
    issues.add(['switches'], 'CORE_INVALID_OPTION', `switches must be an object, got ${describe(given)}`);
  else if (given !== undefined) {
    checkKeys(given, SWITCH_KEYS, ['switches'], issues);
    sw = { ...sw, ...(given as EngineSwitches) };
  }
  for (const k of ['expireNodestConn', 'expireQuiescentTemplate', 'sloppyTcp', 'secureTcp'] as const)
    if (typeof sw[k] !== 'boolean')
      issues.add(['switches', k], 'CORE_INVALID_OPTION', `${k} must be a boolean, got ${describe(sw[k])}`);
  if (!Number.isInteger(sw.dropPacketRate) || sw.dropPacketRate < 0 || sw.dropPacketRate > 0x7fffffff)
    issues.add(
      ['switches', 'dropPacketRate'],
      'CORE_INVALID_OPTION',
      `dropPacketRate must be an integer 0..2147483647, got ${describe(sw.dropPacketRate)}`,
    );
  if (![0, 1, 2, 3].includes(sw.connReuseMode))
    issues.add(
      ['switches', 'connReuseMode'],
      'CORE_INVALID_OPTION',
      `connReuseMode must be 0, 1, 2 or 3, got ${describe(sw.connReuseMode)}`,
    );
  if (input.classifier !== undefined && typeof input.classifier !== 'function')
    issues.add(
      ['classifier'],
      'CORE_INVALID_OPTION',
      `classifier must be a function, got ${describe(input.classifier)}`,
    );
  const local: string[] = [];
  const localInput: unknown = input.localAddresses === undefined ? [] : input.localAddresses;
  if (!Array.isArray(localInput))
    issues.add(
      ['localAddresses'],
      'CORE_INVALID_OPTION',
      `localAddresses must be an array of addresses, got ${describe(localInput)}`,
    );
  else
    localInput.forEach((a: unknown, i: number) => {
      try {
        const p = parseAddress(a as string);
        local.push(realServerKey(p.family, p.bytes, 0));
      } catch {
        issues.add(['localAddresses', i], 'CORE_INVALID_ADDRESS', `not an IP address: ${describe(a)}`);
      }
    });
  issues.throwIfAny('CORE_INVALID_CONFIG', 'invalid director configuration');
  const compiled: CompiledIpvsConfig<Names> = Object.freeze({
    services: Object.freeze(services) as readonly (NormalizedService & { readonly name: Names })[],
    timeouts: Object.freeze(timeouts),
    maxConnections: cap as number,
    switches: Object.freeze(sw),
    classifier: input.classifier,
    localAddresses: Object.freeze(local),
  });
  markCompiled(compiled);
  return compiled;
}

const CONFIG_KEYS: ReadonlySet<string> = new Set([
  'services',
  'timeouts',
  'maxConnections',
  'switches',
  'classifier',
  'localAddresses',
]);
const SERVICE_ENTRY_KEYS: ReadonlySet<string> = new Set(['name', 'config']);
const SWITCH_KEYS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_SWITCHES));

/** Counters and rates of one stats object, as listed. */
export interface StatsView {
  /** Connections. */
  readonly conns: number;
  /** Packets in. */
  readonly inpkts: number;
  /** Packets out. */
  readonly outpkts: number;
  /** Bytes in. */
  readonly inbytes: number;
  /** Bytes out. */
  readonly outbytes: number;
  /** Connections per second. */
  readonly cps: number;
  /** Packets in per second. */
  readonly inpps: number;
  /** Packets out per second. */
  readonly outpps: number;
  /** Bytes in per second. */
  readonly inbps: number;
  /** Bytes out per second. */
  readonly outbps: number;
}

function statsView(s: Stats): StatsView {
  return { ...s.shown(), cps: s.cps, inpps: s.inpps, outpps: s.outpps, inbps: s.inbps, outbps: s.outbps };
}

/** A real server as listed. */
export interface RealServerView {
  /** Address. */
  readonly address: string;
  /** Family. */
  readonly family: Family;
  /** Port. */
  readonly port: number;
  /** Method. */
  readonly method: 'masq' | 'route' | 'tunnel';
  /** Weight. */
  readonly weight: number;
  /** Upper threshold. */
  readonly upperThreshold: number;
  /** Lower threshold. */
  readonly lowerThreshold: number;
  /** ActiveConn. */
  readonly activeConns: number;
  /** InActConn. */
  readonly inactiveConns: number;
  /** PersistConn. */
  readonly persistentConns: number;
  /** OVERLOAD flag. */
  readonly overloaded: boolean;
  /** Served by the director itself (LOCALNODE, ipvsadm "Local"): its address is one of `localAddresses`. */
  readonly local: boolean;
  /** Counters and rates. */
  readonly stats: StatsView;
}

/** A service named by what identifies it in IPVS: protocol, virtual address and port, or firewall mark. */
export type ServiceIdentity =
  | { readonly protocol: ServiceProtocol; readonly address: string; readonly port: number }
  | { readonly fwmark: number; readonly family?: Family };

/** A service as listed. */
export interface ServiceView {
  /** Name. */
  readonly name: string;
  /** Configuration. */
  readonly config: NormalizedService;
  /** Real servers in kernel list order (head first). */
  readonly realServers: readonly RealServerView[];
  /** Sorry server, when configured. */
  readonly sorryServer: RealServerView | undefined;
  /** Counters and rates. */
  readonly stats: StatsView;
}

/** A real server named in a run-time change. */
export interface RealServerSelector {
  /** Address. */
  readonly address: string;
  /** Port; default the service port. */
  readonly port?: number;
}

/** Changes to a service's options (`ipvsadm -E`); omitted fields keep their value. */
export interface ServiceEdit {
  /** Scheduler. */
  readonly scheduler?: ServiceConfig['scheduler'];
  /** Scheduler flags. */
  readonly flags?: readonly string[];
  /** Persistence; `false` turns it off. */
  readonly persistence?: PersistenceConfig | true | false;
  /** One-packet scheduling. */
  readonly onePacket?: boolean;
}

function textOf(family: Family, bytes: Uint8Array): string {
  return formatIp(bytes, family);
}

const wordBytes = new Uint8Array(16);
const wordView = new Int32Array(wordBytes.buffer);
function wordsToText(family: Family, words: Int32Array, off: number): string {
  for (let k = 0; k < 4; k++) wordView[k] = words[off + k] ?? 0;
  return textOf(family, wordBytes);
}

/**
 * The IPVS table and engine at run time. `Names` are the service names known at compile time; services added
 * later widen it. Events (`on(name, listener)` returns an unsubscribe function) are built only when someone
 * listens.
 */
export class Ipvs<Names extends string = string> extends TypedEmitter<IpvsEvents> {
  /** The engine (packet path); give it to a packet port or call `process` directly. */
  readonly engine: Engine;
  /** The clock. */
  readonly clock: Clock;
  private readonly byName = new Map<string, ServiceState>();
  private readonly byKey = new Map<string, ServiceState>();
  private readonly nameOf = new Map<ServiceState, string>();
  private readonly ports: IpvsPorts;
  private timers: TimerHandle[] = [];
  private started = false;
  private stopped = false;
  private lastTableFullEvent = Number.NEGATIVE_INFINITY;
  #configured: CompiledIpvsConfig<Names>;
  #effective: CompiledIpvsConfig;
  #overrides: RealServerOverrides = new Map();

  /**
   * @param config - a compiled configuration (`compileConfig` or the builder's `build()`)
   * @param ports - clock and packet port
   * @throws LvsError `CORE_INVALID_CONFIG` when `config` did not come from `compileConfig`
   */
  constructor(config: CompiledIpvsConfig<Names>, ports: IpvsPorts = {}) {
    super();
    assertCompiled(config);
    this.#configured = config;
    this.#effective = config;
    this.ports = ports;
    this.clock = ports.clock ?? systemClock;
    this.engine = new Engine(config.maxConnections, this.clock.now(), { ...config.switches });
    this.engine.classifier = config.classifier;
    this.engine.localAddresses = new Set(config.localAddresses);
    this.engine.setTimeouts(config.timeouts);
    for (const s of config.services) this.install(s);
  }

  private install(s: NormalizedService): ServiceState {
    const st = this.engine.addService(s);
    this.byName.set(s.name, st);
    this.byKey.set(s.key, st);
    this.nameOf.set(st, s.name);
    return st;
  }

  /**
   * Records a run-time change in the configuration in force (and in what the table holds), so that a later
   * `setOverrides` or `reload(ipvs.configuration)` keeps it instead of undoing it.
   */
  #record(
    change: (services: readonly NormalizedService[]) => readonly NormalizedService[],
    timeouts?: NormalizedTimeouts,
  ): void {
    const next = <C extends CompiledIpvsConfig>(c: C): C =>
      Object.freeze({ ...c, services: Object.freeze([...change(c.services)]), timeouts: timeouts ?? c.timeouts });
    const configured = next(this.#configured);
    markCompiled(configured);
    this.#configured = configured;
    this.#effective = next(this.#effective);
  }

  // ------------------------------------------------------------------ lifecycle

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.started && !this.stopped;
  }

  /**
   * Starts housekeeping timers and opens the packet port.
   * @throws LvsError `CORE_DIRECTOR_STATE` when already started
   */
  async start(): Promise<void> {
    if (this.started) throw new LvsError('CORE_DIRECTOR_STATE', 'director already started');
    this.started = true;
    this.schedule(1000, () => this.housekeeping());
    this.schedule(2000, () => this.engine.estimate());
    if (this.ports.packets) await this.ports.packets.open(this.engine);
  }

  /** Stops timers and closes the packet port. */
  async stop(): Promise<void> {
    if (!this.started || this.stopped) throw new LvsError('CORE_DIRECTOR_STATE', 'director is not running');
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
    if (this.ports.packets) await this.ports.packets.close();
  }

  /** Runs `fn` every `every` ms; one pending handle per task, replaced as it fires (never accumulated). */
  private schedule(every: number, fn: () => void): void {
    const slot = this.timers.length;
    const tick = () => {
      if (this.stopped) return;
      fn();
      this.timers[slot] = this.clock.setTimeout(tick, every);
    };
    this.timers.push(this.clock.setTimeout(tick, every));
  }

  /** Timer handles held (one per periodic task while running). */
  get timerCount(): number {
    return this.timers.length;
  }

  /** Reaps expired entries and emits pending overload / table-full events. */
  housekeeping(): void {
    const now = this.clock.now();
    this.engine.advance(now);
    this.drainEvents(now);
  }

  // ------------------------------------------------------------------ events

  private drainEvents(now: number): void {
    const e = this.engine;
    if (e.overloadChanged.size > 0) {
      if (this.listens('realServerOverloaded'))
        for (const id of e.overloadChanged) {
          const d = e.dests[id];
          if (!d) continue;
          const overloaded = d.overloaded;
          this.emitWith('realServerOverloaded', () => ({ ...this.ref(d), overloaded }));
        }
      e.overloadChanged.clear();
    }
    if (e.tableFullSinceDrain > 0 && now - this.lastTableFullEvent >= 1000) {
      const drops = e.tableFullSinceDrain;
      e.tableFullSinceDrain = 0;
      this.lastTableFullEvent = now;
      this.emitWith('tableFull', () => ({ drops, capacity: e.table.capacity, size: e.table.size }));
    }
  }

  private ref(d: RealServerState): RealServerRef {
    return { service: this.nameOf.get(d.service) ?? '', address: d.address, port: d.port };
  }

  // ------------------------------------------------------------------ lookups

  private service(name: string): ServiceState {
    const s = typeof name === 'string' ? this.byName.get(name) : undefined;
    if (!s) throw new LvsError('CORE_UNKNOWN_SERVICE', `no virtual service named ${describe(name)}`);
    return s;
  }

  private findDest(svc: ServiceState, sel: RealServerSelector): RealServerState | undefined {
    let p: { family: Family; bytes: Uint8Array };
    try {
      p = parseAddress(sel.address);
    } catch {
      return undefined;
    }
    const port = sel.port ?? svc.config.port;
    const k = realServerKey(p.family, p.bytes, port);
    return svc.dests.find((d) => realServerKey(d.family, d.bytes, d.port) === k);
  }

  private dest(name: string, sel: RealServerSelector): [ServiceState, RealServerState] {
    const svc = this.service(name);
    const d = typeof sel === 'object' && sel !== null ? this.findDest(svc, sel) : undefined;
    if (!d)
      throw new LvsError(
        'CORE_UNKNOWN_REAL_SERVER',
        `service ${name} has no real server ${typeof sel === 'object' && sel !== null ? (typeof sel.address === 'string' && typeof (sel.port ?? svc.config.port) === 'number' ? formatEndpoint(sel.address, sel.port ?? svc.config.port) : describe(sel)) : describe(sel)}`,
      );
    return [svc, d];
  }

  /**
   * The name of the service with this identity (protocol, address and port, or firewall mark and family),
   * or `undefined` when there is none.
   */
  findService(identity: ServiceIdentity): Names | undefined {
    if (typeof identity !== 'object' || identity === null) return undefined;
    let key: string;
    if ('fwmark' in identity) key = fwmarkServiceKey(identity.family ?? 4, identity.fwmark);
    else {
      let p: { family: Family; bytes: Uint8Array };
      try {
        p = parseAddress(identity.address);
      } catch {
        return undefined;
      }
      key = addressServiceKey(identity.protocol, p.family, p.bytes, identity.port);
    }
    const s = this.byKey.get(key);
    return s === undefined ? undefined : (this.nameOf.get(s) as Names | undefined);
  }

  // ------------------------------------------------------------------ run-time changes

  /**
   * Adds a service (validated; nothing applied on error).
   * @throws LvsError `CORE_INVALID_CONFIG` (issues: `CORE_DUPLICATE_SERVICE`, `CORE_INVALID_OPTION` for a
   * name that is not a non-empty string, and every issue of the config)
   */
  addService<N extends string>(name: N, config: ServiceConfig): Ipvs<Names | N> {
    const issues = new IssueList();
    if (typeof name !== 'string' || name.length === 0)
      issues.add(['services'], 'CORE_INVALID_OPTION', `a service needs a non-empty name, got ${describe(name)}`);
    else if (this.byName.has(name))
      issues.add(['services', name], 'CORE_DUPLICATE_SERVICE', `service name ${name} is in use`);
    const n = normalizeService(name, config, typeof name === 'string' ? ['services', name] : ['services'], issues);
    if (n && this.byKey.has(n.key))
      issues.add(
        ['services', name],
        'CORE_DUPLICATE_SERVICE',
        'a service with the same protocol, address and port (or mark) exists',
      );
    issues.throwIfAny('CORE_INVALID_CONFIG', `cannot add service ${describe(name)}`);
    if (!n) throw new LvsError('CORE_INVALID_CONFIG', `cannot add service ${describe(name)}`);
    const st = this.install(n);
    this.#record((list) => [...list, n]);
    this.emitWith('serviceChanged', () => ({ service: name, change: 'added' }));
    for (const d of st.dests) this.emitWith('realServerAdded', () => ({ ...this.ref(d), weight: d.weight }));
    return this as unknown as Ipvs<Names | N>;
  }

  /**
   * Edits a service's scheduler, flags, persistence or one-packet option (`ipvsadm -E`); connections,
   * stats and real servers stay.
   * @throws LvsError `CORE_UNKNOWN_SERVICE`, `CORE_INVALID_CONFIG`
   */
  editService(name: Names, edit: ServiceEdit): this {
    const svc = this.service(name);
    const issues = new IssueList();
    if (typeof edit !== 'object' || edit === null) {
      issues.add(['services', name], 'CORE_INVALID_OPTION', `a service edit must be an object, got ${describe(edit)}`);
      issues.throwIfAny('CORE_INVALID_CONFIG', `cannot edit service ${name}`);
    }
    checkKeys(edit, SERVICE_EDIT_KEYS, ['services', name], issues);
    const c = svc.config;
    const base: ServiceConfig =
      c.kind === 'fwmark'
        ? { fwmark: c.fwmark, family: c.family }
        : { protocol: c.protocol, address: c.address, port: c.port };
    const persistence =
      edit.persistence === false
        ? undefined
        : edit.persistence === undefined
          ? c.persistent
            ? { timeout: c.timeout, netmask: c.family === 4 ? dotted(c.netmask) : c.netmask }
            : undefined
          : edit.persistence;
    const merged = {
      ...base,
      scheduler: edit.scheduler === undefined ? c.scheduler : edit.scheduler,
      flags: (edit.flags === undefined ? c.flags : edit.flags) as never,
      onePacket: edit.onePacket === undefined ? c.onePacket : edit.onePacket,
      ...(persistence === undefined ? {} : { persistence }),
    } as ServiceConfig;
    const n = normalizeService(name, merged, ['services', name], issues);
    issues.throwIfAny('CORE_INVALID_CONFIG', `cannot edit service ${name}`);
    if (!n) return this;
    this.engine.editService(svc, n);
    this.#record(withService(name, (c) => ({ ...n, realServers: c.realServers, sorryServer: c.sorryServer })));
    this.emitWith('serviceChanged', () => ({ service: name, change: 'edited' }));
    return this;
  }

  /**
   * Removes a service and its real servers.
   * @throws LvsError `CORE_UNKNOWN_SERVICE`
   */
  removeService(name: Names): this {
    const svc = this.service(name);
    const removed = svc.dests.map((d) => this.ref(d));
    this.engine.deleteService(svc);
    this.#record((list) => list.filter((c) => c.name !== name));
    this.byName.delete(name);
    this.byKey.delete(svc.config.key);
    this.nameOf.delete(svc);
    for (const r of removed) this.emitWith('realServerRemoved', () => ({ ...r, reason: 'config' }));
    this.emitWith('serviceChanged', () => ({ service: name, change: 'removed' }));
    return this;
  }

  /**
   * Adds a real server at the head of the service's list.
   * @throws LvsError `CORE_UNKNOWN_SERVICE`, `CORE_INVALID_CONFIG` (issues: `CORE_DUPLICATE_REAL_SERVER` and
   * every issue of the config)
   */
  addRealServer(name: Names, config: RealServerConfig): this {
    const svc = this.service(name);
    const issues = new IssueList();
    const n = normalizeRealServer(config, svc.config, ['services', name, 'realServers'], issues);
    if (
      n &&
      svc.dests.some((d) => realServerKey(d.family, d.bytes, d.port) === realServerKey(n.family, n.bytes, n.port))
    )
      issues.add(
        ['services', name, 'realServers'],
        'CORE_DUPLICATE_REAL_SERVER',
        `real server ${formatEndpoint(n.address, n.port)} is already in ${name}`,
      );
    issues.throwIfAny('CORE_INVALID_CONFIG', `cannot add a real server to ${name}`);
    if (!n) return this;
    const d = this.engine.addRealServer(svc, n);
    this.#record(withService(name, (c) => ({ ...c, realServers: [...withoutServer(c.realServers, n), n] })));
    this.emitWith('realServerAdded', () => ({ ...this.ref(d), weight: d.weight }));
    return this;
  }

  /**
   * Edits a real server's method, weight or thresholds (omitted fields keep their value).
   * @throws LvsError `CORE_UNKNOWN_SERVICE`, `CORE_UNKNOWN_REAL_SERVER`, `CORE_INVALID_CONFIG`
   */
  editRealServer(
    name: Names,
    server: RealServerSelector,
    changes: Omit<Partial<RealServerConfig>, 'address' | 'port'>,
  ): this {
    const [svc, d] = this.dest(name, server);
    const path = ['services', name, 'realServers', formatEndpoint(d.address, d.port)];
    const issues = new IssueList();
    if (typeof changes !== 'object' || changes === null) {
      issues.add(path, 'CORE_INVALID_OPTION', `real server changes must be an object, got ${describe(changes)}`);
      issues.throwIfAny(
        'CORE_INVALID_CONFIG',
        `cannot edit real server ${formatEndpoint(d.address, d.port)} of ${name}`,
      );
    }
    checkKeys(changes, REAL_SERVER_EDIT_KEYS, path, issues);
    const keep = <T>(v: T | undefined, current: T): T => (v === undefined ? current : v);
    const n = normalizeRealServer(
      {
        address: d.address,
        port: d.port,
        method: keep(changes.method, d.method),
        weight: keep(changes.weight, d.weight),
        upperThreshold: keep(changes.upperThreshold, d.upperThreshold),
        lowerThreshold: keep(changes.lowerThreshold, d.lowerThreshold),
      },
      svc.config,
      path,
      issues,
    );
    issues.throwIfAny('CORE_INVALID_CONFIG', `cannot edit real server ${formatEndpoint(d.address, d.port)} of ${name}`);
    if (!n) return this;
    const wasQuiesced = d.weight === 0;
    this.engine.editRealServer(svc, d, n);
    this.#record(
      withService(name, (c) => ({ ...c, realServers: c.realServers.map((r) => (sameServer(r, n) ? n : r)) })),
    );
    if (!wasQuiesced && d.weight === 0)
      this.emitWith('realServerQuiesced', () => ({ ...this.ref(d), reason: 'config' }));
    this.drainEvents(this.clock.now());
    return this;
  }

  /**
   * Removes a real server; its connections follow `expireNodestConn`.
   * @throws LvsError `CORE_UNKNOWN_SERVICE`, `CORE_UNKNOWN_REAL_SERVER`
   */
  removeRealServer(name: Names, server: RealServerSelector): this {
    const [svc, d] = this.dest(name, server);
    const r = this.ref(d);
    this.engine.deleteRealServer(svc, d);
    this.#record(withService(name, (c) => ({ ...c, realServers: withoutServer(c.realServers, d) })));
    this.emitWith('realServerRemoved', () => ({ ...r, reason: 'config' }));
    return this;
  }

  /**
   * Marks a real server as draining (a reload is removing it) or not: a draining server's persistence
   * templates no longer send new connections to it (as with `expire_quiescent_template=1`, for this server
   * only); its established connections keep flowing. Set its weight to 0 as well so that the scheduler skips
   * it. Kept across reloads that keep the server.
   * @throws LvsError `CORE_UNKNOWN_SERVICE` / `CORE_UNKNOWN_REAL_SERVER`
   */
  setDraining(name: Names, server: RealServerSelector, draining: boolean): this {
    const [, d] = this.dest(name, server);
    d.draining = draining;
    return this;
  }

  /**
   * Sets or removes (undefined) the sorry server.
   * @throws LvsError `CORE_UNKNOWN_SERVICE`, `CORE_INVALID_CONFIG`
   */
  setSorryServer(name: Names, config: RealServerConfig | undefined): this {
    const svc = this.service(name);
    let n: NormalizedRealServer | undefined;
    if (config !== undefined) {
      const issues = new IssueList();
      n = normalizeRealServer(config, svc.config, ['services', name, 'sorryServer'], issues);
      issues.throwIfAny('CORE_INVALID_CONFIG', `cannot set the sorry server of ${name}`);
    }
    this.engine.setSorryServer(svc, n);
    this.#record(withService(name, (c) => ({ ...c, sorryServer: n })));
    this.emitWith('serviceChanged', () => ({ service: name, change: 'edited' }));
    return this;
  }

  /**
   * The changes {@link Ipvs.reload} would make for `next`, without making them (a dry run). Pure.
   * @param next - a configuration from `compileConfig`
   * @param overrides - health's overrides to apply over it (default the current ones)
   * @returns the changes, as reload would return them
   */
  plan(next: CompiledIpvsConfig<Names>, overrides: RealServerOverrides = this.#overrides): readonly IpvsChange[] {
    assertCompiled(next);
    return reconcile(this.#effective, next, overrides);
  }

  /**
   * Replaces the whole configuration with `next` (a keepalived-style reload) as {@link reconcile} says:
   * services and real servers are matched by name and address:port; unchanged ones keep their connections,
   * counters and templates; changed options are edited in place; what is gone is removed. `overrides` (what
   * health holds; default the ones in force) apply on top, so a real server health took out stays out and a
   * quiesced one keeps its weight. The input is checked whole before anything changes: a config that did not
   * come from `compileConfig` is refused; the table capacity cannot change at run time.
   * @returns the changes made
   * @throws LvsError `CORE_INVALID_CONFIG` for a foreign config or a different capacity
   */
  reload(next: CompiledIpvsConfig<Names>, overrides: RealServerOverrides = this.#overrides): readonly IpvsChange[] {
    assertCompiled(next);
    const changes = reconcile(this.#effective, next, overrides);
    const config = effectiveConfig(next, overrides);
    const issues = new IssueList();
    if (config.maxConnections !== this.engine.table.capacity)
      issues.add(
        ['maxConnections'],
        'CORE_INVALID_OPTION',
        `the connection table capacity cannot change at run time (${this.engine.table.capacity} → ${config.maxConnections}); start a new director`,
      );
    issues.throwIfAny('CORE_INVALID_CONFIG', 'cannot reload');
    this.engine.localAddresses = new Set(config.localAddresses);
    const wanted = new Map(config.services.map((s) => [s.name as string, s]));
    for (const [name, st] of [...this.byName]) {
      const w = wanted.get(name);
      if (!w || w.key !== st.config.key) this.removeService(name as Names);
    }
    for (const s of config.services) {
      const st = this.byName.get(s.name);
      if (!st) {
        const added = this.install(s);
        this.emitWith('serviceChanged', () => ({ service: s.name, change: 'added' }));
        for (const d of added.dests) this.emitWith('realServerAdded', () => ({ ...this.ref(d), weight: d.weight }));
        continue;
      }
      const c = st.config;
      const optionsChanged =
        c.scheduler !== s.scheduler ||
        c.flags.join(',') !== s.flags.join(',') ||
        c.persistent !== s.persistent ||
        c.timeout !== s.timeout ||
        c.netmask !== s.netmask ||
        c.onePacket !== s.onePacket;
      if (optionsChanged) {
        this.engine.editService(st, s);
        this.emitWith('serviceChanged', () => ({ service: s.name, change: 'edited' }));
      }
      const keep = new Set(s.realServers.map((r) => realServerKey(r.family, r.bytes, r.port)));
      for (const d of [...st.dests])
        if (!keep.has(realServerKey(d.family, d.bytes, d.port))) {
          const r = this.ref(d);
          this.engine.deleteRealServer(st, d);
          this.emitWith('realServerRemoved', () => ({ ...r, reason: 'config' }));
        }
      for (const r of s.realServers) {
        const k = realServerKey(r.family, r.bytes, r.port);
        const d = st.dests.find((x) => realServerKey(x.family, x.bytes, x.port) === k);
        if (!d) {
          const nd = this.engine.addRealServer(st, r);
          this.emitWith('realServerAdded', () => ({ ...this.ref(nd), weight: nd.weight }));
        } else if (
          d.method !== r.method ||
          d.weight !== r.weight ||
          d.upperThreshold !== r.upperThreshold ||
          d.lowerThreshold !== r.lowerThreshold
        ) {
          const was = d.weight;
          this.engine.editRealServer(st, d, r);
          if (was !== 0 && d.weight === 0)
            this.emitWith('realServerQuiesced', () => ({ ...this.ref(d), reason: 'config' }));
        }
      }
      const sorryKey = (x: NormalizedRealServer | undefined) =>
        x ? `${realServerKey(x.family, x.bytes, x.port)}|${x.method}|${x.weight}` : '';
      if (sorryKey(c.sorryServer) !== sorryKey(s.sorryServer)) this.engine.setSorryServer(st, s.sorryServer);
      st.config = { ...st.config, realServers: s.realServers, sorryServer: s.sorryServer };
    }
    this.engine.setTimeouts(config.timeouts);
    Object.assign(this.engine.settings, config.switches);
    this.engine.classifier = config.classifier;
    this.drainEvents(this.clock.now());
    this.#configured = next;
    this.#effective = config;
    this.#overrides = new Map(overrides);
    return changes;
  }

  /**
   * Replaces what health holds over the configuration and applies the difference (the configuration itself
   * is unchanged). What the director calls on a health transition.
   * @returns the changes made
   */
  setOverrides(overrides: RealServerOverrides): readonly IpvsChange[] {
    return this.reload(this.#configured, overrides);
  }

  /** The configuration in force, as given (before overrides). */
  get configuration(): CompiledIpvsConfig<Names> {
    return this.#configured;
  }

  /** Zeroes counters of one service (and its real servers), or of everything including the totals. */
  zeroCounters(name?: Names): this {
    this.engine.zero(name === undefined ? undefined : this.service(name));
    return this;
  }

  /** Sets timeouts (`ipvsadm --set`); 0 or omitted keeps the current value. */
  setConnectionTimeouts(t: { tcp?: number; tcpfin?: number; udp?: number }): this {
    const issues = new IssueList();
    const n = normalizeTimeouts(t, this.engine.timeouts, ['timeouts'], issues);
    issues.throwIfAny('CORE_INVALID_CONFIG', 'invalid timeouts');
    this.engine.setTimeouts(n);
    this.#record((list) => list, n);
    return this;
  }

  /** Current timeouts, seconds. */
  get timeouts(): NormalizedTimeouts {
    return this.engine.timeouts;
  }

  // ------------------------------------------------------------------ listing

  private destView(d: RealServerState): RealServerView {
    return {
      address: d.address,
      family: d.family,
      port: d.port,
      method: d.method,
      weight: d.weight,
      upperThreshold: d.upperThreshold,
      lowerThreshold: d.lowerThreshold,
      activeConns: d.active,
      inactiveConns: d.inactive,
      persistentConns: d.persist,
      overloaded: d.overloaded,
      local: d.methodCode === METHOD_LOCALNODE,
      stats: statsView(d.stats),
    };
  }

  /** Every service with its real servers (kernel list order), counters and rates. */
  list(): ServiceView[] {
    const out: ServiceView[] = [];
    for (const [name, s] of this.byName)
      out.push({
        name,
        config: s.config,
        realServers: s.dests.map((d) => this.destView(d)),
        sorryServer: s.sorry ? this.destView(s.sorry) : undefined,
        stats: statsView(s.stats),
      });
    return out;
  }

  /**
   * One service by name.
   * @throws LvsError `CORE_UNKNOWN_SERVICE`
   */
  get(name: Names): ServiceView {
    const s = this.service(name);
    return {
      name,
      config: s.config,
      realServers: s.dests.map((d) => this.destView(d)),
      sorryServer: s.sorry ? this.destView(s.sorry) : undefined,
      stats: statsView(s.stats),
    };
  }

  /** Total counters and rates. */
  totals(): StatsView {
    return statsView(this.engine.total);
  }

  /** Connection and template entries as `ipvsadm -L -c` lists them. */
  connections(): IpvsConnectionEntry[] {
    const t = this.engine.table;
    const now = this.clock.now();
    const out: IpvsConnectionEntry[] = [];
    for (let i = 0; i < t.end; i++) {
      if (!t.inUse(i)) continue;
      const f = t.getFlags(i);
      const fam: Family = f & F_AF6 ? 6 : 4;
      const dfam: Family = f & F_DAF6 ? 6 : 4;
      const proto = t.getProto(i);
      const tpl = (f & F_TEMPLATE) !== 0;
      const state = tpl
        ? (t.state[i] ?? 0) & CTPL_ASSURED
          ? 'ASSURED'
          : 'NONE'
        : proto === 6
          ? (TCP_STATE_NAMES[t.state[i] ?? 0] ?? 'NONE')
          : proto === 17
            ? 'UDP'
            : (t.state[i] ?? 0) === 1
              ? 'ESTABLISHED'
              : 'CLOSED';
      out.push({
        protocol: proto === 6 ? 'TCP' : proto === 17 ? 'UDP' : proto === 132 ? 'SCTP' : 'IP',
        family: fam,
        clientAddress: wordsToText(fam, t.caddr, i * 4),
        clientPort: t.getCport(i),
        virtualAddress: wordsToText(proto === 0 ? 4 : fam, t.vaddr, i * 4),
        virtualPort: t.getVport(i),
        destFamily: dfam,
        destAddress: wordsToText(dfam, t.daddr, i * 4),
        destPort: t.getDport(i),
        state,
        expires: Math.max(0, Math.floor(((t.expires[i] ?? 0) - now) / 1000)),
      });
    }
    return out;
  }

  // ------------------------------------------------------------------ connection sync

  /**
   * Makes this director a sync master, or stops it (`sink` undefined): every inbound packet's entry that
   * the kernel's `ip_vs_sync_conn_needed` would send is handed to `sink` on the packet path (see
   * {@link Engine.setSyncMaster}). `@lvskit/sync`'s daemon is the usual sink.
   * @param sink - receives the entries to send, or undefined
   * @param rules - master rules; omitted: the rules in force stay (at first the kernel's defaults)
   * @throws LvsError `CORE_INVALID_OPTION` when `rules` are out of range (nothing changed)
   */
  setSyncMaster(sink: SyncSink | undefined, rules?: SyncRules): void {
    this.engine.setSyncMaster(sink, rules);
  }

  /**
   * Applies one entry a backup received (`ip_vs_proc_conn`; see {@link Engine.applySynced}) after moving the
   * engine to the clock's time.
   * @param e - the received entry
   * @returns what was done; never throws
   */
  applySynced(e: SyncedEntry): SyncApplyResult {
    this.engine.advance(this.clock.now());
    return this.engine.applySynced(e);
  }

  /**
   * Calls `fn` for every live connection and template, templates first (a bulk resync), after moving the
   * engine to the clock's time (so what has expired is not visited).
   * @param fn - receives the table and an entry index; must not change the table
   */
  forEachEntry(fn: (table: ConnTable, index: number) => void): void {
    this.engine.advance(this.clock.now());
    this.engine.forEachEntry(fn);
  }

  /**
   * This table as an ipvsadm target: `runIpvsadm(ipvs.ipvsadm, '-Ln')`. The ipvsadm verbs live in the
   * target (`ipvsadmTarget`), which translates each into this class's own vocabulary.
   */
  get ipvsadm(): IpvsadmTarget {
    return ipvsadmTarget(this as Ipvs);
  }
}

function dotted(mask: number): string {
  return `${mask >>> 24}.${(mask >>> 16) & 255}.${(mask >>> 8) & 255}.${mask & 255}`;
}

/** Rewrites the service named `name` in a service list (others unchanged). */
function withService(
  name: string,
  f: (service: NormalizedService) => NormalizedService,
): (services: readonly NormalizedService[]) => readonly NormalizedService[] {
  return (services) => services.map((s) => (s.name === name ? Object.freeze(f(s)) : s));
}

function sameServer(
  a: { family: Family; bytes: Uint8Array; port: number },
  b: { family: Family; bytes: Uint8Array; port: number },
): boolean {
  return realServerKey(a.family, a.bytes, a.port) === realServerKey(b.family, b.bytes, b.port);
}

function withoutServer(
  list: readonly NormalizedRealServer[],
  server: { family: Family; bytes: Uint8Array; port: number },
): NormalizedRealServer[] {
  return list.filter((r) => !sameServer(r, server));
}

const SERVICE_EDIT_KEYS: ReadonlySet<string> = new Set(['scheduler', 'flags', 'persistence', 'onePacket']);
const REAL_SERVER_EDIT_KEYS: ReadonlySet<string> = new Set(['method', 'weight', 'upperThreshold', 'lowerThreshold']);
