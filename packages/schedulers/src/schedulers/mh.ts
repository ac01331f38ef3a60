/**
 * mh — Maglev hashing, as net/netfilter/ipvs/ip_vs_mh.c. Owns the lookup table (prime size), its rebuild on
 * every add/delete/edit from each server's `last_weight`, and the lookup by source address (and port with
 * `mh-port`). Must not look at connection counts, and must not change anything when an add is refused.
 */

import { describe, LvsError } from '@lvskit/base';
import { type Flow, fold, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../address.js';
import { ServerList } from '../server-list.js';
import { hsiphash32Mod, type SipHashKey, sipHashKey } from '../siphash.js';
import {
  type MhTableSize,
  NO_SERVER,
  type RealServerSpec,
  type SchedulerOptions,
  type ServerHandle,
} from '../types.js';

/** ip_vs_mh.c `primes[]`: the table size is `primes[CONFIG_IP_VS_MH_TAB_INDEX - 8]`. */
const PRIMES: readonly MhTableSize[] = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071];

/** Kconfig default `CONFIG_IP_VS_MH_TAB_INDEX` 12 → 4093. */
const DEFAULT_SIZE: MhTableSize = 4093;

/**
 * ip_vs_mh.c `generate_hash_secret`: constant keys, `key[0] = key[1]` (64-bit `unsigned long` words).
 */
const HASH1: SipHashKey = sipHashKey(2654435761n, 2654435761n);
const HASH2: SipHashKey = sipHashKey(2654446892n, 2654446892n);

/** Checks the options before the base class links any server, so that a refused set changes nothing. */
function checkOptions(options: SchedulerOptions<'mh'> | undefined): SchedulerOptions<'mh'> | undefined {
  const size = options?.tableSize ?? DEFAULT_SIZE;
  if (!PRIMES.includes(size)) {
    throw new LvsError('INVALID_ARGUMENT', `mh tableSize must be one of ${PRIMES.join(', ')}, got ${describe(size)}`);
  }
  const n = options?.servers?.length ?? 0;
  if (n > size) {
    throw new LvsError('SCHED_TOO_MANY_SERVERS', `mh: ${n} real servers do not fit a lookup table of ${size} slots`);
  }
  return options;
}

/**
 * `ip_vs_mh_hashkey(…) % modulus`: `hsiphash` of the u32 `offset + ntohs(port) + ntohl(addr_fold)` (wrapping),
 * passed on as int32 bits so that nothing is boxed per pick.
 */
function hashKey(addrFold: number, port: number, key: SipHashKey, offset: number, modulus: number): number {
  return hsiphash32Mod((offset + port + addrFold) | 0, key, modulus);
}

/** Greatest common divisor of two positive integers (lib/math/gcd.c). */
function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/**
 * Maglev hashing by client address: a prime-sized lookup table populated from each server's permutation,
 * `turns` slots per pass in proportion to its latest non-zero weight. A quiesced (weight 0) or OVERLOADed
 * server keeps its slots and gets no new flows; `mh-fallback` then walks on to the next available server.
 * Results match the kernel on 64-bit machines (its `hsiphash` differs on 32-bit ones).
 * @see net/netfilter/ipvs/ip_vs_mh.c
 */
export class MaglevHashingScheduler extends ServerList<'mh'> {
  /** The lookup table size M (a prime). */
  readonly tableSize: MhTableSize;
  /** `IP_VS_MH_TAB_BITS` = `CONFIG_IP_VS_MH_TAB_INDEX / 2`, for the weight shift. */
  private readonly tabBits: number;
  /** Slot → server handle, -1 for an empty slot (`s->lookup[i].dest`). */
  private readonly lookup: Int32Array;
  private readonly fallback: boolean;
  private readonly usePort: boolean;

  /** @param options - flags (`mh-fallback`, `mh-port`), `tableSize`, initial servers */
  constructor(options?: SchedulerOptions<'mh'>) {
    super('mh', checkOptions(options), ['mh-fallback', 'mh-port']);
    this.tableSize = options?.tableSize ?? DEFAULT_SIZE;
    this.tabBits = Math.floor((PRIMES.indexOf(this.tableSize) + 8) / 2);
    this.lookup = new Int32Array(this.tableSize).fill(-1);
    this.fallback = this.hasFlag('mh-fallback', 'flag-1');
    this.usePort = this.hasFlag('mh-port', 'flag-2');
    this.reassign(); // ip_vs_mh_init_svc
  }

