/**
 * Counters and the rate estimator of one stats object (a real server, a virtual service, or the total):
 * the kernel's u64 counters with a zero point for `ipvsadm -Z`, and the 2-second EWMA with its exact
 * integer arithmetic. Owns arithmetic only; must never read a clock (the caller ticks it every 2 s).
 * @see net/netfilter/ipvs/ip_vs_est.c, ip_vs_ctl.c `ip_vs_zero_stats`
 */

/** Counters and estimator state. Fields are plain numbers (exact to 2^53). */
export class Stats {
  /** Connections scheduled (`conns`). */
  conns = 0;
  /** Packets in (client → real server). */
  inpkts = 0;
  /** Packets out (real server → client, NAT only). */
  outpkts = 0;
  /** Bytes in. */
  inbytes = 0;
  /** Bytes out. */
  outbytes = 0;
  // Zero point (`kstats0`): values shown are counter - zero.
  private z0conns = 0;
  private z0inpkts = 0;
  private z0outpkts = 0;
  private z0inbytes = 0;
  private z0outbytes = 0;
  // Estimator: last totals and scaled averages (cps/pps ×2^10, bps ×2^5), `struct ip_vs_estimator`.
  private lastConns = 0;
  private lastInpkts = 0;
  private lastOutpkts = 0;
  private lastInbytes = 0;
  private lastOutbytes = 0;
  /** Scaled connection rate average (×1024). */
  cpsAvg = 0;
  /** Scaled in-packet rate average (×1024). */
  inppsAvg = 0;
  /** Scaled out-packet rate average (×1024). */
  outppsAvg = 0;
  /** Scaled in-byte rate average (×32). */
  inbpsAvg = 0;
  /** Scaled out-byte rate average (×32). */
  outbpsAvg = 0;

  /**
   * One estimator tick (every 2 s): `rate = Δ << 9` for conns and packets (= per second × 2^10),
   * `Δ << 4` for bytes (× 2^5); `avg += (rate - avg) >> 2` with an arithmetic (flooring) shift.
   * @see ip_vs_est.c `ip_vs_chain_estimation` / `estimation_timer`
   */
  estimate(): void {
    const c = this.conns;
    const ip = this.inpkts;
    const op = this.outpkts;
    const ib = this.inbytes;
    const ob = this.outbytes;
    this.cpsAvg += Math.floor(((c - this.lastConns) * 512 - this.cpsAvg) / 4);
    this.inppsAvg += Math.floor(((ip - this.lastInpkts) * 512 - this.inppsAvg) / 4);
    this.outppsAvg += Math.floor(((op - this.lastOutpkts) * 512 - this.outppsAvg) / 4);
    this.inbpsAvg += Math.floor(((ib - this.lastInbytes) * 16 - this.inbpsAvg) / 4);
    this.outbpsAvg += Math.floor(((ob - this.lastOutbytes) * 16 - this.outbpsAvg) / 4);
    this.lastConns = c;
    this.lastInpkts = ip;
    this.lastOutpkts = op;
    this.lastInbytes = ib;
    this.lastOutbytes = ob;
  }

  /** Connections per second as read out: `(cps + 0x1FF) >> 10` (`ip_vs_read_estimator`). */
  get cps(): number {
    return Math.floor((this.cpsAvg + 0x1ff) / 1024);
  }
  /** Incoming packets per second. */
  get inpps(): number {
    return Math.floor((this.inppsAvg + 0x1ff) / 1024);
  }
  /** Outgoing packets per second. */
  get outpps(): number {
    return Math.floor((this.outppsAvg + 0x1ff) / 1024);
  }
  /** Incoming bytes per second: `(bps + 0xF) >> 5`. */
  get inbps(): number {
    return Math.floor((this.inbpsAvg + 0xf) / 32);
  }
  /** Outgoing bytes per second. */
  get outbps(): number {
    return Math.floor((this.outbpsAvg + 0xf) / 32);
  }

  /** Counters since the last zero. */
  shown(): { conns: number; inpkts: number; outpkts: number; inbytes: number; outbytes: number } {
    return {
      conns: this.conns - this.z0conns,
      inpkts: this.inpkts - this.z0inpkts,
      outpkts: this.outpkts - this.z0outpkts,
      inbytes: this.inbytes - this.z0inbytes,
      outbytes: this.outbytes - this.z0outbytes,
    };
  }

  /**
   * `ipvsadm -Z`: the current counters become the zero point and the estimator restarts from them
   * (`ip_vs_zero_stats` → `ip_vs_zero_estimator`).
   */
  zero(): void {
    this.z0conns = this.conns;
    this.z0inpkts = this.inpkts;
    this.z0outpkts = this.outpkts;
    this.z0inbytes = this.inbytes;
    this.z0outbytes = this.outbytes;
    this.lastConns = this.conns;
    this.lastInpkts = this.inpkts;
    this.lastOutpkts = this.outpkts;
    this.lastInbytes = this.inbytes;
    this.lastOutbytes = this.outbytes;
    this.cpsAvg = 0;
    this.inppsAvg = 0;
    this.outppsAvg = 0;
    this.inbpsAvg = 0;
    this.outbpsAvg = 0;
  }
}
