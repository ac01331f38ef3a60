/**
 * The O(log n) index behind the schedulers whose kernel code is one linear scan for the "best" real server (lc,
 * wlc, sed, nq, fo, ovf, and the WLC fallback of lblc/lblcr): a tournament tree over kernel list positions. Each
 * eligible server carries a rank `num / den`; a node holds the winner of its two children, and the right child wins
 * only when its rank is strictly lower (`num[r] * den[l] < num[l] * den[r]`, the kernel's strict
 * cross-multiplication), so ties go to the earlier list position exactly as the kernel's scan keeps its first
 * `least`. This works because every scan it replaces selects the first minimum of a total preorder. It owns the
 * tree and list positions; it must never decide eligibility or rank itself (subclasses do, in `rank`) and never
 * allocate in `best()` or in the connection/overload/update hooks.
 *
 * Numeric range: ranks and products are IEEE doubles. Products are exact while `num * den < 2^53`. With the
 * kernel's own inputs — overhead `(activeconns << 8) + inactconns` below 2^31 (activeconns < 2^23, beyond which
 * the kernel's `int` overflows) and weight ≤ 65535 — every product is below 2^47, so every compare equals the
 * kernel's `(__s64)` compare.
 */
import { ServerList } from './server-list.js';
import type { SchedulerName } from './types.js';

/**
 * Base class of the indexed schedulers. Subclasses implement {@link RankedServerList.rank}; `schedule()` is
 * then `this.best()`. Add and remove mark the tree stale (list positions shift); it is rebuilt in O(n) on the
 * next pick. Weight, OVERLOAD and connection changes update one leaf and its ancestors in O(log n).
 */
export abstract class RankedServerList<N extends SchedulerName> extends ServerList<N> {
  /** Rank numerator per handle (lower is better); written by `rank`. */
  protected num = new Float64Array(0);
  /** Rank denominator per handle (> 0); written by `rank`. */
  protected den = new Float64Array(0);
  /** Kernel list position per handle, valid while the tree is not stale. */
  private pos = new Int32Array(0);
  /** Implicit binary tree, 1-based; leaves at `[leaves, 2 * leaves)`; -1 = no eligible server below. */
  private tree = new Int32Array(2).fill(-1);
  private leaves = 1;
  private stale = true;

  /**
   * Writes `num[h]`/`den[h]` for server `h` and says whether it may be picked at all.
   * @param h - a handle of a server in the list
   */
  protected abstract rank(h: number): boolean;

  /** The winner over the whole list, or -1 (NO_SERVER). O(1) unless the list changed since the last pick. */
  protected best(): number {
    if (this.stale) this.rebuild();
    return this.tree[1]!;
  }

  private winner(l: number, r: number): number {
    if (r < 0) return l;
    if (l < 0) return r;
    return this.num[r]! * this.den[l]! < this.num[l]! * this.den[r]! ? r : l;
  }

  /** Rebuilds the tree from the list in O(n). Control path: may allocate. */
  private rebuild(): void {
    if (this.num.length < this.capacity) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(this.capacity);
        b.set(a);
        return b;
      };
      this.num = grow(this.num);
      this.den = grow(this.den);
      this.pos = new Int32Array(this.capacity);
    }
    let leaves = 1;
    while (leaves < this.size) leaves <<= 1;
    if (this.tree.length < 2 * leaves) this.tree = new Int32Array(2 * leaves);
    const t = this.tree;
    t.fill(-1);
    this.leaves = leaves;
    let i = 0;
    for (let h = this.head; h >= 0; h = this.next[h]!, i++) {
      this.pos[h] = i;
      t[leaves + i] = this.rank(h) ? h : -1;
    }
    for (let k = leaves - 1; k >= 1; k--) t[k] = this.winner(t[2 * k]!, t[2 * k + 1]!);
    this.stale = false;
  }

  /** Re-ranks one server and replays its path to the root in O(log n). */
  protected refresh(h: number): void {
    if (this.stale) return; // the next pick rebuilds everything anyway
    const t = this.tree;
    const num = this.num;
    const den = this.den;
    let k = this.leaves + this.pos[h]!;
    t[k] = this.rank(h) ? h : -1;
    // winner() inlined: the right child wins only when strictly better. A node whose winner stays the same
    // server, and that server is not `h` (whose rank changed), leaves every ancestor as it was: stop there.
    for (k >>= 1; k >= 1; k >>= 1) {
      const l = t[2 * k]!;
      const r = t[2 * k + 1]!;
      const w = r < 0 ? l : l < 0 ? r : num[r]! * den[l]! < num[l]! * den[r]! ? r : l;
      if (w === t[k] && w !== h) return;
      t[k] = w;
    }
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
  protected override onConnections(h: number): void {
    this.refresh(h);
  }
  protected override onOverload(h: number): void {
    this.refresh(h);
  }
}