  /** Refuses (changing nothing) when the table has no slot left for one more server (kernel: -EINVAL). */
  override add(server: RealServerSpec): ServerHandle {
    if (this.size + 1 > this.tableSize) {
      throw new LvsError(
        'SCHED_TOO_MANY_SERVERS',
        `mh: ${this.size + 1} real servers do not fit a lookup table of ${this.tableSize} slots`,
      );
    }
    return super.add(server);
  }

  /** The server a lookup-table slot holds, or {@link NO_SERVER}; for inspection and tests. */
  slot(index: number): ServerHandle {
    const h = this.lookup[index];
    return h === undefined || h < 0 ? NO_SERVER : h;
  }

  /** The slot a client address and port hash to (`ip_vs_mh_hashkey(…, hash1, 0) % M`). */
  slotOf(flow: Flow): number {
    return hashKey(fold(flow.family, flow.saddr), this.portOf(flow), HASH1, 0, this.tableSize);
  }

  /** `ip_vs_mh_get_port`: the source port for TCP/UDP/SCTP when `mh-port` is set, else 0. */
  private portOf(flow: Flow): number {
    if (!this.usePort) return 0;
    const p = flow.protocol;
    return p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP ? flow.sport : 0;
  }

  /** `is_unavailable`: weight ≤ 0 or OVERLOAD. */
  private unavailable(h: number): boolean {
    return this.weight[h]! <= 0 || this.overloaded[h] === 1;
  }

  /** `ip_vs_mh_schedule` with `ip_vs_mh_get` / `ip_vs_mh_get_fallback`. */
  schedule(flow: Flow): ServerHandle {
    const m = this.tableSize;
    const addr = fold(flow.family, flow.saddr);
    const port = this.portOf(flow);
    const ihash = hashKey(addr, port, HASH1, 0, m);
    let h = this.lookup[ihash]!;
    if (h < 0) return NO_SERVER;
    if (!this.unavailable(h)) return h;
    if (!this.fallback) return NO_SERVER;
    for (let offset = 0; offset < m; offset++) {
      const roffset = (offset + ihash) % m;
      h = this.lookup[hashKey(addr, port, HASH1, roffset, m)]!;
      if (h < 0) break;
      if (!this.unavailable(h)) return h;
    }
    return NO_SERVER;
  }

  protected override onAdd(): void {
    this.reassign();
  }

  protected override onRemove(): void {
    this.reassign();
  }

  protected override onUpdate(): void {
    this.reassign();
  }

  /**
   * `ip_vs_mh_dest_changed`: gcd and shift of the `last_weight`s (`ip_vs_mh_gcd_weight`,
   * `ip_vs_mh_shift_weight`), then `ip_vs_mh_permutate` and `ip_vs_mh_populate`. Control path.
   */
  private reassign(): void {
    const m = this.tableSize;
    let g = 0;
    let maxWeight = 0;
    for (let h = this.head; h >= 0; h = this.next[h]!) {
      const w = this.lastWeight[h]!;
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > maxWeight) maxWeight = w;
    }
    if (g < 1) {
      // No server, or every last_weight is 0: ip_vs_mh_reset.
      this.lookup.fill(-1);
      return;
    }
    const shift = 32 - Math.clz32(Math.floor(maxWeight / g)) - this.tabBits; // fls(mw) - IP_VS_MH_TAB_BITS
    const rshift = Math.max(shift, 0);

    // ip_vs_mh_permutate, in list order.
    const n = this.size;
    const dest = new Int32Array(n);
    const perm = new Int32Array(n);
    const skip = new Int32Array(n);
    const turns = new Int32Array(n);
    let i = 0;
    for (let h = this.head; h >= 0; h = this.next[h]!, i++) {
      dest[i] = h;
      const f = this.addrFold[h]!;
      const p = this.port[h]!;
      perm[i] = hashKey(f, p, HASH1, 0, m);
      skip[i] = hashKey(f, p, HASH2, 0, m - 1) + 1;
      const lw = this.lastWeight[h]!;
      turns[i] = Math.floor(lw / g) >> rshift || (lw !== 0 ? 1 : 0);
    }

    // ip_vs_mh_populate: passes over the list until every slot is claimed; `turns` claims per server per pass.
    const taken = new Uint8Array(m);
    let filled = 0;
    let count = 0;
    while (filled < m) {
      for (i = 0; i < n; ) {
        if (turns[i]! < 1) {
          i++;
          continue;
        }
        let c = perm[i]!;
        while (taken[c] === 1) {
          c += skip[i]!;
          if (c >= m) c -= m;
        }
        perm[i] = c;
        taken[c] = 1;
        this.lookup[c] = dest[i]!;
        if (++filled === m) return;
        if (++count >= turns[i]!) {
          count = 0;
          i++;
        }
      }
    }
  }
}
