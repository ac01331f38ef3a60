/**
 * The director's one typed configuration: interfaces, VIPs written once and referred to by name, virtual
 * services with their real servers and per-real-server checks, the health policy of each service (quorum,
 * hysteresis, sorry server, inhibit on failure), VRRP instances and sync groups, notify hooks. Plain data
 * with literal kinds, so a config can be written in TypeScript, loaded from JSON or produced by an importer.
 * {@link normalizeConfig} checks the whole input's shape — unknown keys, wrong shapes, bad addresses, names that
 * do not resolve — and reports every issue at once with the user's own path (the director's `validateConfig`
 * adds what core, health and VRRP refuse); nothing is applied. This file owns shape and meaning; it must never start anything.
 */

import { type GobgpOptions, gobgpdConfig } from '@lvskit/announce';
import {
  describe,
  type Family,
  formatIp,
  IssueList,
  isUnicast,
  LvsError,
  type LvsPathSegment,
  MAX_TIMER_DELAY_MS,
  PROTOCOL_NAMES,
  type ProtocolName,
  parseIp,
} from '@lvskit/base';
import type { EngineSwitches, ForwardingMethod, IpvsDaemonConfig, PersistenceConfig, SyncRules } from '@lvskit/core';
import type {
  Checker,
  KeepalivedCheckerConfig,
  KeepalivedTiming,
  LdirectordGlobals,
  LdirectordVirtual,
} from '@lvskit/health';
import { isSchedulerName, type SchedulerFlag, type SchedulerName } from '@lvskit/schedulers';
import {
  type NotifyScripts,
  type TrackingConfig,
  type VrrpGlobalDefs,
  type VrrpInstanceConfig,
  type VrrpScriptConfig,
  validateTracking,
} from '@lvskit/vrrp';

/** A datapath interface of the director: where VIP traffic arrives and leaves. */
export interface InterfaceConfig {
  /** Interface name, e.g. `eth0`. */
  readonly name: string;
  /** The director's own address on it (the outer source of IPIP tunnels, VRRP's source by default). */
  readonly address?: string;
  /** Default gateway reached through this interface (both families may be given). */
  readonly gateways?: readonly string[];
}

/** A virtual IP address: written once, referred to by its name everywhere else. */
export interface VipConfig {
  /** The address (IPv4 or IPv6, unicast). */
  readonly address: string;
  /** Interface it is served on; default the first interface. */
  readonly interface?: string;
}

/**
 * An ldirectord check on one real server: the `virtual =` section's check directives in ldirectord's own
 * keywords (`checktype`, `service`, `request`, `receive`, `checkport`, `login` …, durations in seconds), run by
 * health's `ldirectordChecker`. The virtual address, port and protocol are the service's; a per-real
 * `"request", "receive"` pair is written here as `request`/`receive`.
 */
export type LdirectordCheckConfig = {
  /** An ldirectord check. */
  readonly type: 'LDIRECTORD';
  /** The global directives (`checktimeout`, `negotiatetimeout`, `checkinterval`, `failurecount`, `checkcount`) the section falls back to. */
  readonly globals?: LdirectordGlobals;
} & Omit<LdirectordVirtual, 'address' | 'port' | 'protocol'>;

/**
 * A check on one real server: a keepalived checker block in keepalived's own keywords, an ldirectord check,
 * or your own checker.
 */
export type CheckConfig =
  | KeepalivedCheckerConfig
  | LdirectordCheckConfig
  | ({
      /** A checker of your own (protocol only; the runner owns timing, retries and transitions). */
      readonly type: 'CUSTOM';
      /** The checker. */
      readonly checker: Checker;
    } & KeepalivedTiming);

/** A real server of a virtual service, with its checks. */
export interface ServiceRealServer {
  /** Address (unicast, the service's family). */
  readonly address: string;
  /** Port; default the service's port. */
  readonly port?: number;
  /** Weight 0..65535; default 1. */
  readonly weight?: number;
  /** Forwarding method; default the service's. */
  readonly method?: ForwardingMethod;
  /** Upper connection threshold (`-x`); 0 = none. */
  readonly upperThreshold?: number;
  /** Lower connection threshold (`-y`); 0 = none. */
  readonly lowerThreshold?: number;
  /** Health checks; the server is up only while all pass. None: always up. */
  readonly checks?: readonly CheckConfig[];
  /** keepalived timing keywords at real-server level (inherited by its checks). */
  readonly timing?: KeepalivedTiming;
  /** keepalived `inhibit_on_failure` for this server (overrides the service's). */
  readonly inhibitOnFailure?: boolean;
  /** keepalived `notify_up` script (a command line, run without a shell). */
  readonly notifyUp?: string;
  /** keepalived `notify_down` script. */
  readonly notifyDown?: string;
}

/** The sorry server (keepalived `sorry_server`): takes new connections while the service has no quorum. */
export interface SorryServerConfig {
  /** Address. */
  readonly address: string;
  /** Port; default the service's port. */
  readonly port?: number;
  /** Weight while in use; default 1. */
  readonly weight?: number;
  /** Forwarding method; default the service's. */
  readonly method?: ForwardingMethod;
  /** keepalived `sorry_server_inhibit`: kept in the table at weight 0 while not in use. */
  readonly inhibit?: boolean;
}

/** How health turns into the table for one service: keepalived's virtual-server health keywords. */
export interface ServiceHealthConfig {
  /** keepalived `inhibit_on_failure`: a failed server stays at weight 0 instead of being removed. */
  readonly inhibitOnFailure?: boolean;
  /** keepalived `quorum`: least sum of live weights for the service to be up (default 1). */
  readonly quorum?: number;
  /** keepalived `hysteresis` around the quorum (default 0). */
  readonly hysteresis?: number;
  /** The sorry server. */
  readonly sorryServer?: SorryServerConfig;
  /** keepalived `quorum_up` script. */
  readonly quorumUp?: string;
  /** keepalived `quorum_down` script. */
  readonly quorumDown?: string;
  /** keepalived timing keywords at virtual-server level (`delay_loop` …), inherited by every check. */
  readonly timing?: KeepalivedTiming;
}

