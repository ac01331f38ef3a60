/**
 * The director: one config, one clock, one lifecycle. `createDirector` validates the whole configuration
 * (nothing starts when anything is wrong), then wires core's IPVS table, the datapath, the health checks and
 * the VRRP routers together:
 * - health owns the health→weight policy (`HealthDirector`: inhibit on failure, quorum, hysteresis, sorry
 *   server); its table calls become core overrides, so a reload reconciles the new config with what health
 *   holds down and never brings back a server health took out;
 * - VRRP decides serving: a router's VIP ownership is the datapath's serving switch (forward, answer ARP/NS,
 *   announce) — the VIPs never go on the director's kernel; BACKUP and FAULT stop serving;
 * - VIPs no VRRP instance owns are served from `start()` to `stop()`.
 * This file owns the wiring and the lifecycle; it holds no policy of its own and never touches packets.
 */

import { GobgpAnnouncer, type RouteAnnouncer } from '@lvskit/announce';
import {
  type Clock,
  type CommandRunner,
  describe,
  formatEndpoint,
  formatIp,
  IssueList,
  LvsError,
  type LvsIssue,
  parseIp,
  systemClock,
  type TimerHandle,
  TypedEmitter,
} from '@lvskit/base';
import {
  type CompiledIpvsConfig,
  compileConfig,
  DEFAULT_SYNC_RULES,
  Ipvs,
  type IpvsChange,
  type ServiceConfig as IpvsServiceConfig,
  overrideKey,
  type RealServerOverride,
  withRealServers,
} from '@lvskit/core';
import { createDatapath, type Datapath, type DatapathOptions } from '@lvskit/forwarders';
import {
  type Checker,
  type CheckerSpec,
  HealthDirector,
  type HealthRealServer,
  HealthRunner,
  type HealthServerRef,
  keepalivedChecker,
  ldirectordChecker,
  type VirtualServiceHealth,
  validateKeepalivedTiming,
  validateServices,
} from '@lvskit/health';
import { SyncDaemon, type SyncDaemonOptions } from '@lvskit/sync';
import {
  type AddressOwnership,
  type CompiledVirtualAddress,
  compileInstance,
  type LinkMonitor,
  NativeOwnership,
  nativeOwnershipAvailable,
  type VrrpInstanceConfig,
  VrrpRouter,
  VrrpScriptSet,
  type VrrpState,
  VrrpSyncGroup,
  type VrrpTransport,
} from '@lvskit/vrrp';
import {
  type AnnounceConfig,
  type CheckConfig,
  type DirectorConfig,
  type LdirectordCheckConfig,
  type NormalizedConfig,
  type NormalizedSync,
  normalizeConfig,
  type ServiceRealServer,
  type VrrpInstance,
} from './config.js';
import './errors.js';
import { ScaleOut, type WithdrawReason } from './scale-out.js';

/** Where a check runs: its service, real server and place in the real server's list. */
export interface CheckContext {
  /** Service name. */
  readonly service: string;
  /** Real server address (canonical text). */
  readonly address: string;
  /** Real server port. */
  readonly port: number;
  /** Index of the check in the real server's `checks`. */
  readonly index: number;
  /** The check as configured. */
  readonly check: CheckConfig;
}

/**
 * What a director plugs into. Every port is optional and defaults to the real thing; `@lvskit/director/testing`
 * fills them all with fakes on one `FakeClock`.
 */
export interface DirectorPorts {
  /** The one clock of IPVS, the datapath, health and VRRP; default the system clock. */
  readonly clock?: Clock;
  /** Network namespace of the interfaces (a lab host); default the process's own. */
  readonly netns?: string;
  /** Makes the datapath (default `createDatapath`: packet sockets on the configured interfaces, needs root). */
  readonly datapath?: (options: DatapathOptions) => Datapath;
  /**
   * The director's own address on an interface (VRRP's advert source when the config gives none); default
   * the interface's primary address read from the kernel.
   */
  readonly primaryAddress?: (ifname: string, family: 4 | 6) => Promise<string | undefined>;
  /** Watches the VRRP instances' interfaces (down → FAULT); default the kernel's carrier/operstate in sysfs. */
  readonly linkMonitor?: LinkMonitor;
  /** How often the link monitor is read, ms; default 100 (vrrp's default). */
  readonly linkPollMs?: number;
  /** The VRRP transport of an instance; default a raw socket on its interface. */
  readonly vrrpTransport?: (instance: string, config: VrrpInstanceConfig) => VrrpTransport;
  /**
   * Runs every script — keepalived notify and quorum scripts, MISC_CHECK, `vrrp_script` — as argv, no shell;
   * default base `execCommand`. Tests pass a `FakeCommandRunner`.
   */
  readonly commandRunner?: CommandRunner;
  /** Replaces the protocol of a check (the runner keeps its timing and policy); `undefined` keeps the real one. */
  readonly checker?: (context: CheckContext) => CheckerSpec['checker'] | undefined;
  /** Makes a sync daemon (default `new SyncDaemon(ipvs, options)` of `@lvskit/sync`: UDP sockets). */
  readonly syncDaemon?: (ipvs: Ipvs, options: SyncDaemonOptions) => SyncDaemon;
  /**
   * Makes the route announcer of the `announce` block (default a `GobgpAnnouncer` of `@lvskit/announce` with the
   * block's `bgp` options, its `gobgpd` in the director's namespace `netns`).
   */
  readonly announcer?: (config: AnnounceConfig) => RouteAnnouncer;
}

/** A sync daemon's role. */
export type SyncRole = 'master' | 'backup';

/**
 * Why a sync daemon started or stopped: `config` (the director's start, stop or a reload with a changed
 * sync block, fixed roles), `vrrp` (the followed instance changed state), `control` (lvsadm
 * `--start-daemon` / `--stop-daemon`), `failed` (its start failed).
 */
export type SyncCause = 'config' | 'vrrp' | 'control' | 'failed';

/** A real server as events name it. */
export interface RealServerEventRef {
  /** Service name. */
  readonly service: string;
  /** Address. */
  readonly address: string;
  /** Port. */
  readonly port: number;
}

/** How often draining real servers' connection counts are looked at, ms of the director's clock. */
const DRAIN_CHECK_MS = 1000;

