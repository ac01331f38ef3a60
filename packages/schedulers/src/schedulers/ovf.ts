/**
 * ovf — weighted overflow, as net/netfilter/ipvs/ip_vs_ovf.c. Owns only the rank it gives each server; the
 * O(log n) index is {@link RankedServerList}. Must never count inactive connections.
 */
import type { Flow } from '../address.js';
import { RankedServerList } from '../ranked-list.js';
import type { SchedulerOptions, ServerHandle } from '../types.js';

/**
 * Sends new connections to the highest-weight server until its active connections exceed its weight, then
 * overflows to the next. Skips OVERLOAD, `activeconns > weight` and weight 0; the scan replaces its choice only
 * when `w > hw`, so ties go to the first in list order. Ranked as `-weight` (lower is better). Only active
 * connections count, so (as the kernel notes) it suits UDP poorly: UDP flows are always inactive.
 * @see net/netfilter/ipvs/ip_vs_ovf.c `ip_vs_ovf_schedule`
 */
export class WeightedOverflowScheduler extends RankedServerList<'ovf'> {
  /** @param options - flags and initial servers (kernel order, head first) */
  constructor(options?: SchedulerOptions<'ovf'>) {
    super('ovf', options, []);
  }

  protected rank(h: number): boolean {
    const w = this.weight[h]!;
    if (this.overloaded[h] === 1 || this.active[h]! > w || w === 0) return false;
    this.num[h] = -w;
    this.den[h] = 1;
    return true;
  }

  schedule(_flow: Flow): ServerHandle {
    return this.best();
  }
}
