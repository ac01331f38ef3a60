/**
 * lblcr — locality-based least connection with replication, as net/netfilter/ipvs/ip_vs_lblcr.c. Owns the
 * destination-address → server-set table (sets kept as linked elements in typed arrays, newest first as the
 * kernel's `list_add_rcu`); the table and its garbage collection are in ../locality.ts. Must not read a
 * clock: `now` comes from the caller.
 */
import { type Flow, makeFlow } from '../address.js';
import { LocalityScheduler } from '../locality.js';
import { NO_SERVER, type SchedulerOptions, type ServerHandle } from '../types.js';

/**
 * Locality-based least connection with replication: each destination address keeps a set of servers. A new
 * flow goes to the weighted-least-loaded available member; when that member is missing or `is_overloaded`,
 * weighted least connection over all servers picks one and it joins the set. A set of more than one server
 * that has not changed for `expirationSeconds` loses its most loaded member (one per pick). Idle entries go
 * when {@link LocalityBasedLeastConnectionReplicationScheduler.expire} runs (call it every 60 s).
 * @see net/netfilter/ipvs/ip_vs_lblcr.c `ip_vs_lblcr_schedule`
 */
export class LocalityBasedLeastConnectionReplicationScheduler extends LocalityScheduler<'lblcr'> {
  /** `set.size` per entry. */
  private setSize = new Int32Array(0);
  /** `set.lastmod` per entry, ms. */
  private setLastMod = new Float64Array(0);
  /** Set element → next element, -1 at the end (or next free element). */
  private elemNext = new Int32Array(0);
  /** Set element → server handle. */
  private elemDest = new Int32Array(0);
  private elemUsed = 0;
  private freeElem = -1;
  private probe: Flow | undefined;

  /** @param options - flags (generic only), initial servers, `expirationSeconds` (sysctl `lblcr_expiration`) */
  constructor(options?: SchedulerOptions<'lblcr'>) {
    super('lblcr', options);
  }

  /**
   * `ip_vs_lblcr_schedule`.
   * @param flow - the flow; only its destination address is used
   * @param now - milliseconds on the caller's clock (0 when omitted)
   */
  schedule(flow: Flow, now = 0): ServerHandle {
    let e = this.findEntry(flow.family, flow.daddr);
    if (e >= 0) {
      this.entLastUse[e] = now;
      const d = this.setMin(e);
      // More than one server and unchanged for the expiration: drop the most loaded (time_after: strictly).
      if (this.setSize[e]! > 1 && now > this.setLastMod[e]! + this.expirationMs) {
        const m = this.setMax(e);
        if (m >= 0) this.erase(e, m, now);
      }
      if (d >= 0 && !this.isOverloaded(d)) return d;
      const n = this.leastLoaded();
      if (n < 0) return NO_SERVER;
      this.insert(e, n, true, now);
      return n;
    }
    const d = this.leastLoaded();
    if (d < 0) return NO_SERVER;
    e = this.newEntry(flow.family, flow.daddr, now);
    this.setSize[e] = 0;
    this.insert(e, d, false, now);
    return d;
  }

  /** The server set of a destination address, newest member first; empty when none. For inspection. */
  serverSet(destination: string): ServerHandle[] {
    this.probe = makeFlow({ source: destination, destination }, this.probe);
    const e = this.findEntry(this.probe.family, this.probe.daddr);
    const out: ServerHandle[] = [];
    if (e >= 0) for (let x = this.entDest[e]!; x >= 0; x = this.elemNext[x]!) out.push(this.elemDest[x]!);
    return out;
  }

