/**
 * Next-hop MACs for the datapath, resolved off the per-packet path: an N-way set-associative cache in typed
 * arrays keyed by the IP address (IPv4 as a 32-bit number, IPv6 by its four 32-bit words), holding positive
 * entries (a MAC) and negative ones (unresolved, with the time before which the kernel is not asked again),
 * with least-recently-used replacement inside a set. Owns that cache and the rate limit on neighbour queries;
 * must never allocate, throw or make a syscall on a cache hit, and must never query the kernel more than once
 * per `retryMs` for an address it keeps as unresolved.
 */
import { bytesEqual, formatIp, get32, LvsError, type LvsIssue, parseAddress, parseMac } from '@lvskit/base';

/** Asks the kernel (or a stand-in) for the MAC of an address in text form; undefined when unresolved. */
export type NeighbourQuery = (address: string) => string | undefined;

/** Options of {@link NeighbourCache}. */
export interface NeighbourCacheOptions {
  /** Configured MACs by address text (never expire, never queried). */
  readonly known?: Readonly<Record<string, string>>;
  /** The kernel query (the datapath uses `getNeighbour`); called on a miss only. */
  readonly query: NeighbourQuery;
  /** Least milliseconds between two queries for one unresolved address (default 100; finite, ≥ 0). */
  readonly retryMs?: number;
  /** Entries per family, a power of two in 2..2^20 (default 1024), grouped into sets of `ways`. */
  readonly slots?: number;
  /**
   * Entries per set: how many addresses hashing to one set are kept together; a power of two in 1..16, at
   * most `slots` (default 4, or `slots` when that is smaller). 1 is a direct-mapped cache.
   */
  readonly ways?: number;
}

const EMPTY = 0;
const RESOLVED = 1;
const UNRESOLVED = 2;
const DEFAULT_WAYS = 4;
const MAX_WAYS = 16;

/** The 32-bit word an IPv6 address is hashed by: the XOR of its four words. */
function fold6(bytes: Uint8Array, off: number): number {
  return (get32(bytes, off) ^ get32(bytes, off + 4) ^ get32(bytes, off + 8) ^ get32(bytes, off + 12)) >>> 0;
}

/** Fibonacci hashing of a 32-bit key (Knuth, TAOCP vol. 3 §6.4): its top bits are well mixed. */
function mix(key: number): number {
  return Math.imul(key, 0x9e3779b1) >>> 0;
}

/**
 * Index of the set among `sets` = 2^(32 − shift): the top bits of the mixed key. The mask (sets − 1) is for
 * one set (fully associative): `>>> 32` is `>>> 0` in JavaScript, and the mask makes that 0.
 */
function setIndex(mixed: number, shift: number, mask: number): number {
  return (mixed >>> shift) & mask;
}

/**
 * The set that the address at `bytes[off..off+len)` (len 4 or 16) falls in, in a cache of `sets` sets per
 * family ({@link NeighbourCache.sets}): the same function the cache uses. Addresses with equal results share
 * a set; with `sets` = `slots` it is the slot of a direct-mapped cache of that size, and since the set is a
 * prefix of the hash's bits, addresses sharing a set of a larger cache share one of every smaller cache.
 * For tests and benchmarks that need colliding next hops. Throws `INVALID_ARGUMENT` for a bad `sets`.
 */
export function neighbourSetOf(bytes: Uint8Array, off: number, len: number, sets: number): number {
  if (!Number.isInteger(sets) || sets < 1 || (sets & (sets - 1)) !== 0 || sets > 1 << 20) {
    throw new LvsError('INVALID_ARGUMENT', `neighbourSetOf: sets must be a power of two in 1..2^20, got ${sets}`);
  }
  return setIndex(mix(len === 4 ? get32(bytes, off) : fold6(bytes, off)), 32 - Math.log2(sets), sets - 1);
}

