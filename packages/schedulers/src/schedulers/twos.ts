/**
 * twos — power of two choices, as net/netfilter/ipvs/ip_vs_twos.c. Owns a Fenwick tree of the eligible weights
 * over kernel list positions so that the kernel's two weighted draws cost O(log n) instead of a list walk, and
 * the injected random source. Must never call the random source when no server is eligible (the kernel returns
 * before drawing), and never allocate in `schedule`.
 */

import { LvsError } from '@lvskit/base';
import type { Flow } from '../address.js';
import { ServerList } from '../server-list.js';
import { NO_SERVER, type SchedulerOptions, type ServerHandle } from '../types.js';

const defaultRandom = (bound: number): number => Math.floor(Math.random() * bound);

/**
 * Draws two servers with probability by weight and keeps the one with the lower overhead per weight.
 *
 * Kernel: `total = Σ weight` over servers not OVERLOADed with weight > 0; `r1, r2` uniform in `[0, total]`
 * (`get_random_u32_below(total + 1)`, older kernels `prandom_u32() % (total + 1)`), drawn in that order; walking
 * the list and subtracting weights, choice k is the first server where `r_k <= 0`, i.e. the first whose running
 * weight sum reaches `max(r_k, 1)` (so the first eligible server is drawn with probability `(w + 1)/(total + 1)`).
 * Returns choice2 iff `weight2 * overhead1 > weight1 * overhead2`, computed like the kernel in 32-bit `int`
 * arithmetic (it wraps; the kernel is built with -fno-strict-overflow), overhead = `(active << 8) + inactive`.
 * @see net/netfilter/ipvs/ip_vs_twos.c `ip_vs_twos_schedule`; include/net/ip_vs.h `ip_vs_dest_conn_overhead`
 */
export class PowerOfTwoChoicesScheduler extends ServerList<'twos'> {
  private readonly random: (bound: number) => number;
  /** Fenwick tree (1-based) of eligible weight per list position. */
  private fw = new Float64Array(1);
  /** Handle at each list position. */
  private order = new Int32Array(0);
  /** List position per handle. */
  private pos = new Int32Array(0);
  /** Weight each position currently contributes (0 when not eligible). */
  private contrib = new Float64Array(0);
  private total = 0;
  private topBit = 0;
  private stale = true;

  /** @param options - flags, initial servers (kernel order, head first) and `random(bound)` → `[0, bound)` */
  constructor(options?: SchedulerOptions<'twos'>) {
    super('twos', options, []);
    this.random = options?.random ?? defaultRandom;
  }

  private eligibleWeight(h: number): number {
    const w = this.weight[h]!;
    return this.overloaded[h] === 0 && w > 0 ? w : 0;
  }

  /** O(n) rebuild after add/remove (list positions shift). Control path: may allocate. */
  private rebuild(): void {
    const n = this.size;
    if (this.fw.length < n + 1) {
      this.fw = new Float64Array(n + 1);
      this.order = new Int32Array(n);
      this.contrib = new Float64Array(n);
    }
    if (this.pos.length < this.capacity) this.pos = new Int32Array(this.capacity);
    const fw = this.fw;
    fw.fill(0);
    this.total = 0;
    let i = 0;
    for (let h = this.head; h >= 0; h = this.next[h]!, i++) {
      this.order[i] = h;
      this.pos[h] = i;
      const w = this.eligibleWeight(h);
      this.contrib[i] = w;
      this.total += w;
      fw[i + 1] = w;
    }
    // Linear-time Fenwick construction: push each node's sum to its parent.
    for (let k = 1; k <= n; k++) {
      const parent = k + (k & -k);
      if (parent <= n) fw[parent]! += fw[k]!;
    }
    let top = 1;
    while (top * 2 <= n) top *= 2;
    this.topBit = n > 0 ? top : 0;
    this.stale = false;
  }

  private refresh(h: number): void {
    if (this.stale) return;
    const i = this.pos[h]!;
    const w = this.eligibleWeight(h);
    const delta = w - this.contrib[i]!;
    if (delta === 0) return;
    this.contrib[i] = w;
    this.total += delta;
    const n = this.size;
    for (let k = i + 1; k <= n; k += k & -k) this.fw[k]! += delta;
  }

  /** The handle at the first list position whose running eligible-weight sum is ≥ `target` (1..total). */
  private find(target: number): number {
    const fw = this.fw;
    const n = this.size;
    let p = 0;
    let rem = target;
    for (let step = this.topBit; step > 0; step >>= 1) {
      const q = p + step;
      if (q <= n && fw[q]! < rem) {
        p = q;
        rem -= fw[q]!;
      }
    }
    return this.order[p]!; // position p (0-based) is the first reaching the target
  }

  protected override onAdd(_h: number): void {
    this.stale = true;
  }
  protected override onRemove(_h: number, _prevOfRemoved: number): void {
    this.stale = true;
  }
  protected override onUpdate(h: number): void {
    this.refresh(h);
  }
  protected override onOverload(h: number): void {
    this.refresh(h);
  }

  schedule(_flow: Flow): ServerHandle {
    if (this.stale) this.rebuild();
    const total = this.total;
    if (total === 0) return NO_SERVER;
    const r1 = this.random(total + 1);
    const r2 = this.random(total + 1);
    if (!(r1 >= 0 && r1 <= total && Math.floor(r1) === r1 && r2 >= 0 && r2 <= total && Math.floor(r2) === r2)) {
      throw new LvsError('INVALID_ARGUMENT', `twos: random(${total + 1}) must return an integer in [0, ${total + 1})`);
    }
    const c1 = this.find(r1 > 0 ? r1 : 1);
    const c2 = this.find(r2 > 0 ? r2 : 1);
    const w1 = this.weight[c1]!;
    const w2 = this.weight[c2]!;
    const oh1 = ((this.active[c1]! << 8) + this.inactive[c1]!) | 0;
    const oh2 = ((this.active[c2]! << 8) + this.inactive[c2]!) | 0;
    return Math.imul(w2, oh1) > Math.imul(w1, oh2) ? c2 : c1;
  }
}
