/**
 * lc — least connection, as net/netfilter/ipvs/ip_vs_lc.c. Owns only the rank it gives each server; the
 * O(log n) index is {@link RankedServerList}. Must never look at weights beyond "0 = quiesced".
 */
import type { Flow } from '../address.js';
import { RankedServerList } from '../ranked-list.js';
import type { SchedulerOptions, ServerHandle } from '../types.js';

/**
 * Picks the server with the least `(activeconns << 8) + inactconns`, skipping OVERLOADed and weight-0 servers;
 * ties go to the first in kernel list order (the scan replaces its `least` only when `doh < loh`).
 * @see net/netfilter/ipvs/ip_vs_lc.c `ip_vs_lc_schedule`; include/net/ip_vs.h `ip_vs_dest_conn_overhead`
 */
export class LeastConnectionScheduler extends RankedServerList<'lc'> {
  /** @param options - flags and initial servers (kernel order, head first) */
  constructor(options?: SchedulerOptions<'lc'>) {
    super('lc', options, []);
  }

  protected rank(h: number): boolean {
    if (this.overloaded[h] === 1 || this.weight[h] === 0) return false;
    // ip_vs_dest_conn_overhead: activeconns * 256 + inactconns (the `<<5` in ip_vs_lc.c's comment is stale).
    this.num[h] = this.active[h]! * 256 + this.inactive[h]!;
    this.den[h] = 1;
    return true;
  }

  schedule(_flow: Flow): ServerHandle {
    return this.best();
  }
}
