/**
 * `IpvsTable`: a plain in-memory IPVS rule table implementing {@link IpvsadmTarget}, so ipvsadm scripts run
 * without a director (tests, config tools, dry runs). It keeps services and real servers in the kernel's
 * order (a new real server goes to the head of its service's list) and makes the kernel's refusals
 * (ip_vs_ctl.c `ip_vs_add_service`, `ip_vs_add_dest`, `ip_vs_edit_dest`, `ip_vs_set_timeout`, sync daemon
 * start/stop) with ipvsadm's messages. It never schedules, forwards or expires anything: counters and
 * connections are whatever the owner sets.
 */
import type { Family } from '@lvskit/base';
import { SCHEDULER_NAMES } from '@lvskit/schedulers';
import { ipvsadmError } from './errors.js';
import { addressBytes } from './inet.js';
import { serverKeyEquals, serviceKeyEquals } from './keys.js';
import {
  IPVSADM_DEFAULTS,
  type IpvsadmTarget,
  type IpvsConnectionEntry,
  type IpvsDaemonConfig,
  type IpvsDaemonState,
  type IpvsForwarding,
  type IpvsInfo,
  type IpvsServerConfig,
  type IpvsServerEntry,
  type IpvsServerKey,
  type IpvsServiceConfig,
  type IpvsServiceEntry,
  type IpvsServiceKey,
  type IpvsSnapshot,
  type IpvsStats,
  type IpvsTimeouts,
} from './types.js';

/** Options of {@link IpvsTable}. */
export interface IpvsTableOptions {
  /** Banner data; default IPVS 1.2.1, size 4096. */
  readonly info?: IpvsInfo;
  /** Scheduler names the "kernel" has; default the 14 Linux schedulers. */
  readonly schedulers?: readonly string[];
  /** Persistence engines available; default `['sip']`. */
  readonly persistenceEngines?: readonly string[];
  /** Kernel HZ, which bounds `--set` values to INT_MAX/HZ; default 1000. */
  readonly hz?: number;
  /**
   * Addresses local to this host. Kernels before 3.x reported a real server on a local address as
   * `Local` whatever method was asked (`__ip_vs_update_dest` set `IP_VS_CONN_F_LOCALNODE`); give this to
   * reproduce that listing. Default: nothing is local.
   */
  readonly isLocal?: (family: Family, address: string) => boolean;
  /** Interface MTU used to default a sync daemon's maxlen (MTU − 28 for IPv4 groups); default 1500. */
  readonly mtu?: number;
}

/** Counters a table owner may set on a real server. */
export interface IpvsServerCounters {
  /** ActiveConn. */
  readonly activeConns?: number;
  /** InActConn. */
  readonly inactiveConns?: number;
  /** PersistConn. */
  readonly persistentConns?: number;
  /** Counters and rates (missing fields keep their value). */
  readonly stats?: Partial<IpvsStats>;
}

const ZERO_STATS: IpvsStats = Object.freeze({
  conns: 0,
  inpkts: 0,
  outpkts: 0,
  inbytes: 0,
  outbytes: 0,
  cps: 0,
  inpps: 0,
  outpps: 0,
  inbps: 0,
  outbps: 0,
});

const INT_MAX = 2147483647;

interface ServerState {
  config: IpvsServerConfig;
  forwarding: IpvsForwarding;
  activeConns: number;
  inactiveConns: number;
  persistentConns: number;
  stats: IpvsStats;
}

interface ServiceState {
  config: IpvsServiceConfig;
  /** Head first, as the kernel's `svc->destinations`. */
  servers: ServerState[];
  stats: IpvsStats;
}

/** Kernel `ip_vs_new_dest` address check: IPv4 must not be 0.0.0.0/8, broadcast or multicast; IPv6 unicast. */
function unicast(family: Family, address: string): boolean {
  const b = addressBytes(family, address);
  if (!b) return false;
  if (family === 4) return b[0] !== 0 && b[0]! < 224;
  if (b[0] === 0xff) return false;
  return b.some((x) => x !== 0);
}

/**
 * An in-memory IPVS table that ipvsadm commands run against (`runIpvsadm(new IpvsTable(), '-A -t …')`).
 * Services are kept in insertion order (the kernel lists them in hash-bucket order, salted with a kernel
 * pointer, which nobody can reproduce; ipvsadm sorts unless `--nosort`); real servers in kernel order.
 */
export class IpvsTable implements IpvsadmTarget {
  private services: ServiceState[] = [];
  private timeouts: IpvsTimeouts = { ...IPVSADM_DEFAULTS.timeouts };
  private daemons: IpvsDaemonConfig[] = [];
  private connections: readonly IpvsConnectionEntry[] = [];
  private readonly info: IpvsInfo;
  private readonly schedulers: ReadonlySet<string>;
  private readonly engines: ReadonlySet<string>;
  private readonly hz: number;
  private readonly isLocal: ((family: Family, address: string) => boolean) | undefined;
  private readonly mtu: number;

