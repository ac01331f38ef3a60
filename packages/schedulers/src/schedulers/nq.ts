/**
 * nq — never queue, as net/netfilter/ipvs/ip_vs_nq.c. Owns only the rank it gives each server; the O(log n)
 * index is {@link RankedServerList}. Must never count inactive connections.
 */
import type { Flow } from '../address.js';
import { RankedServerList } from '../ranked-list.js';
import type { SchedulerOptions, ServerHandle } from '../types.js';

/**
 * Picks the first idle server (activeconns == 0, inactive ignored) in kernel list order; when none is idle,
 * the sed rule (least `(activeconns + 1) / weight`, ties to the first). OVERLOADed and weight-0 servers are
 * skipped. The kernel does this in one scan that returns at the first idle server; ranking idle servers 0 and
 * busy ones `(active + 1) / weight` (≥ 1/65535 > 0) gives the same answer as one total preorder.
 * @see net/netfilter/ipvs/ip_vs_nq.c `ip_vs_nq_schedule`, `ip_vs_nq_dest_overhead`
 */
export class NeverQueueScheduler extends RankedServerList<'nq'> {
  /** @param options - flags and initial servers (kernel order, head first) */
  constructor(options?: SchedulerOptions<'nq'>) {
    super('nq', options, []);
  }

  protected rank(h: number): boolean {
    const w = this.weight[h]!;
    if (this.overloaded[h] === 1 || w === 0) return false;
    const a = this.active[h]!;
    this.num[h] = a === 0 ? 0 : a + 1;
    this.den[h] = w;
    return true;
  }

  schedule(_flow: Flow): ServerHandle {
    return this.best();
  }
}
