/**
 * wlc — weighted least connection (the IPVS default), as net/netfilter/ipvs/ip_vs_wlc.c. Owns only the rank it
 * gives each server; the O(log n) index is {@link RankedServerList}. Must never pick a weight-0 server.
 */
import type { Flow } from '../address.js';
import { RankedServerList } from '../ranked-list.js';
import type { SchedulerOptions, ServerHandle } from '../types.js';

/**
 * Picks the server with the least `overhead / weight`, overhead = `(activeconns << 8) + inactconns`, skipping
 * OVERLOADed servers. The kernel takes the first non-OVERLOADed server with weight > 0 as `least`, then replaces
 * it only when `loh * w_d > doh * w_least` (strict), so ties go to the first in list order and a weight-0
 * server can never win (its side of the compare is 0): excluding weight 0 from the index is the same answer.
 * @see net/netfilter/ipvs/ip_vs_wlc.c `ip_vs_wlc_schedule`; include/net/ip_vs.h `ip_vs_dest_conn_overhead`
 */
export class WeightedLeastConnectionScheduler extends RankedServerList<'wlc'> {
  /** @param options - flags and initial servers (kernel order, head first) */
  constructor(options?: SchedulerOptions<'wlc'>) {
    super('wlc', options, []);
  }

  protected rank(h: number): boolean {
    const w = this.weight[h]!;
    if (this.overloaded[h] === 1 || w <= 0) return false;
    this.num[h] = this.active[h]! * 256 + this.inactive[h]!;
    this.den[h] = w;
    return true;
  }

  schedule(_flow: Flow): ServerHandle {
    return this.best();
  }
}