  /** @param options - kernel features and banner data */
  constructor(options: IpvsTableOptions = {}) {
    this.info = options.info ?? IPVSADM_DEFAULTS.info;
    this.schedulers = new Set(options.schedulers ?? SCHEDULER_NAMES);
    this.engines = new Set(options.persistenceEngines ?? ['sip']);
    this.hz = options.hz ?? 1000;
    this.isLocal = options.isLocal;
    this.mtu = options.mtu ?? 1500;
  }

  private find(key: IpvsServiceKey): ServiceState | undefined {
    return this.services.find((s) => serviceKeyEquals(s.config.key, key));
  }

  private checkServiceConfig(config: IpvsServiceConfig): void {
    if (!this.schedulers.has(config.scheduler)) throw ipvsadmError('scheduler-not-found');
    if (config.pe && !this.engines.has(config.pe)) throw ipvsadmError('scheduler-not-found');
    if (config.key.family === 6 && (config.netmask < 1 || config.netmask > 128))
      throw ipvsadmError('invalid-operation');
  }

  /** `-A` (ip_vs_ctl.c `ip_vs_add_service`). */
  addService(config: IpvsServiceConfig): void {
    if (this.find(config.key)) throw ipvsadmError('service-exists');
    this.checkServiceConfig(config);
    this.services.push({ config: freezeService(config), servers: [], stats: ZERO_STATS });
  }

  /** `-E` (`ip_vs_edit_service`): every field is replaced; real servers and counters stay. */
  editService(config: IpvsServiceConfig): void {
    const svc = this.find(config.key);
    if (!svc) throw ipvsadmError('no-such-service');
    this.checkServiceConfig(config);
    svc.config = freezeService({ ...config, key: svc.config.key });
  }

  /** `-D`. */
  deleteService(key: IpvsServiceKey): void {
    const svc = this.find(key);
    if (!svc) throw ipvsadmError('no-such-service');
    this.services = this.services.filter((s) => s !== svc);
  }

  /** `-C`. */
  flush(): void {
    this.services = [];
  }

  private checkServerConfig(svc: ServiceState, config: IpvsServerConfig): void {
    // ip_vs_genl_set_cmd: a real server of another family only for tunnelling.
    if (config.key.family !== svc.config.key.family && config.forwarding !== 'tunnel')
      throw ipvsadmError('invalid-operation');
    // ip_vs_add_dest / ip_vs_edit_dest: weight < 0 or l_threshold > u_threshold → -ERANGE (an unset upper
    // threshold is 0, so a lower threshold alone is refused too).
    // The kernel only refuses a negative weight; above 65535 cannot come from ipvsadm and is refused here
    // too, so no caller gets a weight the list columns (%-6d) and schedulers were never meant to see.
    if (config.weight < 0 || config.weight > 65535) throw ipvsadmError('out-of-range');
    if (config.lowerThreshold > config.upperThreshold) throw ipvsadmError('out-of-range');
    if (config.forwarding === 'tunnel' && config.tunnel.type === 'gue' && config.tunnel.port === 0)
      throw ipvsadmError('invalid-operation');
  }

  private forwardingOf(config: IpvsServerConfig): IpvsForwarding {
    return this.isLocal?.(config.key.family, config.key.address) ? 'local' : config.forwarding;
  }

  /** `-a` (`ip_vs_add_dest`): the new real server goes to the head of the list. */
  addServer(service: IpvsServiceKey, config: IpvsServerConfig): void {
    const svc = this.find(service);
    if (!svc) throw ipvsadmError('service-not-defined');
    this.checkServerConfig(svc, config);
    if (svc.servers.some((d) => serverKeyEquals(d.config.key, config.key))) throw ipvsadmError('dest-exists');
    if (!unicast(config.key.family, config.key.address)) throw ipvsadmError('invalid-operation');
    svc.servers.unshift({
      config: freezeServer(config),
      forwarding: this.forwardingOf(config),
      activeConns: 0,
      inactiveConns: 0,
      persistentConns: 0,
      stats: ZERO_STATS,
    });
  }

  /** `-e` (`ip_vs_edit_dest`): place in the list, connections and counters stay. */
  editServer(service: IpvsServiceKey, config: IpvsServerConfig): void {
    const svc = this.find(service);
    if (!svc) throw ipvsadmError('service-not-defined');
    this.checkServerConfig(svc, config);
    const dest = svc.servers.find((d) => serverKeyEquals(d.config.key, config.key));
    if (!dest) throw ipvsadmError('no-such-dest');
    dest.config = freezeServer({ ...config, key: dest.config.key });
    dest.forwarding = this.forwardingOf(config);
  }

  /** `-d` (`ip_vs_del_dest`). */
  deleteServer(service: IpvsServiceKey, server: IpvsServerKey): void {
    const svc = this.find(service);
    if (!svc) throw ipvsadmError('service-not-defined');
    const i = svc.servers.findIndex((d) => serverKeyEquals(d.config.key, server));
    if (i < 0) throw ipvsadmError('no-such-dest');
    svc.servers.splice(i, 1);
  }

  /** `-Z`: counters and rates to zero (connection counts stay), for one service or all. */
  zero(service?: IpvsServiceKey): void {
    const list = service ? [this.find(service)] : this.services;
    if (list[0] === undefined && service) throw ipvsadmError('no-such-service');
    for (const svc of list) {
      if (!svc) continue;
      svc.stats = ZERO_STATS;
      for (const d of svc.servers) d.stats = ZERO_STATS;
    }
  }

