/**
 * The public contract every scheduler implements: names, flags and options typed per scheduler, the
 * real-server descriptor, and the {@link Scheduler} interface. Types only; no behaviour lives here.
 */
import type { Flow, FlowInit } from './address.js';

/** Every IPVS scheduler, by its kernel module name (`ip_vs_<name>`). */
export type SchedulerName =
  | 'rr'
  | 'wrr'
  | 'lc'
  | 'wlc'
  | 'sed'
  | 'nq'
  | 'lblc'
  | 'lblcr'
  | 'dh'
  | 'sh'
  | 'fo'
  | 'ovf'
  | 'mh'
  | 'twos';

/** All scheduler names, in the order ipvsadm's SCHEDULERS file lists them (twos last, as keepalived adds it). */
export const SCHEDULER_NAMES: readonly SchedulerName[] = Object.freeze([
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
]);

/** The raw scheduler flag bits every scheduler accepts (IP_VS_SVC_F_SCHED1..3); most ignore them. */
export type GenericSchedulerFlag = 'flag-1' | 'flag-2' | 'flag-3';

/**
 * Flags per scheduler, as `ipvsadm -b` names them. `sh-fallback`/`mh-fallback` are SCHED1 (= flag-1),
 * `sh-port`/`mh-port` are SCHED2 (= flag-2).
 * @see ipvsadm.c `parse_sched_flags`
 */
export interface SchedulerFlagMap {
  rr: GenericSchedulerFlag;
  wrr: GenericSchedulerFlag;
  lc: GenericSchedulerFlag;
  wlc: GenericSchedulerFlag;
  sed: GenericSchedulerFlag;
  nq: GenericSchedulerFlag;
  lblc: GenericSchedulerFlag;
  lblcr: GenericSchedulerFlag;
  dh: GenericSchedulerFlag;
  sh: GenericSchedulerFlag | 'sh-fallback' | 'sh-port';
  fo: GenericSchedulerFlag;
  ovf: GenericSchedulerFlag;
  mh: GenericSchedulerFlag | 'mh-fallback' | 'mh-port';
  twos: GenericSchedulerFlag;
}

/** The flags scheduler `N` accepts. */
export type SchedulerFlag<N extends SchedulerName = SchedulerName> = SchedulerFlagMap[N];

/** Maglev table sizes the kernel can be built with (`CONFIG_IP_VS_MH_TAB_INDEX` 8..17). */
export type MhTableSize = 251 | 509 | 1021 | 2039 | 4093 | 8191 | 16381 | 32749 | 65521 | 131071;

/** Options only some schedulers take. */
export interface SchedulerOptionsMap {
  rr: object;
  wrr: object;
  lc: object;
  wlc: object;
  sed: object;
  nq: object;
  lblc: {
    /** Seconds an idle table entry lives (sysctl `lblc_expiration`); default 86400. */
    expirationSeconds?: number;
  };
  lblcr: {
    /** Seconds before a server set shrinks and an idle entry expires (sysctl `lblcr_expiration`); default 86400. */
    expirationSeconds?: number;
  };
  dh: object;
  sh: object;
  fo: object;
  ovf: object;
  mh: {
    /** Lookup table size, a prime from the kernel's list; default 4093. */
    tableSize?: MhTableSize;
  };
  twos: {
    /**
     * Random source: returns an integer uniformly in `[0, bound)` (the kernel's `get_random_u32_below`).
     * Default uses `Math.random`.
     */
    random?: (bound: number) => number;
  };
}

/** A real server as the caller describes it to a scheduler. */
export interface RealServerSpec {
  /** IPv4 or IPv6 address as text. */
  readonly address: string;
  /** Port (0..65535); 0 means the virtual port. */
  readonly port: number;
  /** Weight 0..65535; 0 quiesces the server (no new connections). */
  readonly weight: number;
}

