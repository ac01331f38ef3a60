/**
 * The VRRP state machine of one virtual router as a synchronous step function: `step(event, now)` returns
 * the actions the shell must perform (send an advert, add or remove the VIPs, send gratuitous ARPs, report a
 * transition). It implements RFC 3768 §6 / RFC 5798 §6 with keepalived 2.2.7's exact arithmetic and
 * deviations (FAULT state, preempt_delay, nopreempt, lower-priority adverts answered, the owner conflict
 * rule), citing keepalived's functions. Time is passed in (microseconds, any monotonic origin). This file
 * must never touch sockets, interfaces, processes or the real clock.
 */
import { bytesEqual, compareBytes, describe, LvsError } from '@lvskit/base';
import {
  checksumValid,
  VRRP_ADDRESSES,
  VRRP_AUTH_AH,
  VRRP_AUTH_NONE,
  VRRP_AUTH_PASS,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  VRRP_VRID,
  VrrpView,
} from './codec.js';
import { type CompiledInstance, US_PER_CENTISECOND, US_PER_SECOND } from './config.js';

/** States (keepalived `VRRP_STATE_INIT/BACK/MAST/FAULT`). INIT is also where a stopped router rests. */
export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

/**
 * Why a received advertisement was dropped, in the order keepalived's `vrrp_check_packet` tests them
 * (RFC 3768 §7.1, RFC 5798 §7.1). Each has a counter in {@link VrrpMachine.drops}.
 */
export type AdvertDropReason =
  | 'truncated'
  | 'length'
  | 'ttl'
  | 'version'
  | 'auth-type-invalid'
  | 'auth-type-mismatch'
  | 'auth-failure'
  | 'interval-mismatch'
  | 'type'
  | 'address-count'
  | 'checksum'
  | 'destination'
  | 'address-list'
  | 'unicast-source'
  | 'vrid'
  | 'not-running';

/** Every drop reason, for iterating counters. */
export const ADVERT_DROP_REASONS: readonly AdvertDropReason[] = [
  'truncated',
  'length',
  'ttl',
  'version',
  'auth-type-invalid',
  'auth-type-mismatch',
  'auth-failure',
  'interval-mismatch',
  'type',
  'address-count',
  'checksum',
  'destination',
  'address-list',
  'unicast-source',
  'vrid',
  'not-running',
];

/** A received VRRP message with what the IP layer said about it. The shell may reuse one object. */
export interface ReceivedAdvert {
  /** Buffer holding the VRRP message. */
  bytes: Uint8Array;
  /** Offset of its Version/Type octet. */
  offset: number;
  /** Its length as the IP layer delivered it (IPv4: total length − header length). */
  length: number;
  /** IP source address (4 or 16 bytes). */
  source: Uint8Array;
  /** IP destination address. */
  destination: Uint8Array;
  /** IPv4 TTL / IPv6 hop limit, or −1 when the transport cannot tell. */
  ttl: number;
}

/** What drives the machine. */
export type VrrpEvent =
  | { readonly type: 'start' }
  | { readonly type: 'timer' }
  | { readonly type: 'advert'; readonly advert: ReceivedAdvert }
  | { readonly type: 'shutdown' }
  | { readonly type: 'fault'; readonly fault: boolean }
  | { readonly type: 'priority'; readonly total: number }
  | { readonly type: 'sync-master' }
  | { readonly type: 'sync-backup' };

/** Why a transition happened. */
export type TransitionReason =
  | 'start'
  | 'master-down'
  | 'higher-priority'
  | 'fault'
  | 'fault-cleared'
  | 'shutdown'
  | 'sync';

/** Why gratuitous ARPs are sent. */
export type GarpReason = 'become-master' | 'master-delay' | 'refresh' | 'lower-priority' | 'lower-priority-delay';

/** What the shell must do, in order. */
export type VrrpAction =
  | { readonly type: 'send-advert'; readonly priority: number }
  | { readonly type: 'add-addresses' }
  | { readonly type: 'remove-addresses' }
  | { readonly type: 'gratuitous-arp'; readonly repeat: number; readonly reason: GarpReason }
  | { readonly type: 'transition'; readonly from: VrrpState; readonly to: VrrpState; readonly reason: TransitionReason }
  | { readonly type: 'dropped'; readonly reason: AdvertDropReason }
  | { readonly type: 'master-rx-lower-priority'; readonly priority: number }
  | { readonly type: 'priority-changed'; readonly from: number; readonly to: number };

