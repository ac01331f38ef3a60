/**
 * fo — weighted failover, as net/netfilter/ipvs/ip_vs_fo.c. Owns only the rank it gives each server; the
 * O(log n) index is {@link RankedServerList}. Must never look at connection counts.
 */
import type { Flow } from '../address.js';
import { RankedServerList } from '../ranked-list.js';
import type { SchedulerOptions, ServerHandle } from '../types.js';

/**
 * Sends every new connection to the non-OVERLOADed server with the highest weight; the kernel's scan replaces
 * its choice only when `weight > hw` (hw starts at 0), so ties go to the first in list order and weight 0 never
 * wins. Ranked as `-weight` (lower is better).
 * @see net/netfilter/ipvs/ip_vs_fo.c `ip_vs_fo_schedule`
 */
export class WeightedFailoverScheduler extends RankedServerList<'fo'> {
  /** @param options - flags and initial servers (kernel order, head first) */
  constructor(options?: SchedulerOptions<'fo'>) {
    super('fo', options, []);
  }

  protected rank(h: number): boolean {
    const w = this.weight[h]!;
    if (this.overloaded[h] === 1 || w <= 0) return false;
    this.num[h] = -w;
    this.den[h] = 1;
    return true;
  }

  /** fo ignores connection counts: nothing to re-rank. */
  protected override onConnections(_h: number): void {}

  schedule(_flow: Flow): ServerHandle {
    return this.best();
  }
}