/** A virtual service: a VIP (by name), a protocol and port, a scheduler and its real servers. */
export interface VirtualServiceConfig<V extends string = string> {
  /** Name, unique among services; events and views use it. */
  readonly name: string;
  /** The VIP's name (a key of {@link DirectorConfig.vips}). */
  readonly vip: V;
  /** Virtual port; 0 = every port (needs persistence). */
  readonly port: number;
  /** Protocol; default `tcp`. */
  readonly protocol?: ProtocolName;
  /** Scheduler; default `wlc`. */
  readonly scheduler?: SchedulerName;
  /** Scheduler flags (`-b`). */
  readonly schedulerFlags?: readonly SchedulerFlag[];
  /** Persistence; absent = none, `true` = defaults. */
  readonly persistence?: PersistenceConfig | true;
  /** Default forwarding method of its real servers (keepalived `lb_kind`); default `route`. */
  readonly method?: ForwardingMethod;
  /** Real servers. */
  readonly realServers: readonly ServiceRealServer[];
  /** Health policy. */
  readonly health?: ServiceHealthConfig;
}

/** One VRRP instance: keepalived's `vrrp_instance` with its VIPs named instead of written again. */
export type VrrpInstance<V extends string = string> = Omit<VrrpInstanceConfig, 'virtualIpAddresses'> & {
  /** The VIPs this instance owns (names of {@link DirectorConfig.vips}). */
  readonly vips: readonly V[];
  /** Notify scripts. */
  readonly notify?: NotifyScripts;
  /** track_script / track_interface with their vrrp_script blocks. */
  readonly tracking?: TrackingConfig;
};

/** A keepalived `vrrp_sync_group`: instances that change state together. */
export interface VrrpSyncGroupConfig {
  /** Group name. */
  readonly name: string;
  /** Member instance names (at least two). */
  readonly instances: readonly string[];
  /** Group notify scripts. */
  readonly notify?: NotifyScripts;
}

/** VRRP: who serves. Without it a director serves all its VIPs. */
export interface VrrpConfig<V extends string = string> {
  /** Instances. */
  readonly instances: readonly VrrpInstance<V>[];
  /** Sync groups. */
  readonly syncGroups?: readonly VrrpSyncGroupConfig[];
  /**
   * keepalived's global `vrrp_script` blocks: an instance tracks one by name (`tracking.trackScripts`), and a
   * script tracked by several instances runs once per interval, its result shared.
   */
  readonly scripts?: readonly VrrpScriptConfig[];
  /** keepalived `global_defs` for VRRP: `vrrp_version`, `vrrp_mcast_group4`, `vrrp_mcast_group6`. */
  readonly globals?: VrrpGlobalDefs;
}

/** The whole director. `V` is the union of VIP names; {@link defineConfig} infers it. */
export interface DirectorConfig<V extends string = string> {
  /** Datapath interfaces (the first is the default); none: no datapath (packets fed to `director.ipvs.engine`). */
  readonly interfaces?: readonly InterfaceConfig[];
  /** The VIPs by name: an address, or an address with its interface. */
  readonly vips: { readonly [K in V]: string | VipConfig };
  /** Virtual services. */
  readonly services: readonly VirtualServiceConfig<NoInfer<V>>[];
  /** VRRP. */
  readonly vrrp?: VrrpConfig<NoInfer<V>>;
  /** Connection timeouts, seconds (`ipvsadm --set`). */
  readonly timeouts?: { readonly tcp?: number; readonly tcpfin?: number; readonly udp?: number };
  /** Connection table capacity (preallocated). */
  readonly maxConnections?: number;
  /**
   * The kernel's IPVS sysctls the engine honours (`net.ipv4.vs.*`: `sloppy_tcp`, `expire_nodest_conn`,
   * `expire_quiescent_template`, `conn_reuse_mode`, `secure_tcp`, the `drop_packet` rate), the kernel's defaults
   * when absent. A scale-out director behind ECMP sets `sloppyTcp` so that a connection the router moves to it
   * is scheduled on its next packet, not only on a SYN.
   */
  readonly switches?: EngineSwitches;
  /**
   * Scale-out behind an ECMP router: the director announces its VIPs by BGP while their services have quorum
   * and withdraws them at once when one loses it, at `drain()` and at `stop()` (see {@link AnnounceConfig}).
   */
  readonly announce?: AnnounceConfig;
  /** Known MAC addresses by IP (real servers, the clients' router); others are resolved by ARP/NS. */
  readonly neighbours?: Readonly<Record<string, string>>;
  /**
   * Drain of real servers a reload removes: the server is set to weight 0 at once (no new connections, and
   * its persistence templates take no new ones), its established connections keep being forwarded, and it
   * leaves the table when its ActiveConn + InActConn reach 0 or when `timeoutMs` (milliseconds of the
   * director's clock, default {@link DEFAULT_DRAIN_TIMEOUT_MS}) has passed. `timeoutMs: 0` removes it at
   * once, as keepalived and ldirectord do. A removed virtual service is always removed at once (keepalived
   * `clear_diff_services`), with its connections.
   */
  readonly drain?: { readonly timeoutMs?: number };
  /**
   * IPVS connection synchronisation (keepalived's `lvs_sync_daemon`): the sync daemons of `@lvskit/sync`,
   * switched by the VRRP instance named in `instance` as keepalived switches the kernel's, or run in the
   * fixed `roles` without one. See {@link SyncConfig}.
   */
  readonly sync?: SyncConfig;
}

/**
 * Which sync daemons run: `follow` the VRRP instance's state (keepalived's `lvs_sync_daemon IF INSTANCE`:
 * the backup daemon from start and whenever the instance is not MASTER, the master daemon while it is
 * MASTER, never both), or always the `master`, the `backup` or `both` (keepalived's `lvs_sync_daemon IF`
 * without an instance starts both, check/check_daemon.c).
 */
export type SyncRoles = 'follow' | 'master' | 'backup' | 'both';

/**
 * The sync block: what the daemons send and listen on, and who decides their role. Every field is optional;
 * the defaults are ipvsadm's and the kernel's.
 */
