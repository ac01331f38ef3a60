/**
 * The engine: the IPVS state machine one `Ipvs` owns. Its packet path (`packet-path.ts`: `process()`, which
 * never throws, awaits, allocates or emits events) and its control edits (this file: services and real
 * servers added, edited and deleted, timeouts, counters zeroed, expiry and the estimator driven by the
 * clock) are apart; both work on the state in `engine-state.ts`. The control edits assume input already
 * validated by `Ipvs` (they never throw) and run between packets.
 * @see net/netfilter/ipvs/ip_vs_ctl.c
 */

import { createScheduler, type SchedulerName, type SchedulerOptions } from '@lvskit/schedulers';
import { F_TEMPLATE } from './conn-table.js';
import { methodCode, RealServerState, ServiceState } from './engine-state.js';
import { type NormalizedRealServer, type NormalizedService, type NormalizedTimeouts, realServerKey } from './model.js';
import { METHOD_LOCALNODE } from './packet.js';
import { PacketPath } from './packet-path.js';
import { TcpState } from './tcp-states.js';

export {
  type EngineCounters,
  type EngineSettings,
  RealServerState,
  ServiceState,
} from './engine-state.js';

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
