/**
 * sh — source hashing, as net/netfilter/ipvs/ip_vs_sh.c. Owns the 256-bucket table, tiled by weight and
 * rebuilt on every add/delete/edit, and the lookup by client address (and port with `sh-port`). Must not
 * look at connection counts.
 */
import { type Flow, fold, hash32, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../address.js';
import { ServerList } from '../server-list.js';
import { NO_SERVER, type SchedulerOptions, type ServerHandle } from '../types.js';

/** `CONFIG_IP_VS_SH_TAB_BITS` (Kconfig default 8). */
const TAB_BITS = 8;
/** `IP_VS_SH_TAB_SIZE`. */
const TAB_SIZE = 1 << TAB_BITS;
/** `IP_VS_SH_TAB_MASK`. */
const TAB_MASK = TAB_SIZE - 1;

/**
 * Source hashing: 256 buckets, each naming a real server; bucket = `hash_32(sport + addr_fold(saddr), 8)`.
 * Buckets are assigned walking the list, a server taking `weight` consecutive buckets (at least one, so a
 * weight-0 server still holds buckets but is never returned). An unavailable server (weight 0 or OVERLOAD)
 * yields no server, or with `sh-fallback` the next available one along the table.
 * @see net/netfilter/ipvs/ip_vs_sh.c
 */
export class SourceHashingScheduler extends ServerList<'sh'> {
  /** Bucket → server handle, -1 when the list is empty. */
  private readonly buckets = new Int32Array(TAB_SIZE).fill(-1);
  private readonly fallback: boolean;
  private readonly usePort: boolean;

  /** @param options - flags (`sh-fallback`, `sh-port`) and initial servers */
  constructor(options?: SchedulerOptions<'sh'>) {
    super('sh', options, ['sh-fallback', 'sh-port']);
    this.fallback = this.hasFlag('sh-fallback', 'flag-1');
    this.usePort = this.hasFlag('sh-port', 'flag-2');
    this.reassign(); // ip_vs_sh_init_svc
  }

  /** The server a bucket holds, or {@link NO_SERVER}; for inspection and tests. */
  bucket(index: number): ServerHandle {
    const h = this.buckets[index];
    return h === undefined || h < 0 ? NO_SERVER : h;
  }

  /** `ip_vs_sh_get_port`: the source port for TCP/UDP/SCTP when `sh-port` is set, else 0. */
  private portOf(flow: Flow): number {
    if (!this.usePort) return 0;
    const p = flow.protocol;
    return p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP ? flow.sport : 0;
  }

  /** `is_unavailable`: weight ≤ 0 or OVERLOAD. */
  private unavailable(h: number): boolean {
    return this.weight[h]! <= 0 || this.overloaded[h] === 1;
  }

  /** `ip_vs_sh_schedule` with `ip_vs_sh_get` / `ip_vs_sh_get_fallback`. */
  schedule(flow: Flow): ServerHandle {
    // ip_vs_sh_hashkey(offset) = (offset + hash_32(ntohs(port) + ntohl(addr_fold), 8)) & mask
    const base = hash32((this.portOf(flow) + fold(flow.family, flow.saddr)) >>> 0, TAB_BITS);
    const ihash = base & TAB_MASK;
    let h = this.buckets[ihash]!;
    if (h < 0) return NO_SERVER;
    if (!this.unavailable(h)) return h;
    if (!this.fallback) return NO_SERVER;
    for (let offset = 0; offset < TAB_SIZE; offset++) {
      const roffset = (offset + ihash) % TAB_SIZE;
      h = this.buckets[(roffset + base) & TAB_MASK]!;
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

  /** `ip_vs_sh_reassign`: walk the buckets, moving to the next server once it has filled `weight` buckets. */
  private reassign(): void {
    let h = this.head;
    if (h < 0) {
      this.buckets.fill(-1);
      return;
    }
    let count = 0;
    for (let i = 0; i < TAB_SIZE; i++) {
      this.buckets[i] = h;
      if (++count >= this.weight[h]!) {
        count = 0;
        h = this.next[h]!;
        if (h < 0) h = this.head; // passing the list head wraps to the first server
      }
    }
  }
}
