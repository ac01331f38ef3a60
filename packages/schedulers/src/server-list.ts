/**
 * The real-server list every scheduler is built on: the kernel's `svc->destinations` as typed arrays and a
 * doubly linked list in kernel order (head first), with the add/delete/update hooks the kernel calls.
 * Owns handles, the trash that revives a removed server's handle, and control-path validation. It must
 * never allocate on the hot path (`schedule`, `setConnections`, `setOverloaded`).
 */

import { describe, LvsError } from '@lvskit/base';
import { type Family, type Flow, type FlowInit, fold, formatAddress, makeFlow, parseAddress } from './address.js';
import {
  NO_SERVER,
  type RealServerInfo,
  type RealServerSpec,
  type Scheduler,
  type SchedulerFlag,
  type SchedulerName,
  type SchedulerOptions,
  type ServerHandle,
} from './types.js';

const MAX_WEIGHT = 65535;

/** Checks a weight the way ipvsadm does (0..65535); throws INVALID_ARGUMENT. */
export function checkWeight(weight: unknown, where = 'weight'): number {
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
    throw new LvsError('INVALID_ARGUMENT', `${where} must be an integer 0..${MAX_WEIGHT}, got ${describe(weight)}`);
  }
  return weight;
}

function checkPort(port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LvsError('INVALID_ARGUMENT', `port must be an integer 0..65535, got ${describe(port)}`);
  }
  return port;
}

/**
 * Base class of every scheduler. Subclasses implement {@link ServerList.schedule}, do the kernel's
 * `init_service` at the end of their own constructor (the initial servers are linked by then), and override
 * the hooks (`onAdd`, `onRemove`, `onUpdate`, `onConnections`, `onOverload`) the kernel scheduler has.
 */
export abstract class ServerList<N extends SchedulerName> implements Scheduler<N> {
  readonly name: N;
  readonly flags: readonly SchedulerFlag<N>[];
  /** Number of servers in the list. */
  size = 0;
  /** Allocated slots. */
  protected capacity = 0;
  /** First server in kernel order, or -1. */
  protected head = -1;
  /** Last server in kernel order, or -1. */
  protected tail = -1;
  /** Next server in kernel order, -1 at the end. */
  protected next = new Int32Array(0);
  /** Previous server in kernel order, -1 at the head. */
  protected prev = new Int32Array(0);
  /** Current weight. */
  protected weight = new Int32Array(0);
  /** Latest non-zero weight (kernel `last_weight`, used by mh). */
  protected lastWeight = new Int32Array(0);
  /** Active connections (kernel `activeconns`). */
  protected active = new Int32Array(0);
  /** Inactive connections (kernel `inactconns`). */
  protected inactive = new Int32Array(0);
  /** 1 when the OVERLOAD flag is set. */
  protected overloaded = new Uint8Array(0);
  /** 1 while the server is in the list (kernel `IP_VS_DEST_F_AVAILABLE`); 0 once removed (in the trash). */
  protected available = new Uint8Array(0);
  /** Address family per server (4 or 6). */
  protected family = new Uint8Array(0);
  /** Port per server (host order). */
  protected port = new Uint16Array(0);
  /** 16 address bytes per server, network order. */
  protected addr = new Uint8Array(0);
  /** Folded address per server (`ntohl(ip_vs_addr_fold(addr))`). */
  protected addrFold = new Uint32Array(0);
  /** address text per slot. */
  protected addressText: string[] = [];
  /** `address|port` → handle, for servers in the list and in the trash. */
  private readonly byKey = new Map<string, number>();
  private scratchFlow: Flow | undefined;

