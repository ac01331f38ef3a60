/**
 * The engine's packet path: one packet summary in, one reused decision out (kernel `ip_vs_in` / `ip_vs_out`)
 * — service lookup, connection lookup in both directions, scheduling through `@lvskit/schedulers`,
 * persistence templates, the TCP/UDP/SCTP state transitions and timeouts, counters, `conn_reuse_mode`, the
 * drop_packet defense and, on a full table, the drop_entry reclaim. Owns nothing but preallocated scratch;
 * must never throw, await, allocate, emit events or change the service set (`engine.ts` does, between packets).
 * @see net/netfilter/ipvs/ip_vs_core.c, ip_vs_conn.c, ip_vs_proto_tcp.c, ip_vs_proto_udp.c
 */

import { DropReason, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '@lvskit/base';
import { emptyFlow, type Flow, NO_SERVER } from '@lvskit/schedulers';
import {
  CTPL_ASSURED,
  F_AF6,
  F_DAF6,
  F_FWD_MASK,
  F_INACTIVE,
  F_NOOUTPUT,
  F_ONE_PACKET,
  F_TEMPLATE,
} from './conn-table.js';
import { EngineState, type RealServerState, type ServiceState } from './engine-state.js';
import {
  createDecision,
  type Decision,
  DIR_OUT,
  type DropReasonCode,
  METHOD_MASQ,
  type MethodCode,
  type PacketSummary,
  TCP_RST,
  TCP_SYN,
  VERDICT_DROP,
  VERDICT_FORWARD,
  VERDICT_LOCAL,
} from './packet.js';
import type { PacketProcessor } from './ports.js';
import {
  NEW_CONN_TIMEOUT_MS,
  TCP_DIR_INPUT,
  TCP_DIR_INPUT_ONLY,
  TCP_DIR_OUTPUT,
  TCP_STATE_ACTIVE,
  TCP_STATE_COUNT,
  TCP_STATES,
  TCP_STATES_DOS,
  TcpState,
  tcpFlagIndex,
} from './tcp-states.js';

/** The wildcard protocol of a fwmark service's persistence template (`IPPROTO_IP`). */
const IPPROTO_IP = 0;
const FTPPORT = 21;
/** SCTP is tracked with two states here (a simplification of ip_vs_proto_sctp.c): 1 ESTABLISHED, 0 CLOSED. */
export const SCTP_ESTABLISHED_MS = 15 * 60 * 1000;
/** Timeout of an SCTP entry in the CLOSED state (0). */
export const SCTP_CLOSED_MS = 10 * 1000;
/**
 * TCP states in which `ip_vs_sync_conn_needed` sends a connection: ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSE,
 * CLOSE_WAIT (bit per state number).
 */
const TCP_SYNC_STATES =
  (1 << TcpState.ESTABLISHED) |
  (1 << TcpState.FIN_WAIT) |
  (1 << TcpState.TIME_WAIT) |
  (1 << TcpState.CLOSE) |
  (1 << TcpState.CLOSE_WAIT);
/** Sync sends of one packet are bounded: an entry, then at most this many controlling entries. */
const MAX_CONTROL_DEPTH = 4;
const U32_MAX = 0xffffffff;
/** Entries examined per reclaim attempt when the table is full (bounded work per packet). */
const RECLAIM_SCAN = 64;

/**
 * The packet path over the shared engine state. Not used alone: `Engine` adds the control edits.
 */
export abstract class PacketPath extends EngineState implements PacketProcessor {
  private readonly decision: Decision = createDecision();
  private readonly dv = new Int32Array(this.decision.vaddr.buffer, this.decision.vaddr.byteOffset, 4);
  private readonly dr = new Int32Array(this.decision.raddr.buffer, this.decision.raddr.byteOffset, 4);
  private readonly bytes = new Uint8Array(64);
  private readonly w = new Int32Array(this.bytes.buffer);
  private readonly flow: Flow = emptyFlow();
  private reclaimCursor = 0;
  private dropCounter = 0;
  private readonly todropCounter = new Int32Array(9);

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
    // Time only moves forward, and only to a safe integer: `now` = Infinity (or 1e300) would spin the timer
    // wheel's tick loop forever (t++ no longer changes t). NaN, negative and past times keep the last time.
    if (now > this.now && now <= Number.MAX_SAFE_INTEGER) this.now = now;
    this.table.advance(this.now, this.onExpire);
    const af6 = p.family === 6;
    if (
      (p.family !== 4 && !af6) ||
      !(p.sport >= 0 && p.sport <= 0xffff && p.dport >= 0 && p.dport <= 0xffff) ||
      (p.sport | 0) !== p.sport ||
      (p.dport | 0) !== p.dport ||
      // A length that is not a whole number of bytes in 0..2^32−1 (NaN, ±Infinity, negative) would poison
      // the byte counters and the estimator for good (issue 11 item 3).
      p.length >>> 0 !== p.length
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
      const classify = this.classifier;
      if (classify) {
        // A user classifier that throws must not throw out of `process` (documented never to): the packet is
        // dropped and counted (issue 11 item 9).
        try {
          p.mark = classify(p) >>> 0;
        } catch {
          this.counters.classifierFailures++;
          return this.drop(DropReason.CLASSIFIER_FAILED);
        }
      }
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
    if (ip < U32_MAX) t.inPkts[i] = ip + 1;
    this.transition(i, proto, TCP_DIR_INPUT, p.tcpFlags);
    t.arm(i, this.now, t.timeout[i] ?? 0);
    // ip_vs_in: after the state transition, with the incremented in_pkts, a sync master considers the entry.
    if (this.syncSink !== undefined) this.syncConn(i, t.inPkts[i] ?? 0);
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
      if (ct >= 0) {
        t.arm(ct, this.now, t.timeout[ct] ?? 0);
        // ip_vs_in: a one-packet connection is never sent, but its template counts the packet (in_pkts) and,
        // on a sync master, is considered as ip_vs_sync_conn's `goto control` does.
        const n = t.inPkts[ct] ?? 0;
        if (n < U32_MAX) t.inPkts[ct] = n + 1;
        if (this.syncSink !== undefined) this.syncConn(ct, t.inPkts[ct] ?? 0);
      }
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
      dest.draining ||
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

  /**
   * `ip_vs_sync_conn` (net/netfilter/ipvs/ip_vs_sync.c): hands entry `first` to the sink when
   * `syncNeeded` says so, then walks `cp->control` — a controlling template counts one more
   * packet (`atomic_inc_return(&cp->in_pkts)`) and is considered in turn, whether or not the entry itself was
   * sent. Sink-on path only; never allocates.
   * @param first - the entry an inbound packet just used (or a one-packet connection's template)
   * @param firstPkts - its `in_pkts` after this packet
   */
  private syncConn(first: number, firstPkts: number): void {
    const sink = this.syncSink;
    if (sink === undefined) return;
    const t = this.table;
    let i = first;
    let pkts = firstPkts;
    for (let depth = 0; depth <= MAX_CONTROL_DEPTH; depth++) {
      if (this.syncNeeded(i, pkts)) {
        try {
          sink.syncEntry(t, i);
        } catch {
          this.counters.syncSinkFailures++;
        }
      }
      const ct = t.control[i] ?? -1;
      if (ct < 0 || !t.inUse(ct)) return;
      if (t.getFlags(ct) & F_TEMPLATE) {
        const n = t.inPkts[ct] ?? 0;
        if (n < U32_MAX) t.inPkts[ct] = n + 1;
        pkts = t.inPkts[ct] ?? 0;
      } else pkts = this.syncThreshold;
      i = ct;
    }
  }

  /**
   * `ip_vs_sync_conn_needed` (ip_vs_sync.c), decided on engine time: templates always pass the state rules;
   * with `persistMode`, a connection controlled by a template is never sent (`in_persistence`); a TCP
   * connection only in ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, and a change of state forces the
   * send except into ESTABLISHED (SCTP likewise, with this engine's two states); then `refreshPeriodMs` (an
   * entry whose expiry moved less than min(refresh, max(timeout/2, 10 s)) since it was last sent is not sent
   * again, unless `retries` allow another send once refresh/8 has passed), then the packet count
   * (`pkts % period === threshold`, templates exempt; with period 0 and no refresh, only at `pkts ===
   * threshold`). On a send it records `old_state` and `sync_endtime` (the kernel's cmpxchg cannot lose here:
   * one thread).
   * @param i - the entry
   * @param pkts - its `in_pkts` (templates: after the increment)
   * @returns true when the entry is to be sent now
   */
  private syncNeeded(i: number, pkts: number): boolean {
    const t = this.table;
    const f = t.getFlags(i);
    const state = t.state[i] ?? 0;
    // A change of TCP/SCTP state other than into ESTABLISHED skips the rate rules (the kernel's `goto set`).
    let forced = false;
    if ((f & F_TEMPLATE) === 0) {
      if (this.syncPersistMode && this.inPersistence(i)) return false;
      const proto = t.getProto(i);
      if (proto === IPPROTO_TCP) {
        if (((1 << state) & TCP_SYNC_STATES) === 0) return false;
        forced = state !== t.getOldState(i) && state !== TcpState.ESTABLISHED;
      } else if (proto === IPPROTO_SCTP) {
        // Both of this engine's SCTP states (0 CLOSED, 1 ESTABLISHED) are in the kernel's sync set.
        forced = state !== t.getOldState(i) && state !== 1;
      }
    }
    // `n = (now + cp->timeout) & ~3`, the retry count in the low bits; read only when needed (the common
    // rejection by packet count touches no sync column).
    let retryBits = 0;
    if (!forced) {
      const refresh = this.syncRefreshMs;
      if (refresh > 0) {
        const timeout = t.timeout[i] ?? 0;
        const now32 = t.clock32(this.now);
        const orig = t.syncEndtime[i] ?? 0;
        const diff = ((((now32 + timeout) & ~3) >>> 0) - orig) | 0;
        const minDiff = Math.max(timeout >>> 1, 10_000);
        if (Math.abs(diff) < Math.min(refresh, minDiff)) {
          const retries = orig & 3;
          if (retries >= this.syncRetries) return false;
          // time_before(now, orig - cp->timeout + (sync_refresh_period >> 3))
          if (((now32 - ((orig - timeout + (refresh >>> 3)) >>> 0)) | 0) < 0) return false;
          retryBits = retries + 1;
        }
      }
      const period = this.syncPeriod;
      if (period > 0) {
        if ((f & F_TEMPLATE) === 0 && pkts % period !== this.syncThreshold) return false;
      } else if (refresh === 0 && pkts !== this.syncThreshold) return false;
    }
    t.setOldState(i, state);
    t.syncEndtime[i] = (((t.clock32(this.now) + (t.timeout[i] ?? 0)) & ~3) | retryBits) >>> 0;
    return true;
  }

  /** `in_persistence` (ip_vs_sync.c): some entry up the `cp->control` chain is a template. */
  private inPersistence(i: number): boolean {
    const t = this.table;
    let c = t.control[i] ?? -1;
    for (let depth = 0; c >= 0 && depth <= MAX_CONTROL_DEPTH; depth++) {
      if (t.getFlags(c) & F_TEMPLATE) return true;
      c = t.control[c] ?? -1;
    }
    return false;
  }

  /**
   * The table is full: examine up to `RECLAIM_SCAN` (64) entries from a rotating cursor and drop those
   * the kernel's `ip_vs_random_dropentry` would (drop_entry defense): non-assured templates that control
   * nothing, TCP SYN_RECV/SYNACK, and idle (≥ 60 s) ESTABLISHED / UDP entries per `todrop_entry`.
   * @returns entries freed
   */
  protected reclaim(): number {
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
}