export interface SyncConfig {
  /** Multicast interface (`--mcast-interface`); default the followed instance's interface, else the first interface, else `eth0`. */
  readonly interface?: string;
  /** Sync id 0..255 (`--syncid`); default the followed instance's virtual_router_id (keepalived), else 0. */
  readonly syncid?: number;
  /** Multicast group, IPv4 or IPv6 (`--mcast-group`); default 224.0.0.81. */
  readonly group?: string;
  /** UDP port 1..65535 (`--mcast-port`); default 8848. */
  readonly port?: number;
  /** Multicast TTL 1..255 (`--mcast-ttl`); default 1. */
  readonly ttl?: number;
  /** `sync_maxlen` 1..65507 (`--sync-maxlen`); default from the interface MTU, as the kernel. */
  readonly maxLen?: number;
  /** `sync_version` 0 or 1; default 1. */
  readonly version?: 0 | 1;
  /** Unicast peers instead of the multicast group: the master sends to each, the backup accepts from them only. */
  readonly peers?: readonly string[];
  /** Local address to bind and send from; default the interface's address in `interfaces`, else the kernel's first one. */
  readonly address?: string;
  /** The master's sync rules (the kernel's sync_threshold, sync_period, sync_refresh_period, sync_retries, sync_persist_mode). */
  readonly rules?: Partial<SyncRules>;
  /** lvskit's extensions, all off by default (off: exactly the kernel's wire format, so a mixed pair works). */
  readonly extensions?: {
    /** Sequence numbers and loss detection. */
    readonly sequence?: boolean;
    /** A (re)starting backup asks for, and the master sends, the whole table. */
    readonly bulkResync?: boolean;
    /** An HMAC on every datagram, keyed with this text. */
    readonly hmacKey?: string;
  };
  /** The VRRP instance whose state switches the daemons (its name in `vrrp.instances`). */
  readonly instance?: string;
  /** Which daemons run: default `follow` with an `instance`, `both` without one. */
  readonly roles?: SyncRoles;
}

/** The sync block after validation: every default that does not need the running system filled in. */
export interface NormalizedSync {
  /** Multicast interface. */
  readonly interface: string;
  /** Sync id. */
  readonly syncid: number;
  /** Group, canonical text; undefined = the daemon's default (224.0.0.81). */
  readonly group: string | undefined;
  /** Port; undefined = 8848. */
  readonly port: number | undefined;
  /** TTL; undefined = 1. */
  readonly ttl: number | undefined;
  /** sync_maxlen; undefined = from the MTU. */
  readonly maxLen: number | undefined;
  /** Protocol version; undefined = 1. */
  readonly version: 0 | 1 | undefined;
  /** Unicast peers, canonical text (empty: multicast). */
  readonly peers: readonly string[];
  /** Local address, canonical text, if given. */
  readonly address: string | undefined;
  /** Master rules as given (merged over the kernel's defaults by the daemon). */
  readonly rules: Partial<SyncRules> | undefined;
  /** Extensions as given. */
  readonly extensions: SyncConfig['extensions'];
  /** The followed VRRP instance. */
  readonly instance: string | undefined;
  /** Which daemons run. */
  readonly roles: SyncRoles;
}

/**
 * Route announcement (issue 15): the director's BGP speaker — GoBGP's `gobgpd`, started and stopped by the
 * director in its own network namespace — and which VIPs it announces.
 */
export interface AnnounceConfig {
  /** The speaker: local AS, router id, peers and their timers (`@lvskit/announce` GobgpAnnouncer options). */
  readonly bgp: Pick<GobgpOptions, 'localAs' | 'routerId' | 'localAddress' | 'peers' | 'gobgpd' | 'gobgp'>;
  /** Names of the VIPs to announce; default every VIP that has a service. */
  readonly vips?: readonly string[];
}

/** Default drain timeout of a removed real server: 5 minutes. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 300_000;

/**
 * Keeps a config's VIP names as literal types, so a service or instance naming a VIP that does not exist
 * is a compile error. Returns its argument.
 */
export function defineConfig<const V extends string>(config: DirectorConfig<V>): DirectorConfig<V> {
  return config;
}

// ------------------------------------------------------------------ normalized form

/** A VIP after validation. */
export interface NormalizedVip {
  /** Its name. */
  readonly name: string;
  /** Canonical address text. */
  readonly address: string;
  /** Family. */
  readonly family: Family;
  /** Interface name (`''` when the director has no datapath). */
  readonly interface: string;
}

/** A validated configuration: every default filled, every name resolved. Frozen. */
export interface NormalizedConfig {
  /** Interfaces as given. */
  readonly interfaces: readonly InterfaceConfig[];
  /** VIPs by name. */
  readonly vips: ReadonlyMap<string, NormalizedVip>;
  /** Services with their VIP resolved, in order. */
  readonly services: readonly (VirtualServiceConfig & { readonly address: string; readonly family: Family })[];
  /** VRRP instances (empty without VRRP). */
  readonly instances: readonly VrrpInstance[];
  /** Sync groups. */
  readonly syncGroups: readonly VrrpSyncGroupConfig[];
  /** Global `vrrp_script` blocks (empty when none). */
  readonly scripts: readonly VrrpScriptConfig[];
  /** VRRP global defaults, if given. */
  readonly vrrpGlobals: VrrpGlobalDefs | undefined;
  /** Timeouts. */
  readonly timeouts: DirectorConfig['timeouts'];
  /** Table capacity, if given. */
  readonly maxConnections: number | undefined;
  /** Known MACs. */
  readonly neighbours: Readonly<Record<string, string>>;
  /** Drain timeout of a real server a reload removes, ms (0: removed at once). */
  readonly drainTimeoutMs: number;
  /** The sync daemons' settings, when configured. */
  readonly sync: NormalizedSync | undefined;
  /** The IPVS sysctls given (validated by core when the director compiles). */
  readonly switches: EngineSwitches | undefined;
  /** Route announcement, when configured. */
  readonly announce: AnnounceConfig | undefined;
  /** The input this was made from. */
  readonly source: DirectorConfig;
}

// ------------------------------------------------------------------ validation

const TOP_KEYS = [
  'interfaces',
  'vips',
  'services',
  'vrrp',
  'timeouts',
  'maxConnections',
  'neighbours',
  'drain',
  'sync',
  'switches',
  'announce',
] as const;
const SYNC_KEYS = [
  'interface',
  'syncid',
  'group',
  'port',
  'ttl',
  'maxLen',
  'version',
  'peers',
  'address',
  'rules',
  'extensions',
  'instance',
  'roles',
] as const;
const SYNC_RULE_KEYS = ['threshold', 'period', 'refreshPeriodMs', 'retries', 'persistMode'] as const;
const SYNC_EXT_KEYS = ['sequence', 'bulkResync', 'hmacKey'] as const;
const SYNC_ROLES: readonly SyncRoles[] = ['follow', 'master', 'backup', 'both'];
const TIMEOUT_KEYS = ['tcp', 'tcpfin', 'udp'] as const;
const IFACE_KEYS = ['name', 'address', 'gateways'] as const;
const VIP_KEYS = ['address', 'interface'] as const;
const SERVICE_KEYS = [
  'name',
  'vip',
  'port',
  'protocol',
  'scheduler',
  'schedulerFlags',
  'persistence',
  'method',
  'realServers',
  'health',
] as const;
const RS_KEYS = [
  'address',
  'port',
  'weight',
  'method',
  'upperThreshold',
  'lowerThreshold',
  'checks',
  'timing',
  'inhibitOnFailure',
  'notifyUp',
  'notifyDown',
] as const;
const HEALTH_KEYS = [
  'inhibitOnFailure',
  'quorum',
  'hysteresis',
  'sorryServer',
  'quorumUp',
  'quorumDown',
  'timing',
] as const;
const SORRY_KEYS = ['address', 'port', 'weight', 'method', 'inhibit'] as const;
const VRRP_KEYS = ['instances', 'syncGroups', 'scripts', 'globals'] as const;
const GROUP_KEYS = ['name', 'instances', 'notify'] as const;
const METHODS: readonly ForwardingMethod[] = ['route', 'masq', 'tunnel'];