  /**
   * @param name - the scheduler name
   * @param options - flags and servers already present (kernel order, head first)
   * @param allowedFlags - the flags this scheduler accepts
   */
  constructor(name: N, options: SchedulerOptions<N> | undefined, allowedFlags: readonly string[]) {
    this.name = name;
    const flags = options?.flags ?? [];
    if (!Array.isArray(flags))
      throw new LvsError('INVALID_ARGUMENT', `scheduler flags must be an array, got ${describe(flags)}`);
    const generic = ['flag-1', 'flag-2', 'flag-3'];
    for (const f of flags) {
      if (!generic.includes(f) && !allowedFlags.includes(f)) {
        throw new LvsError(
          'SCHED_INCOMPATIBLE_FLAG',
          `incompatible scheduler flag: ${typeof f === 'string' ? f : describe(f)} for ${name}`,
        );
      }
    }
    this.flags = Object.freeze([...flags]);
    const servers = options?.servers ?? [];
    if (!Array.isArray(servers))
      throw new LvsError('INVALID_ARGUMENT', `servers must be an array, got ${describe(servers)}`);
    // Validate every server before touching any state: a bad list changes nothing.
    const seen = new Set<string>();
    for (const s of servers) {
      const key = this.keyOf(s);
      if (seen.has(key)) throw new LvsError('SCHED_DUPLICATE_SERVER', `duplicate real server ${s.address}:${s.port}`);
      seen.add(key);
    }
    // Insert tail-first so that the resulting list order equals the given order (head first).
    for (let i = servers.length - 1; i >= 0; i--) this.link(servers[i]!);
  }

  /** True when one of `names` is among the flags. */
  protected hasFlag(...names: string[]): boolean {
    for (const n of names) if ((this.flags as readonly string[]).includes(n)) return true;
    return false;
  }

  private keyOf(s: RealServerSpec): string {
    if (typeof s !== 'object' || s === null) throw new LvsError('INVALID_ARGUMENT', 'real server must be an object');
    checkWeight(s.weight);
    checkPort(s.port);
    const { family, bytes } = parseAddress(s.address);
    return `${formatAddress(family, bytes)}|${s.port}`;
  }

  private grow(min: number): void {
    if (min <= this.capacity) return;
    const cap = Math.max(8, this.capacity * 2, min);
    const g32 = (a: Int32Array) => {
      const n = new Int32Array(cap);
      n.set(a);
      return n;
    };
    const g8 = (a: Uint8Array, per = 1) => {
      const n = new Uint8Array(cap * per);
      n.set(a);
      return n;
    };
    this.next = g32(this.next);
    this.prev = g32(this.prev);
    this.weight = g32(this.weight);
    this.lastWeight = g32(this.lastWeight);
    this.active = g32(this.active);
    this.inactive = g32(this.inactive);
    this.overloaded = g8(this.overloaded);
    this.available = g8(this.available);
    this.family = g8(this.family);
    this.addr = g8(this.addr, 16);
    const p = new Uint16Array(cap);
    p.set(this.port);
    this.port = p;
    const f = new Uint32Array(cap);
    f.set(this.addrFold);
    this.addrFold = f;
    this.capacity = cap;
  }

  /** Inserts at the head without calling hooks; returns the handle. */
  private link(s: RealServerSpec): number {
    const key = this.keyOf(s);
    const existing = this.byKey.get(key);
    if (existing !== undefined && this.available[existing] === 1) {
      throw new LvsError('SCHED_DUPLICATE_SERVER', `real server ${s.address}:${s.port} is already in the list`);
    }
    let h: number;
    if (existing !== undefined) {
      h = existing; // revived from the trash, as ip_vs_trash_get_dest does
    } else {
      h = this.addressText.length;
      this.grow(h + 1);
      const { family, bytes } = parseAddress(s.address);
      this.family[h] = family;
      this.addr.set(bytes, h * 16);
      this.addrFold[h] = fold(family, bytes);
      this.port[h] = s.port;
      this.addressText.push(formatAddress(family, bytes));
      this.byKey.set(key, h);
    }
    this.weight[h] = s.weight;
    // Kernel __ip_vs_update_dest(add=1) sets last_weight on every add, trash revival included, even to 0.
    this.lastWeight[h] = s.weight;
    this.active[h] = 0;
    this.inactive[h] = 0;
    this.overloaded[h] = 0;
    this.available[h] = 1;
    this.prev[h] = -1;
    this.next[h] = this.head;
    if (this.head >= 0) this.prev[this.head] = h;
    else this.tail = h;
    this.head = h;
    this.size++;
    return h;
  }

