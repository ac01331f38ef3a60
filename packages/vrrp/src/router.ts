/**
 * The thin async shell around one {@link VrrpMachine}: it feeds the machine received adverts and timer
 * expiries with the clock's time, performs the actions it returns (encode and send adverts, add and remove
 * the VIPs, gratuitous ARPs, notify scripts) through the injected ports, and publishes typed events. All
 * protocol decisions are the machine's; this file must never decide anything about VRRP itself.
 */
import { spawn } from 'node:child_process';
import { type Clock, LvsError, systemClock } from '@lvskit/base';
import { encodeAdvert } from './codec.js';
import { type CompiledInstance, compileInstance, type VrrpInstanceConfig } from './config.js';
import { Iproute2Ownership } from './iproute2-ownership.js';
import {
  type DropReason,
  type ReceivedAdvert,
  type TransitionReason,
  type VrrpAction,
  VrrpMachine,
  type VrrpState,
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
  type ScriptRunner,
  splitCommand,
  type TrackingConfig,
  TrackingController,
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

/** Events a {@link VrrpRouter} publishes. */
export interface VrrpRouterEvents {
  /** A state change; the director starts serving the VIPs on `to === 'MASTER'` and stops otherwise. */
  transition: {
    readonly from: VrrpState;
    readonly to: VrrpState;
    readonly reason: TransitionReason;
    readonly priority: number;
  };
  /** An advert was dropped by receive validation. */
  dropped: { readonly reason: DropReason };
  /** An advert was sent. */
  advertSent: { readonly priority: number };
  /** The VIPs were added (after the `ip addr add`s completed). */
  addressesAdded: { readonly addresses: readonly string[] };
  /** The VIPs were removed. */
  addressesRemoved: { readonly addresses: readonly string[] };
  /** Gratuitous ARPs were sent. */
  announced: { readonly repeat: number };
  /** The effective priority changed. */
  priorityChanged: { readonly from: number; readonly to: number };
  /** As master, an advert with a lower priority arrived (keepalived `notify_master_rx_lower_pri`). */
  masterRxLowerPriority: { readonly priority: number };
  /** A port failed (address change, ARP, notify script); the machine keeps running. */
  error: LvsError;
}

/** Options of {@link VrrpRouter}. Every port defaults to the real implementation. */
export interface VrrpRouterOptions {
  /** The transport; default a {@link RawSocketTransport} on the instance interface. */
  readonly transport?: VrrpTransport;
  /** VIP ownership; default {@link NativeOwnership} when `@lvskit/native` is built, else {@link Iproute2Ownership}. */
  readonly ownership?: AddressOwnership;
  /** The `use_vmac` interface manager; default {@link Iproute2VirtualMac}. Unused without `useVmac`. */
  readonly vmacLink?: VirtualMacLink;
  /** The one clock (milliseconds); default the system clock. */
  readonly clock?: Clock;
  /** Notify scripts. */
  readonly notify?: NotifyScripts;
  /** Start in FAULT (e.g. a tracked interface is already down). */
  readonly fault?: boolean;
  /** track_script / track_interface with their vrrp_script blocks. */
  readonly tracking?: TrackingConfig;
  /** Script runner for tracking; default real child processes. */
  readonly scriptRunner?: ScriptRunner;
  /** Link monitor for tracking; default `/sys/class/net/<if>/flags`. */
  readonly linkMonitor?: LinkMonitor;
  /** Link polling interval for tracking, µs; default 100 ms. */
  readonly linkPollUs?: number;
}

/** A listener for one {@link VrrpRouterEvents} event. */
export type VrrpListener<K extends keyof VrrpRouterEvents> = (e: VrrpRouterEvents[K]) => void;

/** One running VRRP instance. */
export class VrrpRouter {
  /** The compiled configuration (after {@link VrrpRouter.start}). */
  config: CompiledInstance | undefined;
  /** The state machine (after {@link VrrpRouter.start}). */
  machine: VrrpMachine | undefined;
  readonly #source: VrrpInstanceConfig;
  readonly #opts: VrrpRouterOptions;
  readonly #clock: VrrpClock;
  readonly #ownership: AddressOwnership;
  #transport: VrrpTransport | undefined;
  #vmacLink: VirtualMacLink | undefined;
  #tracking: TrackingController | undefined;
  #starting = false;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;
  #chain: Promise<void> = Promise.resolve();
  readonly #side = new Set<Promise<void>>();
  readonly #listeners = new Map<keyof VrrpRouterEvents, Set<(e: never) => void>>();
  readonly #tx = new Uint8Array(8 + 255 * 16 + 8);

  /**
   * @param config - the vrrp_instance
   * @param opts - ports and notify scripts
   */
  constructor(config: VrrpInstanceConfig, opts: VrrpRouterOptions = {}) {
    this.#source = config;
    this.#opts = opts;
    this.#clock = microseconds(opts.clock ?? systemClock);
    // @lvskit/native when it is built here; iproute2 and arping otherwise.
    this.#ownership = opts.ownership ?? (nativeOwnershipAvailable() ? new NativeOwnership() : new Iproute2Ownership());
  }

  /** Current state (INIT before start and after stop). */
  get state(): VrrpState {
    return this.machine?.state ?? 'INIT';
  }

  /**
   * Subscribes to an event; returns the unsubscribe function.
   * @param name - event name
   * @param fn - listener
   */
  on<K extends keyof VrrpRouterEvents>(name: K, fn: VrrpListener<K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(fn as (e: never) => void);
    return () => set.delete(fn as (e: never) => void);
  }

  #emit<K extends keyof VrrpRouterEvents>(name: K, e: VrrpRouterEvents[K]): void {
    const set = this.#listeners.get(name);
    if (!set || set.size === 0) return;
    for (const fn of set) (fn as VrrpListener<K>)(e);
  }

  /** Resolves the source address, compiles the instance, opens the transport and starts the machine. */
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
    const first = c.virtualIpAddresses[0];
    const family = (typeof first === 'string' ? first : (first?.address ?? '')).includes(':') ? 6 : 4;
    const primary = c.sourceIp ?? (await this.#ownership.primaryAddress(c.interface, family));
    // Everything that can reject the configuration runs before the socket opens: a failed start leaves
    // nothing behind and may be retried.
    const compiled = compileInstance(c, primary);
    const tracking = this.#opts.tracking
      ? new TrackingController(
          this.#opts.tracking,
          compiled.priority,
          compiled.dontTrackPrimary ? null : compiled.interface,
          {
            clock: this.#clock,
            ...(this.#opts.scriptRunner ? { runner: this.#opts.scriptRunner } : {}),
            ...(this.#opts.linkMonitor ? { links: this.#opts.linkMonitor } : {}),
            ...(this.#opts.linkPollUs ? { linkPollUs: this.#opts.linkPollUs } : {}),
          },
          (total, f) => {
            // keepalived applies the new priority, then brings the instance down or up.
            this.setTotalPriority(total);
            this.setFault(f || this.#opts.fault === true);
          },
        )
      : undefined;
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
    const fault = this.#opts.fault === true || (tracking?.initialFault() ?? false);
    if (fault) {
      if (this.syncGroup) this.syncGroup.memberFault(this, true);
      else this.#run(m.step({ type: 'fault', fault: true }, this.#clock.now()));
    }
    this.#run(m.step({ type: 'start' }, this.#clock.now()));
    await tracking?.start();
  }

  /**
   * Stops: a master sends priority 0 and removes its VIPs; notify_stop runs. Resolves when the address
   * changes are done.
   */
  async stop(): Promise<void> {
    const m = this.machine;
    if (!m) return;
    this.#tracking?.stop();
    this.#run(m.step({ type: 'shutdown' }, this.#clock.now()));
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
        this.#emit('error', LvsError.is(err) ? err : new LvsError('VRRP_OWNERSHIP_FAILED', String(err)));
      });
    }
  }

  /**
   * Reports a tracking fault (track_interface / track_script with weight 0) or its end.
   * @param fault - true while faulted
   */
  setFault(fault: boolean): void {
    if (this.syncGroup) this.syncGroup.memberFault(this, fault);
    else this.applyFault(fault);
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
    if (this.machine) this.#run(this.machine.step({ type: 'fault', fault }, this.#clock.now()));
  }

  /**
   * Feeds a sync-group order to the machine (`sync-master` / `sync-backup`).
   * @internal
   */
  applySync(type: 'sync-master' | 'sync-backup'): void {
    if (this.machine) this.#run(this.machine.step({ type }, this.#clock.now()));
  }

  /**
   * Sets the total priority (base + tracking weights); the machine clamps it as keepalived does.
   * @param total - keepalived `total_priority`
   */
  setTotalPriority(total: number): void {
    if (this.machine) this.#run(this.machine.step({ type: 'priority', total }, this.#clock.now()));
  }

  /** Resolves when every queued address/ARP operation has finished (for tests and orderly shutdown). */
  async settled(): Promise<void> {
    await this.#chain;
    await Promise.all([...this.#side]);
  }

  #onAdvert(a: ReceivedAdvert): void {
    const m = this.machine;
    if (!m) return;
    this.#run(m.step({ type: 'advert', advert: a }, this.#clock.now()));
  }

  #onTimer(): void {
    const m = this.machine;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (!m) return;
    this.#run(m.step({ type: 'timer' }, this.#clock.now()));
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

  #queue(what: () => Promise<void>): void {
    this.#chain = this.#chain.then(what).catch((err: unknown) => {
      this.#emit('error', LvsError.is(err) ? err : new LvsError('VRRP_OWNERSHIP_FAILED', String(err), { cause: err }));
    });
  }

  /** Runs a notify script line with extra arguments (sync groups use it for their own notifies). @internal */
  execNotify(line: string, extra: readonly string[]): void {
    this.#exec([...splitCommand(line), ...extra]);
  }

  #run(actions: readonly VrrpAction[]): void {
    const c = this.config;
    if (!c) return;
    for (const a of actions) {
      switch (a.type) {
        case 'send-advert':
          this.#sendAdvert(c, a.priority);
          this.#emit('advertSent', { priority: a.priority });
          break;
        case 'add-addresses': {
          const vips = c.virtualAddresses;
          this.#queue(async () => {
            for (const v of vips) await this.#ownership.add(v);
            this.#emit('addressesAdded', { addresses: vips.map((v) => `${v.text}/${v.prefix}`) });
          });
          break;
        }
        case 'remove-addresses': {
          const vips = c.virtualAddresses;
          this.#queue(async () => {
            for (const v of vips) await this.#ownership.remove(v);
            this.#emit('addressesRemoved', { addresses: vips.map((v) => `${v.text}/${v.prefix}`) });
          });
          break;
        }
        case 'gratuitous-arp': {
          // After the queued address changes so far, but without holding up later ones (a slow announcer
          // must never delay releasing the VIPs).
          const repeat = a.repeat;
          const announce = this.#chain
            .then(() => Promise.all(c.virtualAddresses.map((v) => this.#ownership.announce(v, repeat))))
            .then(
              () => this.#emit('announced', { repeat }),
              (err: unknown) =>
                this.#emit('error', LvsError.is(err) ? err : new LvsError('VRRP_OWNERSHIP_FAILED', String(err))),
            );
          this.#side.add(announce);
          void announce.finally(() => this.#side.delete(announce));
          break;
        }
        case 'transition':
          this.#emit('transition', {
            from: a.from,
            to: a.to,
            reason: a.reason,
            priority: this.machine?.effectivePriority ?? 0,
          });
          this.#notify(c, a.to);
          break;
        case 'dropped':
          this.#emit('dropped', { reason: a.reason });
          break;
        case 'priority-changed':
          this.#emit('priorityChanged', { from: a.from, to: a.to });
          break;
        case 'master-rx-lower-priority':
          this.#emit('masterRxLowerPriority', { priority: a.priority });
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
    try {
      const child = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
      child.on('error', (err) =>
        this.#emit(
          'error',
          new LvsError('VRRP_NOTIFY_FAILED', `notify script ${argv[0]}: ${err.message}`, { cause: err }),
        ),
      );
    } catch (err) {
      this.#emit(
        'error',
        new LvsError('VRRP_NOTIFY_FAILED', `notify script ${argv[0]}: ${String(err)}`, { cause: err }),
      );
    }
  }
}