type Path = readonly LvsPathSegment[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

/** The `announce` block: the speaker's options as GoBGP takes them (checked by writing its config), known VIPs. */
function normalizeAnnounce(
  v: unknown,
  vips: ReadonlyMap<string, NormalizedVip>,
  issues: IssueList,
): AnnounceConfig | undefined {
  const a = record(v, ['announce'], issues, 'announce');
  if (!a) return undefined;
  checkKeys(a, ['bgp', 'vips'], ['announce'], issues);
  const bgp = record(own(a, 'bgp'), ['announce', 'bgp'], issues, 'announce.bgp');
  if (bgp) {
    checkKeys(bgp, ['localAs', 'routerId', 'localAddress', 'peers', 'gobgpd', 'gobgp'], ['announce', 'bgp'], issues);
    try {
      gobgpdConfig(bgp as unknown as GobgpOptions);
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      issues.add(['announce', 'bgp'], 'DIRECTOR_INVALID_CONFIG', err.message);
    }
  }
  const names = own(a, 'vips');
  const list = names === undefined ? undefined : array(names, ['announce', 'vips'], issues, 'announce.vips');
  list?.forEach((n, i) => {
    if (typeof n !== 'string' || !vips.has(n))
      issues.add(['announce', 'vips', i], 'DIRECTOR_INVALID_CONFIG', `not a VIP name: ${describe(n)}`);
  });
  return a as unknown as AnnounceConfig;
}

/** Reports keys that are not in `allowed` (a typo is never silently ignored). */
function checkKeys(o: Record<string, unknown>, allowed: readonly string[], path: Path, issues: IssueList): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      issues.add(
        [...path, k],
        'DIRECTOR_INVALID_CONFIG',
        `unknown key ${JSON.stringify(k)} (known: ${allowed.join(', ')})`,
      );
    }
  }
}

function record(v: unknown, path: Path, issues: IssueList, what: string): Record<string, unknown> | undefined {
  if (isRecord(v)) return v;
  issues.add(path, 'DIRECTOR_INVALID_CONFIG', `${what} must be an object, got ${describe(v)}`);
  return undefined;
}

function array(v: unknown, path: Path, issues: IssueList, what: string): readonly unknown[] | undefined {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  issues.add(path, 'DIRECTOR_INVALID_CONFIG', `${what} must be an array, got ${describe(v)}`);
  return undefined;
}

function text(v: unknown, path: Path, issues: IssueList, what: string, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v === 'string' && v !== '') return v;
  issues.add(path, 'DIRECTOR_INVALID_CONFIG', `${what} must be a non-empty string, got ${describe(v)}`);
  return undefined;
}

function integer(v: unknown, path: Path, issues: IssueList, what: string, min: number, max: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    issues.add(path, 'DIRECTOR_INVALID_CONFIG', `${what} must be an integer in ${min}..${max}, got ${describe(v)}`);
  }
}

function unicast(
  v: unknown,
  path: Path,
  issues: IssueList,
  what: string,
): { text: string; family: Family } | undefined {
  if (typeof v !== 'string') {
    issues.add(path, 'DIRECTOR_INVALID_CONFIG', `${what} must be an IP address, got ${describe(v)}`);
    return undefined;
  }
  let bytes: Uint8Array;
  try {
    bytes = parseIp(v);
  } catch {
    issues.add(path, 'DIRECTOR_INVALID_CONFIG', `${what} is not an IP address: ${describe(v)}`);
    return undefined;
  }
  if (!isUnicast(bytes)) {
    issues.add(path, 'DIRECTOR_INVALID_CONFIG', `${what} must be a unicast address, got ${v}`);
    return undefined;
  }
  return { text: formatIp(bytes), family: bytes.length === 4 ? 4 : 6 };
}

function method(v: unknown, path: Path, issues: IssueList): void {
  if (v !== undefined && !METHODS.includes(v as ForwardingMethod)) {
    issues.add(path, 'DIRECTOR_INVALID_CONFIG', `method must be route, masq or tunnel, got ${describe(v)}`);
  }
}

function script(v: unknown, path: Path, issues: IssueList, what: string): void {
  if (v !== undefined) text(v, path, issues, what);
}