/** What a scheduler knows of one real server, as returned by `info()`/`list()`/`pick()`. */
export interface RealServerInfo extends RealServerSpec {
  /** The handle `add()` returned. */
  readonly handle: ServerHandle;
  /** Address family. */
  readonly family: 4 | 6;
  /** Active connections the caller last reported. */
  readonly activeConns: number;
  /** Inactive connections the caller last reported. */
  readonly inactiveConns: number;
  /** Whether the caller set the OVERLOAD flag (upper threshold reached). */
  readonly overloaded: boolean;
}

/** A small integer naming a real server inside one scheduler. Stable until the server is removed. */
export type ServerHandle = number;

/** `schedule()` result when no real server can take the flow. */
export const NO_SERVER: ServerHandle = -1;

/** Options common to every scheduler, plus that scheduler's own. */
export type SchedulerOptions<N extends SchedulerName> = {
  /** Scheduler flags (`ipvsadm -b`). */
  readonly flags?: readonly SchedulerFlag<N>[];
  /**
   * Real servers already in the service when the scheduler is bound, in the kernel's list order (head
   * first), as when `ipvsadm -E -s` changes the scheduler of a populated service (kernel `init_service`).
   * Servers added later with {@link Scheduler.add} go to the head of the list, as `ipvsadm -a` does.
   */
  readonly servers?: readonly RealServerSpec[];
} & SchedulerOptionsMap[N];

/**
 * A scheduler bound to one virtual service. It keeps the real servers in the kernel's list order and
 * follows the kernel's add/delete/update hooks. Pure: no timers, clocks or I/O; time is passed in.
 *
 * Hot-path methods (`schedule`, `setConnections`, `setOverloaded`) take and return numbers and allocate
 * nothing.
 */
export interface Scheduler<N extends SchedulerName = SchedulerName> {
  /** The scheduler's kernel name. */
  readonly name: N;
  /** The flags it was created with. */
  readonly flags: readonly SchedulerFlag<N>[];
  /** How many real servers are in the list. */
  readonly size: number;
  /**
   * Adds a real server at the head of the list (kernel `__ip_vs_update_dest(add=1)` then `add_dest`).
   * Re-adding an address:port that was removed revives its old handle, as the kernel revives a dest from
   * its trash.
   * @returns the server's handle
   */
  add(server: RealServerSpec): ServerHandle;
  /** Removes a real server (kernel `__ip_vs_unlink_dest` then `del_dest`). */
  remove(handle: ServerHandle): void;
  /** Edits a real server (kernel `ip_vs_edit_dest` then `upd_dest`; called for any edit). */
  update(handle: ServerHandle, changes: { readonly weight?: number }): void;
  /** Sets or clears the OVERLOAD flag (`IP_VS_DEST_F_OVERLOAD`), which the caller derives from thresholds. */
  setOverloaded(handle: ServerHandle, overloaded: boolean): void;
  /** Reports the server's current active and inactive connection counts. */
  setConnections(handle: ServerHandle, active: number, inactive: number): void;
  /**
   * Picks the real server for a new flow.
   * @param flow - the flow (reuse one object on hot paths)
   * @param now - milliseconds on the caller's clock; only lblc/lblcr use it
   * @returns a handle, or {@link NO_SERVER}
   */
  schedule(flow: Flow, now?: number): ServerHandle;
  /** Convenience over `schedule()`: accepts text addresses and returns the server's info. Allocates. */
  pick(flow: Flow | FlowInit, now?: number): RealServerInfo | undefined;
  /** Looks up a handle by address and port; {@link NO_SERVER} when absent. */
  handleOf(address: string, port: number): ServerHandle;
  /** What the scheduler knows of one server. */
  info(handle: ServerHandle): RealServerInfo;
  /** Every real server in kernel list order (head first). */
  list(): RealServerInfo[];
  /**
   * Periodic housekeeping the kernel does on a timer (lblc/lblcr table garbage collection every 60 s).
   * A no-op for the other schedulers.
   * @param now - milliseconds on the caller's clock
   */
  expire(now: number): void;
}
