/**
 * What the engine's packet path and its control edits share: the run-time shapes of virtual services and real
 * servers (`struct ip_vs_service`, `struct ip_vs_dest`), the service index, the connection table, counters and
 * timeouts, and the accounting both sides apply when an entry binds to or leaves a real server
 * (`ip_vs_bind_dest`, `ip_vs_unbind_dest`, OVERLOAD, `ip_vs_conn_expire`). Owns state and that accounting only;
 * it must never decide a packet (`packet-path.ts` does) or edit the service set (`engine.ts` does), and must
 * never allocate on a path a packet takes.
 * @see net/netfilter/ipvs/ip_vs_conn.c, ip_vs_ctl.c
 */

import { type Family, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '@lvskit/base';
import {
  createScheduler,
  type Scheduler,
  type SchedulerName,
  type SchedulerOptions,
  type ServerHandle,
} from '@lvskit/schedulers';
import { ConnTable, CTPL_ASSURED, F_DAF6, F_INACTIVE, F_NOOUTPUT, F_TEMPLATE } from './conn-table.js';
import type { NormalizedRealServer, NormalizedService } from './model.js';
import { METHOD_MASQ, METHOD_ROUTE, METHOD_TUNNEL, type MethodCode, type PacketSummary } from './packet.js';
import { Stats } from './stats.js';
import { DEFAULT_SYNC_RULES, type SyncRules, type SyncSink } from './sync.js';
import { EXPIRE_LATER_MS, TCP_DEFAULT_TIMEOUTS, TCP_STATE_COUNT, UDP_DEFAULT_TIMEOUT } from './tcp-states.js';

/** The method code a forwarding method name stands for. */
export const methodCode = (m: 'masq' | 'route' | 'tunnel'): MethodCode =>
  m === 'masq' ? METHOD_MASQ : m === 'tunnel' ? METHOD_TUNNEL : METHOD_ROUTE;

// Converts 16 address bytes into 4 words in the same native layout the engine's scratch view uses.
const convBytes = new Uint8Array(16);
const convWords = new Int32Array(convBytes.buffer);
export function toWords(family: Family, bytes: Uint8Array, out: Int32Array = new Int32Array(4)): Int32Array {
  convBytes.fill(0);
  const n = family === 4 ? 4 : 16;
  for (let i = 0; i < n; i++) convBytes[i] = bytes[i] ?? 0;
  out.set(convWords);
  return out;
}

/** A real server at run time (`struct ip_vs_dest`). */
export class RealServerState {
  /** Engine-wide id (conn entries point here). */
  readonly id: number;
  /** Owning service. */
  service: ServiceState;
  /** Address family. */
  readonly family: Family;
  /** Address bytes. */
  readonly bytes: Uint8Array;
  /** Address words (engine layout). */
  readonly words: Int32Array;
  /** Address text. */
  readonly address: string;
  /** Port (0 = the packet's port). */
  readonly port: number;
  /** Method name. */
  method: 'masq' | 'route' | 'tunnel';
  /** Method code. */
  methodCode: MethodCode;
  /** Weight. */
  weight: number;
  /** Upper threshold. */
  upperThreshold: number;
  /** Lower threshold. */
  lowerThreshold: number;
  /** ActiveConn. */
  active = 0;
  /** InActConn. */
  inactive = 0;
  /** PersistConn. */
  persist = 0;
  /** `IP_VS_DEST_F_OVERLOAD`. */
  overloaded = false;
  /** `IP_VS_DEST_F_AVAILABLE`: false once deleted (it lingers "in the trash" while entries point at it). */
  available = true;
  /** Draining (being removed): its persistence templates take no new connections, whatever its weight. */
  draining = false;
  /** Scheduler handle; -1 for the sorry server. */
  handle: ServerHandle;
  /** Entries bound to it (`refcnt` minus the list's own reference). */
  refs = 0;
  /** True for the sorry server. */
  readonly sorry: boolean;
  /** Counters. */
  readonly stats = new Stats();

  constructor(id: number, service: ServiceState, cfg: NormalizedRealServer, sorry: boolean) {
    this.id = id;
    this.service = service;
    this.family = cfg.family;
    this.bytes = cfg.bytes;
    this.words = toWords(cfg.family, cfg.bytes);
    this.address = cfg.address;
    this.port = cfg.port;
    this.method = cfg.method;
    this.methodCode = methodCode(cfg.method);
    this.weight = cfg.weight;
    this.upperThreshold = cfg.upperThreshold;
    this.lowerThreshold = cfg.lowerThreshold;
    this.handle = -1;
    this.sorry = sorry;
  }

  /** Flags a new entry inherits (`dest->conn_flags`): method, INACTIVE, NOOUTPUT unless NAT. */
  connFlags(): number {
    return (
      this.methodCode |
      F_INACTIVE |
      (this.methodCode === METHOD_MASQ ? 0 : F_NOOUTPUT) |
      (this.family === 6 ? F_DAF6 : 0)
    );
  }
}

/** A virtual service at run time (`struct ip_vs_service`). */
export class ServiceState {
  /** Engine-wide id. */
  readonly id: number;
  /** Current configuration (real-server lists in it are the configured ones, not the live ones). */
  config: NormalizedService;
  /** Protocol number (0 never: fwmark services keep TCP as ipvsadm sets). */
  readonly proto: number;
  /** Address words. */
  readonly words: Int32Array;
  /** Netmask words for persistence. */
  readonly maskWords = new Int32Array(4);
  /** Persistence timeout, ms. */
  timeoutMs = 0;
  /** The scheduler. */
  scheduler: Scheduler;
  /** Live real servers, kernel list order (head first). */
  dests: RealServerState[] = [];
  /** Real servers by scheduler handle. */
  byHandle: (RealServerState | undefined)[] = [];
  /** Sorry server, if any. */
  sorry: RealServerState | undefined;
  /** Counters. */
  readonly stats = new Stats();

  constructor(id: number, config: NormalizedService) {
    this.id = id;
    this.config = config;
    this.proto = config.protocol === 'udp' ? IPPROTO_UDP : config.protocol === 'sctp' ? IPPROTO_SCTP : IPPROTO_TCP;
    this.words = toWords(config.family, config.bytes);
    this.scheduler = createScheduler(config.scheduler, { flags: config.flags } as SchedulerOptions<SchedulerName>);
    this.applyPersistence(config);
  }

  /** Recomputes persistence fields from a config. */
  applyPersistence(config: NormalizedService): void {
    this.timeoutMs = config.timeout * 1000;
    const b = new Uint8Array(16);
    if (config.family === 4) {
      b[0] = config.netmask >>> 24;
      b[1] = (config.netmask >>> 16) & 0xff;
      b[2] = (config.netmask >>> 8) & 0xff;
      b[3] = config.netmask & 0xff;
    } else {
      for (let i = 0; i < 16; i++) {
        const bits = Math.max(0, Math.min(8, config.netmask - i * 8));
        b[i] = (0xff00 >> bits) & 0xff;
      }
    }
    toWords(config.family === 4 ? 4 : 6, b, this.maskWords);
  }
}

/** Engine switches after defaults. */
export interface EngineSettings {
  /** `expire_nodest_conn`. */
  expireNodestConn: boolean;
  /** `expire_quiescent_template`. */
  expireQuiescentTemplate: boolean;
  /** `conn_reuse_mode`. */
  connReuseMode: number;
  /** `sloppy_tcp`. */
  sloppyTcp: boolean;
  /** `secure_tcp`. */
  secureTcp: boolean;
  /** drop_packet rate (0 = off). */
  dropPacketRate: number;
}

/** Counters of the engine itself (not per service). */
export interface EngineCounters {
  /** Packets dropped because the table was full and nothing could be reclaimed. */
  tableFullDrops: number;
  /** Entries reclaimed by the drop_entry defense while the table was full. */
  reclaimed: number;
  /** Packets dropped: no real server (kernel ip_vs_leave). */
  noServerDrops: number;
  /** Packets dropped: their real server is gone and expire_nodest_conn is off. */
  destUnavailableDrops: number;
  /** Malformed summaries. */
  malformed: number;
  /** New-connection packets dropped by the drop_packet defense. */
  dropPacketDrops: number;
  /** New-flow packets dropped because the user classifier threw. */
  classifierFailures: number;
  /** Calls of the sync master's sink that threw (the packet was still decided; `SyncSink` must not throw). */
  syncSinkFailures: number;
}

/** Services keyed by (proto, family, address, port) or (family, mark): open addressing over ids. */
export class ServiceIndex {
  private slots: Int32Array = new Int32Array(16).fill(-1);
  private mask = 15;
  readonly list: ServiceState[] = [];

  rebuild(services: readonly ServiceState[]): void {
    let n = 16;
    while (n < services.length * 4) n <<= 1;
    this.slots = new Int32Array(n).fill(-1);
    this.mask = n - 1;
    this.list.length = 0;
    for (const s of services) {
      this.list[s.id] = s;
      const c = s.config;
      const h =
        c.kind === 'fwmark'
          ? this.hashMark(c.fwmark, c.family === 6)
          : this.hashAddr(s.proto, c.family === 6, s.words, 0, c.port);
      let i = h;
      while ((this.slots[i] ?? -1) >= 0) i = (i + 1) & this.mask;
      this.slots[i] = s.id;
    }
  }

  private hashAddr(proto: number, af6: boolean, w: Int32Array, off: number, port: number): number {
    let h = Math.imul(
      (w[off] ?? 0) ^ (af6 ? (w[off + 1] ?? 0) ^ (w[off + 2] ?? 0) ^ (w[off + 3] ?? 0) : 0),
      0x9e3779b1,
    );
    h ^= Math.imul(port | (proto << 16) | (af6 ? 1 << 24 : 0), 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.mask;
  }

  private hashMark(mark: number, af6: boolean): number {
    let h = Math.imul(mark ^ (af6 ? 0x5bd1e995 : 0), 0x9e3779b1);
    h ^= (h >>> 16) | 0x40000000;
    return h & this.mask;
  }

  findAddr(proto: number, af6: boolean, w: Int32Array, off: number, port: number): ServiceState | undefined {
    let i = this.hashAddr(proto, af6, w, off, port);
    for (;;) {
      const id = this.slots[i] ?? -1;
      if (id < 0) return undefined;
      const s = this.list[id];
      if (
        s &&
        s.config.kind === 'address' &&
        s.proto === proto &&
        s.config.port === port &&
        (s.config.family === 6) === af6
      ) {
        const sw = s.words;
        if (sw[0] === w[off] && sw[1] === w[off + 1] && sw[2] === w[off + 2] && sw[3] === w[off + 3]) return s;
      }
      i = (i + 1) & this.mask;
    }
  }

  findMark(mark: number, af6: boolean): ServiceState | undefined {
    let i = this.hashMark(mark, af6);
    for (;;) {
      const id = this.slots[i] ?? -1;
      if (id < 0) return undefined;
      const s = this.list[id];
      if (s && s.config.kind === 'fwmark' && s.config.fwmark === mark && (s.config.family === 6) === af6) return s;
      i = (i + 1) & this.mask;
    }
  }
}

/**
 * The state the packet path and the control edits share, with the binding accounting both apply. Not used
 * alone: `Engine` is the one concrete class.
 */
export abstract class EngineState {
  /** The connection and template table. */
  readonly table: ConnTable;
  /** Total counters (`ipvs->tot_stats`). */
  readonly total = new Stats();
  /** Engine counters. */
  readonly counters: EngineCounters = {
    tableFullDrops: 0,
    reclaimed: 0,
    noServerDrops: 0,
    destUnavailableDrops: 0,
    malformed: 0,
    dropPacketDrops: 0,
    classifierFailures: 0,
    syncSinkFailures: 0,
  };
  /** Switches. */
  readonly settings: EngineSettings;
  /** Classifier for fwmark services. */
  classifier: ((p: Readonly<PacketSummary>) => number) | undefined;
  /** Keys (`realServerKey(family, bytes, 0)`) of the director's own addresses: LOCALNODE real servers. */
  localAddresses: ReadonlySet<string> = new Set();
  /** Real servers by id (includes deleted ones still referenced). */
  readonly dests: (RealServerState | undefined)[] = [];
  /**
   * Real servers whose OVERLOAD flag changed since the director last drained this list (ids; the
   * director emits events from it outside the packet path).
   */
  readonly overloadChanged: Set<number> = new Set();
  /** Times the table was found full since the director last looked. */
  tableFullSinceDrain = 0;

  protected readonly index = new ServiceIndex();
  protected readonly services: ServiceState[] = [];
  protected nextServiceId = 0;
  protected freeDestIds: number[] = [];
  protected readonly tcpTimeoutsMs = new Uint32Array(TCP_STATE_COUNT);
  protected udpTimeoutMs = UDP_DEFAULT_TIMEOUT * 1000;
  protected now = 0;
  /** The sync master's port (`ip_vs_sync_conn`); undefined while this engine is not a sync master. */
  protected syncSink: SyncSink | undefined = undefined;
  /** The sync rules in force, validated (the master's send rules; `threshold` is also the backup's `in_pkts`). */
  protected syncRulesInForce: SyncRules = DEFAULT_SYNC_RULES;
  /** `sync_threshold[0]`, unpacked from the rules for the packet path. */
  protected syncThreshold = DEFAULT_SYNC_RULES.threshold;
  /** `sync_threshold[1]` (sync_period). */
  protected syncPeriod = DEFAULT_SYNC_RULES.period;
  /** `sync_refresh_period`, ms. */
  protected syncRefreshMs = DEFAULT_SYNC_RULES.refreshPeriodMs;
  /** `sync_retries`. */
  protected syncRetries = DEFAULT_SYNC_RULES.retries;
  /** `sync_persist_mode`. */
  protected syncPersistMode = DEFAULT_SYNC_RULES.persistMode;
  /** A template being used for the connection now being created: a reclaim must not free it. */
  protected protect = -1;
  protected readonly onExpire = (i: number): void => this.expireEntry(i, false);

  /**
   * @param capacity - table capacity
   * @param now - clock time at creation
   * @param settings - switches
   */
  constructor(capacity: number, now: number, settings: EngineSettings) {
    this.table = new ConnTable(capacity, now);
    this.settings = settings;
    this.now = now;
    for (let s = 0; s < TCP_STATE_COUNT; s++) this.tcpTimeoutsMs[s] = (TCP_DEFAULT_TIMEOUTS[s] ?? 0) * 1000;
  }

  /** `ip_vs_bind_dest`: counts and the OVERLOAD set rule. */
  protected bindDest(dest: RealServerState, flags: number): void {
    dest.refs++;
    if (flags & F_TEMPLATE) dest.persist++;
    else if (flags & F_INACTIVE) dest.inactive++;
    else dest.active++;
    if (dest.upperThreshold !== 0 && dest.active + dest.inactive >= dest.upperThreshold) this.setOverload(dest, true);
    this.reportConns(dest);
  }

  /** `ip_vs_unbind_dest`: counts and the OVERLOAD clear rule. */
  protected unbindDest(dest: RealServerState, flags: number): void {
    if (flags & F_TEMPLATE) dest.persist--;
    else if (flags & F_INACTIVE) dest.inactive--;
    else dest.active--;
    const total = dest.active + dest.inactive;
    if (dest.lowerThreshold !== 0) {
      if (total < dest.lowerThreshold) this.setOverload(dest, false);
    } else if (dest.upperThreshold !== 0) {
      if (total * 4 < dest.upperThreshold * 3) this.setOverload(dest, false);
    } else this.setOverload(dest, false);
    this.reportConns(dest);
    dest.refs--;
    if (dest.refs === 0 && !dest.available) this.releaseDest(dest);
  }

  protected reportConns(dest: RealServerState): void {
    if (dest.handle >= 0 && dest.available)
      dest.service.scheduler.setConnections(dest.handle, dest.active, dest.inactive);
  }

  protected setOverload(dest: RealServerState, on: boolean): void {
    if (dest.overloaded === on) return;
    dest.overloaded = on;
    if (dest.handle >= 0 && dest.available) dest.service.scheduler.setOverloaded(dest.handle, on);
    this.overloadChanged.add(dest.id);
  }

  /**
   * `ip_vs_conn_expire`: an entry's timer ran out (or it is expired early). A template still controlling
   * connections is re-armed for 60 s instead. `forced` is a defense drop (`cp->timeout = 0`): then a
   * non-assured controlling template left with no connections goes too.
   */
  protected expireEntry(i: number, forced: boolean): void {
    const t = this.table;
    if ((t.nControl[i] ?? 0) > 0) {
      t.arm(i, this.now, EXPIRE_LATER_MS);
      return;
    }
    const f = t.getFlags(i);
    const ct = t.control[i] ?? -1;
    const dest = this.dests[t.getDest(i)];
    t.remove(i);
    if (ct >= 0 && t.inUse(ct)) {
      const n = (t.nControl[ct] ?? 1) - 1;
      t.nControl[ct] = n;
      if (forced && n === 0 && ((t.state[ct] ?? 0) & CTPL_ASSURED) === 0 && ct !== this.protect)
        this.expireEntry(ct, true);
    }
    if (dest) this.unbindDest(dest, f);
  }

  protected releaseDest(d: RealServerState): void {
    if (this.dests[d.id] !== d) return;
    this.dests[d.id] = undefined;
    this.freeDestIds.push(d.id);
  }

  /** Time the engine last saw. */
  get lastNow(): number {
    return this.now;
  }
}
