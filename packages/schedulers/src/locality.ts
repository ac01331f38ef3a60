/**
 * What lblc and lblcr share (net/netfilter/ipvs/ip_vs_lblc.c, ip_vs_lblcr.c): the table keyed by the full
 * destination address — 1024 hash buckets of entries kept in typed arrays, so a lookup allocates nothing —
 * its garbage collection as the kernel's 60-second timer does it, the weighted-least-connection fallback (the
 * O(log n) index of ../ranked-list.ts, ranked as wlc) and `is_overloaded` (O(1) from a count of servers under
 * half their weight). Never reads a clock: the caller passes milliseconds. Must not allocate per pick except
 * when the entry pool grows.
 */

import { describe, LvsError } from '@lvskit/base';
import { type Family, fold, hash32, readU32 } from './address.js';
import { RankedServerList } from './ranked-list.js';
import type { SchedulerOptions } from './types.js';

/** `CONFIG_IP_VS_LBLC_TAB_BITS` / `CONFIG_IP_VS_LBLCR_TAB_BITS` (default 10). */
const TAB_BITS = 10;
/** 1024 buckets. */
const TAB_SIZE = 1 << TAB_BITS;
const TAB_MASK = TAB_SIZE - 1;
/** `tbl->max_size = IP_VS_LBLC_TAB_SIZE * 16`. */
const MAX_SIZE = TAB_SIZE * 16;
/** `ENTRY_TIMEOUT`: 6 minutes, the idle time after which an over-full table drops an entry. */
const ENTRY_TIMEOUT_MS = 6 * 60 * 1000;
/** `COUNT_FOR_FULL_EXPIRATION`: every 30th timer run checks every entry against the expiration. */
const COUNT_FOR_FULL_EXPIRATION = 30;
/** `DEFAULT_EXPIRATION`: 24 hours (sysctls `lblc_expiration`, `lblcr_expiration`). */
const DEFAULT_EXPIRATION_SECONDS = 24 * 60 * 60;

/**
 * Base class of lblc and lblcr. Each entry maps one destination address to a payload the subclass owns
 * (`entDest`: lblc's server, lblcr's server-set list).
 */
export abstract class LocalityScheduler<N extends 'lblc' | 'lblcr'> extends RankedServerList<N> {
  /** The `lblc_expiration` / `lblcr_expiration` sysctl, in ms. */
  protected readonly expirationMs: number;
  /** Bucket → first entry, -1 when empty (`tbl->bucket[]`, newest first as `hlist_add_head`). */
  private readonly bucketHead = new Int32Array(TAB_SIZE).fill(-1);
  /** Next entry in the bucket (or in the free list). */
  private entNext = new Int32Array(0);
  /** Address family of the entry's key. */
  private entFamily = new Uint8Array(0);
  /** The entry's key: four big-endian address words (IPv4: word 0, the rest 0). */
  private entAddr = new Uint32Array(0);
  /** `en->lastuse`, ms. */
  protected entLastUse = new Float64Array(0);
  /** lblc: the cached server; lblcr: first element of the server set. */
  protected entDest = new Int32Array(0);
  private entCapacity = 0;
  private entUsed = 0;
  private freeEntry = -1;
  /** `atomic_read(&tbl->entries)`. */
  private entryCount = 0;
  /** `tbl->rover`. */
  private rover = 0;
  /** `tbl->counter`. */
  private counter = 1;
  /** 1 when the server is in the list and `activeconns * 2 < weight` (the second half of `is_overloaded`). */
  private underHalf = new Uint8Array(0);
  /** How many servers have `underHalf` set. */
  private underHalfCount = 0;