/** Events of a {@link Director}. Payloads are built only when someone listens. */
export interface DirectorEvents {
  /** `start()` finished. */
  started: { readonly at: number };
  /** `stop()` finished: VRRP released (priority 0), nothing served, checks stopped. */
  stopped: { readonly at: number };
  /** A VIP started or stopped being served (forwarded, answered, announced). */
  serving: { readonly vip: string; readonly serving: boolean; readonly instance: string | undefined };
  /** A VRRP instance changed state. */
  vrrpTransition: {
    readonly instance: string;
    readonly from: VrrpState;
    readonly to: VrrpState;
    readonly reason: string;
    readonly priority: number;
  };
  /** A real server passed its checks (again). */
  realServerUp: RealServerEventRef & { readonly reason: string };
  /** A real server failed its checks. */
  realServerDown: RealServerEventRef & { readonly reason: string };
  /** A service regained quorum. */
  quorumUp: { readonly service: string; readonly liveWeight: number; readonly threshold: number };
  /** A service lost quorum (its sorry server, if any, takes new connections). */
  quorumDown: { readonly service: string; readonly liveWeight: number; readonly threshold: number };
  /** The IPVS table changed, with why. */
  tableChanged: { readonly cause: 'health' | 'reload' | 'drain'; readonly changes: readonly IpvsChange[] };
  /**
   * A reload removed this real server from the configuration and it drains: weight 0 at once, its
   * established connections keep flowing, it leaves the table when it has no connections left or at
   * `timeoutMs` (the director's `drain.timeoutMs`).
   */
  realServerDraining: RealServerEventRef & { readonly timeoutMs: number };
  /**
   * A draining real server left the table: `drained` (ActiveConn + InActConn reached 0) or `timeout`
   * (`drain.timeoutMs` passed with connections left; they then go as a removed server's do).
   */
  realServerRemoved: RealServerEventRef & { readonly reason: 'drained' | 'timeout' };
  /** `reload()` applied a new configuration. */
  reloaded: { readonly changes: readonly IpvsChange[] };
  /** A sync daemon started (its sockets are open; a master sends what the engine's sync rules pick). */
  syncStarted: {
    readonly role: SyncRole;
    readonly interface: string;
    readonly syncid: number;
    readonly cause: SyncCause;
  };
  /** A sync daemon stopped (or its start failed: cause `failed`, with an `error` event before it). */
  syncStopped: { readonly role: SyncRole; readonly cause: SyncCause };
  /** A bulk resync (extension): asked for and completed by a backup, served by a master. */
  syncResync: {
    readonly role: SyncRole;
    readonly phase: 'requested' | 'served' | 'completed';
    readonly peer: string;
    readonly entries: number;
    readonly lost: number;
  };
  /** A VIP was announced to the BGP peers (`announce` block: its services have quorum). */
  announced: { readonly vip: string; readonly prefix: string };
  /** A VIP was withdrawn: a service lost quorum, `drain()`, or `stop()`. */
  withdrawn: { readonly vip: string; readonly prefix: string; readonly reason: WithdrawReason };
  /** Something keepalived would log as a warning (a script failed, a config oddity, sync messages lost). */
  warning: { readonly source: 'health' | 'vrrp' | 'datapath' | 'sync' | 'announce'; readonly message: string };
  /** A port failed; the director keeps running. */
  error: { readonly source: 'health' | 'vrrp' | 'datapath' | 'sync' | 'announce'; readonly error: LvsError };
}

/** What {@link Director.status} returns: the state of every part, for an operator or a status page. */
export interface DirectorStatus {
  /** `created`, `running` or `stopped`. */
  readonly lifecycle: 'created' | 'running' | 'stopped';
  /** VIPs served now (canonical text). */
  readonly serving: readonly string[];
  /** Each VRRP instance's state and effective priority. */
  readonly vrrp: readonly { readonly instance: string; readonly state: VrrpState }[];
}

interface Compiled {
  readonly config: NormalizedConfig;
  readonly ipvs: CompiledIpvsConfig;
  readonly health: readonly VirtualServiceHealth[];
  readonly instances: readonly { readonly source: VrrpInstance; readonly config: VrrpInstanceConfig }[];
  /** Configured weight by override key (real servers and sorry servers). */
  readonly weights: ReadonlyMap<string, number>;
  /** Override keys of sorry servers: absent until health puts them in. */
  readonly sorry: ReadonlySet<string>;
  /**
   * Real servers whose checks start down, by override key, with where they start: absent until health puts
   * them in, as health adds but never removes what it has not added. ldirectord: a real is added by its first
   * passing check (ldirectord.in `_status_up`). keepalived `alpha`: a checker starts failed, and its real
   * server is not added until it passes — or is added at weight 0 under `inhibit_on_failure`
   * (check/ipwrapper.c `init_service_rs`: "In alpha mode, be pessimistic").
   */
  readonly startDown: ReadonlyMap<string, RealServerOverride>;
}

function prefixed(issues: IssueList, prefix: readonly (string | number)[], err: unknown): void {
  if (LvsError.is(err)) {
    for (const i of err.issues) issues.add([...prefix, ...i.path], 'DIRECTOR_INVALID_CONFIG', i.message);
  } else {
    issues.add(prefix, 'DIRECTOR_INVALID_CONFIG', err instanceof Error ? err.message : describe(err));
  }
}

function realServerId(address: string, port: number): string {
  return formatEndpoint(address, port);
}

