/**
 * The engine: turns a packet summary into a forwarding decision and keeps IPVS state — service lookup,
 * connection lookup in both directions, scheduling (through `@lvskit/schedulers`), persistence templates,
 * the TCP/UDP state machines and timeouts, ActiveConn/InActConn/PersistConn accounting with the OVERLOAD
 * flag, quiesced and deleted real servers (`expire_nodest_conn`), `conn_reuse_mode`, the table-full
 * defense, counters and the rate estimator. Its control methods assume input already validated by the
 * director (they never throw); `process` never throws, awaits, allocates or emits events.
 * @see net/netfilter/ipvs/ip_vs_core.c, ip_vs_conn.c, ip_vs_proto_tcp.c, ip_vs_proto_udp.c, ip_vs_ctl.c
 */

import type { Family } from '@lvskit/base';
import { DropReason } from '@lvskit/base';
import {
  createScheduler,
  emptyFlow,
  type Flow,
  NO_SERVER,
  type Scheduler,
  type SchedulerName,
  type SchedulerOptions,
  type ServerHandle,
} from '@lvskit/schedulers';
import {
  ConnTable,
  CTPL_ASSURED,
  F_AF6,
  F_DAF6,
  F_FWD_MASK,
  F_INACTIVE,
  F_NOOUTPUT,
  F_ONE_PACKET,
  F_TEMPLATE,
} from './conn-table.js';
import { type NormalizedRealServer, type NormalizedService, type NormalizedTimeouts, realServerKey } from './model.js';
import {
  createDecision,
  type Decision,
  DIR_OUT,
  type DropReasonCode,
  METHOD_LOCALNODE,
  METHOD_MASQ,
  METHOD_ROUTE,
  METHOD_TUNNEL,
  type MethodCode,
  type PacketSummary,
  TCP_RST,
  TCP_SYN,
  VERDICT_DROP,
  VERDICT_FORWARD,
  VERDICT_LOCAL,
} from './packet.js';
import type { PacketProcessor } from './ports.js';
import { Stats } from './stats.js';
import {
  EXPIRE_LATER_MS,
  NEW_CONN_TIMEOUT_MS,
  TCP_DEFAULT_TIMEOUTS,
  TCP_DIR_INPUT,
  TCP_DIR_INPUT_ONLY,
  TCP_DIR_OUTPUT,
  TCP_STATE_ACTIVE,
  TCP_STATE_COUNT,
  TCP_STATES,
  TCP_STATES_DOS,
  TcpState,
  tcpFlagIndex,
  UDP_DEFAULT_TIMEOUT,
} from './tcp-states.js';

const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
const FTPPORT = 21;
/** SCTP is tracked with two states here (a simplification of ip_vs_proto_sctp.c): ESTABLISHED and CLOSED. */
const SCTP_ESTABLISHED_MS = 15 * 60 * 1000;
const SCTP_CLOSED_MS = 10 * 1000;
/** Entries examined per reclaim attempt when the table is full (bounded work per packet). */
const RECLAIM_SCAN = 64;

const methodCode = (m: 'masq' | 'route' | 'tunnel'): MethodCode =>
  m === 'masq' ? METHOD_MASQ : m === 'tunnel' ? METHOD_TUNNEL : METHOD_ROUTE;

// Converts 16 address bytes into 4 words in the same native layout the engine's scratch view uses.
const convBytes = new Uint8Array(16);
const convWords = new Int32Array(convBytes.buffer);
function toWords(family: Family, bytes: Uint8Array, out: Int32Array = new Int32Array(4)): Int32Array {
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
}

/** Services keyed by (proto, family, address, port) or (family, mark): open addressing over ids. */
class ServiceIndex {
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
 * The IPVS engine. One instance per director. `process()` is the packet path; the other methods are the
 * control path, called between packets by the director after validation.
 */
export class Engine implements PacketProcessor {
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

