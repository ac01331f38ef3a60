/**
 * The engine: the IPVS state machine one `Ipvs` owns. Its packet path (`packet-path.ts`: `process()`, which
 * never throws, awaits, allocates or emits events) and its control edits (this file: services and real
 * servers added, edited and deleted, timeouts, counters zeroed, expiry and the estimator driven by the
 * clock) are apart; both work on the state in `engine-state.ts`. The control edits assume input already
 * validated by `Ipvs` (they never throw) and run between packets.
 * @see net/netfilter/ipvs/ip_vs_ctl.c
 */

import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '@lvskit/base';
import { createScheduler, type SchedulerName, type SchedulerOptions } from '@lvskit/schedulers';
import type { ConnTable } from './conn-table.js';
import { F_AF6, F_FWD_MASK, F_INACTIVE, F_NOOUTPUT, F_TEMPLATE } from './conn-table.js';
import { methodCode, RealServerState, ServiceState } from './engine-state.js';
import { LvsError } from './errors.js';
import { type NormalizedRealServer, type NormalizedService, type NormalizedTimeouts, realServerKey } from './model.js';
import { METHOD_LOCALNODE, METHOD_MASQ } from './packet.js';
import { PacketPath, SCTP_CLOSED_MS, SCTP_ESTABLISHED_MS } from './packet-path.js';
import {
  F_SYNC,
  normalizeSyncRules,
  type SyncApplyResult,
  type SyncedEntry,
  type SyncRules,
  type SyncSink,
} from './sync.js';
import { TCP_STATE_COUNT, TcpState } from './tcp-states.js';

export {
  type EngineCounters,
  type EngineSettings,
  RealServerState,
  ServiceState,
} from './engine-state.js';

/** `IP_VS_CONN_F_SEQ_MASK` (include/uapi/linux/ip_vs.h): in/out sequence adjustment. */
const F_SEQ_MASK = 0x0600;
/** `IP_VS_CONN_F_NO_CPORT`. */
const F_NO_CPORT = 0x0800;
/** `IP_VS_CONN_F_BACKUP_MASK`: the wire flags a backup keeps when it creates an entry. */
const F_BACKUP_MASK = F_FWD_MASK | F_NOOUTPUT | F_INACTIVE | F_SEQ_MASK | F_NO_CPORT | F_TEMPLATE;
/** `IP_VS_CONN_F_BACKUP_UPD_MASK`: the wire flags a backup changes on an existing entry. */
const F_BACKUP_UPD_MASK = F_INACTIVE | F_SEQ_MASK;
/** Timeout of a synced template without one in the message (`ip_vs_proc_conn`: 3*60*HZ). */
const SYNCED_TEMPLATE_TIMEOUT_MS = 3 * 60 * 1000;
/** The largest timeout the table holds, seconds (its `timeout` column is 32-bit milliseconds). */
const MAX_TIMEOUT_SEC = Math.floor(0xffffffff / 1000);
const FTPPORT = 21;