  /**
   * `ip_vs_dest_set_min`: the first member not OVERLOADed with weight > 0 that is AVAILABLE, then any later
   * non-OVERLOADed AVAILABLE member with `loh * w_d > doh * w_least`. -1 when none.
   */
  private setMin(e: number): number {
    let x = this.entDest[e]!;
    let least = -1;
    for (; x >= 0; x = this.elemNext[x]!) {
      const d = this.elemDest[x]!;
      if (this.overloaded[d] === 1) continue;
      if (this.weight[d]! > 0 && this.available[d] === 1) {
        least = d;
        break;
      }
    }
    if (least < 0) return -1;
    let loh = this.overhead(least);
    for (x = this.elemNext[x]!; x >= 0; x = this.elemNext[x]!) {
      const d = this.elemDest[x]!;
      if (this.overloaded[d] === 1) continue;
      const doh = this.overhead(d);
      if (loh * this.weight[d]! > doh * this.weight[least]! && this.available[d] === 1) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }

  /**
   * `ip_vs_dest_set_max`: the first member with weight > 0, then any later member with weight > 0 and
   * `moh * w_d < doh * w_most`. OVERLOAD and AVAILABLE play no part. -1 when none.
   */
  private setMax(e: number): number {
    let x = this.entDest[e]!;
    let most = -1;
    for (; x >= 0; x = this.elemNext[x]!) {
      if (this.weight[this.elemDest[x]!]! > 0) {
        most = this.elemDest[x]!;
        break;
      }
    }
    if (most < 0) return -1;
    let moh = this.overhead(most);
    for (x = this.elemNext[x]!; x >= 0; x = this.elemNext[x]!) {
      const d = this.elemDest[x]!;
      const doh = this.overhead(d);
      if (moh * this.weight[d]! < doh * this.weight[most]! && this.weight[d]! > 0) {
        most = d;
        moh = doh;
      }
    }
    return most;
  }

  /** `ip_vs_dest_set_insert`: at the head of the set, unless `check` finds it there; `lastmod = now`. */
  private insert(e: number, d: number, check: boolean, now: number): void {
    if (check) {
      for (let x = this.entDest[e]!; x >= 0; x = this.elemNext[x]!) if (this.elemDest[x] === d) return;
    }
    let x = this.freeElem;
    if (x >= 0) this.freeElem = this.elemNext[x]!;
    else {
      if (this.elemUsed === this.elemDest.length) {
        const cap = Math.max(64, this.elemDest.length * 2);
        const n = new Int32Array(cap);
        n.set(this.elemNext);
        this.elemNext = n;
        const dd = new Int32Array(cap);
        dd.set(this.elemDest);
        this.elemDest = dd;
      }
      x = this.elemUsed++;
    }
    this.elemDest[x] = d;
    this.elemNext[x] = this.entDest[e]!;
    this.entDest[e] = x;
    this.setSize[e] = this.setSize[e]! + 1;
    this.setLastMod[e] = now;
  }

  /** `ip_vs_dest_set_erase`: removes `d` from the set; `lastmod = now`. */
  private erase(e: number, d: number, now: number): void {
    let prev = -1;
    for (let x = this.entDest[e]!; x >= 0; prev = x, x = this.elemNext[x]!) {
      if (this.elemDest[x] !== d) continue;
      this.setSize[e] = this.setSize[e]! - 1;
      this.setLastMod[e] = now;
      if (prev < 0) this.entDest[e] = this.elemNext[x]!;
      else this.elemNext[prev] = this.elemNext[x]!;
      this.elemNext[x] = this.freeElem;
      this.freeElem = x;
      return;
    }
  }

  protected override growPayload(capacity: number): void {
    const s = new Int32Array(capacity);
    s.set(this.setSize);
    this.setSize = s;
    const m = new Float64Array(capacity);
    m.set(this.setLastMod);
    this.setLastMod = m;
  }

  /** `ip_vs_dest_set_eraseall`. */
  protected override freePayload(e: number): void {
    let x = this.entDest[e]!;
    while (x >= 0) {
      const n = this.elemNext[x]!;
      this.elemNext[x] = this.freeElem;
      this.freeElem = x;
      x = n;
    }
    this.entDest[e] = -1;
    this.setSize[e] = 0;
  }
}