/** Builds everything a config compiles to, collecting every issue of every part. Pure. */
function compile(input: DirectorConfig, ports: DirectorPorts): Compiled {
  const config = normalizeConfig(input);
  const issues = new IssueList();
  const weights = new Map<string, number>();
  const sorry = new Set<string>();
  const startDown = new Map<string, RealServerOverride>();
  const services: { name: string; config: IpvsServiceConfig }[] = [];
  const health: VirtualServiceHealth[] = [];

  config.services.forEach((s, i) => {
    const method = s.method ?? 'route';
    const port = (rs: { port?: number }) => rs.port ?? s.port;
    const ipvsRealServers = s.realServers.map((rs) => ({
      address: formatIp(parseIp(rs.address)),
      port: port(rs),
      method: rs.method ?? method,
      weight: rs.weight ?? 1,
      upperThreshold: rs.upperThreshold ?? 0,
      lowerThreshold: rs.lowerThreshold ?? 0,
    }));
    const sorryServer = s.health?.sorryServer;
    if (sorryServer) {
      const address = formatIp(parseIp(sorryServer.address));
      const p = sorryServer.port ?? s.port;
      if (ipvsRealServers.some((r) => r.address === address && r.port === p)) {
        issues.add(
          ['services', i, 'health', 'sorryServer'],
          'DIRECTOR_INVALID_CONFIG',
          `the sorry server ${realServerId(address, p)} is also a real server of ${s.name}`,
        );
      }
      // The sorry server is a real server of the table that health keeps absent until quorum is lost.
      ipvsRealServers.push({
        address,
        port: p,
        method: sorryServer.method ?? method,
        weight: sorryServer.weight ?? 1,
        upperThreshold: 0,
        lowerThreshold: 0,
      });
      sorry.add(overrideKey(s.name, address, p));
    }
    for (const r of ipvsRealServers) weights.set(overrideKey(s.name, r.address, r.port), r.weight);
    s.realServers.forEach((rs, j) => {
      const r = ipvsRealServers[j]!;
      const key = overrideKey(s.name, r.address, r.port);
      const checks = rs.checks ?? [];
      if (checks.some((c) => c.type === 'LDIRECTORD')) startDown.set(key, { kind: 'absent' });
      else if (
        checks.some((c) => c.type !== 'LDIRECTORD' && (c.alpha ?? rs.timing?.alpha ?? s.health?.timing?.alpha) === true)
      ) {
        const inhibit = rs.inhibitOnFailure ?? s.health?.inhibitOnFailure ?? false;
        startDown.set(key, inhibit ? { kind: 'weight', weight: 0 } : { kind: 'absent' });
      }
    });
    services.push({
      name: s.name,
      config: {
        protocol: s.protocol ?? 'tcp',
        address: s.address,
        port: s.port,
        ...(s.scheduler !== undefined ? { scheduler: s.scheduler } : {}),
        ...(s.schedulerFlags !== undefined ? { flags: s.schedulerFlags } : {}),
        ...(s.persistence !== undefined ? { persistence: s.persistence } : {}),
        realServers: ipvsRealServers,
      } as IpvsServiceConfig,
    });

    // Inherited timing keywords are validated once, where they are written; a check then reports only its own.
    if (s.health?.timing !== undefined)
      for (const issue of validateKeepalivedTiming(s.health.timing, ['services', i, 'health', 'timing']))
        issues.add(issue.path, 'DIRECTOR_INVALID_CONFIG', issue.message);
    const realServers: HealthRealServer[] = s.realServers.map((rs: ServiceRealServer, j) => {
      if (rs.timing !== undefined)
        for (const issue of validateKeepalivedTiming(rs.timing, ['services', i, 'realServers', j, 'timing']))
          issues.add(issue.path, 'DIRECTOR_INVALID_CONFIG', issue.message);
      const address = formatIp(parseIp(rs.address));
      const p = port(rs);
      const checkers: CheckerSpec[] = [];
      (rs.checks ?? []).forEach((check, k) => {
        try {
          checkers.push(checkerSpec(check, { service: s.name, address, port: p, index: k, check }, s, rs, ports));
        } catch (err) {
          if (!LvsError.is(err)) throw err;
          const own = err.issues.filter((x) => x.path[0] !== 'virtualServer' && x.path[0] !== 'realServer');
          for (const x of own)
            issues.add(['services', i, 'realServers', j, 'checks', k, ...x.path], 'DIRECTOR_INVALID_CONFIG', x.message);
        }
      });
      return {
        server: { id: realServerId(address, p), address, port: p },
        weight: rs.weight ?? 1,
        checkers,
        ...(rs.inhibitOnFailure !== undefined ? { inhibitOnFailure: rs.inhibitOnFailure } : {}),
        ...(rs.notifyUp !== undefined ? { notifyUp: rs.notifyUp } : {}),
        ...(rs.notifyDown !== undefined ? { notifyDown: rs.notifyDown } : {}),
      };
    });
    const h = s.health;
    const sorryRef = sorryServer
      ? (() => {
          const address = formatIp(parseIp(sorryServer.address));
          const p = sorryServer.port ?? s.port;
          return {
            server: { id: realServerId(address, p), address, port: p },
            ...(sorryServer.weight !== undefined ? { weight: sorryServer.weight } : {}),
            ...(sorryServer.inhibit !== undefined ? { inhibit: sorryServer.inhibit } : {}),
          };
        })()
      : undefined;
    health.push({
      id: s.name,
      mode: 'keepalived',
      realServers,
      ...(h?.inhibitOnFailure !== undefined ? { inhibitOnFailure: h.inhibitOnFailure } : {}),
      ...(h?.quorum !== undefined ? { quorum: h.quorum } : {}),
      ...(h?.hysteresis !== undefined ? { hysteresis: h.hysteresis } : {}),
      ...(sorryRef ? { sorryServer: sorryRef } : {}),
      ...(h?.quorumUp !== undefined ? { quorumUp: h.quorumUp } : {}),
      ...(h?.quorumDown !== undefined ? { quorumDown: h.quorumDown } : {}),
    });
  });

  let ipvs: CompiledIpvsConfig | undefined;
  try {
    ipvs = compileConfig({
      services,
      ...(config.timeouts !== undefined ? { timeouts: config.timeouts } : {}),
      ...(config.maxConnections !== undefined ? { maxConnections: config.maxConnections } : {}),
      ...(config.switches !== undefined ? { switches: config.switches } : {}),
    });
  } catch (err) {
    // Core names services by name and counts the sorry server as the last real server: map back to the user's paths.
    if (!LvsError.is(err)) throw err;
    for (const i of err.issues) {
      const [root, svc, key, index, ...rest] = i.path;
      const at = root === 'services' ? config.services.findIndex((s) => s.name === svc || s.name === String(svc)) : -1;
      if (at < 0) {
        issues.add(i.path, 'DIRECTOR_INVALID_CONFIG', i.message);
        continue;
      }
      const s = config.services[at]!;
      const path =
        key === 'realServers' && typeof index === 'number' && index >= s.realServers.length
          ? ['services', at, 'health', 'sorryServer', ...rest]
          : [
              'services',
              at,
              ...(key === 'config' ? [] : key === undefined ? [] : [key]),
              ...(index === undefined ? [] : [index]),
              ...rest,
            ];
      issues.add(path, 'DIRECTOR_INVALID_CONFIG', i.message);
    }
  }
  for (const issue of validateServices(health) as readonly LvsIssue[]) {
    const [svc, ...rest] = issue.path;
    const index = config.services.findIndex((s) => s.name === svc);
    issues.add(index >= 0 ? ['services', index, ...rest] : issue.path, 'DIRECTOR_INVALID_CONFIG', issue.message);
  }

  const instances: { source: VrrpInstance; config: VrrpInstanceConfig }[] = [];
  config.instances.forEach((inst, i) => {
    const { vips, notify: _notify, tracking: _tracking, ...rest } = inst;
    const vrrpConfig: VrrpInstanceConfig = {
      ...rest,
      virtualIpAddresses: vips.map((n) => config.vips.get(n)?.address ?? ''),
    };
    try {
      const iface = config.interfaces.find((x) => x.name === inst.interface);
      compileInstance(vrrpConfig, iface?.address ?? inst.sourceIp ?? primaryGuess(vrrpConfig), config.vrrpGlobals);
    } catch (err) {
      prefixed(issues, ['vrrp', 'instances', i], err);
    }
    instances.push({ source: inst, config: vrrpConfig });
  });

  issues.throwIfAny('DIRECTOR_INVALID_CONFIG', 'invalid director config');
  return { config, ipvs: ipvs as CompiledIpvsConfig, health, instances, weights, sorry, startDown };
}

/**
 * The daemon options of a config's sync block for a role (without the clock): the rules over the kernel's
 * defaults, the interface's configured address as the local address when it is of the daemon's family.
 */
function syncOptions(c: NormalizedConfig, s: NormalizedSync, role: SyncRole): SyncDaemonOptions {
  const family = (s.peers[0] ?? s.group ?? '').includes(':') ? 6 : 4;
  const local = s.address ?? c.interfaces.find((i) => i.name === s.interface)?.address;
  const address = local !== undefined && local.includes(':') === (family === 6) ? local : undefined;
  return {
    role,
    interface: s.interface,
    syncid: s.syncid,
    ...(s.group !== undefined ? { group: s.group } : {}),
    ...(s.port !== undefined ? { port: s.port } : {}),
    ...(s.ttl !== undefined ? { ttl: s.ttl } : {}),
    ...(s.maxLen !== undefined ? { maxLen: s.maxLen } : {}),
    ...(s.version !== undefined ? { version: s.version } : {}),
    ...(s.peers.length > 0 ? { peers: s.peers } : {}),
    ...(address !== undefined ? { address } : {}),
    ...(s.rules !== undefined ? { rules: { ...DEFAULT_SYNC_RULES, ...s.rules } } : {}),
    ...(s.extensions !== undefined ? { extensions: s.extensions } : {}),
  };
}

/** What a sync daemon threw, as an LvsError (its own, or `DIRECTOR_SYNC` around anything else). */
function syncError(role: SyncRole, err: unknown): LvsError {
  return LvsError.is(err)
    ? err
    : new LvsError('DIRECTOR_SYNC', `${role} sync daemon: ${err instanceof Error ? err.message : String(err)}`);
}

/** A stand-in source address for validating an instance whose interface address is read at start. */
function primaryGuess(c: VrrpInstanceConfig): string {
  const first = c.virtualIpAddresses[0];
  const text = typeof first === 'string' ? first : first?.address;
  return text?.includes(':') ? 'fe80::1' : '198.18.0.1';
}

function checkerSpec(
  check: CheckConfig,
  context: CheckContext,
  service: NormalizedConfig['services'][number],
  rs: ServiceRealServer,
  ports: DirectorPorts,
): CheckerSpec {
  const scope = {
    ...(service.health?.timing ? { virtualServer: service.health.timing } : {}),
    ...(rs.timing ? { realServer: rs.timing } : {}),
    ...(ports.commandRunner ? { runner: ports.commandRunner } : {}),
    address: context.address,
    port: context.port,
  };
  let spec: CheckerSpec;
  if (check.type === 'LDIRECTORD') {
    spec = ldirectordSpec(check, context, service, ports);
  } else if (check.type === 'CUSTOM') {
    const { type: _type, checker, ...timing } = check;
    const base = keepalivedChecker({ type: 'TCP_CHECK', ...timing }, scope);
    spec = { ...base, checker };
  } else {
    spec = keepalivedChecker(check, scope);
  }
  const replaced = ports.checker?.(context);
  return replaced ? { ...spec, checker: replaced } : spec;
}