/** Counters of one virtual router (keepalived `vrrp_stats`). */
export interface VrrpStats {
  /** Adverts that passed validation. */
  advertsReceived: number;
  /** Adverts sent. */
  advertsSent: number;
  /** Priority-0 adverts received. */
  priorityZeroReceived: number;
  /** Priority-0 adverts sent. */
  priorityZeroSent: number;
  /** Transitions to MASTER. */
  becameMaster: number;
  /** Transitions out of MASTER. */
  releasedMaster: number;
}

const DISABLED = Number.POSITIVE_INFINITY;

/**
 * keepalived `VRRP_TIMER_SKEW_CALC`: v3 `(p × master_adver_int_cs × 625) / 16` µs; v2 `p × 10⁶ / 256` µs,
 * where p = 256 − effective priority. Integer arithmetic as in C (unsigned, truncating).
 * @param version - 2 or 3
 * @param priority - effective priority
 * @param masterAdverIntUs - Master_Adver_Interval in µs
 * @see RFC 3768 §6.1 Skew_Time; RFC 5798 §6.1; keepalived vrrp.h
 */
export function skewTimeUs(version: 2 | 3, priority: number, masterAdverIntUs: number): number {
  const p = 256 - priority;
  if (version === 3) return Math.floor((p * Math.floor(masterAdverIntUs / US_PER_CENTISECOND) * 625) / 16);
  return Math.floor((p * US_PER_SECOND) / 256);
}

/**
 * keepalived `VRRP_MS_DOWN_TIMER`: `down_timer_adverts × master_adver_int + skew` (RFC: 3 × interval + skew).
 * @param version - 2 or 3
 * @param priority - effective priority
 * @param masterAdverIntUs - Master_Adver_Interval in µs
 * @param downTimerAdverts - keepalived `down_timer_adverts` (RFC: 3)
 */
export function masterDownIntervalUs(
  version: 2 | 3,
  priority: number,
  masterAdverIntUs: number,
  downTimerAdverts = 3,
): number {
  return downTimerAdverts * masterAdverIntUs + skewTimeUs(version, priority, masterAdverIntUs);
}

/**
 * Refuses an event the shell could not have meant (not an object, a non-finite time, a fault that is not a
 * boolean, a total priority that is not a finite number) with `INVALID_ARGUMENT`, before it reaches any state.
 */
function checkEvent(event: unknown, now: unknown): void {
  if (typeof event !== 'object' || event === null) {
    throw new LvsError('INVALID_ARGUMENT', `a VRRP event is an object { type, … }, not ${describe(event)}`);
  }
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new LvsError('INVALID_ARGUMENT', `now must be a finite number of µs, not ${describe(now)}`);
  }
  const e = event as Record<string, unknown>;
  if (e.type === 'fault' && typeof e.fault !== 'boolean') {
    throw new LvsError('INVALID_ARGUMENT', `a fault event's fault must be true or false, not ${describe(e.fault)}`);
  }
  if (e.type === 'priority' && (typeof e.total !== 'number' || !Number.isFinite(e.total))) {
    throw new LvsError(
      'INVALID_ARGUMENT',
      `a priority event's total must be a finite number, not ${describe(e.total)}`,
    );
  }
}

/** A delivery the shell built right: bytes, offset and length inside them, source and destination bytes. */
function wellFormed(a: unknown): a is ReceivedAdvert {
  if (typeof a !== 'object' || a === null) return false;
  const r = a as Record<string, unknown>;
  return (
    r.bytes instanceof Uint8Array &&
    Number.isInteger(r.offset) &&
    Number.isInteger(r.length) &&
    (r.offset as number) >= 0 &&
    (r.length as number) >= 0 &&
    (r.offset as number) + (r.length as number) <= r.bytes.length &&
    r.source instanceof Uint8Array &&
    r.destination instanceof Uint8Array &&
    typeof r.ttl === 'number'
  );
}