function isInt(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function isAddr(v: unknown, n: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length >= n;
}

/**
 * The IPVS engine. One instance per `Ipvs`. `process()` (inherited from the packet path) decides packets; the
 * methods here are the control path, called between packets by `Ipvs` after validation.
 */
export class Engine extends PacketPath {
  /** Runs expiry up to `now` (called by the director's housekeeping timer). */
  advance(now: number): void {
    // Time only moves forward, and only to a safe integer: `now` = Infinity (or 1e300) would spin the timer
    // wheel's tick loop forever (t++ no longer changes t). NaN, negative and past times keep the last time.
    if (now > this.now && now <= Number.MAX_SAFE_INTEGER) this.now = now;
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

  // ---------------------------------------------------------------- connection sync

  /**
   * Makes this engine a sync master (`ip_vs_sync_conn` on every inbound packet, as `ip_vs_in` calls it) or
   * stops it (`sink` undefined: the packet path then pays one branch per packet). With a sink, each entry
   * the master rules select (the packet path's `syncNeeded`, the kernel's `ip_vs_sync_conn_needed`) is
   * handed to `sink.syncEntry(table, index)` inside `process()`: the connection, then its controlling
   * template when that is due. A sink that throws is counted in `counters.syncSinkFailures`.
   * @param sink - where selected entries go, or undefined to stop
   * @param rules - the rules (sysctls `sync_threshold`, `sync_refresh_period`, `sync_retries`,
   *   `sync_persist_mode`); omitted: the rules in force stay (at first {@link DEFAULT_SYNC_RULES}). The
   *   threshold is also what a backup sets `in_pkts` to.
   * @throws LvsError `CORE_INVALID_OPTION` when `rules` are out of range (nothing changed)
   */
  setSyncMaster(sink: SyncSink | undefined, rules?: SyncRules): void {
    const r = rules === undefined ? this.syncRulesInForce : normalizeSyncRules(rules);
    if (sink !== undefined && (typeof sink !== 'object' || sink === null || typeof sink.syncEntry !== 'function'))
      throw new LvsError('CORE_INVALID_OPTION', 'sync sink must be an object with a syncEntry(table, index) method');
    this.syncRulesInForce = r;
    this.syncThreshold = r.threshold;
    this.syncPeriod = r.period;
    this.syncRefreshMs = r.refreshPeriodMs;
    this.syncRetries = r.retries;
    this.syncPersistMode = r.persistMode;
    this.syncSink = sink;
  }

  /** The sync rules in force (frozen). */
  get syncRules(): SyncRules {
    return this.syncRulesInForce;
  }

  /** True while a sync sink is set. */
  get syncMaster(): boolean {
    return this.syncSink !== undefined;
  }

  /**
   * Applies one entry received from a sync master, as a backup's `ip_vs_proc_conn` (ip_vs_sync.c) does, on
   * engine time (call {@link Engine.advance} first; `Ipvs.applySynced` does). The wire flags are masked with
   * `IP_VS_CONN_F_BACKUP_MASK` plus `F_SYNC`; a protocol other than TCP/UDP/SCTP or a state out of the
   * protocol's range is `invalid` (`ip_vs_proc_sync_conn`; SCTP here has two states, 0 CLOSED and
   * 1 ESTABLISHED).
   *
   * An existing entry (a connection by protocol, client and virtual endpoint, `ip_vs_conn_in_get`; a
   * template by its key, `ip_vs_ct_in_get`) is updated: only INACTIVE and the sequence bits of the flags
   * change (`IP_VS_CONN_F_BACKUP_UPD_MASK`) and ActiveConn/InActConn move with INACTIVE; state, `in_pkts`
   * and the timeout are set and the timer re-armed. A connection whose real server differs is replaced when
   * the record is active, and the record is ignored (`stale`) when it is INACTIVE.
   *
   * A new entry needs the virtual service (`ip_vs_service_find`: the firewall mark first when non-zero,
   * then protocol + virtual address + port, then port 0) and its real server by address and port
   * (`ip_vs_find_dest`: the record's port, or 0 for a non-NAT firewall-mark service, then `port ^ dport`;
   * the sorry server too, an lvskit addition; a template with real server port 0 — FTP, port-0 and
   * firewall-mark templates — by address alone when that finds none, where the kernel leaves it unbound). The kernel then creates the entry without a real server when none
   * matches; this engine cannot forward or account such an entry, so it creates nothing and returns
   * `no-service` / `no-dest`. The entry takes its forwarding method and NOOUTPUT from the backup's real
   * server (`ip_vs_bind_dest` on a SYNC entry; INACTIVE as the record says, which a master sets by state),
   * `in_pkts` = the threshold, the state (and `old_state`), and the record's timeout, or without one the
   * backup's own timeout for that state (templates 3 minutes). It is bound to the real server (ActiveConn,
   * InActConn or PersistConn, and the OVERLOAD rule) but not linked to a template: `ip_vs_proc_conn` /
   * `ip_vs_conn_new` never set `cp->control`. A template keeps the record's key (masked client, client port
   * 0, virtual port 0 for FTP and port-0 services, `IPPROTO_IP` and the mark as address for a firewall-mark
   * service), which is the key the backup's own scheduler looks up after a failover; a port-0 TCP template
   * not matching a port-0 service is looked up in the FTP (port 21) service, as `schedule()` made it.
   * On a full table the drop_entry reclaim runs once, then `table-full`.
   * @param e - the entry (read only during the call)
   * @returns what was done; never throws
   */
  applySynced(e: SyncedEntry): SyncApplyResult {
    if (typeof e !== 'object' || e === null) return 'invalid';
    const family = e.family;
    if (family !== 4 && family !== 6) return 'invalid';
    const n = family === 4 ? 4 : 16;
    const { protocol, flags: wireFlags, state, cport, vport, dport, fwmark, timeoutSec } = e;
    if (
      !isInt(protocol, 255) ||
      !isInt(wireFlags, 0xffffffff) ||
      !isInt(state, 0xffff) ||
      !isInt(cport, 0xffff) ||
      !isInt(vport, 0xffff) ||
      !isInt(dport, 0xffff) ||
      !isInt(fwmark, 0xffffffff) ||
      !isInt(timeoutSec, 0xffffffff) ||
      !isAddr(e.caddr, n) ||
      !isAddr(e.vaddr, n) ||
      !isAddr(e.daddr, n)
    )
      return 'invalid';
    const flags = ((wireFlags & F_BACKUP_MASK) | F_SYNC) >>> 0;
    const tpl = (flags & F_TEMPLATE) !== 0;
    if (tpl) {
      // The kernel only logs a template state ≥ IP_VS_CTPL_S_LAST; this table keeps 8 bits of state, and a
      // template's client port is always 0 (its key).
      if (state > 0xff || cport !== 0) return 'invalid';
    } else if (protocol === IPPROTO_TCP) {
      if (state >= TCP_STATE_COUNT) return 'invalid';
    } else if (protocol === IPPROTO_UDP) {
      if (state !== 0) return 'invalid';
    } else if (protocol === IPPROTO_SCTP) {
      if (state > 1) return 'invalid';
    } else return 'invalid';
    const af6 = family === 6;
    const w = this.syncWords;
    const b = this.syncBytes;
    b.fill(0);
    for (let k = 0; k < n; k++) {
      b[k] = e.caddr[k] ?? 0;
      b[16 + k] = e.vaddr[k] ?? 0;
      b[32 + k] = e.daddr[k] ?? 0;
    }
    const t = this.table;
    t.advance(this.now, this.onExpire);
    let i = tpl ? t.lookupTemplate(protocol, af6, w, 0, 4, vport) : t.lookupIn(protocol, af6, w, 0, cport, 4, vport);
    if (i >= 0 && (t.expires[i] ?? 0) <= this.now) {
      this.expireEntry(i, false);
      if (!t.inUse(i)) i = -1;
    }
    if (i >= 0 && !tpl) {
      const o = i << 2;
      const sameDest =
        t.getDport(i) === dport &&
        t.daddr[o] === w[8] &&
        t.daddr[o + 1] === w[9] &&
        t.daddr[o + 2] === w[10] &&
        t.daddr[o + 3] === w[11];
      if (!sameDest) {
        if (flags & F_INACTIVE) return 'stale';
        this.expireEntry(i, false);
        i = -1;
      }
    }
    let timeoutMs: number;
    if (timeoutSec > 0) timeoutMs = Math.min(timeoutSec, MAX_TIMEOUT_SEC) * 1000;
    else if (tpl) timeoutMs = SYNCED_TEMPLATE_TIMEOUT_MS;
    else if (protocol === IPPROTO_TCP) timeoutMs = this.tcpTimeoutsMs[state] ?? 0;
    else if (protocol === IPPROTO_UDP) timeoutMs = this.udpTimeoutMs;
    else timeoutMs = state === 1 ? SCTP_ESTABLISHED_MS : SCTP_CLOSED_MS;
    let result: SyncApplyResult;
    if (i >= 0) {
      const cf = t.getFlags(i);
      const dest = this.dests[t.getDest(i)];
      if ((cf ^ flags) & F_INACTIVE && !tpl && dest) {
        if (flags & F_INACTIVE) {
          dest.active--;
          dest.inactive++;
        } else {
          dest.active++;
          dest.inactive--;
        }
        this.reportConns(dest);
      }
      t.setFlags(i, (flags & F_BACKUP_UPD_MASK) | (cf & ~F_BACKUP_UPD_MASK));
      result = 'updated';
    } else {
      const svc = this.syncService(protocol, af6, fwmark, vport, tpl);
      if (!svc) return 'no-service';
      const dest = this.syncDest(svc, family, fwmark, flags, dport, tpl);
      if (!dest) return 'no-dest';
      // ip_vs_bind_dest on a SYNC entry: method and NOOUTPUT from the backup's real server; a connection keeps
      // the record's INACTIVE.
      let cflags = dest.connFlags();
      if (!tpl) cflags &= ~F_INACTIVE;
      const nf = (flags & ~(F_FWD_MASK | F_NOOUTPUT)) | cflags | (af6 ? F_AF6 : 0);
      i = t.insert(protocol, nf, w, 0, cport, 4, vport, dest.words, 0, dport, dest.id, this.now, timeoutMs);
      if (i < 0 && this.reclaim() > 0)
        i = t.insert(protocol, nf, w, 0, cport, 4, vport, dest.words, 0, dport, dest.id, this.now, timeoutMs);
      if (i < 0) return 'table-full';
      this.bindDest(dest, nf);
      result = 'created';
    }
    t.inPkts[i] = this.syncThreshold;
    t.state[i] = state;
    t.setOldState(i, state);
    // ip_vs_conn_put: the timer is re-armed with the new timeout.
    t.arm(i, this.now, timeoutMs);
    return result;
  }

  private readonly syncBytes = new Uint8Array(48);
  private readonly syncWords = new Int32Array(this.syncBytes.buffer);

  /** `ip_vs_service_find` for a synced entry, over the address words in `syncWords` 4..7. */
  private syncService(
    protocol: number,
    af6: boolean,
    fwmark: number,
    vport: number,
    tpl: boolean,
  ): ServiceState | undefined {
    const w = this.syncWords;
    let svc = fwmark !== 0 ? this.index.findMark(fwmark, af6) : undefined;
    if (!svc) svc = this.index.findAddr(protocol, af6, w, 4, vport);
    if (!svc) svc = this.index.findAddr(protocol, af6, w, 4, 0);
    // schedule(): a persistent FTP service's templates carry virtual port 0 (ip_vs_sched_persist).
    if (!svc && tpl && vport === 0 && protocol === IPPROTO_TCP) {
      const ftp = this.index.findAddr(protocol, af6, w, 4, FTPPORT);
      if (ftp?.config.persistent) svc = ftp;
    }
    return svc;
  }

  /** `ip_vs_find_dest` for a synced entry: real server address in `syncWords` 8..11. */
  private syncDest(
    svc: ServiceState,
    family: 4 | 6,
    fwmark: number,
    flags: number,
    dport: number,
    tpl: boolean,
  ): RealServerState | undefined {
    const port = fwmark !== 0 && (flags & F_FWD_MASK) !== METHOD_MASQ ? 0 : dport;
    for (let pass = 0; pass < 2; pass++) {
      // The second try is port 0 (a real server configured without a port) or, for a non-NAT firewall-mark
      // service, the record's own port.
      const p = pass === 0 ? port : port ^ dport;
      for (const d of svc.dests) if (this.isSyncDest(d, family, p)) return d;
      if (svc.sorry?.available && this.isSyncDest(svc.sorry, family, p)) return svc.sorry;
    }
    if (tpl && dport === 0) {
      // schedule() gives FTP, port-0 and firewall-mark templates real server port 0 whatever the server's
      // port: such a template names its real server by address alone.
      for (const d of svc.dests) if (this.isSyncDest(d, family, d.port)) return d;
      if (svc.sorry?.available && this.isSyncDest(svc.sorry, family, svc.sorry.port)) return svc.sorry;
    }
    return undefined;
  }

  /** `ip_vs_lookup_dest`'s test: real server `d` has the family, port and the address in `syncWords` 8..11. */
  private isSyncDest(d: RealServerState, family: 4 | 6, port: number): boolean {
    const w = this.syncWords;
    return (
      d.family === family &&
      d.port === port &&
      d.words[0] === w[8] &&
      d.words[1] === w[9] &&
      d.words[2] === w[10] &&
      d.words[3] === w[11]
    );
  }

  /**
   * Calls `fn` for every live entry (in use and not yet expired on engine time), every template before any
   * connection (so before the connections it controls), for a bulk resync. `fn` must not change the table.
   * @param fn - receives the table and an entry index
   */
  forEachEntry(fn: (table: ConnTable, index: number) => void): void {
    const t = this.table;
    const end = t.end;
    const now = this.now;
    for (let pass = 0; pass < 2; pass++) {
      const want = pass === 0 ? F_TEMPLATE : 0;
      for (let i = 0; i < end; i++)
        if (t.inUse(i) && (t.getFlags(i) & F_TEMPLATE) === want && (t.expires[i] ?? 0) > now) fn(t, i);
    }
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

  protected newDest(svc: ServiceState, rs: NormalizedRealServer, sorry: boolean): RealServerState {
    const id = this.freeDestIds.pop() ?? this.dests.length;
    const d = new RealServerState(id, svc, rs, sorry);
    this.applyLocal(d);
    this.dests[id] = d;
    this.table.setDestFwmark(id, svc.config.kind === 'fwmark' ? svc.config.fwmark : 0);
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

  protected applyDest(d: RealServerState, rs: NormalizedRealServer): void {
    d.method = rs.method;
    d.methodCode = methodCode(rs.method);
    this.applyLocal(d);
    d.weight = rs.weight;
    d.upperThreshold = rs.upperThreshold;
    d.lowerThreshold = rs.lowerThreshold;
  }

  /** `__ip_vs_update_dest`: a real server on a local address forwards as LOCALNODE whatever its method. */
  protected applyLocal(d: RealServerState): void {
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

  protected retireDest(d: RealServerState): void {
    d.available = false;
    if (this.settings.expireNodestConn) {
      const t = this.table;
      for (let i = 0; i < t.end; i++)
        if (t.inUse(i) && t.getDest(i) === d.id && (t.getFlags(i) & F_TEMPLATE) === 0) this.expireEntry(i, false);
    }
    if (d.refs === 0) this.releaseDest(d);
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

  protected reindex(): void {
    this.index.rebuild(this.services.filter((s) => s !== undefined));
  }
}