/**
 * An ldirectord check through health's `ldirectordChecker`, the virtual being the service. `checktype = off`
 * (ldirectord never adds the real server) is a checker that always fails, with the section's timing.
 * Health's issue paths are mapped to the check's own keys (`global.*` → `globals.*`).
 */
function ldirectordSpec(
  check: LdirectordCheckConfig,
  context: CheckContext,
  service: NormalizedConfig['services'][number],
  ports: DirectorPorts,
): CheckerSpec {
  const { type: _type, globals, ...section } = check;
  const protocol = service.protocol ?? 'tcp';
  if (protocol === 'sctp') throw new LvsError('DIRECTOR_INVALID_CONFIG', 'ldirectord checks tcp and udp services only');
  const virtual = { ...section, address: service.address, port: service.port, protocol };
  const real = { address: context.address, port: context.port };
  const options = ports.commandRunner ? { runner: ports.commandRunner } : {};
  try {
    if (section.checktype === 'off') {
      const on = ldirectordChecker({ ...virtual, checktype: 'on' }, real, globals, options) as CheckerSpec;
      const checker: Checker = {
        kind: 'ldirectord:off',
        key: `off ${formatEndpoint(real.address, real.port)}`,
        check: async () => ({
          ok: false,
          message: 'checktype off: ldirectord never adds this real server',
          durationMs: 0,
        }),
      };
      return { ...on, checker };
    }
    return ldirectordChecker(virtual, real, globals, options) as CheckerSpec;
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    const issues = err.issues.map((i) => ({
      ...i,
      path: i.path[0] === 'global' ? ['globals', ...i.path.slice(1)] : i.path,
    }));
    throw new LvsError(err.code, err.message, { issues });
  }
}

/**
 * A whole director. Create it with {@link createDirector}; `start()` brings it up, `reload()` applies a new
 * configuration without dropping connections, stats, checker state or VRRP state, `stop()` releases it.
 */
export class Director extends TypedEmitter<DirectorEvents> {
  /** Core's IPVS table and engine (the packet path's brain; `ipvsadmTarget(director.ipvs)` for ipvsadm). */
  readonly ipvs: Ipvs;
  /** The datapath, when the config has interfaces. */
  readonly datapath: Datapath | undefined;
  /** Health checking, the one owner of the health → weight policy. */
  readonly health: HealthDirector;
  /** The clock everything runs on. */
  readonly clock: Clock;
  #compiled: Compiled;
  readonly #ports: DirectorPorts;
  readonly #overrides = new Map<string, RealServerOverride>();
  readonly #routers = new Map<string, { router: VrrpRouter; source: string }>();
  #groups: VrrpSyncGroup[] = [];
  /** The global `vrrp_script` set every router shares (a script runs once per interval however many track it). */
  #scripts: VrrpScriptSet | undefined;
  readonly #served = new Map<string, string | undefined>();
  #lifecycle: DirectorStatus['lifecycle'] = 'created';
  /** Real servers draining, by override key. */
  readonly #draining = new Map<string, { service: string; address: string; port: number; since: number }>();
  #drainTimer: TimerHandle | undefined;
  /** The scale-out announcer of the `announce` block, while running. */
  #scale: ScaleOut | undefined;
  /** The sync daemons by role (starting or running), and who started each. */
  readonly #sync = new Map<SyncRole, SyncDaemon>();
  /** Sync daemon starts and stops, one after the other. */
  #syncQueue: Promise<void> = Promise.resolve();