/**
 * One virtual router. Create it with a compiled instance, feed it events with the current time, perform the
 * returned actions in order, and call `step({type:'timer'}, now)` when `now ≥ nextTimeout()`.
 */
export class VrrpMachine {
  /** The configuration it runs. */
  readonly config: CompiledInstance;
  /** Drop counters by reason. */
  readonly drops: Record<AdvertDropReason, number>;
  /** Protocol counters. */
  readonly stats: VrrpStats = {
    advertsReceived: 0,
    advertsSent: 0,
    priorityZeroReceived: 0,
    priorityZeroSent: 0,
    becameMaster: 0,
    releasedMaster: 0,
  };

  #state: VrrpState = 'INIT';
  #basePriority: number;
  #effectivePriority: number;
  #totalPriority: number;
  #masterAdverIntUs: number;
  #msDownTimerUs = 0;
  /** keepalived `sands`: Master_Down_Timer expiry in BACKUP, Adver_Timer expiry in MASTER. */
  #sands = DISABLED;
  /** keepalived `preempt_time` (0 = not running). */
  #preemptTime = 0;
  #garpDelayAt = DISABLED;
  #garpLowerPrioAt = DISABLED;
  #garpRefreshAt = DISABLED;
  #vipSet = false;
  #fault = false;
  #masterSource: Uint8Array | null = null;
  #masterPriority = 0;
  /** keepalived `wantstate == MAST` while BACKUP: our Master_Down_Timer ran out since the last accepted advert. */
  #wantMaster = false;
  /**
   * Sync-group gate (keepalived `vrrp_sync_can_goto_master`): when set and it returns false, an expired
   * Master_Down_Timer only records that we want MASTER and re-arms the timer.
   */
  syncGate: (() => boolean) | undefined;
  readonly #view = new VrrpView();
  #out: VrrpAction[] = [];

  /**
   * @param config - a compiled instance
   */
  constructor(config: CompiledInstance) {
    if (typeof config !== 'object' || config === null || !Number.isInteger(config.priority)) {
      throw new LvsError('INVALID_ARGUMENT', `VrrpMachine needs a compileInstance() result, not ${describe(config)}`);
    }
    this.config = config;
    this.#basePriority = config.priority;
    this.#effectivePriority = config.priority;
    this.#totalPriority = config.priority;
    this.#masterAdverIntUs = config.advertIntUs;
    this.drops = Object.fromEntries(ADVERT_DROP_REASONS.map((r) => [r, 0])) as Record<AdvertDropReason, number>;
  }

