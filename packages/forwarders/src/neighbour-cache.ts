/**
 * Next-hop MACs for the datapath, resolved off the per-packet path: a direct-mapped cache in typed arrays
 * keyed by the IP address (IPv4 as a 32-bit number, IPv6 by its 16 bytes), holding positive entries (a MAC)
 * and negative ones (unresolved, with the time before which the kernel is not asked again). Owns that cache
 * and the rate limit on neighbour queries; must never allocate, throw or make a syscall on a cache hit, and
 * must never query the kernel more than once per `retryMs` for an address it keeps as unresolved.
 */
import { formatAddress, LvsError, parseAddress } from '@lvskit/schedulers';
import { bytesEqual, copyBytes, get32 } from './bytes.js';
import { parseMac } from './params.js';

/** Asks the kernel (or a stand-in) for the MAC of an address in text form; undefined when unresolved. */
export type NeighbourQuery = (address: string) => string | undefined;

/** Options of {@link NeighbourCache}. */
export interface NeighbourCacheOptions {
  /** Configured MACs by address text (never expire, never queried). */
  readonly known?: Readonly<Record<string, string>>;
  /** The kernel query (the datapath uses `getNeighbour`); called on a miss only. */
  readonly query: NeighbourQuery;
  /** Least milliseconds between two queries for one unresolved address (default 100). */
  readonly retryMs?: number;
  /** Slots per family, a power of two (default 1024). */
  readonly slots?: number;
}

const EMPTY = 0;
const RESOLVED = 1;
const UNRESOLVED = 2;

/** Fibonacci hashing of a 32-bit key: its top `32 − shift` bits. */
function slotOf(key: number, shift: number): number {
  return Math.imul(key, 0x9e3779b1) >>> shift;
}

/**
 * The next-hop MAC cache. {@link NeighbourCache.lookup} returns a view of the cached MAC (stable per slot:
 * use it before the next lookup) or undefined when the address is unresolved. Direct-mapped: two addresses
 * hashing to one slot evict each other (then each is looked up again), so the slot count should comfortably
 * exceed the number of next hops. Learnt MACs are kept until evicted or {@link NeighbourCache.clear}ed.
 * Throws `INVALID_ARGUMENT` for a bad slot count or a bad configured address/MAC.
 */
export class NeighbourCache {
  /** Kernel queries made (misses that reached `query`). */
  queries = 0;
  private readonly query: NeighbourQuery;
  private readonly retryMs: number;
  private readonly shift: number;
  private readonly mask: number;
  private readonly known4 = new Map<number, Uint8Array>();
  private readonly known6: { bytes: Uint8Array; mac: Uint8Array }[] = [];
  // Per family: state, key, MAC (6 bytes a slot, with one view per slot made once), retry time.
  private readonly state4: Uint8Array;
  private readonly key4: Uint32Array;
  private readonly mac4: Uint8Array;
  private readonly view4: Uint8Array[];
  private readonly retry4: Float64Array;
  private readonly state6: Uint8Array;
  private readonly key6: Uint8Array;
  private readonly mac6: Uint8Array;
  private readonly view6: Uint8Array[];
  private readonly retry6: Float64Array;
  private readonly scratch6 = new Uint8Array(16);

  constructor(options: NeighbourCacheOptions) {
    const slots = options.slots ?? 1024;
    if (!Number.isInteger(slots) || slots < 2 || (slots & (slots - 1)) !== 0 || slots > 1 << 20) {
      throw new LvsError('INVALID_ARGUMENT', `neighbour cache: slots must be a power of two in 2..2^20, got ${slots}`);
    }
    this.query = options.query;
    this.retryMs = options.retryMs ?? 100;
    this.shift = 32 - Math.log2(slots);
    this.mask = slots - 1;
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
    this.state6 = new Uint8Array(slots);
    this.key6 = new Uint8Array(slots * 16);
    this.mac6 = new Uint8Array(slots * 6);
    this.view6 = Array.from({ length: slots }, (_, i) => this.mac6.subarray(i * 6, i * 6 + 6));
    this.retry6 = new Float64Array(slots);
  }

  /**
   * MAC of the address at `bytes[off..off+len)` (len 4 or 16) at time `now` (ms), or undefined while it is
   * unresolved. Allocates nothing on a hit; a miss looks at the configured table, then queries the kernel —
   * at most once per `retryMs` for an address that stays unresolved.
   */
  lookup(bytes: Uint8Array, off: number, len: number, now: number): Uint8Array | undefined {
    return len === 4 ? this.lookup4(bytes, off, now) : this.lookup6(bytes, off, now);
  }

  /** Forgets every learnt entry (configured ones stay): the next packet to each address asks again. */
  clear(): void {
    this.state4.fill(EMPTY);
    this.state6.fill(EMPTY);
  }

  private lookup4(bytes: Uint8Array, off: number, now: number): Uint8Array | undefined {
    const key = get32(bytes, off) >>> 0;
    const s = slotOf(key, this.shift) & this.mask;
    const st = this.state4[s]!;
    if (st !== EMPTY && this.key4[s] === key) {
      if (st === RESOLVED) return this.view4[s];
      if (now < this.retry4[s]!) return undefined;
    }
    // Miss (or a negative entry due for a retry): configured table first, then the kernel.
    let mac = this.known4.get(key);
    if (mac === undefined) {
      this.queries++;
      const text = this.query(formatAddress(4, bytes.subarray(off, off + 4)));
      if (text !== undefined) mac = parseMac(text);
    }
    this.key4[s] = key;
    if (mac === undefined) {
      this.state4[s] = UNRESOLVED;
      this.retry4[s] = now + this.retryMs;
      return undefined;
    }
    this.state4[s] = RESOLVED;
    copyBytes(this.mac4, s * 6, mac, 0, 6);
    return this.view4[s];
  }

  private lookup6(bytes: Uint8Array, off: number, now: number): Uint8Array | undefined {
    const h = (get32(bytes, off) ^ get32(bytes, off + 4) ^ get32(bytes, off + 8) ^ get32(bytes, off + 12)) >>> 0;
    const s = slotOf(h, this.shift) & this.mask;
    const st = this.state6[s]!;
    if (st !== EMPTY && bytesEqual(this.key6, s * 16, bytes, off, 16)) {
      if (st === RESOLVED) return this.view6[s];
      if (now < this.retry6[s]!) return undefined;
    }
    let mac: Uint8Array | undefined;
    for (const k of this.known6) if (bytesEqual(k.bytes, 0, bytes, off, 16)) mac = k.mac;
    if (mac === undefined) {
      this.queries++;
      copyBytes(this.scratch6, 0, bytes, off, 16);
      const text = this.query(formatAddress(6, this.scratch6));
      if (text !== undefined) mac = parseMac(text);
    }
    copyBytes(this.key6, s * 16, bytes, off, 16);
    if (mac === undefined) {
      this.state6[s] = UNRESOLVED;
      this.retry6[s] = now + this.retryMs;
      return undefined;
    }
    this.state6[s] = RESOLVED;
    copyBytes(this.mac6, s * 6, mac, 0, 6);
    return this.view6[s];
  }
}