  /** Throws SCHED_UNKNOWN_SERVER unless `h` names a server in the list. */
  protected check(h: ServerHandle): void {
    if (!Number.isInteger(h) || h < 0 || h >= this.addressText.length || this.available[h] !== 1) {
      throw new LvsError('SCHED_UNKNOWN_SERVER', `no real server with handle ${describe(h)}`);
    }
  }

  add(server: RealServerSpec): ServerHandle {
    const h = this.link(server);
    this.onAdd(h);
    return h;
  }

  remove(h: ServerHandle): void {
    this.check(h);
    const p = this.prev[h]!;
    const n = this.next[h]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
    this.available[h] = 0;
    this.size--;
    this.onRemove(h, p);
  }

  update(h: ServerHandle, changes: { readonly weight?: number }): void {
    this.check(h);
    if (changes.weight !== undefined) {
      const w = checkWeight(changes.weight);
      this.weight[h] = w;
      if (w > 0) this.lastWeight[h] = w;
    }
    this.onUpdate(h);
  }

  setOverloaded(h: ServerHandle, overloaded: boolean): void {
    // Cheap guard first (no allocation): a removed or unknown handle must not change any state.
    if (this.available[h] !== 1) this.check(h);
    const v = overloaded ? 1 : 0;
    if (this.overloaded[h] === v) return;
    this.overloaded[h] = v;
    this.onOverload(h);
  }

  setConnections(h: ServerHandle, active: number, inactive: number): void {
    if (this.available[h] !== 1) this.check(h);
    // Counts are the kernel's atomic_t: integers 0..2^31-1 (`x | 0` is x only for such int32 values).
    if ((active | 0) !== active || active < 0 || (inactive | 0) !== inactive || inactive < 0) {
      throw new LvsError(
        'INVALID_ARGUMENT',
        `connection counts must be integers 0..2147483647, got ${describe(active)}/${describe(inactive)}`,
      );
    }
    this.active[h] = active;
    this.inactive[h] = inactive;
    this.onConnections(h);
  }

  abstract schedule(flow: Flow, now?: number): ServerHandle;

  pick(flow: Flow | FlowInit, now?: number): RealServerInfo | undefined {
    let f: Flow;
    if ('saddr' in flow) f = flow;
    else {
      this.scratchFlow ??= makeFlow(flow);
      f = makeFlow(flow, this.scratchFlow);
    }
    const h = this.schedule(f, now);
    return h === NO_SERVER ? undefined : this.info(h);
  }

  handleOf(address: string, port: number): ServerHandle {
    const { family, bytes } = parseAddress(address);
    const h = this.byKey.get(`${formatAddress(family, bytes)}|${port}`);
    return h !== undefined && this.available[h] === 1 ? h : NO_SERVER;
  }

  info(h: ServerHandle): RealServerInfo {
    this.check(h);
    return {
      handle: h,
      address: this.addressText[h]!,
      port: this.port[h]!,
      weight: this.weight[h]!,
      family: this.family[h] as Family,
      activeConns: this.active[h]!,
      inactiveConns: this.inactive[h]!,
      overloaded: this.overloaded[h] === 1,
    };
  }

  list(): RealServerInfo[] {
    const out: RealServerInfo[] = [];
    for (let h = this.head; h >= 0; h = this.next[h]!) out.push(this.info(h));
    return out;
  }

  expire(_now: number): void {}

  /** Kernel `add_dest`: `h` is already at the head. */
  protected onAdd(_h: number): void {}
  /** Kernel `del_dest`: `h` is already unlinked; `prevOfRemoved` was its predecessor (-1 = list head). */
  protected onRemove(_h: number, _prevOfRemoved: number): void {}
  /** Kernel `upd_dest`: called on every edit. */
  protected onUpdate(_h: number): void {}
  /** Called when a server's connection counts changed (for indexed schedulers). */
  protected onConnections(_h: number): void {}
  /** Called when a server's OVERLOAD flag changed (for indexed schedulers). */
  protected onOverload(_h: number): void {}

  /** Eligible for a new connection in the common sense: weight > 0 and not OVERLOADed. */
  protected eligible(h: number): boolean {
    return this.weight[h]! > 0 && this.overloaded[h] === 0;
  }
}