  /** `--set` (`ip_vs_set_timeout`): every value is checked before any is set; 0 keeps the current one. */
  setTimeouts(t: IpvsTimeouts): void {
    const max = Math.floor(INT_MAX / this.hz);
    for (const v of [t.tcp, t.tcpfin, t.udp]) {
      if (!Number.isInteger(v) || v < 0 || v > max) throw ipvsadmError('invalid-operation');
    }
    this.timeouts = {
      tcp: t.tcp || this.timeouts.tcp,
      tcpfin: t.tcpfin || this.timeouts.tcpfin,
      udp: t.udp || this.timeouts.udp,
    };
  }

  /**
   * `--start-daemon`: one daemon per role. Unset fields get the kernel's defaults as `--daemon` then
   * shows them (ip_vs_sync.c `start_sync_thread`): group 224.0.0.81 unless one is given, port 8848, ttl 1,
   * maxlen MTU − 28 for an IPv4 group, MTU − 48 for an IPv6 one.
   */
  startDaemon(config: IpvsDaemonConfig): void {
    if (this.daemons.some((d) => d.state === config.state)) throw ipvsadmError('daemon-running');
    const v6 = config.mcastGroup.includes(':');
    this.daemons.push(
      Object.freeze({
        ...config,
        syncMaxlen: config.syncMaxlen || this.mtu - (v6 ? 48 : 28),
        mcastGroup: config.mcastGroup || '224.0.0.81',
        mcastPort: config.mcastPort || 8848,
        mcastTtl: config.mcastTtl || 1,
      }),
    );
  }

  /** `--stop-daemon`. */
  stopDaemon(state: IpvsDaemonState): void {
    if (!this.daemons.some((d) => d.state === state)) throw ipvsadmError('no-daemon');
    this.daemons = this.daemons.filter((d) => d.state !== state);
  }

  /**
   * Sets a service's counters and rates (what a director's estimator would report).
   * @throws LvsError `IPVSADM_NO_SUCH_SERVICE`
   */
  setServiceStats(service: IpvsServiceKey, stats: Partial<IpvsStats>): void {
    const svc = this.find(service);
    if (!svc) throw ipvsadmError('no-such-service');
    svc.stats = Object.freeze({ ...svc.stats, ...stats });
  }

  /**
   * Sets a real server's connection counts, counters and rates.
   * @throws LvsError `IPVSADM_NO_SUCH_SERVICE` / `IPVSADM_NO_SUCH_DEST`
   */
  setServerCounters(service: IpvsServiceKey, server: IpvsServerKey, counters: IpvsServerCounters): void {
    const svc = this.find(service);
    if (!svc) throw ipvsadmError('service-not-defined');
    const d = svc.servers.find((x) => serverKeyEquals(x.config.key, server));
    if (!d) throw ipvsadmError('no-such-dest');
    if (counters.activeConns !== undefined) d.activeConns = counters.activeConns;
    if (counters.inactiveConns !== undefined) d.inactiveConns = counters.inactiveConns;
    if (counters.persistentConns !== undefined) d.persistentConns = counters.persistentConns;
    if (counters.stats) d.stats = Object.freeze({ ...d.stats, ...counters.stats });
  }

  /** Replaces the connection entries `-L -c` lists (kept in the given order). */
  setConnections(entries: readonly IpvsConnectionEntry[]): void {
    this.connections = Object.freeze(entries.map((e) => Object.freeze({ ...e })));
  }

  /** The current table as plain frozen data. */
  snapshot(): IpvsSnapshot {
    const services: IpvsServiceEntry[] = this.services.map((s) =>
      Object.freeze({
        ...s.config,
        stats: s.stats,
        servers: Object.freeze(
          s.servers.map(
            (d): IpvsServerEntry =>
              Object.freeze({
                family: d.config.key.family,
                address: d.config.key.address,
                port: d.config.key.port,
                forwarding: d.forwarding,
                tunnel: d.config.tunnel,
                weight: d.config.weight,
                upperThreshold: d.config.upperThreshold,
                lowerThreshold: d.config.lowerThreshold,
                activeConns: d.activeConns,
                inactiveConns: d.inactiveConns,
                persistentConns: d.persistentConns,
                stats: d.stats,
              }),
          ),
        ),
      }),
    );
    return Object.freeze({
      info: this.info,
      services: Object.freeze(services),
      connections: this.connections,
      timeouts: Object.freeze({ ...this.timeouts }),
      daemons: Object.freeze([...this.daemons]),
    });
  }
}

function freezeService(c: IpvsServiceConfig): IpvsServiceConfig {
  return Object.freeze({ ...c, key: Object.freeze({ ...c.key }), schedFlags: Object.freeze([...c.schedFlags]) });
}

function freezeServer(c: IpvsServerConfig): IpvsServerConfig {
  return Object.freeze({ ...c, key: Object.freeze({ ...c.key }), tunnel: Object.freeze({ ...c.tunnel }) });
}
