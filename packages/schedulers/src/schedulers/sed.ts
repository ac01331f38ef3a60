/**
 * sed — shortest expected delay, as net/netfilter/ipvs/ip_vs_sed.c. Owns only the rank it gives each server;
 * the O(log n) index is {@link RankedServerList}. Must never count inactive connections.
 */
import type { Flow } from '../address.js';
import { RankedServerList } from '../ranked-list.js';
import type { SchedulerOptions, ServerHandle } from '../types.js';

/**
 * Picks the server with the least `(activeconns + 1) / weight`, skipping OVERLOADed servers; the same two-stage
 * scan as wlc (first non-OVERLOADed weight > 0 server, then strict `loh * w_d > doh * w_least`), so ties go to
 * the first in list order and weight 0 never wins.
 * @see net/netfilter/ipvs/ip_vs_sed.c `ip_vs_sed_schedule`, `ip_vs_sed_dest_overhead`
 */
export class ShortestExpectedDelayScheduler extends RankedServerList<'sed'> {
  /** @param options - flags and initial servers (kernel order, head first) */
  constructor(options?: SchedulerOptions<'sed'>) {
    super('sed', options, []);
  }

  protected rank(h: number): boolean {
    const w = this.weight[h]!;
    if (this.overloaded[h] === 1 || w <= 0) return false;
    this.num[h] = this.active[h]! + 1;
    this.den[h] = w;
    return true;
  }

  schedule(_flow: Flow): ServerHandle {
    return this.best();
  }
}
