/**
 * The thin async shell around one {@link VrrpMachine}: it feeds the machine received adverts and timer
 * expiries with the clock's time, performs the actions it returns (encode and send adverts, hand the VIPs to
 * the {@link AddressOwnership} port, announcements, notify scripts) through the injected ports, and publishes
 * typed events. All protocol decisions are the machine's; this file must never decide anything about VRRP
 * itself.
 */
import {
  type Clock,
  type CommandRunner,
  describe,
  execCommand,
  LvsError,
  systemClock,
  TypedEmitter,
} from '@lvskit/base';
import { encodeAdvert } from './codec.js';
import { type CompiledInstance, compileInstance, type VrrpGlobalDefs, type VrrpInstanceConfig } from './config.js';
import { Iproute2Ownership } from './iproute2-ownership.js';
import {
  type AdvertDropReason,
  type GarpReason,
  type ReceivedAdvert,
  type TransitionReason,
  type VrrpAction,
  VrrpMachine,
  type VrrpState,
  type VrrpStats,
} from './machine.js';
import { NativeOwnership, nativeOwnershipAvailable } from './native-ownership.js';
import {
  type AddressOwnership,
  microseconds,
  type VirtualMacLink,
  type VrrpClock,
  type VrrpTransport,
} from './ports.js';
import { RawSocketTransport } from './raw-transport.js';
import {
  type LinkMonitor,
  splitCommand,
  type TrackingConfig,
  TrackingController,
  type VrrpScriptSet,
} from './tracking.js';
import { Iproute2VirtualMac } from './vmac.js';

/** keepalived notify scripts of an instance (`notify_master`, … and `notify`). */
export interface NotifyScripts {
  /** `notify_master`: run on entering MASTER. */
  readonly master?: string;
  /** `notify_backup`. */
  readonly backup?: string;
  /** `notify_fault`. */
  readonly fault?: string;
  /** `notify_stop`: run when the instance stops. */
  readonly stop?: string;
  /** `notify`: run on every transition with `INSTANCE <name> <MASTER|BACKUP|FAULT|STOP> <priority>` appended. */
  readonly any?: string;
}

/** Events a {@link VrrpRouter} publishes (subscribe with `on`, which returns the unsubscribe function). */
export interface VrrpRouterEvents {
  /**
   * A state change, with why it happened and the effective priority after it. Emitted synchronously as the
   * machine decides, before the ownership calls it causes (which the router makes from a microtask, in order).
   */
  stateChanged: {
    readonly from: VrrpState;
    readonly to: VrrpState;
    readonly reason: TransitionReason;
    readonly priority: number;
  };
  /** An advert was dropped by receive validation (counted in {@link VrrpRouter.drops}). */
  dropped: { readonly reason: AdvertDropReason };
  /** An advert was sent (priority 0 on release). */
  advertSent: { readonly priority: number };
  /** Every VIP was handed to `ownership.add` (after the calls resolved or failed). */
  addressesAdded: { readonly addresses: readonly string[] };
  /** Every VIP was handed to `ownership.remove`. */
  addressesRemoved: { readonly addresses: readonly string[] };
  /** `ownership.announce` was called for every VIP with `repeat`. */
  announced: { readonly repeat: number; readonly reason: GarpReason };
  /** The effective priority changed (tracking weights, or the owner conflict 255 → 254). */
  priorityChanged: { readonly from: number; readonly to: number };
  /** As master, an advert with a lower priority arrived (keepalived `notify_master_rx_lower_pri`). */
  masterRxLowerPriority: { readonly priority: number };
  /** A port failed (ownership, notify script, vmac); the machine keeps running. */
  error: LvsError;
}

