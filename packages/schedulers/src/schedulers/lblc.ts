/**
 * lblc — locality-based least connection, as net/netfilter/ipvs/ip_vs_lblc.c. Owns the destination-address →
 * real-server cache (see ../locality.ts for the table and its garbage collection). Must not read a clock:
 * `now` comes from the caller.
 */
import { type Flow, makeFlow } from '../address.js';
import { LocalityScheduler } from '../locality.js';
import { NO_SERVER, type SchedulerOptions, type ServerHandle } from '../types.js';

/**
 * Locality-based least connection: each destination (virtual) address keeps the server it was last sent to
 * while that server is available, has weight > 0 and is not `is_overloaded` (more active connections than
 * its weight while another server is under half its weight); otherwise weighted least connection picks a new
 * one and the cache follows. As in the kernel, the cached server is kept even when its OVERLOAD flag is set.
 * Entries idle longer than `expirationSeconds` go when {@link LocalityBasedLeastConnectionScheduler.expire}
 * runs (call it every 60 s).
 * @see net/netfilter/ipvs/ip_vs_lblc.c `ip_vs_lblc_schedule`
 */
export class LocalityBasedLeastConnectionScheduler extends LocalityScheduler<'lblc'> {
  private probe: Flow | undefined;

  /** @param options - flags (generic only), initial servers, `expirationSeconds` (sysctl `lblc_expiration`) */
  constructor(options?: SchedulerOptions<'lblc'>) {
    super('lblc', options);
  }

  /**
   * `ip_vs_lblc_schedule`.
   * @param flow - the flow; only its destination address is used
   * @param now - milliseconds on the caller's clock (0 when omitted)
   */
  schedule(flow: Flow, now = 0): ServerHandle {
    const e = this.findEntry(flow.family, flow.daddr);
    if (e >= 0) {
      this.entLastUse[e] = now;
      const d = this.entDest[e]!;
      // A removed server (in the kernel's trash) is not AVAILABLE; the OVERLOAD flag is not tested here.
      if (this.available[d] === 1 && this.weight[d]! > 0 && !this.isOverloaded(d)) return d;
    }
    const d = this.leastLoaded();
    if (d < 0) return NO_SERVER;
    // ip_vs_lblc_new: replacing the entry's server is a new entry with lastuse = now (set just above).
    // Index first: newEntry may grow (replace) the entry arrays.
    const entry = e >= 0 ? e : this.newEntry(flow.family, flow.daddr, now);
    this.entDest[entry] = d;
    return d;
  }

  /** The server cached for a destination address, or {@link NO_SERVER}; for inspection and tests. Allocates. */
  cachedServer(destination: string): ServerHandle {
    this.probe = makeFlow({ source: destination, destination }, this.probe);
    const e = this.findEntry(this.probe.family, this.probe.daddr);
    return e >= 0 ? this.entDest[e]! : NO_SERVER;
  }
}