  /**
   * @param name - lblc or lblcr
   * @param options - flags, initial servers and `expirationSeconds`
   */
  constructor(name: N, options: SchedulerOptions<N> | undefined) {
    const seconds = options?.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new LvsError(
        'INVALID_ARGUMENT',
        `${name} expirationSeconds must be a non-negative integer, got ${describe(seconds)}`,
      );
    }
    super(name, options, []);
    this.expirationMs = seconds * 1000;
    for (let h = this.head; h >= 0; h = this.next[h]!) this.countUnderHalf(h);
  }

  /** Re-evaluates `activeconns * 2 < weight` for `h` (0 when it is not in the list) and keeps the count. */
  private countUnderHalf(h: number): void {
    if (this.underHalf.length < this.capacity) {
      const u = new Uint8Array(this.capacity);
      u.set(this.underHalf);
      this.underHalf = u;
    }
    const v = this.available[h] === 1 && this.active[h]! * 2 < this.weight[h]! ? 1 : 0;
    this.underHalfCount += v - this.underHalf[h]!;
    this.underHalf[h] = v;
  }

  /** The WLC rank (`__ip_vs_lblc_schedule` is ip_vs_wlc_schedule's loop): overhead / weight, OVERLOAD and weight 0 out. */
  protected rank(h: number): boolean {
    const w = this.weight[h]!;
    if (this.overloaded[h] === 1 || w <= 0) return false;
    this.num[h] = this.overhead(h);
    this.den[h] = w;
    return true;
  }

  protected override onAdd(h: number): void {
    super.onAdd(h);
    this.countUnderHalf(h);
  }

  protected override onRemove(h: number, prevOfRemoved: number): void {
    super.onRemove(h, prevOfRemoved);
    this.countUnderHalf(h);
  }

  protected override onUpdate(h: number): void {
    super.onUpdate(h);
    this.countUnderHalf(h);
  }

  protected override onConnections(h: number): void {
    super.onConnections(h);
    this.countUnderHalf(h);
  }

  /** How many destination addresses the table holds. */
  get entries(): number {
    return this.entryCount;
  }

  /** `ip_vs_lblc_hashkey`: `hash_32(ntohl(addr_fold(addr)), 10)`. */
  private static bucketOf(family: Family, addr: Uint8Array): number {
    return hash32(fold(family, addr), TAB_BITS);
  }

  /** `ip_vs_lblc_get`: the entry for this destination address, or -1. */
  protected findEntry(family: Family, addr: Uint8Array): number {
    const w0 = readU32(addr, 0);
    const v6 = family === 6;
    const w1 = v6 ? readU32(addr, 4) : 0;
    const w2 = v6 ? readU32(addr, 8) : 0;
    const w3 = v6 ? readU32(addr, 12) : 0;
    for (let e = this.bucketHead[LocalityScheduler.bucketOf(family, addr)]!; e >= 0; e = this.entNext[e]!) {
      const k = e * 4;
      if (
        this.entFamily[e] === family &&
        this.entAddr[k] === w0 &&
        this.entAddr[k + 1] === w1 &&
        this.entAddr[k + 2] === w2 &&
        this.entAddr[k + 3] === w3
      ) {
        return e;
      }
    }
    return -1;
  }

  /** Creates an entry at the head of its bucket (`ip_vs_lblc_hash`) with `lastuse = now`; payload -1. */
  protected newEntry(family: Family, addr: Uint8Array, now: number): number {
    let e = this.freeEntry;
    if (e >= 0) this.freeEntry = this.entNext[e]!;
    else {
      if (this.entUsed === this.entCapacity) this.growEntries();
      e = this.entUsed++;
    }
    const k = e * 4;
    const v6 = family === 6;
    this.entFamily[e] = family;
    this.entAddr[k] = readU32(addr, 0);
    this.entAddr[k + 1] = v6 ? readU32(addr, 4) : 0;
    this.entAddr[k + 2] = v6 ? readU32(addr, 8) : 0;
    this.entAddr[k + 3] = v6 ? readU32(addr, 12) : 0;
    this.entLastUse[e] = now;
    this.entDest[e] = -1;
    const b = LocalityScheduler.bucketOf(family, addr);
    this.entNext[e] = this.bucketHead[b]!;
    this.bucketHead[b] = e;
    this.entryCount++;
    return e;
  }

  private growEntries(): void {
    const cap = Math.max(64, this.entCapacity * 2);
    const i32 = (a: Int32Array, per = 1) => {
      const n = new Int32Array(cap * per);
      n.set(a);
      return n;
    };
    this.entNext = i32(this.entNext);
    this.entDest = i32(this.entDest);
    const fam = new Uint8Array(cap);
    fam.set(this.entFamily);
    this.entFamily = fam;
    const addr = new Uint32Array(cap * 4);
    addr.set(this.entAddr);
    this.entAddr = addr;
    const lu = new Float64Array(cap);
    lu.set(this.entLastUse);
    this.entLastUse = lu;
    this.growPayload(cap);
    this.entCapacity = cap;
  }

  /** Grows the subclass's own per-entry arrays to `capacity`. */
  protected growPayload(_capacity: number): void {}

  /** Releases the subclass's payload of an entry that is being deleted. */
  protected freePayload(_entry: number): void {}

  /**
   * One run of the kernel's periodic timer (`ip_vs_lblc_check_expire` / `ip_vs_lblcr_check_expire`); call it
   * every 60 seconds (`CHECK_EXPIRE_INTERVAL`). Every 30th run drops every entry idle for the expiration
   * (`*_full_check`); in between, only when the table holds more than 16384 entries, entries idle for 6
   * minutes are dropped bucket by bucket until `min((entries - 16384) * 4 / 3, 8192)` are gone.
   * @param now - milliseconds on the caller's clock
   */
  override expire(now: number): void {
    if (this.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      // time_before(now, lastuse + expiration) keeps the entry.
      this.sweep(now, this.expirationMs, Number.POSITIVE_INFINITY);
      this.counter = 1;
      return;
    }
    if (this.entryCount <= MAX_SIZE) {
      this.counter++;
      return;
    }
    let goal = Math.floor(((this.entryCount - MAX_SIZE) * 4) / 3);
    if (goal > MAX_SIZE / 2) goal = MAX_SIZE / 2;
    this.sweep(now, ENTRY_TIMEOUT_MS, goal);
  }

  /** Walks the buckets after the rover, dropping entries with `now >= lastuse + idleMs`, until `goal` drops. */
  private sweep(now: number, idleMs: number, goal: number): void {
    let j = this.rover;
    for (let i = 0; i < TAB_SIZE; i++) {
      j = (j + 1) & TAB_MASK;
      let prev = -1;
      let e = this.bucketHead[j]!;
      while (e >= 0) {
        const next = this.entNext[e]!;
        if (now < this.entLastUse[e]! + idleMs) prev = e;
        else {
          if (prev < 0) this.bucketHead[j] = next;
          else this.entNext[prev] = next;
          this.freePayload(e);
          this.entNext[e] = this.freeEntry;
          this.freeEntry = e;
          this.entryCount--;
          goal--;
        }
        e = next;
      }
      if (goal <= 0) break;
    }
    this.rover = j;
  }

  /** `ip_vs_dest_conn_overhead`: `(activeconns << 8) + inactconns`. */
  protected overhead(h: number): number {
    return this.active[h]! * 256 + this.inactive[h]!;
  }

  /**
   * `__ip_vs_lblc_schedule` / `__ip_vs_lblcr_schedule`: weighted least connection over the whole list —
   * the first server that is not OVERLOADed and has weight > 0, then any later non-OVERLOADed server with
   * `loh * w_d > doh * w_least` (ties keep the earlier one; weight 0 can never win). That is the first
   * minimum of {@link LocalityScheduler.rank} in list order, which the index returns. -1 when none.
   */
  protected leastLoaded(): number {
    return this.best();
  }

  /**
   * `is_overloaded(dest, svc)`: the server has more active connections than its weight while some server in
   * the list has `activeconns * 2 < weight`. The OVERLOAD flag plays no part.
   */
  protected isOverloaded(h: number): boolean {
    return this.active[h]! > this.weight[h]! && this.underHalfCount > 0;
  }
}