  /** Use {@link createDirector}. @internal */
  constructor(compiled: Compiled, ports: DirectorPorts) {
    super();
    this.#compiled = compiled;
    this.#ports = ports;
    this.clock = ports.clock ?? systemClock;
    for (const k of compiled.sorry) this.#overrides.set(k, { kind: 'absent' });
    for (const [k, start] of compiled.startDown) this.#overrides.set(k, start);
    this.ipvs = new Ipvs(compiled.ipvs, { clock: this.clock });
    this.ipvs.setOverrides(this.#overrides);
    const c = compiled.config;
    this.datapath =
      c.interfaces.length > 0
        ? (ports.datapath ?? createDatapath)({
            ifname: c.interfaces[0]!.name,
            interfaces: c.interfaces
              .slice(1)
              .map((i) => ({ ifname: i.name, ...(i.gateways ? { gateways: i.gateways } : {}) })),
            vips: [...c.vips.values()].map((v) => v.address),
            serving: [],
            clock: this.clock,
            ...(c.interfaces[0]!.address !== undefined ? { address: c.interfaces[0]!.address } : {}),
            ...(c.interfaces[0]!.gateways !== undefined ? { gateways: c.interfaces[0]!.gateways } : {}),
            ...(Object.keys(c.neighbours).length > 0 ? { neighbours: c.neighbours } : {}),
            ...(ports.netns !== undefined ? { netns: ports.netns } : {}),
          })
        : undefined;
    this.health = new HealthDirector({
      director: {
        addRealServer: (service, server, weight) => this.#healthSet(service, server, weight),
        setWeight: (service, server, weight) => this.#healthSet(service, server, weight),
        removeRealServer: (service, server) => this.#healthRemove(service, server),
      },
      runner: new HealthRunner({ clock: this.clock }),
      ...(ports.commandRunner ? { commandRunner: ports.commandRunner } : {}),
    });
    this.health.on('realServerUp', (e) =>
      this.emitWith('realServerUp', () => ({
        service: e.service,
        address: e.server.address,
        port: e.server.port,
        reason: e.reason,
      })),
    );
    this.health.on('realServerDown', (e) =>
      this.emitWith('realServerDown', () => ({
        service: e.service,
        address: e.server.address,
        port: e.server.port,
        reason: e.reason,
      })),
    );
    this.health.on('quorumUp', (e) =>
      this.emitWith('quorumUp', () => ({ service: e.service, liveWeight: e.liveWeight, threshold: e.threshold })),
    );
    this.health.on('quorumDown', (e) =>
      this.emitWith('quorumDown', () => ({ service: e.service, liveWeight: e.liveWeight, threshold: e.threshold })),
    );
    this.health.on('warning', (e) => this.emitWith('warning', () => ({ source: 'health', message: e.message })));
    this.health.on('actionFailed', (e) =>
      this.emitWith('warning', () => ({ source: 'health', message: `${e.service}: ${e.error}` })),
    );
  }

  /** The configuration in force, normalized. */
  get config(): NormalizedConfig {
    return this.#compiled.config;
  }

  /** The VIPs served now (canonical address text). */
  get serving(): readonly string[] {
    return [...this.#served.keys()];
  }

  /** The VRRP router of an instance, by name. */
  router(instance: string): VrrpRouter | undefined {
    return this.#routers.get(instance)?.router;
  }

  /** State of every part. */
  status(): DirectorStatus {
    return {
      lifecycle: this.#lifecycle,
      serving: this.serving,
      vrrp: [...this.#routers].map(([instance, r]) => ({ instance, state: r.router.state })),
    };
  }

  // ------------------------------------------------------------------ health → table

  #healthSet(service: string, server: HealthServerRef, weight: number): void {
    const key = overrideKey(service, server.address, server.port);
    // A server no longer configured (draining, or gone) is not health's: an "up" must not restore it.
    if (!this.#compiled.weights.has(key)) return;
    const configured = this.#compiled.weights.get(key);
    if (configured === weight && !this.#compiled.sorry.has(key)) this.#overrides.delete(key);
    else this.#overrides.set(key, { kind: 'weight', weight });
    this.#applyOverrides();
  }

  #healthRemove(service: string, server: HealthServerRef): void {
    const key = overrideKey(service, server.address, server.port);
    if (!this.#compiled.weights.has(key)) return;
    this.#overrides.set(key, { kind: 'absent' });
    this.#applyOverrides();
  }

  #applyOverrides(): void {
    const changes = this.ipvs.setOverrides(this.#overrides);
    if (changes.length > 0) this.emitWith('tableChanged', () => ({ cause: 'health', changes }));
  }

  // ------------------------------------------------------------------ serving

  #serve(vip: string, instance: string | undefined, on: boolean): void {
    const was = this.#served.has(vip);
    if (on) this.#served.set(vip, instance);
    else this.#served.delete(vip);
    if (was === on) return;
    this.datapath?.serve(this.serving);
    this.emitWith('serving', () => ({ vip, serving: on, instance }));
  }

  #ownership(instance: string): AddressOwnership {
    const addressOf = (v: CompiledVirtualAddress) => formatIp(v.address);
    return {
      add: async (vip) => this.#serve(addressOf(vip), instance, true),
      remove: async (vip) => this.#serve(addressOf(vip), instance, false),
      announce: async (vip, repeat) => {
        if (this.#served.has(addressOf(vip))) this.datapath?.announce(addressOf(vip), repeat);
      },
      primaryAddress: (ifname, family) => this.#primaryAddress(this.#compiled, ifname, family),
    };
  }

  /** The director's address on an interface: the configured one, else the port's, else the kernel's. */
  async #primaryAddress(c: Compiled, ifname: string, family: 4 | 6): Promise<string | undefined> {
    const a = c.config.interfaces.find((i) => i.name === ifname)?.address;
    if (a !== undefined && (a.includes(':') ? 6 : 4) === family) return a;
    if (this.#ports.primaryAddress) return this.#ports.primaryAddress(ifname, family);
    if (!nativeOwnershipAvailable()) return undefined;
    const native = new NativeOwnership(this.#ports.netns !== undefined ? { netns: this.#ports.netns } : {});
    return native.primaryAddress(ifname, family);
  }

  /**
   * Each VRRP instance (of those `which` selects) must have a source address — `sourceIp`, its interface's
   * configured address, or the interface's primary address now — or it could not start: an issue per
   * instance that has none, so that start or reload refuses before changing anything.
   */
  async #checkSources(c: Compiled, which: (instance: string) => boolean, issues: IssueList): Promise<void> {
    for (const [i, inst] of c.instances.entries()) {
      const name = inst.source.name;
      if (!which(name) || inst.config.sourceIp !== undefined) continue;
      const first = inst.config.virtualIpAddresses[0];
      const family = (typeof first === 'string' ? first : (first?.address ?? '')).includes(':') ? 6 : 4;
      const found = await this.#primaryAddress(c, inst.config.interface, family);
      if (found === undefined) {
        issues.add(
          ['vrrp', 'instances', i, 'sourceIp'],
          'DIRECTOR_INVALID_CONFIG',
          `vrrp instance ${name}: no IPv${family} source address: ${inst.config.interface} has none; give sourceIp or the interface's address`,
        );
      }
    }
  }

  #vrrpOwned(): Set<string> {
    const owned = new Set<string>();
    for (const inst of this.#compiled.config.instances)
      for (const n of inst.vips) owned.add(this.#compiled.config.vips.get(n)!.address);
    return owned;
  }

  #makeRouter(inst: { source: VrrpInstance; config: VrrpInstanceConfig }): VrrpRouter {
    const name = inst.source.name;
    const router = new VrrpRouter(inst.config, {
      clock: this.clock,
      ownership: this.#ownership(name),
      ...(this.#ports.vrrpTransport ? { transport: this.#ports.vrrpTransport(name, inst.config) } : {}),
      ...(inst.source.notify ? { notify: inst.source.notify } : {}),
      ...(inst.source.tracking ? { tracking: inst.source.tracking } : {}),
      ...(this.#ports.linkMonitor ? { linkMonitor: this.#ports.linkMonitor } : {}),
      ...(this.#ports.linkPollMs !== undefined ? { linkPollMs: this.#ports.linkPollMs } : {}),
      ...(this.#ports.commandRunner ? { commandRunner: this.#ports.commandRunner } : {}),
      ...(this.#scripts ? { scripts: this.#scripts } : {}),
      ...(this.#compiled.config.vrrpGlobals ? { globals: this.#compiled.config.vrrpGlobals } : {}),
    });
    router.on('stateChanged', (e) =>
      this.emitWith('vrrpTransition', () => ({
        instance: name,
        from: e.from,
        to: e.to,
        reason: e.reason,
        priority: e.priority,
      })),
    );
    router.on('stateChanged', (e) => this.#syncFollow(name, e.from, e.to));
    router.on('error', (error) => this.emitWith('error', () => ({ source: 'vrrp', error })));
    this.#routers.set(name, { router, source: JSON.stringify(inst.source) });
    return router;
  }

  #makeScripts(c: Compiled): VrrpScriptSet | undefined {
    if (c.config.scripts.length === 0) return undefined;
    return new VrrpScriptSet(c.config.scripts, {
      clock: this.clock,
      ...(this.#ports.commandRunner ? { commandRunner: this.#ports.commandRunner } : {}),
    });
  }

  /** The routers in no sync group (a group starts and stops its own members). */
  #ungrouped(): VrrpRouter[] {
    return [...this.#routers.values()].map((r) => r.router).filter((r) => r.syncGroup === undefined);
  }

  /**
   * Builds the sync groups of the config: a group none of whose members is in `restarted` is kept as it is;
   * the others are new (over new routers). Returns the new ones, to start.
   */
  #makeGroups(restarted: ReadonlySet<string> | undefined): VrrpSyncGroup[] {
    const kept = new Map(this.#groups.map((g) => [g.name, g]));
    const fresh: VrrpSyncGroup[] = [];
    this.#groups = this.#compiled.config.syncGroups.map((g) => {
      const old = kept.get(g.name);
      if (old && restarted && !g.instances.some((n) => restarted.has(n))) return old;
      const group = new VrrpSyncGroup(
        g.name,
        g.instances.map((n) => this.#routers.get(n)!.router),
        g.notify ? { notify: g.notify } : {},
      );
      fresh.push(group);
      return group;
    });
    return fresh;
  }

  // ------------------------------------------------------------------ sync daemons

  /** The sync daemons starting or running now, master first (`lvsadm -L --daemon`). */
  syncDaemons(): readonly SyncDaemon[] {
    return (['master', 'backup'] as const).flatMap((r) => {
      const d = this.#sync.get(r);
      return d ? [d] : [];
    });
  }

  /** The sync daemon of a role, starting or running, if any. */
  syncDaemon(role: SyncRole): SyncDaemon | undefined {
    return this.#sync.get(role);
  }

  /**
   * Starts a sync daemon outside the config, as `ipvsadm --start-daemon` starts the kernel's: one per role.
   * The daemon is in {@link syncDaemons} from this call on; it resolves when its sockets are open.
   * @param options - the daemon's options (its `clock` defaults to the director's)
   * @throws LvsError `DIRECTOR_SYNC` when a daemon of that role already runs or the director is not
   *   running; the daemon's own error (`SYNC_INVALID_OPTION`, `SYNC_SOCKET`, …) when it cannot start
   */
  async startSyncDaemon(options: SyncDaemonOptions): Promise<SyncDaemon> {
    if (this.#lifecycle !== 'running')
      throw new LvsError('DIRECTOR_SYNC', `director is ${this.#lifecycle}, not running`);
    if (this.#sync.has(options.role)) throw new LvsError('DIRECTOR_SYNC', `a ${options.role} sync daemon already runs`);
    const d = this.#makeSyncDaemon({ clock: this.clock, ...options });
    let failed: unknown;
    await this.#syncRun(d, 'control', (err) => {
      failed = err;
    });
    if (failed !== undefined) throw failed;
    return d;
  }

  /**
   * Stops the sync daemon of a role (`ipvsadm --stop-daemon`), whoever started it; a followed VRRP instance
   * starts one again at its next transition, as keepalived does.
   * @throws LvsError `DIRECTOR_SYNC` when none of that role runs
   */
  async stopSyncDaemon(role: SyncRole): Promise<void> {
    if (!this.#sync.has(role)) throw new LvsError('DIRECTOR_SYNC', `no ${role} sync daemon runs`);
    this.#syncStop(role, 'control');
    await this.#syncQueue;
  }

  #makeSyncDaemon(options: SyncDaemonOptions): SyncDaemon {
    const d = this.#ports.syncDaemon ? this.#ports.syncDaemon(this.ipvs, options) : new SyncDaemon(this.ipvs, options);
    const role = d.role;
    d.on('error', (e) => this.emitWith('error', () => ({ source: 'sync', error: e.error })));
    d.on('warning', (e) => this.emitWith('warning', () => ({ source: 'sync', message: `${role}: ${e.message}` })));
    d.on('gap', (e) =>
      this.emitWith('warning', () => ({
        source: 'sync',
        message: `backup: ${e.lost} sync message${e.lost === 1 ? '' : 's'} lost from master ${e.sender} (expected ${e.expected}, got ${e.received})`,
      })),
    );
    d.on('resync', (e) =>
      this.emitWith('syncResync', () => ({ role, phase: e.phase, peer: e.peer, entries: e.entries, lost: e.lost })),
    );
    return d;
  }

  /**
   * Registers `d` in its role now and starts it after what is queued; a failed start is an `error` event
   * (source `sync`), removes it and emits `syncStopped` with cause `failed`.
   */
  #syncRun(d: SyncDaemon, cause: SyncCause, onFail?: (err: unknown) => void): Promise<void> {
    this.#sync.set(d.role, d);
    this.#syncQueue = this.#syncQueue.then(async () => {
      if (this.#sync.get(d.role) !== d) return;
      try {
        await d.start();
      } catch (err) {
        if (this.#sync.get(d.role) === d) this.#sync.delete(d.role);
        const error = syncError(d.role, err);
        this.emitWith('error', () => ({ source: 'sync', error }));
        this.emitWith('syncStopped', () => ({ role: d.role, cause: 'failed' }));
        onFail?.(error);
        return;
      }
      this.emitWith('syncStarted', () => ({
        role: d.role,
        interface: d.options.interface,
        syncid: d.options.syncid,
        cause,
      }));
    });
    return this.#syncQueue;
  }

  /** Unregisters the daemon of `role` now and stops it after what is queued. */
  #syncStop(role: SyncRole, cause: SyncCause): void {
    const d = this.#sync.get(role);
    if (!d) return;
    this.#sync.delete(role);
    this.#syncQueue = this.#syncQueue.then(async () => {
      const was = d.running;
      try {
        await d.stop();
      } catch (err) {
        // The queue must go on: a stop that fails is reported, and the daemon is gone from the director.
        const error = syncError(role, err);
        this.emitWith('error', () => ({ source: 'sync', error }));
      }
      if (was) this.emitWith('syncStopped', () => ({ role, cause }));
    });
  }

  /** Starts a daemon of `role` from the config unless one of that role is there already. */
  #syncStart(role: SyncRole, cause: SyncCause): void {
    const s = this.#compiled.config.sync;
    if (!s || this.#sync.has(role)) return;
    let d: SyncDaemon;
    try {
      d = this.#makeSyncDaemon({ ...syncOptions(this.#compiled.config, s, role), clock: this.clock });
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      this.emitWith('error', () => ({ source: 'sync', error: err }));
      return;
    }
    void this.#syncRun(d, cause);
  }

  /**
   * The daemons the config asks for now: fixed roles, or the followed instance's: master while it is MASTER,
   * else backup (keepalived vrrp_scheduler.c `vrrp_init_state` starts the backup daemon; on a reload
   * vrrp_daemon.c starts the one of the instance's state and stops the other).
   */
  #syncFromConfig(cause: SyncCause): void {
    const s = this.#compiled.config.sync;
    if (!s || this.#lifecycle !== 'running') return;
    if (s.roles === 'follow') {
      const master = s.instance !== undefined && this.#routers.get(s.instance)?.router.state === 'MASTER';
      this.#syncSwitch(master ? 'master' : 'backup', cause);
      return;
    }
    if (s.roles === 'master' || s.roles === 'both') this.#syncStart('master', cause);
    if (s.roles === 'backup' || s.roles === 'both') this.#syncStart('backup', cause);
  }

  /** keepalived's ipvs_syncd_master / ipvs_syncd_backup: stop the other role's daemon, start this one's. */
  #syncSwitch(role: SyncRole, cause: SyncCause): void {
    this.#syncStop(role === 'master' ? 'backup' : 'master', cause);
    this.#syncStart(role, cause);
  }

  /**
   * The followed instance changed state (keepalived vrrp.c): becoming MASTER switches to the master daemon
   * (`vrrp_state_become_master` → `ipvs_syncd_master`), leaving MASTER for any state to the backup daemon
   * (`vrrp_state_leave_master` → `ipvs_syncd_backup`); other transitions change nothing.
   */
  #syncFollow(instance: string, from: VrrpState, to: VrrpState): void {
    const s = this.#compiled.config.sync;
    if (s?.roles !== 'follow' || s.instance !== instance || this.#lifecycle !== 'running') return;
    if (to === 'MASTER' && from !== 'MASTER') this.#syncSwitch('master', 'vrrp');
    else if (from === 'MASTER' && to !== 'MASTER') this.#syncSwitch('backup', 'vrrp');
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Starts the table's timers, opens the datapath, starts health checks and the VRRP routers, and serves the
   * VIPs no VRRP instance owns.
   * @throws LvsError `DIRECTOR_STATE` when not freshly created
   */
  async start(): Promise<void> {
    if (this.#lifecycle !== 'created')
      throw new LvsError('DIRECTOR_STATE', `director is ${this.#lifecycle}; create a new one`);
    const issues = new IssueList();
    await this.#checkSources(this.#compiled, () => true, issues);
    issues.throwIfAny('DIRECTOR_INVALID_CONFIG', 'cannot start');
    this.#lifecycle = 'running';
    await this.ipvs.start();
    if (this.datapath) await this.datapath.open(this.ipvs.engine);
    this.health.apply(this.#compiled.health);
    this.health.start();
    const owned = this.#vrrpOwned();
    for (const v of this.#compiled.config.vips.values()) {
      if (!owned.has(v.address)) {
        this.#serve(v.address, undefined, true);
        this.datapath?.announce(v.address, 1);
      }
    }
    this.#scripts = this.#makeScripts(this.#compiled);
    for (const inst of this.#compiled.instances) this.#makeRouter(inst);
    this.#makeGroups(undefined);
    this.#syncFromConfig('config');
    await Promise.all([...this.#groups.map((g) => g.start()), ...this.#ungrouped().map((r) => r.start())]);
    await this.#syncQueue;
    if (this.#compiled.config.announce) await this.#startAnnounce(this.#compiled.config.announce);
    this.emitWith('started', () => ({ at: this.clock.now() }));
  }

  /**
   * Starts the `announce` block's speaker and its {@link ScaleOut}; a speaker that cannot start is an `error`
   * event (source `announce`) and the director runs unannounced — it then attracts no traffic, which is safe.
   */
  async #startAnnounce(config: AnnounceConfig): Promise<void> {
    const announcer =
      this.#ports.announcer?.(config) ??
      new GobgpAnnouncer({ ...config.bgp, ...(this.#ports.netns !== undefined ? { netns: this.#ports.netns } : {}) });
    const scale = new ScaleOut(this, { announcer, ...(config.vips !== undefined ? { vips: config.vips } : {}) });
    scale.on('announced', (e) => this.emitWith('announced', () => e));
    scale.on('withdrawn', (e) => this.emitWith('withdrawn', () => e));
    scale.on('warning', (e) => this.emitWith('warning', () => ({ source: 'announce', message: e.message })));
    scale.on('error', (e) => this.emitWith('error', () => ({ source: 'announce', error: e.error })));
    this.#scale = scale;
    try {
      await scale.start();
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      this.emitWith('error', () => ({ source: 'announce', error: err }));
    }
  }

  /** The scale-out announcer of the `announce` block (undefined without one or before `start()`). */
  get scaleOut(): ScaleOut | undefined {
    return this.#scale;
  }

  /**
   * Scale-out drain (`lvskit drain`): withdraws every announced VIP at once, keeps forwarding the connections
   * the director has until none is left or `drain.timeoutMs` passes, then stops the speaker. The director
   * keeps running; stop it after.
   * @throws LvsError `DIRECTOR_STATE` when not running or without an `announce` block
   */
  async drain(): Promise<'drained' | 'timeout'> {
    if (this.#lifecycle !== 'running' || !this.#scale)
      throw new LvsError(
        'DIRECTOR_STATE',
        this.#lifecycle !== 'running' ? `director is ${this.#lifecycle}, not running` : 'no announce block to drain',
      );
    return this.#scale.drain();
  }

  /**
   * Stops cleanly: VRRP routers send priority 0 and release their VIPs, nothing is served any more, checks
   * stop, the datapath closes and the table's timers stop.
   * @throws LvsError `DIRECTOR_STATE` when not running
   */
  async stop(): Promise<void> {
    if (this.#lifecycle !== 'running')
      throw new LvsError('DIRECTOR_STATE', `director is ${this.#lifecycle}, not running`);
    this.#lifecycle = 'stopped';
    // Withdraw first, so the router stops sending before the datapath stops forwarding.
    await this.#scale?.stop();
    await Promise.all([...this.#groups.map((g) => g.stop()), ...this.#ungrouped().map((r) => r.stop())]);
    for (const role of [...this.#sync.keys()]) this.#syncStop(role, 'config');
    await this.#syncQueue;
    for (const vip of [...this.#served.keys()]) this.#serve(vip, undefined, false);
    this.#drainTimer?.cancel();
    this.#drainTimer = undefined;
    this.#draining.clear();
    this.health.stop();
    await this.health.idle();
    if (this.datapath) await this.datapath.close();
    await this.ipvs.stop();
    this.emitWith('stopped', () => ({ at: this.clock.now() }));
  }

  /** Health's overrides carried into `next`: kept for kept real servers, new sorry and start-down ones out. */
  #reloadOverrides(next: Compiled): Map<string, RealServerOverride> {
    const previous = this.#compiled;
    const overrides = new Map(this.#overrides);
    for (const k of [...overrides.keys()]) if (!next.weights.has(k)) overrides.delete(k);
    for (const k of next.sorry) if (!overrides.has(k) && !previous.sorry.has(k)) overrides.set(k, { kind: 'absent' });
    // A real server new to the table whose checks start down stays out until its first passing check.
    for (const [k, start] of next.startDown) if (!overrides.has(k) && !previous.weights.has(k)) overrides.set(k, start);
    return overrides;
  }

  /**
   * The table changes {@link Director.reload} would make for `input`, changing nothing (`lvskit reload
   * --dry-run`). The config is validated as reload validates it.
   * @returns the changes, as reload would return them
   * @throws LvsError `DIRECTOR_INVALID_CONFIG` with every issue, `DIRECTOR_STATE` when not running
   */
  async planReload(input: DirectorConfig): Promise<readonly IpvsChange[]> {
    if (this.#lifecycle !== 'running')
      throw new LvsError('DIRECTOR_STATE', `director is ${this.#lifecycle}, not running`);
    const next = compile(input, this.#ports);
    const overrides = this.#reloadOverrides(next);
    return this.ipvs.plan(this.#withDrain(next, overrides).ipvs, overrides);
  }

  /**
   * `next`'s table with the real servers it removes from kept services put back at weight 0 to drain (not
   * when `drain.timeoutMs` is 0, nor for one health holds out of the table), and those still draining that
   * it does not bring back.
   */
  #withDrain(
    next: Compiled,
    overrides: ReadonlyMap<string, RealServerOverride>,
  ): { ipvs: CompiledIpvsConfig; drains: Map<string, { service: string; address: string; port: number }> } {
    const drains = new Map<string, { service: string; address: string; port: number }>();
    if (next.config.drainTimeoutMs === 0) return { ipvs: next.ipvs, drains };
    const current = new Map(this.ipvs.configuration.services.map((s) => [s.name, s]));
    const ipvs = withRealServers(next.ipvs, (s) => {
      const was = current.get(s.name);
      if (!was) return s.realServers;
      const kept = new Set(s.realServers.map((r) => overrideKey(s.name, r.address, r.port)));
      const extra = [];
      for (const r of was.realServers) {
        const k = overrideKey(s.name, r.address, r.port);
        if (kept.has(k) || this.#overrides.get(k)?.kind === 'absent' || overrides.has(k)) continue;
        drains.set(k, { service: s.name, address: r.address, port: r.port });
        extra.push({ ...r, weight: 0 });
      }
      return extra.length === 0 ? s.realServers : [...s.realServers, ...extra];
    });
    return { ipvs: drains.size === 0 ? next.ipvs : ipvs, drains };
  }

  /** Checks the draining real servers now, then again in a second of the director's clock. */
  #checkDrains(): void {
    this.#drainTimer = undefined;
    if (this.#lifecycle !== 'running' || this.#draining.size === 0) return;
    const now = this.clock.now();
    const timeout = this.#compiled.config.drainTimeoutMs;
    const done: [string, 'drained' | 'timeout'][] = [];
    for (const [k, d] of this.#draining) {
      const view = this.ipvs.get(d.service).realServers.find((r) => overrideKey(d.service, r.address, r.port) === k);
      if (!view || view.activeConns + view.inactiveConns === 0) done.push([k, 'drained']);
      else if (now - d.since >= timeout) done.push([k, 'timeout']);
    }
    if (done.length > 0) {
      const gone = new Set(done.map(([k]) => k));
      const table = withRealServers(this.ipvs.configuration, (s) =>
        s.realServers.filter((r) => !gone.has(overrideKey(s.name, r.address, r.port))),
      );
      const changes = this.ipvs.reload(table, this.#overrides);
      for (const [k, reason] of done) {
        const d = this.#draining.get(k);
        this.#draining.delete(k);
        if (d)
          this.emitWith('realServerRemoved', () => ({
            service: d.service,
            address: d.address,
            port: d.port,
            reason,
          }));
      }
      if (changes.length > 0) this.emitWith('tableChanged', () => ({ cause: 'drain', changes }));
    }
    this.#armDrains();
  }

  #armDrains(): void {
    if (this.#drainTimer !== undefined || this.#draining.size === 0 || this.#lifecycle !== 'running') return;
    this.#drainTimer = this.clock.setTimeout(() => this.#checkDrains(), DRAIN_CHECK_MS);
  }

  /**
   * Applies a new configuration, validated whole first (a refused one changes nothing): the table is
   * reconciled with what health holds (a server health took out stays out; connections, stats and templates
   * of what stays are kept), kept checkers keep their state, new real servers are checked, the datapath's VIP
   * list follows, and VRRP instances whose config did not change keep running untouched.
   * @returns the table changes
   * @throws LvsError `DIRECTOR_INVALID_CONFIG` with every issue, `DIRECTOR_STATE` when not running
   */
  async reload(input: DirectorConfig): Promise<readonly IpvsChange[]> {
    if (this.#lifecycle !== 'running')
      throw new LvsError('DIRECTOR_STATE', `director is ${this.#lifecycle}, not running`);
    const next = compile(input, this.#ports);
    const previous = this.#compiled;
    if (JSON.stringify(previous.config.announce ?? null) !== JSON.stringify(next.config.announce ?? null))
      this.emitWith('warning', () => ({
        source: 'announce',
        message:
          'the announce block changed: a reload keeps the running speaker; the new block takes effect at the next start',
      }));
    const overrides = this.#reloadOverrides(next);
    const { ipvs: table, drains } = this.#withDrain(next, overrides);
    // What can still refuse runs before anything changes: the VRRP source addresses of new or changed
    // instances, then the table's own reload rules (core refuses a reload whole, changing nothing).
    const issues = new IssueList();
    const sameShared =
      JSON.stringify([previous.config.scripts, previous.config.vrrpGlobals ?? null]) ===
      JSON.stringify([next.config.scripts, next.config.vrrpGlobals ?? null]);
    const kept = new Set(
      [...this.#routers]
        .filter(([, r]) => sameShared && next.instances.some((i) => JSON.stringify(i.source) === r.source))
        .map(([n]) => n),
    );
    await this.#checkSources(next, (name) => !kept.has(name), issues);
    issues.throwIfAny('DIRECTOR_INVALID_CONFIG', 'cannot reload');
    let changes: readonly IpvsChange[];
    try {
      changes = this.ipvs.reload(table, overrides);
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      for (const i of err.issues) issues.add(i.path, 'DIRECTOR_INVALID_CONFIG', i.message);
      issues.throwIfAny('DIRECTOR_INVALID_CONFIG', 'cannot reload');
      throw err;
    }
    this.#compiled = next;
    this.#overrides.clear();
    for (const [k, v] of overrides) this.#overrides.set(k, v);
    // Drain: a real server put back is served again; a newly removed one starts draining.
    for (const [k, d] of [...this.#draining])
      if (!drains.has(k)) {
        this.#draining.delete(k);
        if (this.ipvs.list().some((s) => s.name === d.service)) {
          const still = next.weights.has(k);
          if (still) this.ipvs.setDraining(d.service, { address: d.address, port: d.port }, false);
        }
      }
    const now = this.clock.now();
    for (const [k, d] of drains) {
      if (this.#draining.has(k)) continue;
      this.ipvs.setDraining(d.service, { address: d.address, port: d.port }, true);
      this.#draining.set(k, { ...d, since: now });
      this.emitWith('realServerDraining', () => ({ ...d, timeoutMs: next.config.drainTimeoutMs }));
    }
    this.#armDrains();
    this.health.apply(next.health);
    this.datapath?.setVips([...next.config.vips.values()].map((v) => v.address));

    // VRRP: keep unchanged instances; stop removed or changed ones; start new or changed ones. A sync group
    // moves as one: when it changes, or any of its members does, all its members restart with a new group.
    const wanted = new Map(next.instances.map((i) => [i.source.name, i]));
    const changed = new Set<string>();
    const shared = (c: Compiled) => JSON.stringify([c.config.scripts, c.config.vrrpGlobals ?? null]);
    const sharedChanged = shared(previous) !== shared(next);
    for (const [name, r] of this.#routers) {
      const w = wanted.get(name);
      if (sharedChanged || !w || JSON.stringify(w.source) !== r.source) changed.add(name);
    }
    const before = new Map(previous.config.syncGroups.map((g) => [g.name, JSON.stringify(g)]));
    for (const g of [...previous.config.syncGroups, ...next.config.syncGroups]) {
      const same = before.get(g.name) === JSON.stringify(next.config.syncGroups.find((n) => n.name === g.name));
      if (!same || g.instances.some((n) => changed.has(n))) for (const n of g.instances) changed.add(n);
    }
    await Promise.all(
      [...changed].map(async (name) => {
        await this.#routers.get(name)?.router.stop();
        this.#routers.delete(name);
      }),
    );
    if (sharedChanged) this.#scripts = this.#makeScripts(next);
    const restart: VrrpRouter[] = [];
    for (const inst of next.instances) if (!this.#routers.has(inst.source.name)) restart.push(this.#makeRouter(inst));
    const fresh = this.#makeGroups(changed);
    await Promise.all([...fresh.map((g) => g.start()), ...restart.filter((r) => !r.syncGroup).map((r) => r.start())]);
    // Sync: a changed sync block (or local address it binds) restarts the daemons (keepalived
    // vrrp_daemon.c reload_vrrp_thread with ipvs_syncd_changed); an unchanged one keeps them.
    const syncKey = (c: NormalizedConfig) => JSON.stringify(c.sync ? [c.sync, syncOptions(c, c.sync, 'master')] : null);
    if (syncKey(previous.config) !== syncKey(next.config)) {
      for (const role of [...this.#sync.keys()]) this.#syncStop(role, 'config');
      this.#syncFromConfig('config');
    }
    await this.#syncQueue;

    // VIPs no instance owns are served; a VIP gone from the config is not.
    const owned = this.#vrrpOwned();
    const addresses = new Set([...next.config.vips.values()].map((v) => v.address));
    for (const vip of [...this.#served.keys()]) if (!addresses.has(vip)) this.#serve(vip, undefined, false);
    for (const a of addresses) if (!owned.has(a) && !this.#served.has(a)) this.#serve(a, undefined, true);
    this.emitWith('reloaded', () => ({ changes }));
    if (changes.length > 0) this.emitWith('tableChanged', () => ({ cause: 'reload', changes }));
    return changes;
  }
}

/**
 * Validates a whole director configuration without creating anything: shape, unknown keys, addresses, names,
 * and everything core's table, the health checks and VRRP refuse, with every path as you wrote it. It
 * refuses exactly what {@link createDirector} and {@link Director.reload} refuse.
 * @returns the normalized, frozen configuration
 * @throws LvsError `DIRECTOR_INVALID_CONFIG` with every issue
 */
export function validateConfig(input: DirectorConfig): NormalizedConfig {
  return compile(input, {}).config;
}

/**
 * Creates a director from one config: validates everything (every issue at once, nothing started), wires
 * IPVS, the datapath, health and VRRP on one clock. Call `start()` to bring it up.
 * @param config - the configuration (see {@link defineConfig} for literal VIP names)
 * @param ports - clock, frame port, VRRP transports, checker and command fakes; default the real ones
 * @throws LvsError `DIRECTOR_INVALID_CONFIG`
 */
export function createDirector(config: DirectorConfig, ports: DirectorPorts = {}): Director {
  return new Director(compile(config, ports), ports);
}