/** Options of {@link VrrpRouter}. Every port defaults to the real implementation. */
export interface VrrpRouterOptions {
  /** The transport; default a {@link RawSocketTransport} on the instance interface (needs CAP_NET_RAW). */
  readonly transport?: VrrpTransport;
  /**
   * Who serves the VIPs: `add` on entering MASTER, `remove` on leaving it, `announce` after `add` (the
   * contract is on {@link AddressOwnership}). Default {@link NativeOwnership} when `@lvskit/native` is built,
   * else {@link Iproute2Ownership} — both put the VIPs on the kernel, as keepalived does; `@lvskit/director`
   * passes its datapath's ownership instead.
   */
  readonly ownership?: AddressOwnership;
  /** The `use_vmac` interface manager; default {@link Iproute2VirtualMac}. Unused without `useVmac`. */
  readonly vmacLink?: VirtualMacLink;
  /** The one clock (milliseconds, `@lvskit/base`); default `systemClock`. Share one with the director. */
  readonly clock?: Clock;
  /** Runs notify scripts and this instance's own `vrrp_script`s; default `execCommand` (no shell). */
  readonly commandRunner?: CommandRunner;
  /** Notify scripts. */
  readonly notify?: NotifyScripts;
  /** Start in FAULT, as {@link VrrpRouter.setFault}(true) would (an operator's hold). */
  readonly fault?: boolean;
  /** track_script / track_interface with this instance's vrrp_script blocks. */
  readonly tracking?: TrackingConfig;
  /**
   * A `vrrp_script` set shared between routers: a script they all track runs once per interval
   * (keepalived's global `vrrp_script`). `tracking.trackScripts` names resolve against it first.
   */
  readonly scripts?: VrrpScriptSet;
  /**
   * Link monitor for the instance's own interface (always watched, unless `dontTrackPrimary`) and
   * `track_interface`; default {@link sysfsLinkMonitor}. Tests on fakes pass `FakeLinkMonitor`.
   */
  readonly linkMonitor?: LinkMonitor;
  /** Link polling interval, ms; default 100. */
  readonly linkPollMs?: number;
  /**
   * keepalived `global_defs` defaults (`vrrp_version`, `vrrp_mcast_group4`, `vrrp_mcast_group6`) for an
   * instance that does not set its own; give every router of a configuration the same object.
   */
  readonly globals?: VrrpGlobalDefs;
}

/** A listener for one {@link VrrpRouterEvents} event. */
export type VrrpListener<K extends keyof VrrpRouterEvents> = (e: VrrpRouterEvents[K]) => void;

/**
 * One running VRRP instance (keepalived `vrrp_instance`). `start()` compiles the configuration, reads the
 * watched links, opens the transport and starts in BACKUP (or FAULT); `stop()` releases (priority-0 advert
 * and `ownership.remove` when MASTER) and rests in INIT.
 */
export class VrrpRouter extends TypedEmitter<VrrpRouterEvents> {
  /** The compiled configuration (after {@link VrrpRouter.start}). */
  config: CompiledInstance | undefined;
  /** The state machine (after {@link VrrpRouter.start}). */
  machine: VrrpMachine | undefined;
  readonly #source: VrrpInstanceConfig;
  readonly #opts: VrrpRouterOptions;
  readonly #clock: VrrpClock;
  readonly #ownership: AddressOwnership;
  readonly #commands: CommandRunner;
  #transport: VrrpTransport | undefined;
  #vmacLink: VirtualMacLink | undefined;
  #tracking: TrackingController | undefined;
  #starting = false;
  #externalFault: boolean;
  #trackingFault = false;
  /** Bumped at every add/remove, so an announcement queued before a removal is never sent after it. */
  #ownershipGeneration = 0;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;
  #chain: Promise<void> = Promise.resolve();
  readonly #side = new Set<Promise<void>>();
  /** Notify scripts still running (never awaited by `settled()`: a slow script must not hold up a stop). */
  readonly #notifying = new Set<Promise<void>>();
  readonly #tx = new Uint8Array(8 + 255 * 16 + 8);

