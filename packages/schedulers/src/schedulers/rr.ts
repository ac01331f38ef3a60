/**
 * rr — round robin, as net/netfilter/ipvs/ip_vs_rr.c. Owns the pointer to the last chosen server; must not
 * look at connection counts.
 */
import type { Flow } from '../address.js';
import { ServerList } from '../server-list.js';
import { NO_SERVER, type SchedulerOptions, type ServerHandle } from '../types.js';

/**
 * Round robin over the servers in kernel list order, skipping weight 0 and OVERLOADed servers.
 * @see net/netfilter/ipvs/ip_vs_rr.c `ip_vs_rr_schedule`, `ip_vs_rr_del_dest`
 */
export class RoundRobinScheduler extends ServerList<'rr'> {
  /** Last chosen server; -1 is the list head itself (kernel: `sched_data = &svc->destinations`). */
  private last = -1;

  /** @param options - flags and initial servers */
  constructor(options?: SchedulerOptions<'rr'>) {
    super('rr', options, []);
  }

  schedule(_flow: Flow): ServerHandle {
    // Walk from the entry after `last`, wrapping through the head once; `last` itself is examined last.
    const start = this.last;
    let h = start < 0 ? this.head : this.next[start]!;
    for (let i = 0; i <= this.size; i++) {
      if (h < 0) {
        // Passing the list head: the walk ends there when it started there.
        if (start < 0) break;
        h = this.head;
        if (h < 0) break;
      }
      if (this.weight[h]! > 0 && this.overloaded[h] === 0) {
        this.last = h;
        return h;
      }
      if (h === start) break;
      h = this.next[h]!;
    }
    return NO_SERVER;
  }

  /** Kernel: if the pointer is on the removed server, move it to the previous entry (or the head). */
  protected override onRemove(h: number, prevOfRemoved: number): void {
    if (this.last === h) this.last = prevOfRemoved;
  }
}