function checkRealServer(
  v: unknown,
  path: Path,
  family: Family | undefined,
  issues: IssueList,
  keys: readonly string[],
): void {
  const rs = record(v, path, issues, 'a real server');
  if (!rs) return;
  checkKeys(rs, keys, path, issues);
  const a = unicast(own(rs, 'address'), [...path, 'address'], issues, 'address');
  if (a && family !== undefined && a.family !== family && own(rs, 'method') !== 'tunnel') {
    issues.add(
      [...path, 'address'],
      'DIRECTOR_INVALID_CONFIG',
      `${a.text} is not of the service's family (IPv${family})`,
    );
  }
  integer(own(rs, 'port'), [...path, 'port'], issues, 'port', 0, 65535);
  integer(own(rs, 'weight'), [...path, 'weight'], issues, 'weight', 0, 65535);
  method(own(rs, 'method'), [...path, 'method'], issues);
  integer(own(rs, 'upperThreshold'), [...path, 'upperThreshold'], issues, 'upperThreshold', 0, 0x7fffffff);
  integer(own(rs, 'lowerThreshold'), [...path, 'lowerThreshold'], issues, 'lowerThreshold', 0, 0x7fffffff);
  script(own(rs, 'notifyUp'), [...path, 'notifyUp'], issues, 'notifyUp');
  script(own(rs, 'notifyDown'), [...path, 'notifyDown'], issues, 'notifyDown');
  const inhibit = own(rs, 'inhibitOnFailure');
  if (inhibit !== undefined && typeof inhibit !== 'boolean') {
    issues.add([...path, 'inhibitOnFailure'], 'DIRECTOR_INVALID_CONFIG', `inhibitOnFailure must be true or false`);
  }
  const inhibitSorry = own(rs, 'inhibit');
  if (inhibitSorry !== undefined && typeof inhibitSorry !== 'boolean') {
    issues.add([...path, 'inhibit'], 'DIRECTOR_INVALID_CONFIG', `inhibit must be true or false`);
  }
  const checks = array(own(rs, 'checks'), [...path, 'checks'], issues, 'checks');
  checks?.forEach((c, i) => {
    const cp = [...path, 'checks', i];
    const check = record(c, cp, issues, 'a check');
    if (!check) return;
    const type = own(check, 'type');
    if (typeof type !== 'string') {
      issues.add(
        [...cp, 'type'],
        'DIRECTOR_INVALID_CONFIG',
        `a check needs a type (TCP_CHECK, HTTP_GET, …), got ${describe(type)}`,
      );
    } else if (type === 'LDIRECTORD') {
      // The virtual's address, port and protocol are the service's; health checks every other key.
      for (const k of ['address', 'port', 'protocol'])
        if (Object.hasOwn(check, k))
          issues.add([...cp, k], 'DIRECTOR_INVALID_CONFIG', `an LDIRECTORD check takes ${k} from its service`);
    } else if (type === 'CUSTOM') {
      const checker = own(check, 'checker');
      if (!isRecord(checker) || typeof checker.check !== 'function' || typeof checker.key !== 'string') {
        issues.add(
          [...cp, 'checker'],
          'DIRECTOR_INVALID_CONFIG',
          'a CUSTOM check needs a checker with kind, key and check()',
        );
      }
    }
  });
}

/**
 * The first stage of validation: shape, unknown keys, addresses, names and references. What core, the
 * health checks and VRRP refuse is checked when they are compiled ({@link validateConfig} runs both).
 * @returns the normalized, frozen configuration
 * @throws LvsError `DIRECTOR_INVALID_CONFIG` with every issue
 * @internal
 */
