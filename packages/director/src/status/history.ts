/**
 * The status page's sampled series: connection, packet and byte rates per virtual service and in total, one
 * sample a second, in a ring of fixed length. Every series is a set of preallocated `Float64Array`s, so a
 * sample writes numbers and allocates nothing (a series is allocated once, when its service first appears).
 * Rates are counter deltas over the clock time between two samples, not the kernel's 2-second EWMA
 * (`StatsView.cps`), so a one-second burst shows as it happened. Owns arithmetic only: it never reads a clock
 * (the caller passes `now`) and never touches the director.
 */

/** The counters a sample reads: the table's totals or one service's (core's `StatsView` has them). */
export interface SampledCounters {
  /** Connections scheduled. */
  readonly conns: number;
  /** Packets in. */
  readonly inpkts: number;
  /** Packets out. */
  readonly outpkts: number;
  /** Bytes in. */
  readonly inbytes: number;
  /** Bytes out. */
  readonly outbytes: number;
}

/** The three rates of one series at one sample; `null` where the series has no value (not yet, or a gap). */
export interface RatePoint {
  /** Connections per second. */
  readonly cps: number | null;
  /** Packets (in + out) per second. */
  readonly pps: number | null;
  /** Bytes (in + out) per second. */
  readonly bps: number | null;
}

/** The three rate arrays of one series, oldest first (`null` for a gap). */
export interface RateSeries {
  /** Connections per second. */
  readonly cps: readonly (number | null)[];
  /** Packets per second. */
  readonly pps: readonly (number | null)[];
  /** Bytes per second. */
  readonly bps: readonly (number | null)[];
}

/** What `GET /api/history` answers: the ring in time order. */
export interface HistoryJson {
  /** Milliseconds between samples. */
  readonly intervalMs: number;
  /** How many samples the ring holds at most. */
  readonly capacity: number;
  /** Each sample's time on the director's clock, ms, oldest first. */
  readonly times: readonly number[];
  /** The table's totals. */
  readonly total: RateSeries;
  /** Each virtual service, by name (only services present at the last sample). */
  readonly services: Readonly<Record<string, RateSeries>>;
}

/** One series: its rings and the counters of the previous sample. */
class Series {
  readonly cps: Float64Array;
  readonly pps: Float64Array;
  readonly bps: Float64Array;
  conns = Number.NaN;
  pkts = Number.NaN;
  bytes = Number.NaN;
  /** The sample count when last seen, to drop services that left the table. */
  seen = 0;

  constructor(capacity: number) {
    this.cps = new Float64Array(capacity).fill(Number.NaN);
    this.pps = new Float64Array(capacity).fill(Number.NaN);
    this.bps = new Float64Array(capacity).fill(Number.NaN);
  }

  /** Writes the rates since the previous sample at `slot`; NaN for the first (no previous counters). */
  write(slot: number, c: SampledCounters, seconds: number): void {
    const conns = c.conns;
    const pkts = c.inpkts + c.outpkts;
    const bytes = c.inbytes + c.outbytes;
    // A zeroed table (`ipvsadm -Z`) makes a counter go back: that interval counts as 0, not negative.
    this.cps[slot] = seconds > 0 ? Math.max(0, conns - this.conns) / seconds : Number.NaN;
    this.pps[slot] = seconds > 0 ? Math.max(0, pkts - this.pkts) / seconds : Number.NaN;
    this.bps[slot] = seconds > 0 ? Math.max(0, bytes - this.bytes) / seconds : Number.NaN;
    this.conns = conns;
    this.pkts = pkts;
    this.bytes = bytes;
  }
}

const orNull = (v: number | undefined): number | null => (v === undefined || Number.isNaN(v) ? null : v);

/**
 * A ring of rate samples: call {@link RateHistory.sample} once per interval with the table's counters. The
 * first call only records the counters (a rate needs two).
 */
export class RateHistory {
  /** How many samples the ring holds. */
  readonly capacity: number;
  /** Milliseconds between samples, as the caller samples (reported to the page). */
  readonly intervalMs: number;
  readonly #times: Float64Array;
  readonly #total: Series;
  readonly #services = new Map<string, Series>();
  /** Samples written (the next slot is `#written % capacity`). */
  #written = 0;
  /** Calls to `sample` (the first only primes). */
  #calls = 0;
  #lastAt = Number.NaN;

  /**
   * @param capacity - samples kept (a positive integer)
   * @param intervalMs - the sampling interval the caller keeps
   */
  constructor(capacity: number, intervalMs: number) {
    this.capacity = capacity;
    this.intervalMs = intervalMs;
    this.#times = new Float64Array(capacity);
    this.#total = new Series(capacity);
  }

  /** Samples written so far (stops meaning "held" once it passes {@link RateHistory.capacity}). */
  get written(): number {
    return this.#written;
  }

  /**
   * Records one sample.
   * @param now - the director's clock, ms
   * @param total - the table's totals
   * @param services - each service's name and counters
   */
  sample(now: number, total: SampledCounters, services: Iterable<{ name: string; stats: SampledCounters }>): void {
    this.#calls++;
    const priming = this.#calls === 1;
    const seconds = priming ? 0 : (now - this.#lastAt) / 1000;
    this.#lastAt = now;
    const slot = this.#written % this.capacity;
    if (priming) this.#total.write(slot, total, 0);
    else this.#total.write(slot, total, seconds);
    for (const s of services) {
      let series = this.#services.get(s.name);
      // A service seen for the first time gets its rings now; its first rate is a gap.
      const fresh = series === undefined;
      if (series === undefined) {
        series = new Series(this.capacity);
        this.#services.set(s.name, series);
      }
      series.write(slot, s.stats, fresh || priming ? 0 : seconds);
      series.seen = this.#calls;
    }
    for (const [name, series] of this.#services) if (series.seen !== this.#calls) this.#services.delete(name);
    if (priming) return;
    this.#times[slot] = now;
    this.#written++;
  }

  /** The newest sample of the total and of each service, or undefined before the second `sample`. */
  latest(): { at: number; total: RatePoint; services: Record<string, RatePoint> } | undefined {
    if (this.#written === 0) return undefined;
    const slot = (this.#written - 1) % this.capacity;
    const point = (s: Series): RatePoint => ({
      cps: orNull(s.cps[slot]),
      pps: orNull(s.pps[slot]),
      bps: orNull(s.bps[slot]),
    });
    const services: Record<string, RatePoint> = {};
    for (const [name, s] of this.#services) services[name] = point(s);
    return { at: this.#times[slot] ?? 0, total: point(this.#total), services };
  }

  /** The ring in time order, as plain arrays (`GET /api/history`). */
  toJSON(): HistoryJson {
    const n = Math.min(this.#written, this.capacity);
    const first = this.#written - n;
    const pick = (a: Float64Array): (number | null)[] => {
      const out: (number | null)[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = orNull(a[(first + i) % this.capacity]);
      return out;
    };
    const series = (s: Series): RateSeries => ({ cps: pick(s.cps), pps: pick(s.pps), bps: pick(s.bps) });
    const services: Record<string, RateSeries> = {};
    for (const [name, s] of this.#services) services[name] = series(s);
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(this.#times[(first + i) % this.capacity] ?? 0);
    return { intervalMs: this.intervalMs, capacity: this.capacity, times, total: series(this.#total), services };
  }
}