  private readonly index = new ServiceIndex();
  private readonly services: ServiceState[] = [];
  private nextServiceId = 0;
  private freeDestIds: number[] = [];
  private readonly tcpTimeoutsMs = new Uint32Array(TCP_STATE_COUNT);
  private udpTimeoutMs = UDP_DEFAULT_TIMEOUT * 1000;
  private now = 0;
  private readonly decision: Decision = createDecision();
  private readonly dv: Int32Array;
  private readonly dr: Int32Array;
  private readonly bytes = new Uint8Array(64);
  private readonly w = new Int32Array(this.bytes.buffer);
  private readonly flow: Flow = emptyFlow();
  private reclaimCursor = 0;
  private dropCounter = 0;
  /** A template being used for the connection now being created: a reclaim must not free it. */
  private protect = -1;
  private readonly todropCounter = new Int32Array(9);
  private readonly onExpire = (i: number): void => this.expireEntry(i, false);

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
    this.dv = new Int32Array(this.decision.vaddr.buffer, this.decision.vaddr.byteOffset, 4);
    this.dr = new Int32Array(this.decision.raddr.buffer, this.decision.raddr.byteOffset, 4);
  }

  // ---------------------------------------------------------------- packet path

  /**
   * Decides one packet (kernel `ip_vs_in` / `ip_vs_out`). The returned object is reused.
   * @param p - the packet summary
   * @param now - ms on the director's clock
   */
  process(p: PacketSummary, now: number): Decision {
    const d = this.decision;
    d.verdict = VERDICT_LOCAL;
    d.reason = DropReason.NONE;
    d.reply = false;
    d.serviceId = -1;
    d.realServerId = -1;
    d.connection = -1;
    if (now > this.now) this.now = now;
    this.table.advance(this.now, this.onExpire);
    const af6 = p.family === 6;
    if (
      (p.family !== 4 && !af6) ||
      !(p.sport >= 0 && p.sport <= 0xffff && p.dport >= 0 && p.dport <= 0xffff) ||
      (p.sport | 0) !== p.sport ||
      (p.dport | 0) !== p.dport
    ) {
      this.counters.malformed++;
      return this.drop(DropReason.MALFORMED);
    }
    const proto = p.protocol;
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP && proto !== IPPROTO_SCTP) return d; // not an IPVS protocol
    const b = this.bytes;
    const n = af6 ? 16 : 4;
    const sa = p.saddr;
    const da = p.daddr;
    for (let i = 0; i < n; i++) {
      b[i] = sa[i] ?? 0;
      b[16 + i] = da[i] ?? 0;
    }
    if (!af6) {
      const w = this.w;
      w[1] = 0;
      w[2] = 0;
      w[3] = 0;
      w[5] = 0;
      w[6] = 0;
      w[7] = 0;
    }
    return p.direction === DIR_OUT ? this.processOut(p, proto, af6) : this.processIn(p, proto, af6);
  }

  private drop(reason: DropReasonCode): Decision {
    this.decision.verdict = VERDICT_DROP;
    this.decision.reason = reason;
    return this.decision;
  }

  private processOut(p: PacketSummary, proto: number, af6: boolean): Decision {
    const t = this.table;
    // Reply: source = real server (words 0..3), destination = client (words 4..7).
    let i = t.lookupOut(proto, af6, this.w, 4, p.dport, 0, p.sport);
    if (i >= 0 && (t.expires[i] ?? 0) <= this.now) {
      this.expireEntry(i, false);
      i = -1;
    }
    if (i < 0) return this.decision;
    const f = t.getFlags(i);
    if ((f & F_FWD_MASK) !== METHOD_MASQ) return this.decision; // only NAT replies pass the director
    const dest = this.dests[t.getDest(i)];
    if (dest?.available) {
      const len = p.length;
      dest.stats.outpkts++;
      dest.stats.outbytes += len;
      dest.service.stats.outpkts++;
      dest.service.stats.outbytes += len;
      this.total.outpkts++;
      this.total.outbytes += len;
    }
    this.transition(i, proto, TCP_DIR_OUTPUT, p.tcpFlags);
    t.arm(i, this.now, t.timeout[i] ?? 0);
    return this.fill(i, true);
  }

  private processIn(p: PacketSummary, proto: number, af6: boolean): Decision {
    const t = this.table;
    const st = this.settings;
    let i = t.lookupIn(proto, af6, this.w, 0, p.sport, 4, p.dport);
    if (i >= 0 && (t.expires[i] ?? 0) <= this.now) {
      this.expireEntry(i, false);
      i = -1;
    }
    const isNew = proto !== IPPROTO_UDP && (p.tcpFlags & TCP_SYN) !== 0;
    if (i >= 0 && st.connReuseMode !== 0 && isNew) {
      // ip_vs_core.c ip_vs_in: a new SYN on an old entry. Without conntrack there is no old_ct drop, so
      // the entry is expired now and the SYN scheduled at once (no one-second retransmit stall).
      const dest = this.dests[t.getDest(i)];
      let resched = false;
      if (st.expireNodestConn && dest && dest.weight === 0) resched = true;
      else if (this.isNewConnExpected(i)) resched = (t.nControl[i] ?? 0) === 0;
      if (resched) {
        this.expireEntry(i, false);
        i = -1;
      }
    }
    if (i >= 0) {
      const dest = this.dests[t.getDest(i)];
      if (dest && !dest.available) {
        if (st.expireNodestConn) {
          this.expireEntry(i, false);
          i = -1;
        } else {
          this.counters.destUnavailableDrops++;
          return this.drop(DropReason.DEST_UNAVAILABLE);
        }
      }
    }
    if (i < 0) {
      let svc: ServiceState | undefined;
      // The mark only selects a service, so the classifier (iptables MARK) runs only for new flows.
      if (this.classifier) p.mark = this.classifier(p) >>> 0;
      if (p.mark !== 0) svc = this.index.findMark(p.mark, af6);
      if (!svc) svc = this.index.findAddr(proto, af6, this.w, 4, p.dport);
      if (!svc) svc = this.index.findAddr(proto, af6, this.w, 4, 0);
      if (!svc) return this.decision;
      if (proto !== IPPROTO_UDP && ((!isNew && !st.sloppyTcp) || (p.tcpFlags & TCP_RST) !== 0)) return this.decision;
      // ip_vs_todrop (drop_packet defense): checked before scheduling, one of every `rate` is dropped.
      if (st.dropPacketRate > 0) {
        if (--this.dropCounter <= 0) {
          this.dropCounter = st.dropPacketRate;
          this.counters.dropPacketDrops++;
          return this.drop(DropReason.DROP_PACKET);
        }
      }
      i = this.schedule(svc, p, proto, af6);
      if (i === -1) return this.decision; // verdict and reason already set
      if (i === -2) return this.decision; // one-packet: decision filled, no entry
    }
    const dest = this.dests[t.getDest(i)];
    if (dest?.available) {
      const len = p.length;
      dest.stats.inpkts++;
      dest.stats.inbytes += len;
      dest.service.stats.inpkts++;
      dest.service.stats.inbytes += len;
      this.total.inpkts++;
      this.total.inbytes += len;
    }
    const ip = t.inPkts[i] ?? 0;
    if (ip < 0xffffffff) t.inPkts[i] = ip + 1;
    this.transition(i, proto, TCP_DIR_INPUT, p.tcpFlags);
    t.arm(i, this.now, t.timeout[i] ?? 0);
    return this.fill(i, false);
  }

  private fill(i: number, reply: boolean): Decision {
    const d = this.decision;
    const t = this.table;
    const f = t.getFlags(i);
    const o = i << 2;
    d.verdict = VERDICT_FORWARD;
    d.reply = reply;
    d.method = (f & F_FWD_MASK) as MethodCode;
    d.rfamily = f & F_DAF6 ? 6 : 4;
    const dr = this.dr;
    const dv = this.dv;
    for (let k = 0; k < 4; k++) {
      dr[k] = t.daddr[o + k] ?? 0;
      dv[k] = t.vaddr[o + k] ?? 0;
    }
    d.rport = t.getDport(i);
    d.vport = t.getVport(i);
    const dest = this.dests[t.getDest(i)];
    d.realServerId = dest ? dest.id : -1;
    d.serviceId = dest ? dest.service.id : -1;
    d.connection = i;
    return d;
  }

  /** ip_vs_core.c `is_new_conn_expected`. */
  private isNewConnExpected(i: number): boolean {
    const t = this.table;
    if ((t.control[i] ?? -1) >= 0) return false;
    const s = t.state[i] ?? 0;
    if (t.getProto(i) === IPPROTO_TCP)
      return (
        s === TcpState.TIME_WAIT ||
        s === TcpState.CLOSE ||
        ((this.settings.connReuseMode & 2) !== 0 && s === TcpState.FIN_WAIT && (t.getFlags(i) & F_NOOUTPUT) !== 0)
      );
    if (t.getProto(i) === IPPROTO_SCTP) return s === 1;
    return false;
  }

  /** Picks a real server: the scheduler, else the sorry server. */
  private pick(svc: ServiceState, p: PacketSummary, proto: number): RealServerState | undefined {
    const f = this.flow;
    f.family = p.family;
    f.protocol = proto;
    f.sport = p.sport;
    f.dport = p.dport;
    const b = this.bytes;
    for (let k = 0; k < 16; k++) {
      f.saddr[k] = b[k] ?? 0;
      f.daddr[k] = b[16 + k] ?? 0;
    }
    const h = svc.scheduler.schedule(f, this.now);
    if (h !== NO_SERVER) {
      const d = svc.byHandle[h];
      if (d) return d;
    }
    const s = svc.sorry;
    return s?.available ? s : undefined;
  }

  /**
   * Schedules a new connection (`ip_vs_schedule` / `ip_vs_sched_persist`).
   * @returns entry index, -1 (dropped or passed; decision set) or -2 (one-packet, decision filled)
   */
  private schedule(svc: ServiceState, p: PacketSummary, proto: number, af6: boolean): number {
    const cfg = svc.config;
    const t = this.table;
    const w = this.w;
    const ops = cfg.onePacket && proto === IPPROTO_UDP;
    let dest: RealServerState | undefined;
    let ct = -1;
    if (cfg.persistent) {
      // Template key (ip_vs_sched_persist): masked client, cport 0, and vaddr/vport by service kind.
      const m = svc.maskWords;
      for (let k = 0; k < 4; k++) w[8 + k] = (w[k] ?? 0) & (m[k] ?? 0);
      let tproto = proto;
      let tvport = 0;
      let vOff = 4;
      if (p.dport === cfg.port) {
        if (cfg.port !== FTPPORT) tvport = p.dport;
      } else if (cfg.kind === 'fwmark') {
        tproto = IPPROTO_IP;
        const b = this.bytes;
        const mk = cfg.fwmark;
        b[48] = mk >>> 24;
        b[49] = (mk >>> 16) & 0xff;
        b[50] = (mk >>> 8) & 0xff;
        b[51] = mk & 0xff;
        w[13] = 0;
        w[14] = 0;
        w[15] = 0;
        vOff = 12;
      }
      ct = t.lookupTemplate(tproto, af6, w, 8, vOff, tvport);
      if (ct >= 0 && (t.expires[ct] ?? 0) <= this.now) {
        this.expireEntry(ct, false);
        if (!t.inUse(ct)) ct = -1;
      }
      if (ct >= 0 && !this.checkTemplate(ct)) ct = -1;
      if (ct < 0) {
        dest = this.pick(svc, p, proto);
        if (!dest) return this.noServer();
        const tdport = p.dport === cfg.port && cfg.port !== FTPPORT ? dest.port : 0;
        ct = this.insert(
          tproto,
          F_TEMPLATE | (af6 ? F_AF6 : 0) | dest.connFlags(),
          8,
          0,
          vOff,
          tvport,
          dest,
          tdport,
          svc.timeoutMs,
        );
        if (ct < 0) return -1;
      } else dest = this.dests[t.getDest(ct)];
      if (!dest) return this.noServer();
    } else {
      if (cfg.kind === 'address' && p.dport !== cfg.port) {
        // ip_vs_schedule: "port zero only supported in persistent services" → ip_vs_leave → drop.
        this.drop(DropReason.PORT_ZERO);
        return -1;
      }
      dest = this.pick(svc, p, proto);
      if (!dest) return this.noServer();
    }
    let dport = p.dport;
    if (cfg.persistent) {
      if (dport === cfg.port && dest.port) dport = dest.port;
    } else if (dest.port) dport = dest.port;
    const flags = (af6 ? F_AF6 : 0) | dest.connFlags() | (ops ? F_ONE_PACKET : 0);
    if (ops) {
      // One-packet scheduling: the entry is bound, used for this packet and freed at once, never hashed
      // (ip_vs_conn_hash skips ONE_PACKET; ip_vs_conn_put expires it immediately).
      this.bindDest(dest, flags);
      this.countConn(dest, svc);
      if (ct >= 0) t.arm(ct, this.now, t.timeout[ct] ?? 0);
      const len = p.length;
      dest.stats.inpkts++;
      dest.stats.inbytes += len;
      svc.stats.inpkts++;
      svc.stats.inbytes += len;
      this.total.inpkts++;
      this.total.inbytes += len;
      const d = this.decision;
      d.verdict = VERDICT_FORWARD;
      d.method = dest.methodCode;
      d.rfamily = dest.family;
      d.raddr.set(dest.bytes);
      d.rport = dport;
      d.vaddr.fill(0);
      for (let k = 0; k < 16; k++) d.vaddr[k] = this.bytes[16 + k] ?? 0;
      d.vport = p.dport;
      d.realServerId = dest.id;
      d.serviceId = svc.id;
      this.unbindDest(dest, flags);
      return -2;
    }
    this.protect = ct;
    const i = this.insert(proto, flags, 0, p.sport, 4, p.dport, dest, dport, NEW_CONN_TIMEOUT_MS);
    this.protect = -1;
    if (i < 0) {
      if (ct >= 0) t.arm(ct, this.now, t.timeout[ct] ?? 0);
      return -1;
    }
    if (ct >= 0) {
      // ip_vs_control_add + ip_vs_conn_put(ct): the template is re-armed with its own timeout.
      t.control[i] = ct;
      t.nControl[ct] = (t.nControl[ct] ?? 0) + 1;
      t.arm(ct, this.now, t.timeout[ct] ?? 0);
    }
    this.countConn(dest, svc);
    return i;
  }

  private noServer(): number {
    this.counters.noServerDrops++;
    this.drop(DropReason.NO_SERVER);
    return -1;
  }

  private countConn(dest: RealServerState, svc: ServiceState): void {
    dest.stats.conns++;
    svc.stats.conns++;
    this.total.conns++;
  }

  /** Inserts an entry bound to `dest`, reclaiming on a full table. Sets the drop decision on failure. */
  private insert(
    proto: number,
    flags: number,
    cOff: number,
    cport: number,
    vOff: number,
    vport: number,
    dest: RealServerState,
    dport: number,
    timeoutMs: number,
  ): number {
    const t = this.table;
    let i = t.insert(
      proto,
      flags,
      this.w,
      cOff,
      cport,
      vOff,
      vport,
      dest.words,
      0,
      dport,
      dest.id,
      this.now,
      timeoutMs,
    );
    if (i < 0 && this.reclaim() > 0)
      i = t.insert(proto, flags, this.w, cOff, cport, vOff, vport, dest.words, 0, dport, dest.id, this.now, timeoutMs);
    if (i < 0) {
      this.counters.tableFullDrops++;
      this.tableFullSinceDrain++;
      this.drop(DropReason.TABLE_FULL);
      return -1;
    }
    this.bindDest(dest, flags);
    return i;
  }

  /** `ip_vs_check_template`: false (and the template un-matched) when its real server cannot take it. */
  private checkTemplate(ct: number): boolean {
    const t = this.table;
    const dest = this.dests[t.getDest(ct)];
    if (
      !dest?.available ||
      (this.settings.expireQuiescentTemplate && dest.weight === 0) ||
      (dest.sorry && this.hasUsableServer(dest.service))
    ) {
      if (t.getVport(ct) !== 0xffff) t.invalidateTemplate(ct);
      return false;
    }
    return true;
  }

  /**
   * A template pinned to the sorry server is given up as soon as a real server could take new
   * connections again (the sorry server is a fallback, not a persistence target). New connections only.
   */
  private hasUsableServer(svc: ServiceState): boolean {
    for (const d of svc.dests) if (d.weight > 0 && !d.overloaded) return true;
    return false;
  }

  /** Protocol state transition for a packet (tcp `set_tcp_state`, udp `udp_state_transition`). */
  private transition(i: number, proto: number, dirOff: number, tcpFlags: number): void {
    const t = this.table;
    if (proto === IPPROTO_UDP) {
      t.timeout[i] = this.udpTimeoutMs;
      // udp_state_transition: a reply (NAT) assures the controlling template.
      if (dirOff === TCP_DIR_OUTPUT) {
        const ct = t.control[i] ?? -1;
        if (ct >= 0) t.state[ct] = (t.state[ct] ?? 0) | CTPL_ASSURED;
      }
      return;
    }
    const cur = t.state[i] ?? 0;
    let f = t.getFlags(i);
    let off = dirOff;
    let next: number;
    if (proto === IPPROTO_TCP) {
      if (f & F_NOOUTPUT) {
        if (off === TCP_DIR_OUTPUT) {
          f &= ~F_NOOUTPUT;
          t.setFlags(i, f);
        } else off = TCP_DIR_INPUT_ONLY;
      }
      const idx = tcpFlagIndex(tcpFlags);
      const table = this.settings.secureTcp ? TCP_STATES_DOS : TCP_STATES;
      next = idx < 0 ? TcpState.CLOSE : (table[(off + idx) * TCP_STATE_COUNT + cur] ?? TcpState.CLOSE);
    } else {
      // SCTP, simplified: ABORT (RST bit) closes, anything else is "established".
      next = tcpFlags & TCP_RST ? 0 : 1;
    }
    if (next !== cur) {
      const dest = this.dests[t.getDest(i)];
      const nowActive = proto === IPPROTO_TCP ? TCP_STATE_ACTIVE[next] === 1 : next === 1;
      if (dest) {
        if ((f & F_INACTIVE) === 0 && !nowActive) {
          dest.active--;
          dest.inactive++;
          t.setFlags(i, f | F_INACTIVE);
          this.reportConns(dest);
        } else if ((f & F_INACTIVE) !== 0 && nowActive) {
          dest.active++;
          dest.inactive--;
          t.setFlags(i, f & ~F_INACTIVE);
          this.reportConns(dest);
        }
      }
      // ip_vs_control_assure_ct: a controlled connection that reaches ESTABLISHED assures its template
      // (set_tcp_state; set_sctp_state likewise for SCTP ESTABLISHED, state 1 here).
      if (next === TcpState.ESTABLISHED) {
        const ct = t.control[i] ?? -1;
        if (ct >= 0) t.state[ct] = (t.state[ct] ?? 0) | CTPL_ASSURED;
      }
      t.state[i] = next;
    }
    t.timeout[i] =
      proto === IPPROTO_TCP ? (this.tcpTimeoutsMs[next] ?? 0) : next === 1 ? SCTP_ESTABLISHED_MS : SCTP_CLOSED_MS;
  }

  /** `ip_vs_bind_dest`: counts and the OVERLOAD set rule. */
  private bindDest(dest: RealServerState, flags: number): void {
    dest.refs++;
    if (flags & F_TEMPLATE) dest.persist++;
    else if (flags & F_INACTIVE) dest.inactive++;
    else dest.active++;
    if (dest.upperThreshold !== 0 && dest.active + dest.inactive >= dest.upperThreshold) this.setOverload(dest, true);
    this.reportConns(dest);
  }

  /** `ip_vs_unbind_dest`: counts and the OVERLOAD clear rule. */
  private unbindDest(dest: RealServerState, flags: number): void {
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

  private reportConns(dest: RealServerState): void {
    if (dest.handle >= 0 && dest.available)
      dest.service.scheduler.setConnections(dest.handle, dest.active, dest.inactive);
  }

  private setOverload(dest: RealServerState, on: boolean): void {
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
  private expireEntry(i: number, forced: boolean): void {
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

  /**
   * The table is full: examine up to {@link RECLAIM_SCAN} entries from a rotating cursor and drop those
   * the kernel's `ip_vs_random_dropentry` would (drop_entry defense): non-assured templates that control
   * nothing, TCP SYN_RECV/SYNACK, and idle (≥ 60 s) ESTABLISHED / UDP entries per `todrop_entry`.
   * @returns entries freed
   */
  private reclaim(): number {
    const t = this.table;
    const end = t.end;
    let freed = 0;
    for (let k = 0; k < RECLAIM_SCAN && end > 0; k++) {
      const i = this.reclaimCursor;
      this.reclaimCursor = i + 1 >= end ? 0 : i + 1;
      if (!t.inUse(i) || (t.nControl[i] ?? 0) > 0 || i === this.protect) continue;
      const f = t.getFlags(i);
      let drop = false;
      if (f & F_TEMPLATE) {
        // ip_vs_conn_ops_mode: templates of one-packet services follow todrop_entry ("try_drop").
        if (this.dests[t.getDest(i)]?.service.config.onePacket) drop = this.todropEntry(i);
        else drop = ((t.state[i] ?? 0) & CTPL_ASSURED) === 0;
      } else if (t.getProto(i) === IPPROTO_TCP) {
        const s = t.state[i] ?? 0;
        if (s === TcpState.SYN_RECV || s === TcpState.SYNACK) drop = true;
        else if (s === TcpState.ESTABLISHED) drop = this.todropEntry(i);
      } else drop = this.todropEntry(i);
      if (drop) {
        this.expireEntry(i, true);
        freed++;
      }
    }
    this.counters.reclaimed += freed;
    return freed;
  }

  /** `todrop_entry`: idle ≥ 60 s and `in_pkts` 1..8, with the kernel's per-count rate counters. */
  private todropEntry(i: number): boolean {
    const t = this.table;
    if ((t.timeout[i] ?? 0) + this.now < (t.expires[i] ?? 0) + 60_000) return false;
    const n = t.inPkts[i] ?? 0;
    if (n > 8 || n === 0) return false; // todrop_rate[0] == 0: never
    const c = (this.todropCounter[n] ?? 0) - 1;
    this.todropCounter[n] = c;
    if (c > 0) return false;
    this.todropCounter[n] = n; // todrop_rate[i] == i
    return true;
  }

  // ---------------------------------------------------------------- control path

  /** Runs expiry up to `now` (called by the director's housekeeping timer). */
  advance(now: number): void {
    if (now > this.now) this.now = now;
    this.table.advance(this.now, this.onExpire);
  }

  /** One estimator tick for every stats object (every 2 s). */
  estimate(): void {
    this.total.estimate();
    for (const s of this.services) {
      if (!s) continue;
      s.stats.estimate();
    }
    for (const d of this.dests) d?.stats.estimate();
  }

  /** Current timeouts, seconds. */
  get timeouts(): NormalizedTimeouts {
    return {
      tcp: (this.tcpTimeoutsMs[TcpState.ESTABLISHED] ?? 0) / 1000,
      tcpfin: (this.tcpTimeoutsMs[TcpState.FIN_WAIT] ?? 0) / 1000,
      udp: this.udpTimeoutMs / 1000,
    };
  }

  /** `ip_vs_set_timeout`: tcp → ESTABLISHED, tcpfin → FIN_WAIT, udp → UDP (validated; 0 already resolved). */
  setTimeouts(t: NormalizedTimeouts): void {
    this.tcpTimeoutsMs[TcpState.ESTABLISHED] = t.tcp * 1000;
    this.tcpTimeoutsMs[TcpState.FIN_WAIT] = t.tcpfin * 1000;
    this.udpTimeoutMs = t.udp * 1000;
  }

  /** Live services by id (sparse). */
  get serviceList(): readonly ServiceState[] {
    return this.services.filter((s) => s !== undefined);
  }

  /** Adds a service with its real servers (in add order, so the last is the list head). */
  addService(cfg: NormalizedService): ServiceState {
    const svc = new ServiceState(this.nextServiceId++, cfg);
    for (const rs of cfg.realServers) this.addRealServer(svc, rs);
    if (cfg.sorryServer) svc.sorry = this.newDest(svc, cfg.sorryServer, true);
    this.services[svc.id] = svc;
    this.reindex();
    return svc;
  }

  /**
   * `ip_vs_edit_service`: scheduler, flags, persistence, one-packet. A new scheduler is bound with the
   * current list (kernel `init_service` on a populated service); connections and stats stay.
   */
  editService(svc: ServiceState, cfg: NormalizedService): void {
    const old = svc.config;
    if (old.scheduler !== cfg.scheduler || old.flags.join(',') !== cfg.flags.join(',')) {
      const servers = svc.dests.map((d) => ({ address: d.address, port: d.port, weight: d.weight }));
      const sched = createScheduler(cfg.scheduler, { flags: cfg.flags, servers } as SchedulerOptions<SchedulerName>);
      const list = sched.list();
      svc.byHandle = [];
      svc.dests.forEach((d, k) => {
        const h = list[k]?.handle ?? -1;
        d.handle = h;
        svc.byHandle[h] = d;
        sched.setConnections(h, d.active, d.inactive);
        if (d.overloaded) sched.setOverloaded(h, true);
      });
      svc.scheduler = sched;
    }
    svc.config = { ...cfg, realServers: old.realServers, sorryServer: cfg.sorryServer ?? old.sorryServer };
    svc.applyPersistence(cfg);
  }

  /** Deletes a service: its real servers become unavailable (entries linger or expire per the switches). */
  deleteService(svc: ServiceState): void {
    for (const d of [...svc.dests]) this.deleteRealServer(svc, d);
    if (svc.sorry) this.retireDest(svc.sorry);
    svc.sorry = undefined;
    delete this.services[svc.id];
    this.reindex();
  }

  private newDest(svc: ServiceState, rs: NormalizedRealServer, sorry: boolean): RealServerState {
    const id = this.freeDestIds.pop() ?? this.dests.length;
    const d = new RealServerState(id, svc, rs, sorry);
    this.applyLocal(d);
    this.dests[id] = d;
    return d;
  }

  /**
   * Adds a real server at the head of the service's list (`__ip_vs_update_dest(add=1)`). A server deleted
   * but still referenced by entries is revived from the "trash" with its counts.
   */
  addRealServer(svc: ServiceState, rs: NormalizedRealServer): RealServerState {
    let d = this.dests.find(
      (x) =>
        x !== undefined &&
        !x.available &&
        !x.sorry &&
        x.service.id === svc.id &&
        x.port === rs.port &&
        x.family === rs.family &&
        x.bytes.every((v, k) => v === rs.bytes[k]),
    );
    if (d) {
      d.available = true;
      d.service = svc;
      // __ip_vs_update_dest: OVERLOAD is cleared when the new upper threshold is 0 or above the old one.
      if (rs.upperThreshold === 0 || rs.upperThreshold > d.upperThreshold) this.setOverload(d, false);
      this.applyDest(d, rs);
    } else d = this.newDest(svc, rs, false);
    d.handle = svc.scheduler.add({ address: rs.address, port: rs.port, weight: rs.weight });
    svc.byHandle[d.handle] = d;
    svc.dests.unshift(d);
    svc.scheduler.setConnections(d.handle, d.active, d.inactive);
    if (d.overloaded) svc.scheduler.setOverloaded(d.handle, true);
    return d;
  }

  private applyDest(d: RealServerState, rs: NormalizedRealServer): void {
    d.method = rs.method;
    d.methodCode = methodCode(rs.method);
    this.applyLocal(d);
    d.weight = rs.weight;
    d.upperThreshold = rs.upperThreshold;
    d.lowerThreshold = rs.lowerThreshold;
  }

  /** `__ip_vs_update_dest`: a real server on a local address forwards as LOCALNODE whatever its method. */
  private applyLocal(d: RealServerState): void {
    if (this.localAddresses.has(realServerKey(d.family, d.bytes, 0))) d.methodCode = METHOD_LOCALNODE;
  }

  /**
   * `ip_vs_edit_dest`: method (new entries only), weight, thresholds. OVERLOAD is cleared when the new
   * upper threshold is 0 or above the old one (`__ip_vs_update_dest`).
   */
  editRealServer(svc: ServiceState, d: RealServerState, rs: NormalizedRealServer): void {
    const oldUpper = d.upperThreshold;
    this.applyDest(d, rs);
    if (d.handle >= 0) svc.scheduler.update(d.handle, { weight: rs.weight });
    if (rs.upperThreshold === 0 || rs.upperThreshold > oldUpper) this.setOverload(d, false);
  }

  /** Sets the sorry server (undefined removes it). */
  setSorryServer(svc: ServiceState, rs: NormalizedRealServer | undefined): void {
    if (svc.sorry) this.retireDest(svc.sorry);
    svc.sorry = rs ? this.newDest(svc, rs, true) : undefined;
    svc.config = { ...svc.config, sorryServer: rs };
  }

  /**
   * `ip_vs_del_dest`: the server leaves the list and is no longer AVAILABLE; its entries stay (packets
   * dropped) or, with `expire_nodest_conn`, are expired now (`ip_vs_expire_nodest_conn_flush`).
   */
  deleteRealServer(svc: ServiceState, d: RealServerState): void {
    if (d.handle >= 0) svc.scheduler.remove(d.handle);
    svc.byHandle[d.handle] = undefined;
    d.handle = -1;
    const k = svc.dests.indexOf(d);
    if (k >= 0) svc.dests.splice(k, 1);
    this.retireDest(d);
  }

  private retireDest(d: RealServerState): void {
    d.available = false;
    if (this.settings.expireNodestConn) {
      const t = this.table;
      for (let i = 0; i < t.end; i++)
        if (t.inUse(i) && t.getDest(i) === d.id && (t.getFlags(i) & F_TEMPLATE) === 0) this.expireEntry(i, false);
    }
    if (d.refs === 0) this.releaseDest(d);
  }

  private releaseDest(d: RealServerState): void {
    if (this.dests[d.id] !== d) return;
    this.dests[d.id] = undefined;
    this.freeDestIds.push(d.id);
  }

  /** Zeroes counters of one service and its real servers, or everything and the totals. */
  zero(svc?: ServiceState): void {
    if (svc) {
      svc.stats.zero();
      for (const d of svc.dests) d.stats.zero();
      return;
    }
    this.total.zero();
    for (const s of this.services) {
      if (!s) continue;
      s.stats.zero();
      for (const d of s.dests) d.stats.zero();
    }
  }

  private reindex(): void {
    this.index.rebuild(this.services.filter((s) => s !== undefined));
  }

  /** Time the engine last saw. */
  get lastNow(): number {
    return this.now;
  }
}