export function normalizeConfig(input: DirectorConfig): NormalizedConfig {
  const issues = new IssueList();
  const top = record(input, [], issues, 'the director config');
  if (!top) issues.throwIfAny('DIRECTOR_INVALID_CONFIG', 'invalid director config');
  const c = top as Record<string, unknown>;
  checkKeys(c, TOP_KEYS, [], issues);

  // Interfaces.
  const interfaces: InterfaceConfig[] = [];
  const ifNames = new Set<string>();
  array(own(c, 'interfaces'), ['interfaces'], issues, 'interfaces')?.forEach((v, i) => {
    const p = ['interfaces', i];
    const it = record(v, p, issues, 'an interface');
    if (!it) return;
    checkKeys(it, IFACE_KEYS, p, issues);
    const name = text(own(it, 'name'), [...p, 'name'], issues, 'name');
    if (name !== undefined) {
      if (name.length > 15 || /[\s/:]/.test(name)) {
        issues.add([...p, 'name'], 'DIRECTOR_INVALID_CONFIG', `not an interface name: ${describe(name)}`);
      } else if (ifNames.has(name)) {
        issues.add([...p, 'name'], 'DIRECTOR_INVALID_CONFIG', `interface ${name} is listed twice`);
      }
      ifNames.add(name);
    }
    if (own(it, 'address') !== undefined) unicast(own(it, 'address'), [...p, 'address'], issues, 'address');
    array(own(it, 'gateways'), [...p, 'gateways'], issues, 'gateways')?.forEach((g, j) => {
      unicast(g, [...p, 'gateways', j], issues, 'gateway');
    });
    interfaces.push(it as unknown as InterfaceConfig);
  });
  const defaultIf = interfaces[0]?.name ?? '';

  // VIPs.
  const vips = new Map<string, NormalizedVip>();
  const vipAddresses = new Map<string, string>();
  const vipIn = record(own(c, 'vips'), ['vips'], issues, 'vips');
  if (vipIn) {
    for (const [name, v] of Object.entries(vipIn)) {
      const p = ['vips', name];
      let address: unknown = v;
      let iface: unknown;
      if (isRecord(v)) {
        checkKeys(v, VIP_KEYS, p, issues);
        address = own(v, 'address');
        iface = own(v, 'interface');
      }
      const a = unicast(address, isRecord(v) ? [...p, 'address'] : p, issues, `VIP ${name}`);
      if (iface !== undefined && (typeof iface !== 'string' || !ifNames.has(iface))) {
        issues.add(
          [...p, 'interface'],
          'DIRECTOR_INVALID_CONFIG',
          `VIP ${name}: no interface ${describe(iface)} in interfaces`,
        );
      }
      if (!a) continue;
      const other = vipAddresses.get(a.text);
      if (other !== undefined) {
        issues.add(p, 'DIRECTOR_INVALID_CONFIG', `VIP ${name} has the same address as VIP ${other} (${a.text})`);
        continue;
      }
      vipAddresses.set(a.text, name);
      vips.set(name, {
        name,
        address: a.text,
        family: a.family,
        interface: typeof iface === 'string' ? iface : defaultIf,
      });
    }
  }

  // Services.
  const services: NormalizedConfig['services'][number][] = [];
  const serviceNames = new Set<string>();
  const serviceKeys = new Map<string, string>();
  array(own(c, 'services'), ['services'], issues, 'services')?.forEach((v, i) => {
    const p = ['services', i];
    const s = record(v, p, issues, 'a service');
    if (!s) return;
    checkKeys(s, SERVICE_KEYS, p, issues);
    const name = text(own(s, 'name'), [...p, 'name'], issues, 'name');
    if (name !== undefined) {
      if (serviceNames.has(name))
        issues.add([...p, 'name'], 'DIRECTOR_INVALID_CONFIG', `service ${name} is defined twice`);
      serviceNames.add(name);
    }
    const vipName = own(s, 'vip');
    const vip = typeof vipName === 'string' && Object.hasOwn(vipIn ?? {}, vipName) ? vips.get(vipName) : undefined;
    if (typeof vipName !== 'string' || !Object.hasOwn(vipIn ?? {}, vipName)) {
      issues.add([...p, 'vip'], 'DIRECTOR_INVALID_CONFIG', `no VIP named ${describe(vipName)} in vips`);
    }
    integer(own(s, 'port'), [...p, 'port'], issues, 'port', 0, 65535);
    if (own(s, 'port') === undefined) issues.add([...p, 'port'], 'DIRECTOR_INVALID_CONFIG', 'a service needs a port');
    const protocol = own(s, 'protocol') ?? 'tcp';
    if (!PROTOCOL_NAMES.includes(protocol as ProtocolName)) {
      issues.add(
        [...p, 'protocol'],
        'DIRECTOR_INVALID_CONFIG',
        `protocol must be tcp, udp or sctp, got ${describe(protocol)}`,
      );
    }
    const scheduler = own(s, 'scheduler');
    if (scheduler !== undefined && (typeof scheduler !== 'string' || !isSchedulerName(scheduler))) {
      issues.add([...p, 'scheduler'], 'DIRECTOR_INVALID_CONFIG', `unknown scheduler ${describe(scheduler)}`);
    }
    method(own(s, 'method'), [...p, 'method'], issues);
    if (vip && typeof own(s, 'port') === 'number') {
      const key = `${typeof protocol === 'string' ? protocol : describe(protocol)} ${vip.address}:${describe(own(s, 'port'))}`;
      const other = serviceKeys.get(key);
      if (other !== undefined) issues.add(p, 'DIRECTOR_INVALID_CONFIG', `${key} is already service ${other}`);
      serviceKeys.set(key, name ?? `#${i}`);
    }
    const rss = array(own(s, 'realServers'), [...p, 'realServers'], issues, 'realServers');
    rss?.forEach((rs, j) => {
      checkRealServer(rs, [...p, 'realServers', j], vip?.family, issues, RS_KEYS);
    });
    const health = own(s, 'health');
    if (health !== undefined) {
      const h = record(health, [...p, 'health'], issues, 'health');
      if (h) {
        checkKeys(h, HEALTH_KEYS, [...p, 'health'], issues);
        integer(own(h, 'quorum'), [...p, 'health', 'quorum'], issues, 'quorum', 0, 0x7fffffff);
        integer(own(h, 'hysteresis'), [...p, 'health', 'hysteresis'], issues, 'hysteresis', 0, 0x7fffffff);
        script(own(h, 'quorumUp'), [...p, 'health', 'quorumUp'], issues, 'quorumUp');
        script(own(h, 'quorumDown'), [...p, 'health', 'quorumDown'], issues, 'quorumDown');
        if (own(h, 'sorryServer') !== undefined) {
          checkRealServer(own(h, 'sorryServer'), [...p, 'health', 'sorryServer'], vip?.family, issues, SORRY_KEYS);
        }
      }
    }
    if (vip)
      services.push({
        ...(s as unknown as VirtualServiceConfig),
        realServers: (rss ?? []) as readonly ServiceRealServer[],
        address: vip.address,
        family: vip.family,
      });
  });

  // VRRP.
  const instances: VrrpInstance[] = [];
  const syncGroups: VrrpSyncGroupConfig[] = [];
  const scripts: VrrpScriptConfig[] = [];
  let vrrpGlobals: VrrpGlobalDefs | undefined;
  const vrrp = own(c, 'vrrp');
  if (vrrp !== undefined) {
    const r = record(vrrp, ['vrrp'], issues, 'vrrp');
    if (r) {
      checkKeys(r, VRRP_KEYS, ['vrrp'], issues);
      const owner = new Map<string, string>();
      const names = new Set<string>();
      array(own(r, 'instances'), ['vrrp', 'instances'], issues, 'instances')?.forEach((v, i) => {
        const p = ['vrrp', 'instances', i];
        const inst = record(v, p, issues, 'a VRRP instance');
        if (!inst) return;
        const name = text(own(inst, 'name'), [...p, 'name'], issues, 'name');
        if (name !== undefined) {
          if (names.has(name))
            issues.add([...p, 'name'], 'DIRECTOR_INVALID_CONFIG', `VRRP instance ${name} is defined twice`);
          names.add(name);
        }
        if (own(inst, 'virtualIpAddresses') !== undefined) {
          issues.add(
            [...p, 'virtualIpAddresses'],
            'DIRECTOR_INVALID_CONFIG',
            'name the VIPs with `vips` (the addresses are written once, in the top-level vips)',
          );
        }
        const list = array(own(inst, 'vips'), [...p, 'vips'], issues, 'vips');
        if (list && list.length === 0)
          issues.add([...p, 'vips'], 'DIRECTOR_INVALID_CONFIG', 'an instance needs at least one VIP');
        list?.forEach((n, j) => {
          if (typeof n !== 'string' || !Object.hasOwn(vipIn ?? {}, n)) {
            issues.add([...p, 'vips', j], 'DIRECTOR_INVALID_CONFIG', `no VIP named ${describe(n)} in vips`);
            return;
          }
          const prev = owner.get(n);
          if (prev !== undefined) {
            issues.add(
              [...p, 'vips', j],
              'DIRECTOR_INVALID_CONFIG',
              `VIP ${n} already belongs to VRRP instance ${prev}`,
            );
          }
          owner.set(n, name ?? `#${i}`);
        });
        instances.push(inst as unknown as VrrpInstance);
      });
      array(own(r, 'syncGroups'), ['vrrp', 'syncGroups'], issues, 'syncGroups')?.forEach((v, i) => {
        const p = ['vrrp', 'syncGroups', i];
        const g = record(v, p, issues, 'a sync group');
        if (!g) return;
        checkKeys(g, GROUP_KEYS, p, issues);
        text(own(g, 'name'), [...p, 'name'], issues, 'name');
        const members = array(own(g, 'instances'), [...p, 'instances'], issues, 'instances');
        if (members && members.length < 2) {
          issues.add([...p, 'instances'], 'DIRECTOR_INVALID_CONFIG', 'a sync group needs at least two instances');
        }
        members?.forEach((m, j) => {
          if (typeof m !== 'string' || !names.has(m)) {
            issues.add([...p, 'instances', j], 'DIRECTOR_INVALID_CONFIG', `no VRRP instance named ${describe(m)}`);
          }
        });
        syncGroups.push(g as unknown as VrrpSyncGroupConfig);
      });
      // Global vrrp_script blocks: vrrp validates them (every issue, under vrrp.scripts); every
      // track_script an instance names must be one of them or one of its own.
      const scriptList = own(r, 'scripts');
      if (scriptList !== undefined) {
        const list = array(scriptList, ['vrrp', 'scripts'], issues, 'scripts');
        if (list) {
          try {
            validateTracking({ scripts: list as readonly VrrpScriptConfig[] });
            scripts.push(...(list as readonly VrrpScriptConfig[]));
          } catch (err) {
            if (!LvsError.is(err)) throw err;
            for (const i of err.issues) {
              const [, ...rest] = i.path[0] === 'scripts' ? i.path : ['scripts', ...i.path];
              issues.add(['vrrp', 'scripts', ...rest], 'DIRECTOR_INVALID_CONFIG', i.message);
            }
          }
        }
      }
      const globalNames = new Set(scripts.map((x) => x.name));
      instances.forEach((inst, i) => {
        const tracking = isRecord(inst.tracking) ? inst.tracking : undefined;
        const own2 = new Set(
          (Array.isArray(tracking?.scripts) ? tracking.scripts : []).map((x) => (isRecord(x) ? x.name : undefined)),
        );
        (Array.isArray(tracking?.trackScripts) ? tracking.trackScripts : []).forEach((t, j) => {
          const n = isRecord(t) ? t.name : undefined;
          if (typeof n === 'string' && !globalNames.has(n) && !own2.has(n)) {
            issues.add(
              ['vrrp', 'instances', i, 'tracking', 'trackScripts', j, 'name'],
              'DIRECTOR_INVALID_CONFIG',
              `track_script ${describe(n)}: no vrrp_script of that name (in vrrp.scripts or the instance's own)`,
            );
          }
        });
      });
      const globals = own(r, 'globals');
      if (globals !== undefined && record(globals, ['vrrp', 'globals'], issues, 'globals'))
        vrrpGlobals = globals as VrrpGlobalDefs;
      const grouped = new Map<string, string>();
      syncGroups.forEach((g, i) => {
        (Array.isArray(g.instances) ? g.instances : []).forEach((m, j) => {
          const prev = grouped.get(m);
          if (prev !== undefined) {
            issues.add(
              ['vrrp', 'syncGroups', i, 'instances', j],
              'DIRECTOR_INVALID_CONFIG',
              `instance ${m} is already in sync group ${prev}`,
            );
          }
          grouped.set(m, g.name);
        });
      });
    }
  }

  integer(own(c, 'maxConnections'), ['maxConnections'], issues, 'maxConnections', 1, 1 << 24);
  const timeouts = own(c, 'timeouts');
  if (timeouts !== undefined) {
    const t = record(timeouts, ['timeouts'], issues, 'timeouts');
    if (t) {
      checkKeys(t, TIMEOUT_KEYS, ['timeouts'], issues);
      // ipvsadm --set: seconds, 0 = leave unchanged; the kernel holds them in jiffies of an int (ip_vs_ctl.c).
      for (const k of TIMEOUT_KEYS) integer(own(t, k), ['timeouts', k], issues, `timeouts.${k}`, 0, 2_147_483);
    }
  }
  const neighbours = own(c, 'neighbours');
  if (neighbours !== undefined) {
    const n = record(neighbours, ['neighbours'], issues, 'neighbours');
    if (n)
      for (const [ip, mac] of Object.entries(n)) {
        unicast(ip, ['neighbours', ip], issues, 'a neighbour');
        if (typeof mac !== 'string' || !/^([0-9a-f]{1,2}[:-]){5}[0-9a-f]{1,2}$/i.test(mac)) {
          issues.add(['neighbours', ip], 'DIRECTOR_INVALID_CONFIG', `not a MAC address: ${describe(mac)}`);
        }
      }
  }
  const drain = own(c, 'drain');
  let drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS;
  if (drain !== undefined) {
    const d = record(drain, ['drain'], issues, 'drain');
    if (d) {
      checkKeys(d, ['timeoutMs'], ['drain'], issues);
      const t = own(d, 'timeoutMs');
      integer(t, ['drain', 'timeoutMs'], issues, 'drain.timeoutMs', 0, MAX_TIMER_DELAY_MS);
      if (typeof t === 'number') drainTimeoutMs = t;
    }
  }
  const syncIn = own(c, 'sync');
  const sync = syncIn === undefined ? undefined : normalizeSync(syncIn, instances, interfaces, issues);
  const announceIn = own(c, 'announce');
  const announce = announceIn === undefined ? undefined : normalizeAnnounce(announceIn, vips, issues);
  issues.throwIfAny('DIRECTOR_INVALID_CONFIG', 'invalid director config');
  return Object.freeze({
    sync,
    switches: own(c, 'switches') as EngineSwitches | undefined,
    announce,
    drainTimeoutMs,
    interfaces,
    vips,
    services,
    instances,
    syncGroups,
    scripts,
    vrrpGlobals,
    timeouts: own(c, 'timeouts') as DirectorConfig['timeouts'],
    maxConnections: own(c, 'maxConnections') as number | undefined,
    neighbours: (neighbours ?? {}) as Record<string, string>,
    source: input,
  });
}