  /** Current state. */
  get state(): VrrpState {
    return this.#state;
  }
  /** Effective priority (base + tracking weights, clamped 1..254; 255 stays 255). */
  get effectivePriority(): number {
    return this.#effectivePriority;
  }
  /** Master_Adver_Interval in µs (v3 learns it from the master). */
  get masterAdverIntUs(): number {
    return this.#masterAdverIntUs;
  }
  /** Priority of the last accepted master advert (0 if none). */
  get masterPriority(): number {
    return this.#masterPriority;
  }
  /** True while the VIPs are set (keepalived `vipset`). */
  get addressesSet(): boolean {
    return this.#vipSet;
  }
  /** Base priority plus tracking weights, before clamping (keepalived `total_priority`). */
  get totalPriority(): number {
    return this.#totalPriority;
  }
  /** True when MASTER, or BACKUP whose Master_Down_Timer has run out (keepalived `wantstate`). */
  get wantsMaster(): boolean {
    return this.#state === 'MASTER' || (this.#state === 'BACKUP' && this.#wantMaster);
  }
  /** Current Skew_Time in µs. */
  skewTimeUs(): number {
    return skewTimeUs(this.config.version, this.#effectivePriority, this.#masterAdverIntUs);
  }
  /** Current Master_Down_Interval in µs. */
  masterDownIntervalUs(): number {
    return masterDownIntervalUs(
      this.config.version,
      this.#effectivePriority,
      this.#masterAdverIntUs,
      this.config.downTimerAdverts,
    );
  }
  /** The earliest time (µs) at which a `timer` event is due; `Infinity` when none. */
  nextTimeout(): number {
    return Math.min(this.#sands, this.#garpDelayAt, this.#garpLowerPrioAt);
  }

  /**
   * Advances the machine. Never throws for anything a peer sends.
   * @param event - what happened
   * @param now - current time in µs (monotonic)
   * @returns the actions to perform, in order
   */
  step(event: VrrpEvent, now: number): VrrpAction[] {
    checkEvent(event, now);
    this.#out = [];
    switch (event.type) {
      case 'start':
        this.#start(now);
        break;
      case 'timer':
        this.#timer(now);
        break;
      case 'advert':
        this.#receive(event.advert, now);
        break;
      case 'shutdown':
        this.#shutdown();
        break;
      case 'fault':
        this.#setFault(event.fault, now);
        break;
      case 'priority':
        this.#setTotalPriority(event.total);
        break;
      case 'sync-master':
        // keepalived vrrp_sync.c `vrrp_sync_master`: other members go straight to MASTER.
        if (this.#state === 'BACKUP') {
          this.#wantMaster = true;
          this.#gotoMaster(now, 'sync');
        }
        break;
      case 'sync-backup':
        // keepalived `vrrp_sync_backup`: a master member leaves MASTER without a priority-0 advert.
        if (this.#state === 'MASTER') this.#leaveMaster('BACKUP', now, 'sync');
        break;
    }
    return this.#out;
  }

  #transition(to: VrrpState, reason: TransitionReason): void {
    const from = this.#state;
    this.#state = to;
    if (from !== to) this.#out.push({ type: 'transition', from, to, reason });
  }

  #send(priority: number): void {
    this.stats.advertsSent++;
    if (priority === 0) this.stats.priorityZeroSent++;
    this.#out.push({ type: 'send-advert', priority });
  }

  /** keepalived vrrp_scheduler.c `vrrp_init_state` + `vrrp_init_instance_sands`. */
  #start(now: number): void {
    if (this.#state !== 'INIT') return;
    this.#masterAdverIntUs = this.config.advertIntUs;
    if (this.#fault) {
      this.#transition('FAULT', 'start');
      this.#sands = DISABLED;
      return;
    }
    if (this.config.initialState === 'MASTER' && this.#basePriority === 255) {
      // "The simplest way to become master is to timeout from the backup state very quickly (1usec)".
      this.#msDownTimerUs = 1;
    } else {
      this.#msDownTimerUs = this.masterDownIntervalUs();
    }
    this.#transition('BACKUP', 'start');
    this.#sands = now + this.#msDownTimerUs;
  }

  /** keepalived `vrrp_dispatcher_read_timeout` and the delayed GARP threads. */
  #timer(now: number): void {
    if (this.#sands <= now) {
      if (this.#state === 'BACKUP') {
        this.#wantMaster = true;
        if (this.syncGate && !this.syncGate()) {
          // "give time for other instances to be ready to become master"
          this.#msDownTimerUs = this.masterDownIntervalUs();
          this.#sands = now + this.#msDownTimerUs;
        } else this.#gotoMaster(now, 'master-down');
      } else if (this.#state === 'MASTER') {
        this.#masterTx(now);
        this.#sands = now + this.config.advertIntUs;
      } else this.#sands = DISABLED;
    }
    if (this.#garpDelayAt <= now) {
      this.#garpDelayAt = DISABLED;
      if (this.#vipSet) this.#garp(this.config.garpMasterRepeat, 'master-delay');
    }
    if (this.#garpLowerPrioAt <= now) {
      this.#garpLowerPrioAt = DISABLED;
      if (this.#vipSet) this.#garp(this.config.garpLowerPrioRepeat, 'lower-priority-delay');
    }
  }

  #garp(repeat: number, reason: GarpReason): void {
    if (repeat > 0 && this.config.virtualAddresses.length > 0) {
      this.#out.push({ type: 'gratuitous-arp', repeat, reason });
    }
  }

  /** keepalived vrrp.c `vrrp_state_goto_master` → `vrrp_state_master_tx`. */
  #gotoMaster(now: number, reason: TransitionReason): void {
    this.#transition('MASTER', reason);
    this.#sands = now + this.config.advertIntUs;
    this.#masterTx(now);
  }

