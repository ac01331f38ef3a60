/**
 * wrr — weighted round robin, as net/netfilter/ipvs/ip_vs_wrr.c. Owns the kernel's `ip_vs_wrr_mark`
 * (`cl`, `cw`, `mw`, `di`) and recomputes it on every add, delete and edit exactly as `ip_vs_wrr_dest_changed`
 * does. Must never look at connection counts, and never allocate in `schedule`.
 */
import type { Flow } from '../address.js';
import { ServerList } from '../server-list.js';
import { NO_SERVER, type SchedulerOptions, type ServerHandle } from '../types.js';

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/**
 * Interleaved weighted round robin. Passes run with a required weight `cw = mw, mw - di, …, 1` where
 * `di` = gcd of the positive weights and `mw = max weight - (di - 1)`; in each pass the servers with
 * `weight >= cw` that are not OVERLOADed are chosen in kernel list order.
 *
 * The start state depends on history, as in the kernel: servers present when the scheduler is created
 * (`options.servers`, kernel `init_service`) start with `cw = mw` (weights 4,3,2 → `AABABCABC…`), while a
 * service built empty and then filled with `add()` keeps `cw = 1` from the first add (→ `ABC` first, then
 * `AABABCABC…`).
 * @see net/netfilter/ipvs/ip_vs_wrr.c `ip_vs_wrr_init_svc`, `ip_vs_wrr_dest_changed`, `ip_vs_wrr_schedule`
 */
export class WeightedRoundRobinScheduler extends ServerList<'wrr'> {
  /** `mark->cl`: the last chosen server, or -1 for the list head itself. */
  private cl = -1;
  /** `mark->cw`: current required weight. */
  private cw = 0;
  /** `mark->mw`: max weight reduced by `di - 1`. */
  private mw = 0;
  /** `mark->di`: the decreasing interval, gcd of positive weights (1 when none). */
  private di = 1;

  /** @param options - flags and initial servers (kernel order, head first) */
  constructor(options?: SchedulerOptions<'wrr'>) {
    super('wrr', options, []);
    // ip_vs_wrr_init_svc
    this.computeWeights();
    this.cw = this.mw;
  }

  /** `ip_vs_wrr_gcd_weight` and `ip_vs_wrr_max_weight`; sets `cl` to the head as both callers do. */
  private computeWeights(): void {
    let g = 0;
    let max = 0;
    for (let h = this.head; h >= 0; h = this.next[h]!) {
      const w = this.weight[h]!;
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > max) max = w;
    }
    this.cl = -1;
    this.di = g > 0 ? g : 1;
    this.mw = max - (this.di - 1);
  }

  /** `ip_vs_wrr_dest_changed`, the kernel's add_dest, del_dest and upd_dest hook. */
  private destChanged(): void {
    this.computeWeights();
    if (this.cw > this.mw || this.cw === 0) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }

  protected override onAdd(_h: number): void {
    this.destChanged();
  }
  protected override onRemove(_h: number, _prevOfRemoved: number): void {
    this.destChanged();
  }
  protected override onUpdate(_h: number): void {
    this.destChanged();
  }

  schedule(_flow: Flow): ServerHandle {
    // ip_vs_wrr_schedule, step for step. `d` = -1 stands for the list head (`&svc->destinations`).
    let d = this.cl;
    if (this.mw === 0) return NO_SERVER; // err_noavail: cl stays where it was
    const last = d;
    let stop = -2; // no stop marker yet (-1 is the head, which the inner walk never visits)
    let lastPass = false;
    let restarted = false;
    for (;;) {
      // list_for_each_entry_continue: from the entry after `d` to the end of the list.
      for (d = d < 0 ? this.head : this.next[d]!; d >= 0; d = this.next[d]!) {
        if (this.overloaded[d] === 0 && this.weight[d]! >= this.cw) {
          this.cl = d;
          return d;
        }
        if (d === stop) {
          this.cl = d; // err_over
          return NO_SERVER;
        }
      }
      // The walk ended on the head.
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        // Stop if the last pass already covered every server, or the walk started from the head.
        if (lastPass || last < 0) {
          this.cl = -1; // err_over with dest = head
          return NO_SERVER;
        }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      // The first traversal for w >= 1 covered only servers after `last`; now cover those up to it.
      if (lastPass && restarted && last >= 0) stop = last;
    }
  }
}