/**
 * The next-hop MAC cache. {@link NeighbourCache.lookup} returns a view of the cached MAC (stable per slot:
 * use it before the next lookup) or undefined when the address is unresolved. Set-associative: up to
 * {@link NeighbourCache.ways} addresses that hash to one set are kept together; one more evicts, within the
 * set, an entry that costs nothing to lose (empty, or unresolved and due for a retry anyway), else the least
 * recently used — which is then looked up again on its next packet. So `slots` should be well above the
 * number of next hops (more than `ways` of them in one set still evict each other). Learnt MACs are kept
 * until evicted or {@link NeighbourCache.clear}ed. Throws `INVALID_ARGUMENT` (listing every bad option in
 * `issues`) for a bad slot count, way count or retry interval, or a bad configured address/MAC.
 */
export class NeighbourCache {
  /** Kernel queries made (misses that reached `query`). */
  queries = 0;
  /** Entries per set. */
  readonly ways: number;
  /** Sets per family (`slots / ways`). */
  readonly sets: number;
  private readonly query: NeighbourQuery;
  private readonly retryMs: number;
  private readonly shift: number;
  private readonly mask: number;
  private readonly known4 = new Map<number, Uint8Array>();
  private readonly known6: { bytes: Uint8Array; mac: Uint8Array }[] = [];
  // Use counter for LRU, bumped on every hit or fill, kept an int32 so it stays a small integer (no heap
  // number): an entry's age is `tick − used` modulo 2^32, exact while used within the last 2^32 lookups.
  private tick = 0;
  // Per family: state, key (IPv6: four words a slot), MAC (6 bytes a slot, one view per slot made once),
  // retry time, last use. Slot = set × ways + way.
  private readonly state4: Uint8Array;
  private readonly key4: Uint32Array;
  private readonly mac4: Uint8Array;
  private readonly view4: Uint8Array[];
  private readonly retry4: Float64Array;
  private readonly used4: Uint32Array;
  private readonly state6: Uint8Array;
  private readonly key6: Uint32Array;
  private readonly mac6: Uint8Array;
  private readonly view6: Uint8Array[];
  private readonly retry6: Float64Array;
  private readonly used6: Uint32Array;
  private readonly scratch6 = new Uint8Array(16);

  constructor(options: NeighbourCacheOptions) {
    const slots = options.slots ?? 1024;
    const retryMs = options.retryMs ?? 100;
    const issues: LvsIssue[] = [];
    const bad = (field: string, message: string) =>
      issues.push({ path: [field], code: 'INVALID_ARGUMENT', message: `neighbour cache: ${message}` });
    const slotsOk = Number.isInteger(slots) && slots >= 2 && (slots & (slots - 1)) === 0 && slots <= 1 << 20;
    if (!slotsOk) bad('slots', `slots must be a power of two in 2..2^20, got ${slots}`);
    const ways = options.ways ?? (slotsOk ? Math.min(DEFAULT_WAYS, slots) : DEFAULT_WAYS);
    if (!Number.isInteger(ways) || ways < 1 || (ways & (ways - 1)) !== 0 || ways > MAX_WAYS) {
      bad('ways', `ways must be a power of two in 1..${MAX_WAYS}, got ${ways}`);
    } else if (slotsOk && ways > slots) bad('ways', `ways (${ways}) must not exceed slots (${slots})`);
    if (typeof retryMs !== 'number' || !Number.isFinite(retryMs) || retryMs < 0) {
      bad('retryMs', `retryMs must be a finite number ≥ 0, got ${retryMs}`);
    }
    if (issues.length > 0) {
      throw new LvsError('INVALID_ARGUMENT', issues.map((i) => i.message).join('; '), { issues });
    }
    this.query = options.query;
    this.retryMs = retryMs;
    this.ways = ways;
    this.sets = slots / ways;
    this.shift = 32 - Math.log2(this.sets);
    this.mask = this.sets - 1;
    for (const [ip, mac] of Object.entries(options.known ?? {})) {
      const { family, bytes } = parseAddress(ip);
      if (family === 4) this.known4.set(get32(bytes, 0), parseMac(mac));
      else this.known6.push({ bytes: bytes.slice(0, 16), mac: parseMac(mac) });
    }
    this.state4 = new Uint8Array(slots);
    this.key4 = new Uint32Array(slots);
    this.mac4 = new Uint8Array(slots * 6);
    this.view4 = Array.from({ length: slots }, (_, i) => this.mac4.subarray(i * 6, i * 6 + 6));
    this.retry4 = new Float64Array(slots);
    this.used4 = new Uint32Array(slots);
    this.state6 = new Uint8Array(slots);
    this.key6 = new Uint32Array(slots * 4);
    this.mac6 = new Uint8Array(slots * 6);
    this.view6 = Array.from({ length: slots }, (_, i) => this.mac6.subarray(i * 6, i * 6 + 6));
    this.retry6 = new Float64Array(slots);
    this.used6 = new Uint32Array(slots);
  }