/**
 * The sync block: shape, ranges (ipvsadm's and the kernel's: syncid 0..255, port 1..65535, ttl 1..255,
 * maxlen 1..65507, the sync_threshold rule `threshold < period` unless period is 0, sync_retries 0..3), a
 * multicast group, unicast peers, the followed instance, and the roles that go with it.
 */
function normalizeSync(
  v: unknown,
  instances: readonly VrrpInstance[],
  interfaces: readonly InterfaceConfig[],
  issues: IssueList,
): NormalizedSync | undefined {
  const p = ['sync'];
  const s = record(v, p, issues, 'sync');
  if (!s) return undefined;
  checkKeys(s, SYNC_KEYS, p, issues);
  const instName = own(s, 'instance');
  let inst: VrrpInstance | undefined;
  if (instName !== undefined) {
    inst = typeof instName === 'string' ? instances.find((i) => i.name === instName) : undefined;
    if (!inst)
      issues.add([...p, 'instance'], 'DIRECTOR_INVALID_CONFIG', `no VRRP instance named ${describe(instName)}`);
  }
  const rolesIn = own(s, 'roles');
  let roles: SyncRoles = instName !== undefined ? 'follow' : 'both';
  if (rolesIn !== undefined) {
    if (!SYNC_ROLES.includes(rolesIn as SyncRoles)) {
      issues.add(
        [...p, 'roles'],
        'DIRECTOR_INVALID_CONFIG',
        `roles must be follow, master, backup or both, got ${describe(rolesIn)}`,
      );
    } else {
      roles = rolesIn as SyncRoles;
      if (roles === 'follow' && instName === undefined)
        issues.add(
          [...p, 'roles'],
          'DIRECTOR_INVALID_CONFIG',
          'roles follow needs the VRRP instance to follow (sync.instance)',
        );
      if (roles !== 'follow' && instName !== undefined)
        issues.add(
          [...p, 'roles'],
          'DIRECTOR_INVALID_CONFIG',
          `roles ${roles} is fixed: give it without an instance, or follow the instance`,
        );
    }
  }
  const ifIn = own(s, 'interface');
  if (ifIn !== undefined) {
    // IP_VS_IFNAME_MAXLEN is 16 with the NUL: 15 characters (ipvsadm and keepalived refuse longer names).
    if (typeof ifIn !== 'string' || ifIn === '' || ifIn.length > 15 || /[\s/:]/.test(ifIn))
      issues.add([...p, 'interface'], 'DIRECTOR_INVALID_CONFIG', `not an interface name: ${describe(ifIn)}`);
  }
  integer(own(s, 'syncid'), [...p, 'syncid'], issues, 'syncid', 0, 255);
  integer(own(s, 'port'), [...p, 'port'], issues, 'port', 1, 65535);
  integer(own(s, 'ttl'), [...p, 'ttl'], issues, 'ttl', 1, 255);
  integer(own(s, 'maxLen'), [...p, 'maxLen'], issues, 'maxLen', 1, 65535 - 20 - 8);
  const version = own(s, 'version');
  if (version !== undefined && version !== 0 && version !== 1)
    issues.add([...p, 'version'], 'DIRECTOR_INVALID_CONFIG', `version must be 0 or 1, got ${describe(version)}`);
  let group: string | undefined;
  const groupIn = own(s, 'group');
  if (groupIn !== undefined) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = typeof groupIn === 'string' ? parseIp(groupIn) : undefined;
    } catch {
      bytes = undefined;
    }
    const multicast = bytes !== undefined && (bytes.length === 4 ? bytes[0]! >>> 4 === 0xe : bytes[0] === 0xff);
    if (!bytes || !multicast)
      issues.add(
        [...p, 'group'],
        'DIRECTOR_INVALID_CONFIG',
        `group must be a multicast address, got ${describe(groupIn)}`,
      );
    else group = formatIp(bytes);
  }
  const peers: string[] = [];
  array(own(s, 'peers'), [...p, 'peers'], issues, 'peers')?.forEach((x, i) => {
    const a = unicast(x, [...p, 'peers', i], issues, 'a peer');
    if (a) peers.push(a.text);
  });
  const addressIn = own(s, 'address');
  const address = addressIn === undefined ? undefined : unicast(addressIn, [...p, 'address'], issues, 'address')?.text;
  const rulesIn = own(s, 'rules');
  if (rulesIn !== undefined) {
    const r = record(rulesIn, [...p, 'rules'], issues, 'rules');
    if (r) {
      const rp = [...p, 'rules'];
      checkKeys(r, SYNC_RULE_KEYS, rp, issues);
      integer(own(r, 'threshold'), [...rp, 'threshold'], issues, 'threshold', 0, 0x7fffffff);
      integer(own(r, 'period'), [...rp, 'period'], issues, 'period', 0, 0x7fffffff);
      integer(own(r, 'refreshPeriodMs'), [...rp, 'refreshPeriodMs'], issues, 'refreshPeriodMs', 0, MAX_TIMER_DELAY_MS);
      integer(own(r, 'retries'), [...rp, 'retries'], issues, 'retries', 0, 3);
      const pm = own(r, 'persistMode');
      if (pm !== undefined && typeof pm !== 'boolean')
        issues.add([...rp, 'persistMode'], 'DIRECTOR_INVALID_CONFIG', 'persistMode must be true or false');
      // proc_do_sync_threshold: EINVAL when threshold >= period and period is not 0.
      const t = own(r, 'threshold') ?? 3;
      const per = own(r, 'period') ?? 50;
      if (typeof t === 'number' && typeof per === 'number' && per !== 0 && t >= per)
        issues.add(rp, 'DIRECTOR_INVALID_CONFIG', `threshold (${t}) must be below period (${per}), or period 0`);
    }
  }
  const extIn = own(s, 'extensions');
  if (extIn !== undefined) {
    const e = record(extIn, [...p, 'extensions'], issues, 'extensions');
    if (e) {
      const ep = [...p, 'extensions'];
      checkKeys(e, SYNC_EXT_KEYS, ep, issues);
      for (const k of ['sequence', 'bulkResync'] as const) {
        const b = own(e, k);
        if (b !== undefined && typeof b !== 'boolean')
          issues.add([...ep, k], 'DIRECTOR_INVALID_CONFIG', `${k} must be true or false`);
      }
      if (own(e, 'hmacKey') !== undefined) text(own(e, 'hmacKey'), [...ep, 'hmacKey'], issues, 'hmacKey');
    }
  }
  return Object.freeze({
    interface: typeof ifIn === 'string' ? ifIn : (inst?.interface ?? interfaces[0]?.name ?? 'eth0'),
    syncid: typeof own(s, 'syncid') === 'number' ? (own(s, 'syncid') as number) : (inst?.virtualRouterId ?? 0),
    group,
    port: own(s, 'port') as number | undefined,
    ttl: own(s, 'ttl') as number | undefined,
    maxLen: own(s, 'maxLen') as number | undefined,
    version: version as 0 | 1 | undefined,
    peers,
    address,
    rules: rulesIn as Partial<SyncRules> | undefined,
    extensions: extIn as SyncConfig['extensions'],
    instance: inst?.name,
    roles,
  });
}

/** The settings ipvsadm and the config's sync block share. */
export type SyncSettings = Pick<SyncConfig, 'interface' | 'syncid' | 'group' | 'port' | 'ttl' | 'maxLen'>;

/**
 * `ipvsadm --start-daemon`'s options as sync settings: 0 and '' are ipvsadm's "not given", left out so the
 * daemon's own default applies (as the kernel's start_sync_thread fills them). Shared by lvsadm and the
 * rule-file import. @internal
 */
export function syncSettingsOf(d: IpvsDaemonConfig): SyncSettings {
  return {
    interface: d.mcastInterface,
    syncid: d.syncid,
    ...(d.mcastGroup ? { group: d.mcastGroup } : {}),
    ...(d.mcastPort ? { port: d.mcastPort } : {}),
    ...(d.mcastTtl ? { ttl: d.mcastTtl } : {}),
    ...(d.syncMaxlen ? { maxLen: d.syncMaxlen } : {}),
  };
}

/** True for an `LvsError` a config validation threw. */
export function isConfigError(err: unknown): err is LvsError {
  return LvsError.is(err) && err.code === 'DIRECTOR_INVALID_CONFIG';
}