  /**
   * @param config - the vrrp_instance
   * @param opts - ports, notify scripts, tracking
   */
  constructor(config: VrrpInstanceConfig, opts: VrrpRouterOptions = {}) {
    super();
    // The whole configuration is checked by start() (it needs the interface address); only its shape here.
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new LvsError('VRRP_INVALID_CONFIG', `vrrp_instance: a vrrp_instance is an object, not ${describe(config)}`);
    }
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
      throw new LvsError('INVALID_ARGUMENT', `VrrpRouter options must be an object, not ${describe(opts)}`);
    }
    this.#source = config;
    this.#opts = opts;
    this.#clock = microseconds(opts.clock ?? systemClock);
    this.#commands = opts.commandRunner ?? execCommand;
    this.#externalFault = opts.fault === true;
    // @lvskit/native when it is built here; iproute2 and arping otherwise.
    this.#ownership = opts.ownership ?? (nativeOwnershipAvailable() ? new NativeOwnership() : new Iproute2Ownership());
  }

  /** The instance name (`vrrp_instance NAME`). */
  get name(): string {
    return this.#source.name;
  }

  /** Current state (INIT before start and after stop). */
  get state(): VrrpState {
    return this.machine?.state ?? 'INIT';
  }

  /**
   * The effective priority: base priority plus tracking weights, clamped to 1..254 (255 stays 255), as sent
   * in adverts. Before {@link VrrpRouter.start}: the configured priority (keepalived's default 100, or 255
   * for `state MASTER` without a priority).
   */
  get effectivePriority(): number {
    if (this.machine) return this.machine.effectivePriority;
    return this.#source.priority ?? (this.#source.state === 'MASTER' ? 255 : 100);
  }

  /** Protocol counters (adverts sent/received, priority 0, MASTER entries and releases); zeros before start. */
  get stats(): Readonly<VrrpStats> {
    return (
      this.machine?.stats ?? {
        advertsReceived: 0,
        advertsSent: 0,
        priorityZeroReceived: 0,
        priorityZeroSent: 0,
        becameMaster: 0,
        releasedMaster: 0,
      }
    );
  }

  /** Dropped adverts by reason; empty before start. */
  get drops(): Readonly<Partial<Record<AdvertDropReason, number>>> {
    return this.machine?.drops ?? {};
  }

  /** True while faulted (tracking, the instance's link, {@link VrrpRouter.setFault}, or a sync-group member). */
  get faulted(): boolean {
    return this.#externalFault || this.#trackingFault;
  }

  /**
   * Resolves the source address, compiles the instance, reads the watched links, opens the transport and
   * starts the machine (BACKUP, or FAULT when a watched link is down, a weight-0 script has no result yet or
   * `fault` was given). Tracked scripts run at once.
   * @throws LvsError `VRRP_INVALID_CONFIG` (every issue), `TIMER_RANGE`, `VRRP_TRANSPORT_FAILED`; a failed
   *   start leaves nothing behind and may be retried
   */
  async start(): Promise<void> {
    if (this.#starting || this.machine) throw new LvsError('INVALID_ARGUMENT', 'this VRRP router was already started');
    this.#starting = true;
    try {
      await this.#start();
    } finally {
      this.#starting = false;
    }
  }

  async #start(): Promise<void> {
    const c = this.#source;
    const first = Array.isArray(c.virtualIpAddresses) ? c.virtualIpAddresses[0] : undefined;
    const family = String(typeof first === 'string' ? first : (first?.address ?? '')).includes(':') ? 6 : 4;
    const primary =
      c.sourceIp ??
      (typeof c.interface === 'string' ? await this.#ownership.primaryAddress(c.interface, family) : undefined);
    // Everything that can reject the configuration runs before the socket opens: a failed start leaves
    // nothing behind and may be retried.
    const compiled = compileInstance(c, primary, this.#opts.globals);
    // keepalived watches the instance's own interface always (unless dont_track_primary), tracking or not.
    const watchOwn = !compiled.dontTrackPrimary;
    const t = this.#opts.tracking;
    const tracking =
      t || watchOwn
        ? new TrackingController(
            t ?? {},
            compiled.priority,
            watchOwn ? compiled.interface : null,
            {
              clock: this.#opts.clock ?? systemClock,
              ...(this.#opts.scripts ? { scripts: this.#opts.scripts } : {}),
              ...(this.#opts.commandRunner ? { commandRunner: this.#opts.commandRunner } : {}),
              ...(this.#opts.linkMonitor ? { links: this.#opts.linkMonitor } : {}),
              ...(this.#opts.linkPollMs !== undefined ? { linkPollMs: this.#opts.linkPollMs } : {}),
            },
            (total, f) => {
              // keepalived applies the new priority, then brings the instance down or up.
              this.setTotalPriority(total);
              this.#trackingFault = f;
              this.#faultChanged();
            },
          )
        : undefined;
    await tracking?.readLinks();
    // use_vmac: keepalived creates the vmac at start-up (vrrp_complete_instance) and keeps it in every
    // state; adverts go out and come in on it, so they carry the virtual MAC (vrrp_vmac.c, vrrp_if.c).
    const vmac = compiled.vmac;
    const vmacLink = vmac ? (this.#opts.vmacLink ?? new Iproute2VirtualMac()) : undefined;
    if (vmac && vmacLink) await vmacLink.create(vmac);
    let transport: VrrpTransport;
    try {
      transport =
        this.#opts.transport ??
        new RawSocketTransport({
          interface: compiled.advertInterface,
          source: compiled.sourceAddress,
          multicastGroup: compiled.unicastPeers.length > 0 ? null : compiled.multicastGroup,
          ttl: compiled.ttl,
        });
    } catch (err) {
      if (vmac && vmacLink) await vmacLink.destroy(vmac).catch(() => {});
      throw err;
    }
    this.#vmacLink = vmacLink;
    const m = new VrrpMachine(compiled);
    this.config = compiled;
    this.machine = m;
    this.#tracking = tracking;
    this.#transport = transport;
    transport.onReceive((a) => this.#onAdvert(a));
    if (tracking) {
      const now = tracking.current();
      this.#trackingFault = now.fault;
      if (now.total !== compiled.priority)
        this.#runActions(m.step({ type: 'priority', total: now.total }, this.#clock.now()));
    }
    // In a sync group, a member already faulted holds this one in FAULT from its start, and the reverse.
    if (this.syncGroup) this.syncGroup.memberFault(this, this.faulted);
    else if (this.faulted) this.#runActions(m.step({ type: 'fault', fault: true }, this.#clock.now()));
    this.#runActions(m.step({ type: 'start' }, this.#clock.now()));
    tracking?.start();
  }

  /**
   * Stops: a master sends a priority-0 advert and hands every VIP to `ownership.remove`; the state becomes
   * INIT (`stateChanged` with reason `shutdown`) and notify_stop runs. Resolves when the ownership calls are
   * done. Stopping a stopped or never-started router does nothing.
   */
  async stop(): Promise<void> {
    const m = this.machine;
    if (!m || m.state === 'INIT') return;
    this.#tracking?.stop();
    this.#runActions(m.step({ type: 'shutdown' }, this.#clock.now()));
    this.#clock.cancel(this.#timer);
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#transport?.close();
    await this.settled();
    // After the VIPs are gone: keepalived deletes the vmac on shutdown (vrrp_restore_interface).
    const vmac = this.config?.vmac;
    const link = this.#vmacLink;
    this.#vmacLink = undefined;
    if (vmac && link) {
      await link.destroy(vmac).catch((err: unknown) => {
        this.emit(
          'error',
          LvsError.is(err)
            ? err
            : new LvsError('VRRP_OWNERSHIP_FAILED', err instanceof Error ? err.message : String(err), { cause: err }),
        );
      });
    }
  }

  /**
   * Holds the instance in FAULT (true) or releases that hold (false), on top of what tracking decides: an
   * operator's or the director's own fault. In a sync group the whole group follows.
   * @param fault - true while faulted
   */
  setFault(fault: boolean): void {
    this.#externalFault = fault;
    this.#faultChanged();
  }

  #faultChanged(): void {
    if (!this.machine) return;
    if (this.syncGroup) this.syncGroup.memberFault(this, this.faulted);
    else this.applyFault(this.faulted);
  }

  /**
   * The sync group this router belongs to (set by {@link VrrpSyncGroup}).
   * @internal
   */
  syncGroup: { memberFault(r: VrrpRouter, fault: boolean): void } | undefined;

  /**
   * Feeds a fault state straight to the machine (sync groups use it to fault every member).
   * @internal
   */
  applyFault(fault: boolean): void {
    // Also before the start step (INIT): the machine records it and starts in FAULT.
    if (this.machine) this.#runActions(this.machine.step({ type: 'fault', fault }, this.#clock.now()));
  }

  /**
   * Feeds a sync-group order to the machine (`sync-master` / `sync-backup`).
   * @internal
   */
  applySync(type: 'sync-master' | 'sync-backup'): void {
    if (this.machine) this.#runActions(this.machine.step({ type }, this.#clock.now()));
  }

  /**
   * Sets the total priority (base + tracking weights); the machine clamps it as keepalived does. Tracking
   * calls this itself; call it only for weights lvskit does not track.
   * @param total - keepalived `total_priority`
   */
  setTotalPriority(total: number): void {
    if (this.machine) this.#runActions(this.machine.step({ type: 'priority', total }, this.#clock.now()));
  }

  /** Resolves when every notify script started so far has finished (tests). */
  async notifiesSettled(): Promise<void> {
    await Promise.all([...this.#notifying]);
  }

  /** Resolves when every queued ownership call has finished (for tests and orderly shutdown). */
  async settled(): Promise<void> {
    await this.#chain;
    await Promise.all([...this.#side]);
  }

  #onAdvert(a: ReceivedAdvert): void {
    const m = this.machine;
    if (!m) return;
    this.#runActions(m.step({ type: 'advert', advert: a }, this.#clock.now()));
  }

  #onTimer(): void {
    const m = this.machine;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (!m) return;
    this.#runActions(m.step({ type: 'timer' }, this.#clock.now()));
  }

  #schedule(): void {
    const m = this.machine;
    if (!m) return;
    const next = m.nextTimeout();
    if (next === this.#timerAt) return;
    this.#clock.cancel(this.#timer);
    this.#timerAt = next;
    if (next !== Number.POSITIVE_INFINITY) this.#timer = this.#clock.at(next, () => this.#onTimer());
  }

  #error(err: unknown, code: 'VRRP_OWNERSHIP_FAILED' | 'VRRP_NOTIFY_FAILED' = 'VRRP_OWNERSHIP_FAILED'): void {
    this.emit(
      'error',
      LvsError.is(err) ? err : new LvsError(code, err instanceof Error ? err.message : String(err), { cause: err }),
    );
  }

  #queue(what: () => Promise<void>): void {
    this.#chain = this.#chain.then(what).catch((err: unknown) => this.#error(err));
  }

  /** Runs a notify script line with extra arguments (sync groups use it for their own notifies). @internal */
  execNotify(line: string, extra: readonly string[]): void {
    this.#exec([...splitCommand(line), ...extra]);
  }

  #runActions(actions: readonly VrrpAction[]): void {
    const c = this.config;
    if (!c) return;
    for (const a of actions) {
      switch (a.type) {
        case 'send-advert':
          this.#sendAdvert(c, a.priority);
          this.emitWith('advertSent', () => ({ priority: a.priority }));
          break;
        case 'add-addresses': {
          const vips = c.virtualAddresses;
          this.#ownershipGeneration++;
          this.#queue(async () => {
            for (const v of vips) await this.#ownership.add(v);
            this.emitWith('addressesAdded', () => ({ addresses: vips.map((v) => `${v.text}/${v.prefix}`) }));
          });
          break;
        }
        case 'remove-addresses': {
          const vips = c.virtualAddresses;
          this.#ownershipGeneration++;
          this.#queue(async () => {
            for (const v of vips) await this.#ownership.remove(v);
            this.emitWith('addressesRemoved', () => ({ addresses: vips.map((v) => `${v.text}/${v.prefix}`) }));
          });
          break;
        }
        case 'gratuitous-arp': {
          // After the queued ownership calls so far, but without holding up later ones (a slow announcer
          // must never delay releasing the VIPs); skipped when the VIPs were released in between.
          const { repeat, reason } = a;
          const generation = this.#ownershipGeneration;
          const announce = this.#chain
            .then(async () => {
              if (generation !== this.#ownershipGeneration) return;
              await Promise.all(c.virtualAddresses.map((v) => this.#ownership.announce(v, repeat)));
              this.emitWith('announced', () => ({ repeat, reason }));
            })
            .catch((err: unknown) => this.#error(err));
          this.#side.add(announce);
          void announce.finally(() => this.#side.delete(announce));
          break;
        }
        case 'transition':
          this.emitWith('stateChanged', () => ({
            from: a.from,
            to: a.to,
            reason: a.reason,
            priority: this.machine?.effectivePriority ?? 0,
          }));
          this.#notify(c, a.to);
          break;
        case 'dropped':
          this.emitWith('dropped', () => ({ reason: a.reason }));
          break;
        case 'priority-changed':
          this.emitWith('priorityChanged', () => ({ from: a.from, to: a.to }));
          break;
        case 'master-rx-lower-priority':
          this.emitWith('masterRxLowerPriority', () => ({ priority: a.priority }));
          break;
      }
    }
    this.#schedule();
  }

  #sendAdvert(c: CompiledInstance, priority: number): void {
    const t = this.#transport;
    if (!t) return;
    const dests = c.unicastPeers.length > 0 ? c.unicastPeers : [c.multicastGroup];
    const fields = {
      version: c.version,
      family: c.family,
      vrid: c.vrid,
      priority,
      interval: c.advertIntField,
      addresses: c.virtualAddressBytes,
      authType: c.authType,
      authData: c.authData,
    };
    for (const d of dests) {
      // The v3 pseudo-header names the destination, so each unicast peer gets its own checksum.
      const pseudo =
        c.version === 3 && !(c.family === 4 && c.v3ChecksumAsV2) ? { source: c.sourceAddress, destination: d } : null;
      const n = encodeAdvert(this.#tx, 0, fields, pseudo);
      t.send(this.#tx, n, d);
    }
  }

  #notify(c: CompiledInstance, to: VrrpState): void {
    const scripts = this.#opts.notify;
    if (!scripts) return;
    const stateName = to === 'INIT' ? 'STOP' : to;
    const specific =
      to === 'MASTER'
        ? scripts.master
        : to === 'BACKUP'
          ? scripts.backup
          : to === 'FAULT'
            ? scripts.fault
            : scripts.stop;
    const prio = String(this.machine?.effectivePriority ?? c.priority);
    // keepalived runs the state-specific script first, then the generic `notify` with its four arguments.
    if (specific) this.#exec(splitCommand(specific));
    if (scripts.any) this.#exec([...splitCommand(scripts.any), 'INSTANCE', c.name, stateName, prio]);
  }

  #exec(argv: string[]): void {
    if (argv.length === 0) return;
    // Not awaited: a notify script never holds up the machine (keepalived forks and carries on).
    const run = this.#commands(argv).then(
      (r) => {
        if (r.code === 127 || r.code === 126) {
          this.#error(
            new LvsError('VRRP_NOTIFY_FAILED', `notify script ${argv[0]}: ${r.stderr.trim() || `exit ${r.code}`}`),
          );
        }
      },
      (err: unknown) => this.#error(err, 'VRRP_NOTIFY_FAILED'),
    );
    this.#notifying.add(run);
    void run.finally(() => this.#notifying.delete(run));
  }
}