  /**
   * MAC of the address at `bytes[off..off+len)` (len 4 or 16) at time `now` (ms), or undefined while it is
   * unresolved. Allocates nothing on a hit; a miss looks at the configured table, then queries the kernel —
   * at most once per `retryMs` for an address that stays unresolved (and stays cached).
   */
  lookup(bytes: Uint8Array, off: number, len: number, now: number): Uint8Array | undefined {
    return len === 4 ? this.lookup4(bytes, off, now) : this.lookup6(bytes, off, now);
  }

  /**
   * Resolves an IPv4 address this cache holds as unresolved (it was asked for and the kernel did not know
   * it) to the MAC at `mac[macOff..macOff+6)` — from an ARP reply the datapath received for its own request.
   * Like the kernel with `arp_accept = 0`, an address that is not waiting for an answer is left alone, so
   * unsolicited replies cannot plant entries. Returns true when an entry was resolved. Never allocates.
   */
  resolve4(bytes: Uint8Array, off: number, mac: Uint8Array, macOff: number): boolean {
    const key = get32(bytes, off);
    const base = setIndex(mix(key), this.shift, this.mask) * this.ways;
    for (let s = base; s < base + this.ways; s++) {
      if (this.key4[s] !== key || this.state4[s] !== UNRESOLVED) continue;
      this.state4[s] = RESOLVED;
      const v = this.view4[s]!;
      for (let i = 0; i < 6; i++) v[i] = mac[macOff + i]!;
      this.used4[s] = this.touch();
      return true;
    }
    return false;
  }

  /**
   * {@link NeighbourCache.resolve4} for IPv6: resolves an address waiting for an answer (from a neighbour
   * advertisement for the datapath's own solicitation); anything else is left alone.
   */
  resolve6(bytes: Uint8Array, off: number, mac: Uint8Array, macOff: number): boolean {
    const w0 = get32(bytes, off);
    const w1 = get32(bytes, off + 4);
    const w2 = get32(bytes, off + 8);
    const w3 = get32(bytes, off + 12);
    const base = setIndex(mix((w0 ^ w1 ^ w2 ^ w3) >>> 0), this.shift, this.mask) * this.ways;
    const keys = this.key6;
    for (let s = base; s < base + this.ways; s++) {
      const k = s * 4;
      if (keys[k] !== w0 || keys[k + 1] !== w1 || keys[k + 2] !== w2 || keys[k + 3] !== w3) continue;
      if (this.state6[s] !== UNRESOLVED) continue;
      this.state6[s] = RESOLVED;
      const v = this.view6[s]!;
      for (let i = 0; i < 6; i++) v[i] = mac[macOff + i]!;
      this.used6[s] = this.touch();
      return true;
    }
    return false;
  }

  /** Forgets every learnt entry (configured ones stay): the next packet to each address asks again. */
  clear(): void {
    this.state4.fill(EMPTY);
    this.state6.fill(EMPTY);
  }

  private lookup4(bytes: Uint8Array, off: number, now: number): Uint8Array | undefined {
    const key = get32(bytes, off);
    const ways = this.ways;
    const base = setIndex(mix(key), this.shift, this.mask) * ways;
    const state = this.state4;
    const keys = this.key4;
    for (let s = base; s < base + ways; s++) {
      if (keys[s] !== key || state[s] === EMPTY) continue;
      if (state[s] === RESOLVED) {
        this.used4[s] = this.touch();
        return this.view4[s];
      }
      if (now < this.retry4[s]!) {
        this.used4[s] = this.touch();
        return undefined;
      }
      return this.fill4(s, key, bytes, off, now); // negative entry due for a retry: same slot
    }
    return this.fill4(this.victim(state, this.retry4, this.used4, base, now), key, bytes, off, now);
  }