  /** keepalived vrrp.c `vrrp_state_master_tx`: advert first, so the old master drops the VIPs before our GARPs. */
  #masterTx(now: number): void {
    this.#send(this.#effectivePriority);
    if (!this.#vipSet) {
      this.#becomeMaster(now);
      if (this.config.garpMasterDelayUs > 0) this.#garpDelayAt = now + this.config.garpMasterDelayUs;
    } else if (this.config.garpMasterRefreshUs > 0 && now > this.#garpRefreshAt) {
      this.#garp(this.config.garpMasterRefreshRepeat, 'refresh');
      this.#garpRefreshAt = now + this.config.garpMasterRefreshUs;
    }
  }

  /** keepalived vrrp.c `vrrp_state_become_master`. */
  #becomeMaster(now: number): void {
    this.stats.becameMaster++;
    this.#masterAdverIntUs = this.config.advertIntUs;
    this.#out.push({ type: 'add-addresses' });
    this.#vipSet = true;
    this.#garp(this.config.garpMasterRepeat, 'become-master');
    if (this.config.garpMasterRefreshUs > 0) this.#garpRefreshAt = now + this.config.garpMasterRefreshUs;
  }

  /** keepalived vrrp.c `vrrp_restore_interface`: optional priority-0 advert, then remove the VIPs. */
  #restoreInterface(sendPriorityZero: boolean): void {
    if (sendPriorityZero) this.#send(0);
    this.#garpDelayAt = DISABLED;
    this.#garpLowerPrioAt = DISABLED;
    this.#garpRefreshAt = DISABLED;
    if (this.#vipSet) {
      this.#out.push({ type: 'remove-addresses' });
      this.#vipSet = false;
    }
  }

  /** keepalived vrrp.c `vrrp_state_leave_master`. */
  #leaveMaster(to: 'BACKUP' | 'FAULT', now: number, reason: TransitionReason): void {
    this.#wantMaster = false;
    if (to === 'BACKUP') this.#preemptTime = 0;
    else this.#send(0);
    this.#restoreInterface(false);
    this.stats.releasedMaster++;
    this.#transition(to, reason);
    this.#msDownTimerUs = this.masterDownIntervalUs();
    this.#sands = to === 'BACKUP' ? now + this.#msDownTimerUs : DISABLED;
  }

  #shutdown(): void {
    if (this.#state === 'INIT') return;
    // keepalived on stop: a master sends priority 0 "to speed up the recovery" and releases the VIPs.
    if (this.#state === 'MASTER') {
      this.#restoreInterface(true);
      this.stats.releasedMaster++;
    }
    this.#sands = DISABLED;
    this.#transition('INIT', 'shutdown');
  }

  #setFault(fault: boolean, now: number): void {
    if (fault === this.#fault) return;
    this.#fault = fault;
    if (fault) {
      if (this.#state === 'MASTER') this.#leaveMaster('FAULT', now, 'fault');
      else if (this.#state === 'BACKUP') {
        this.#transition('FAULT', 'fault');
        this.#sands = DISABLED;
      }
      return;
    }
    if (this.#state !== 'FAULT') return;
    // keepalived vrrp_scheduler.c `try_up_instance` → vrrp.c `vrrp_state_leave_fault`.
    this.#masterAdverIntUs = this.config.advertIntUs;
    if (this.#basePriority === 255 && this.config.initialState === 'MASTER') {
      this.#gotoMaster(now, 'fault-cleared');
      return;
    }
    this.#msDownTimerUs = this.masterDownIntervalUs();
    this.#wantMaster = false;
    this.#transition('BACKUP', 'fault-cleared');
    this.#sands = now + this.#msDownTimerUs;
  }

  /** keepalived vrrp_track.c `vrrp_set_effective_priority`. */
  #setTotalPriority(total: number): void {
    this.#totalPriority = total;
    if (this.#basePriority === 255) return;
    const p = total < 1 ? 1 : total >= 255 ? 254 : Math.trunc(total);
    if (p === this.#effectivePriority) return;
    const from = this.#effectivePriority;
    this.#effectivePriority = p;
    const old = this.#msDownTimerUs;
    this.#msDownTimerUs = this.masterDownIntervalUs();
    if (this.#state === 'BACKUP') this.#sands += this.#msDownTimerUs - old;
    this.#out.push({ type: 'priority-changed', from, to: p });
  }

  #drop(reason: AdvertDropReason): false {
    this.drops[reason]++;
    this.#out.push({ type: 'dropped', reason });
    return false;
  }

  /**
   * keepalived vrrp.c `vrrp_check_packet`, in its order. `checkAddresses` false skips the MAY checks on the
   * address list (keepalived `skip_check_adv_addr` for a master it already knows).
   */
  #check(a: ReceivedAdvert, checkAddresses: boolean): boolean {
    const c = this.config;
    const v = this.#view.reset(a.bytes, a.offset, a.length);
    // RFC: the complete packet; keepalived: exactly the expected length.
    if (a.length !== v.expectedLength(c.family)) return this.#drop('length');
    const unicast = c.unicastPeers.length > 0;
    // RFC 3768 §7.1 / RFC 5798 §7.1: TTL 255; keepalived skips this for unicast.
    if (!unicast && a.ttl !== -1 && a.ttl !== VRRP_TTL) return this.#drop('ttl');
    if (v.version !== c.version) return this.#drop('version');
    if (c.version === 2) {
      const t = v.authType;
      if (t !== VRRP_AUTH_NONE && t !== VRRP_AUTH_PASS && t !== VRRP_AUTH_AH) return this.#drop('auth-type-invalid');
      if (t !== c.authType) return this.#drop('auth-type-mismatch');
      if (t === VRRP_AUTH_PASS && !bytesEqual(a.bytes, v.authDataOffset(c.family), c.authData, 0, c.authData.length)) {
        return this.#drop('auth-failure');
      }
      // keepalived drops (not just logs) "to prevent concurent VRID running".
      if (v.adverIntSeconds * US_PER_SECOND !== c.advertIntUs) return this.#drop('interval-mismatch');
    }
    if (v.type !== VRRP_TYPE_ADVERTISEMENT) return this.#drop('type');
    if (checkAddresses && v.count !== c.virtualAddresses.length) return this.#drop('address-count');
    const pseudo = c.version === 3 && !(c.family === 4 && c.v3ChecksumAsV2);
    if (!checksumValid(v, c.family, pseudo ? { source: a.source, destination: a.destination } : null)) {
      return this.#drop('checksum');
    }
    const multicastPacket = c.family === 4 ? ((a.destination[0] as number) & 0xf0) === 0xe0 : a.destination[0] === 0xff;
    if (multicastPacket === unicast) return this.#drop('destination');
    this.stats.advertsReceived++;
    if (checkAddresses) {
      // keepalived `vrrp_in_chk_vips`: every configured VIP must be in the advert (any order).
      for (const vip of c.virtualAddressBytes) {
        let found = false;
        for (let i = 0; i < v.count && !found; i++)
          found = bytesEqual(a.bytes, v.addressOffset(i, c.family), vip, 0, vip.length);
        if (!found) return this.#drop('address-list');
      }
      if (unicast && c.checkUnicastSrc && !c.unicastPeers.some((p) => compareBytes(p, a.source) === 0)) {
        return this.#drop('unicast-source');
      }
    }
    if (v.priority === 0) this.stats.priorityZeroReceived++;
    return true;
  }

  #receive(a: ReceivedAdvert, now: number): void {
    // keepalived `vrrp_dispatcher_read`: a packet too short for a header, or for a VRID we do not run,
    // never reaches an instance (and so never touches its timers).
    if (!wellFormed(a) || a.length < VRRP_ADDRESSES) {
      this.#drop('truncated');
      return;
    }
    if (a.bytes[a.offset + VRRP_VRID] !== this.config.vrid) {
      this.#drop('vrid');
      return;
    }
    // Ignored in FAULT or INIT.
    if (this.#state === 'FAULT' || this.#state === 'INIT') {
      this.#drop('not-running');
      return;
    }
    if (this.#state === 'BACKUP') this.#backupRx(a, now);
    else if (this.#masterRx(a, now)) this.#leaveMaster('BACKUP', now, 'higher-priority');
    else if (this.#state === 'MASTER' && !this.config.lowerPrioNoAdvert) {
      // keepalived `vrrp_dispatcher_read`: "If we have sent an advert, reset the timer".
      this.#sands = now + this.config.advertIntUs;
    }
  }

  /** keepalived vrrp.c `vrrp_state_backup` (RFC 3768 §6.4.2, RFC 5798 §6.4.2). */
  #backupRx(a: ReceivedAdvert, now: number): void {
    const c = this.config;
    const checkAddr =
      !c.skipCheckAdvAddr || this.#masterSource === null || compareBytes(this.#masterSource, a.source) !== 0;
    if (!this.#check(a, checkAddr)) return; // ignored: Master_Down_Timer keeps running
    const v = this.#view;
    const prio = v.priority;
    if (prio === 0) {
      // RFC 3768 §6.4.2: priority 0 → Master_Down_Timer = Skew_Time.
      this.#msDownTimerUs = this.skewTimeUs();
      this.#sands = now + this.#msDownTimerUs;
      return;
    }
    const inPreemptDelay = c.preemptDelayUs > 0 && (this.#preemptTime === 0 || this.#preemptTime > now);
    if (c.nopreempt || prio >= this.#effectivePriority || inPreemptDelay) {
      // RFC 5798 §6.4.2: learn Master_Adver_Interval from the advert.
      if (c.version === 3) this.#masterAdverIntUs = v.maxAdverIntCs * US_PER_CENTISECOND;
      this.#msDownTimerUs = this.masterDownIntervalUs();
      this.#sands = now + this.#msDownTimerUs;
      this.#masterSource = a.source.slice();
      this.#masterPriority = prio;
      this.#wantMaster = false;
      if (c.preemptDelayUs > 0) {
        if (prio >= this.#effectivePriority) this.#preemptTime = 0;
        else if (this.#preemptTime === 0) this.#preemptTime = now + c.preemptDelayUs;
      }
      return;
    }
    // Lower priority, preempting: discard, so the Master_Down_Timer runs out and we take over.
    this.#masterSource = a.source.slice();
  }

  /** keepalived vrrp.c `vrrp_state_master_rx`; true when we must leave MASTER for BACKUP. */
  #masterRx(a: ReceivedAdvert, now: number): boolean {
    const c = this.config;
    if (!this.#check(a, true)) return false;
    const prio = this.#view.priority;
    // vrrp_saddr_cmp: > 0 when the sender's address is higher than ours.
    const addrCmp = compareBytes(a.source, c.sourceAddress);
    if (
      prio === 0 ||
      (c.higherPrioSendAdvert && (prio > this.#effectivePriority || (prio === this.#effectivePriority && addrCmp > 0)))
    ) {
      this.#send(this.#effectivePriority);
      if (prio === 0) return false;
    }
    if (prio === this.#effectivePriority && addrCmp !== 0 && this.#effectivePriority === 255) {
      // Two address owners: keepalived reports a configuration error and drops its own priority to 254.
      this.#effectivePriority = 254;
      this.#basePriority = 254;
      this.#out.push({ type: 'priority-changed', from: 255, to: 254 });
    }
    if (prio < this.#effectivePriority || (prio === this.#effectivePriority && addrCmp < 0)) {
      // keepalived: "forcing new election" unless lower_prio_no_advert (RFC 9568 behaviour).
      if (!c.lowerPrioNoAdvert) this.#send(this.#effectivePriority);
      if (c.garpLowerPrioRepeat > 0) {
        this.#garp(c.garpLowerPrioRepeat, 'lower-priority');
        if (c.garpLowerPrioDelayUs > 0) this.#garpLowerPrioAt = now + c.garpLowerPrioDelayUs;
      }
      this.#out.push({ type: 'master-rx-lower-priority', priority: prio });
      return false;
    }
    if (prio > this.#effectivePriority || (prio === this.#effectivePriority && addrCmp > 0)) {
      if (c.version === 3) this.#masterAdverIntUs = this.#view.maxAdverIntCs * US_PER_CENTISECOND;
      this.#masterPriority = prio;
      this.#masterSource = a.source.slice();
      return true;
    }
    return false;
  }
}
