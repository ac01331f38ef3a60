/**
 * dh — destination hashing, as net/netfilter/ipvs/ip_vs_dh.c. Owns the 256-bucket table, assigned by cycling
 * through the list on add/delete only (weights ignored; the kernel has no `upd_dest` here, so a weight edit
 * does not rebuild). Must not look at connection counts and must never fall back to another server.
 */
import { type Flow, fold, hash32 } from '../address.js';
import { ServerList } from '../server-list.js';
import { NO_SERVER, type SchedulerOptions, type ServerHandle } from '../types.js';

/** `CONFIG_IP_VS_DH_TAB_BITS` (default 8, not in Kconfig). */
const TAB_BITS = 8;
/** `IP_VS_DH_TAB_SIZE`. */
const TAB_SIZE = 1 << TAB_BITS;

/**
 * Destination hashing: the virtual (destination) address picks one of 256 buckets,
 * `hash_32(addr_fold(daddr), 8)`, each holding a real server; weight 0, OVERLOAD or a removed server yield
 * no server (no fallback). Used for cache clusters where one destination should always reach one cache.
 * @see net/netfilter/ipvs/ip_vs_dh.c
 */
export class DestinationHashingScheduler extends ServerList<'dh'> {
  /** Bucket → server handle, -1 when the list is empty. */
  private readonly buckets = new Int32Array(TAB_SIZE).fill(-1);

  /** @param options - flags (generic only) and initial servers */
  constructor(options?: SchedulerOptions<'dh'>) {
    super('dh', options, []);
    this.reassign(); // ip_vs_dh_init_svc
  }

  /** The server a bucket holds, or {@link NO_SERVER}; for inspection and tests. */
  bucket(index: number): ServerHandle {
    const h = this.buckets[index];
    return h === undefined || h < 0 ? NO_SERVER : h;
  }

  /** `ip_vs_dh_schedule`: the bucket's server unless missing, not AVAILABLE, weight ≤ 0 or OVERLOADed. */
  schedule(flow: Flow): ServerHandle {
    const h = this.buckets[hash32(fold(flow.family, flow.daddr), TAB_BITS)]!;
    if (h < 0 || this.available[h] !== 1 || this.weight[h]! <= 0 || this.overloaded[h] === 1) return NO_SERVER;
    return h;
  }

  protected override onAdd(): void {
    this.reassign();
  }

  protected override onRemove(): void {
    this.reassign();
  }

  /** `ip_vs_dh_reassign`: bucket i ← the i-th server cycling through the list. */
  private reassign(): void {
    let h = this.head;
    for (let i = 0; i < TAB_SIZE; i++) {
      if (h < 0) h = this.head;
      this.buckets[i] = h;
      if (h >= 0) h = this.next[h]!;
    }
  }
}