  private lookup6(bytes: Uint8Array, off: number, now: number): Uint8Array | undefined {
    const w0 = get32(bytes, off);
    const w1 = get32(bytes, off + 4);
    const w2 = get32(bytes, off + 8);
    const w3 = get32(bytes, off + 12);
    const ways = this.ways;
    const base = setIndex(mix((w0 ^ w1 ^ w2 ^ w3) >>> 0), this.shift, this.mask) * ways;
    const state = this.state6;
    const keys = this.key6;
    for (let s = base; s < base + ways; s++) {
      const k = s * 4;
      if (keys[k] !== w0 || keys[k + 1] !== w1 || keys[k + 2] !== w2 || keys[k + 3] !== w3) continue;
      if (state[s] === EMPTY) continue;
      if (state[s] === RESOLVED) {
        this.used6[s] = this.touch();
        return this.view6[s];
      }
      if (now < this.retry6[s]!) {
        this.used6[s] = this.touch();
        return undefined;
      }
      return this.fill6(s, bytes, off, now);
    }
    return this.fill6(this.victim(state, this.retry6, this.used6, base, now), bytes, off, now);
  }

  private touch(): number {
    this.tick = (this.tick + 1) | 0;
    return this.tick;
  }

  /**
   * The slot of the set at `base` a new address goes to: an empty one, else an unresolved one due for a retry
   * (its next packet would query the kernel anyway, so losing it costs nothing), else the least recently used.
   */
  private victim(state: Uint8Array, retry: Float64Array, used: Uint32Array, base: number, now: number): number {
    let lru = base;
    let oldest = -1;
    for (let s = base; s < base + this.ways; s++) {
      const st = state[s]!;
      if (st === EMPTY || (st === UNRESOLVED && now >= retry[s]!)) return s;
      const age = (this.tick - used[s]!) >>> 0;
      if (age > oldest) {
        oldest = age;
        lru = s;
      }
    }
    return lru;
  }

  // Miss (or a negative entry due for a retry) into slot `s`: configured table first, then the kernel.
  private fill4(s: number, key: number, bytes: Uint8Array, off: number, now: number): Uint8Array | undefined {
    let mac = this.known4.get(key);
    if (mac === undefined) {
      this.queries++;
      const text = this.query(formatIp(bytes.subarray(off, off + 4), 4));
      if (text !== undefined) mac = parseMac(text);
    }
    this.key4[s] = key;
    this.used4[s] = this.touch();
    if (mac === undefined) {
      this.state4[s] = UNRESOLVED;
      this.retry4[s] = now + this.retryMs;
      return undefined;
    }
    this.state4[s] = RESOLVED;
    this.view4[s]!.set(mac);
    return this.view4[s];
  }

  private fill6(s: number, bytes: Uint8Array, off: number, now: number): Uint8Array | undefined {
    const scratch = this.scratch6;
    for (let i = 0; i < 16; i++) scratch[i] = bytes[off + i]!;
    let mac: Uint8Array | undefined;
    for (const k of this.known6) {
      if (bytesEqual(k.bytes, 0, scratch, 0, 16)) {
        mac = k.mac;
        break;
      }
    }
    if (mac === undefined) {
      this.queries++;
      const text = this.query(formatIp(scratch, 6));
      if (text !== undefined) mac = parseMac(text);
    }
    for (let w = 0; w < 4; w++) this.key6[s * 4 + w] = get32(scratch, w * 4);
    this.used6[s] = this.touch();
    if (mac === undefined) {
      this.state6[s] = UNRESOLVED;
      this.retry6[s] = now + this.retryMs;
      return undefined;
    }
    this.state6[s] = RESOLVED;
    this.view6[s]!.set(mac);
    return this.view6[s];
  }
}
