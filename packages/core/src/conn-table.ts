/**
 * The connection table of the packet path: connections and persistence templates stored column-wise in
 * preallocated typed arrays (under 128 bytes per entry, see {@link ConnTable.bytesPerEntry}): the fields a
 * lookup compares sit together in one 32-byte row per entry (one cache line), an open-addressed index of
 * 4-byte slots (entry index plus a hash tag, linear probing, backward-shift deletion) keyed by (protocol,
 * client address, client port) that serves both directions — client→VIP lookups and NAT
 * real-server→client replies hash the same client endpoint, as the kernel's
 * `ip_vs_conn_hashkey_param(p, inverse)` does — and a hashed timer wheel for expiry. A lookup reads one
 * run of adjacent slots and only the rows whose tag matches (about one row for a hit, almost never one
 * for a miss), where a chained table walked a row per chain hop. Entry indexes never move; only slots do.
 * Owns storage, hashing, indexing and the wheel; must never decide IPVS semantics (what a state means,
 * when to expire a template: that is the engine's) and must never allocate after construction.
 * @see net/netfilter/ipvs/ip_vs_conn.c
 */
import { describe } from '@lvskit/base';
import { LvsError } from './errors.js';

/** Forwarding method mask (`IP_VS_CONN_F_FWD_MASK`). */
export const F_FWD_MASK = 0x0007;
/** Entry in use (`IP_VS_CONN_F_HASHED`). */
export const F_HASHED = 0x0040;
/** No reply seen yet: DR/TUN use the INPUT-ONLY state rows (`IP_VS_CONN_F_NOOUTPUT`). */
export const F_NOOUTPUT = 0x0080;
/** Counted in InActConn (`IP_VS_CONN_F_INACTIVE`). */
export const F_INACTIVE = 0x0100;
/** Persistence template (`IP_VS_CONN_F_TEMPLATE`). */
export const F_TEMPLATE = 0x1000;
/** One-packet connection (`IP_VS_CONN_F_ONE_PACKET`). */
export const F_ONE_PACKET = 0x2000;
/** lvskit: client/virtual addresses are IPv6. */
export const F_AF6 = 0x4000;
/** lvskit: the real server address is IPv6 (tunnels may cross families). */
export const F_DAF6 = 0x8000;

/** Template state "assured": a controlled TCP connection reached ESTABLISHED (`IP_VS_CTPL_S_ASSURED`). */
export const CTPL_ASSURED = 1;

/** Wheel granularity in milliseconds. Expiry is exact at lookup time; the wheel reaps at most this late. */
export const WHEEL_TICK_MS = 125;
const WHEEL_BITS = 13; // 8192 slots × 125 ms = 1024 s, longer than the 900 s ESTABLISHED default
const WHEEL_SIZE = 1 << WHEEL_BITS;
const WHEEL_MASK = WHEEL_SIZE - 1;
const NOT_LINKED = 0xffffffff;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
function mix(h: number, k: number): number {
  let x = Math.imul(k, C1);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, C2);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}
function fmix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** Called by {@link ConnTable.advance} for each due entry; it must free or re-arm the entry. */
export type ExpireCallback = (index: number) => void;

/**
 * Slots are sized so that at most this share of them is in use: linear probing then reads about 1.75
 * slots for a hit and 3.6 for a miss, within one or two cache lines, for 4 / 0.6 ≈ 6.7 bytes per entry.
 */
const MAX_LOAD = 0.6;

// The four words a client→VIP lookup compares come first: a large typed array starts 16 bytes past a
// cache line (malloc's chunk header), so every other 32-byte row straddles two lines from word 4 on.
const ROW = 8;
const K_C0 = 0;
const K_V0 = 1;
const K_PORTS = 2;
const K_PF = 3;
/** In use: the entry's full 32-bit hash (finds its home slot on removal); free: the next free index. */
const K_HASH = 4;
const K_D0 = 5;
const K_DPORT = 6;
const K_DEST = 7;

/**
 * The largest connection table (entries: connections and templates), 2^24 = 16,777,216. Every entry is
 * preallocated, about 128 bytes each, so this is about 2 GB of memory at start; a larger table is refused
 * with a clear error rather than attempted (issue 11 item 11: 2^26 meant about 8 GB with no warning).
 */
export const MAX_CONNECTIONS = 1 << 24;

/**
 * Storage for connections and templates. The lookup key of an entry is one 8-word row in `rows`
 * (client word 0, virtual word 0, ports, protocol+flags, hash, real server word 0, real server port, real
 * server id), found through the slot index; full 16-byte addresses live in `caddr`/`vaddr`/`daddr` (4 words per entry) for IPv6 and
 * listings. Indexes are stable for an entry's lifetime.
 */
export class ConnTable {
  /** Maximum number of entries. */
  readonly capacity: number;
  /** Entries in use. */
  size = 0;
  /** Nominal hash table size reported as ipvsadm's `size=` (power of two ≥ capacity). */
  readonly buckets: number;
  /** Index slots (⌈capacity / MAX_LOAD⌉): `(tag << idxBits) | (index + 1)`, 0 when empty. */
  private readonly slots: Int32Array;
  private readonly nSlots: number;
  /** nSlots / 2^32: a 32-bit hash times this, truncated, is its home slot (multiply-shift range reduction). */
  private readonly slotScale: number;
  private readonly idxBits: number;
  private readonly idxMask: number;
  private readonly rows: Int32Array;
  /** Client address words (4 per entry, native order of the byte view). */
  readonly caddr: Int32Array;
  /** Virtual address words (fwmark templates: the mark in word 0). */
  readonly vaddr: Int32Array;
  /** Real server address words. */
  readonly daddr: Int32Array;
  /** Protocol state (TCP state index; templates: 0 NONE / 1 ASSURED). */
  readonly state: Uint8Array;
  /** Controlling template index, -1 when none (`cp->control`). */
  readonly control: Int32Array;
  /** How many connections this template controls (`n_control`). */
  readonly nControl: Int32Array;
  /** Absolute expiry time, ms on the director's clock. */
  readonly expires: Float64Array;
  /** Current timeout, ms (`cp->timeout`). */
  readonly timeout: Uint32Array;
  /** Inbound packets seen (`in_pkts`), saturating. */
  readonly inPkts: Uint32Array;
  /**
   * `cp->sync_endtime` of the sync master's rules: the entry's expiry (ms on the table's own 32-bit clock,
   * {@link ConnTable.clock32}) when it was last sent, rounded down to a multiple of 4, with the retries
   * already spent in the low 2 bits (ip_vs_sync.c `ip_vs_sync_conn_needed`). Set at insert as the kernel's
   * `ip_vs_conn_new` does (`jiffies & ~3`).
   */
  readonly syncEndtime: Uint32Array;
  private readonly wNext: Int32Array;
  private readonly wPrev: Int32Array;
  private readonly wTick: Uint32Array;
  private readonly wheel: Int32Array;
  private readonly destFwmark: number[] = [];
  private freeHead: number;
  private highWater = 0;
  private readonly epoch: number;
  private lastTick = 0;
  private readonly seed: number;

  /**
   * @param capacity - maximum entries (1..{@link MAX_CONNECTIONS})
   * @param now - the clock's current time (the wheel's epoch)
   * @param seed - hash seed (random by default, like the kernel's `ip_vs_conn_rnd`)
   */
  constructor(capacity: number, now: number, seed: number = (Math.random() * 0x100000000) | 0) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CONNECTIONS)
      throw new LvsError(
        'CORE_INVALID_OPTION',
        `connection table capacity must be an integer 1..${MAX_CONNECTIONS} (MAX_CONNECTIONS), got ${describe(capacity)}`,
      );
    this.capacity = capacity;
    let b = 1;
    while (b < capacity) b <<= 1;
    this.buckets = b;
    // Not a power of two, so the memory per entry is the same at every capacity; at least one slot stays empty.
    const ns = Math.max(Math.ceil(capacity / MAX_LOAD), capacity + 1);
    this.slots = new Int32Array(ns);
    this.nSlots = ns;
    this.slotScale = ns / 2 ** 32;
    let bits = 1;
    while (2 ** bits - 1 < capacity) bits++; // index + 1 must fit; capacity ≤ 2^26 leaves ≥ 6 tag bits
    this.idxBits = bits;
    this.idxMask = 2 ** bits - 1;
    this.rows = new Int32Array(capacity * ROW);
    this.caddr = new Int32Array(capacity * 4);
    this.vaddr = new Int32Array(capacity * 4);
    this.daddr = new Int32Array(capacity * 4);
    this.state = new Uint8Array(capacity);
    this.control = new Int32Array(capacity);
    this.nControl = new Int32Array(capacity);
    this.expires = new Float64Array(capacity);
    this.timeout = new Uint32Array(capacity);
    this.inPkts = new Uint32Array(capacity);
    this.syncEndtime = new Uint32Array(capacity);
    this.wNext = new Int32Array(capacity);
    this.wPrev = new Int32Array(capacity);
    this.wTick = new Uint32Array(capacity).fill(NOT_LINKED);
    this.wheel = new Int32Array(WHEEL_SIZE).fill(-1);
    this.freeHead = -1;
    this.epoch = now;
    this.seed = seed | 0;
  }

  /** Bytes of typed-array storage per entry at full capacity (index slots and wheel included). */
  get bytesPerEntry(): number {
    // rows, addresses, state, control/nControl, expires, timeout/inPkts/syncEndtime, wheel links
    const perEntry = ROW * 4 + 4 * 4 * 3 + 1 + 4 * 2 + 8 + 4 * 3 + 4 * 3;
    return perEntry + (this.slots.length * 4 + WHEEL_SIZE * 4) / this.capacity;
  }

  /** `F_*` flags of entry `i`. */
  getFlags(i: number): number {
    return ((this.rows[i * ROW + K_PF] ?? 0) >>> 8) & 0xffff;
  }
  /** Replaces the flags of entry `i`. */
  setFlags(i: number, flags: number): void {
    const o = i * ROW + K_PF;
    this.rows[o] = ((this.rows[o] ?? 0) & ~0xffff00) | ((flags & 0xffff) << 8);
  }
  /**
   * `cp->old_state`: the protocol state when entry `i` was last sent by the sync master (0 at insert), kept
   * in the spare top byte of the protocol/flags word (ip_vs_sync.c `ip_vs_sync_conn_needed`).
   */
  getOldState(i: number): number {
    return (this.rows[i * ROW + K_PF] ?? 0) >>> 24;
  }
  /** Sets `cp->old_state` of entry `i` (0..255). */
  setOldState(i: number, state: number): void {
    const o = i * ROW + K_PF;
    this.rows[o] = ((this.rows[o] ?? 0) & 0xffffff) | ((state & 0xff) << 24);
  }
  /**
   * The table's 32-bit millisecond clock: `now` minus the table's epoch, modulo 2^32 (wraps after 49.7
   * days; compare two readings by their signed 32-bit difference, as the kernel compares jiffies).
   */
  clock32(now: number): number {
    return (now - this.epoch) >>> 0;
  }
  /**
   * The firewall mark of entry `i` (`cp->fwmark`: the packet's mark when the entry was made): the mark of
   * the firewall-mark service its real server belongs to, 0 for an address service's entries. The engine
   * records each real server's mark ({@link ConnTable.setDestFwmark}); the sync master sends it.
   */
  getFwmark(i: number): number {
    return this.destFwmark[this.rows[i * ROW + K_DEST] ?? -1] ?? 0;
  }
  /** Records the firewall mark of real server `dest` (0: an address service); control path only. */
  setDestFwmark(dest: number, mark: number): void {
    this.destFwmark[dest] = mark >>> 0;
  }
  /** IP protocol number (0 for fwmark templates, `IPPROTO_IP`). */
  getProto(i: number): number {
    return (this.rows[i * ROW + K_PF] ?? 0) & 0xff;
  }
  /** Client port. */
  getCport(i: number): number {
    return (this.rows[i * ROW + K_PORTS] ?? 0) >>> 16;
  }
  /** Virtual port. */
  getVport(i: number): number {
    return (this.rows[i * ROW + K_PORTS] ?? 0) & 0xffff;
  }
  /** Real server port. */
  getDport(i: number): number {
    return this.rows[i * ROW + K_DPORT] ?? 0;
  }
  /** Real server id in the engine. */
  getDest(i: number): number {
    return this.rows[i * ROW + K_DEST] ?? -1;
  }

  /** 32-bit hash of a client endpoint (protocol, family, 4 address words at `off`, port). */
  hash(proto: number, af6: boolean, words: Int32Array, off: number, port: number): number {
    let h = this.seed ^ (proto | (af6 ? 0x100 : 0));
    h = mix(h, words[off] ?? 0);
    if (af6) {
      h = mix(h, words[off + 1] ?? 0);
      h = mix(h, words[off + 2] ?? 0);
      h = mix(h, words[off + 3] ?? 0);
    }
    h = mix(h, port);
    return fmix(h);
  }

  /** Home slot of hash `h`: its high bits scaled to 0..nSlots-1 (exact in doubles, never reaches nSlots). */
  private home(h: number): number {
    return ((h >>> 0) * this.slotScale) | 0;
  }

  /** The tag bits of a slot for hash `h`: a second multiply so they are not the bits that chose the slot. */
  private tagOf(h: number): number {
    return (Math.imul(h, 0x9e3779b1) >>> this.idxBits) << this.idxBits;
  }

  /**
   * Finds a connection (not a template) for a client → virtual packet (`ip_vs_conn_in_get`).
   * @returns the entry index or -1
   */
  lookupIn(
    proto: number,
    af6: boolean,
    words: Int32Array,
    cOff: number,
    cport: number,
    vOff: number,
    vport: number,
  ): number {
    const r = this.rows;
    const pf = proto | ((af6 ? F_AF6 : 0) << 8);
    const pfMask = 0xff | ((F_TEMPLATE | F_AF6) << 8);
    const ports = (cport << 16) | vport;
    const c0 = words[cOff];
    const v0 = words[vOff];
    const h = this.hash(proto, af6, words, cOff, cport);
    const tag = this.tagOf(h);
    const sl = this.slots;
    const ns = this.nSlots;
    const im = this.idxMask;
    for (let s = this.home(h); ; s = s + 1 === ns ? 0 : s + 1) {
      const v = sl[s] ?? 0;
      if (v === 0) return -1;
      if ((v & ~im) !== tag) continue;
      const i = (v & im) - 1;
      const o = i * ROW;
      if (
        r[o + K_PORTS] === ports &&
        r[o + K_C0] === c0 &&
        r[o + K_V0] === v0 &&
        ((r[o + K_PF] ?? 0) & pfMask) === pf
      ) {
        if (!af6) return i;
        const a = i << 2;
        const ca = this.caddr;
        const va = this.vaddr;
        if (
          ca[a + 1] === words[cOff + 1] &&
          ca[a + 2] === words[cOff + 2] &&
          ca[a + 3] === words[cOff + 3] &&
          va[a + 1] === words[vOff + 1] &&
          va[a + 2] === words[vOff + 2] &&
          va[a + 3] === words[vOff + 3]
        )
          return i;
      }
    }
  }

  /**
   * Finds a connection for a real server → client packet (`ip_vs_conn_out_get`): the packet's destination
   * is the client, its source the real server.
   * @returns the entry index or -1
   */
  lookupOut(
    proto: number,
    af6: boolean,
    words: Int32Array,
    clientOff: number,
    clientPort: number,
    destOff: number,
    destPort: number,
  ): number {
    const r = this.rows;
    const pf = proto | ((af6 ? F_AF6 | F_DAF6 : 0) << 8);
    const pfMask = 0xff | ((F_TEMPLATE | F_AF6 | F_DAF6) << 8);
    const c0 = words[clientOff];
    const d0 = words[destOff];
    const h = this.hash(proto, af6, words, clientOff, clientPort);
    const tag = this.tagOf(h);
    const sl = this.slots;
    const ns = this.nSlots;
    const im = this.idxMask;
    for (let s = this.home(h); ; s = s + 1 === ns ? 0 : s + 1) {
      const v = sl[s] ?? 0;
      if (v === 0) return -1;
      if ((v & ~im) !== tag) continue;
      const i = (v & im) - 1;
      const o = i * ROW;
      if (
        (r[o + K_PORTS] ?? 0) >>> 16 === clientPort &&
        r[o + K_DPORT] === destPort &&
        r[o + K_C0] === c0 &&
        r[o + K_D0] === d0 &&
        ((r[o + K_PF] ?? 0) & pfMask) === pf
      ) {
        if (!af6) return i;
        const a = i << 2;
        const ca = this.caddr;
        const da = this.daddr;
        if (
          ca[a + 1] === words[clientOff + 1] &&
          ca[a + 2] === words[clientOff + 2] &&
          ca[a + 3] === words[clientOff + 3] &&
          da[a + 1] === words[destOff + 1] &&
          da[a + 2] === words[destOff + 2] &&
          da[a + 3] === words[destOff + 3]
        )
          return i;
      }
    }
  }

  /**
   * Finds a persistence template (`ip_vs_ct_in_get`): client port 0, TEMPLATE set, exact vaddr/vport.
   * @returns the entry index or -1
   */
  lookupTemplate(proto: number, af6: boolean, words: Int32Array, cOff: number, vOff: number, vport: number): number {
    const r = this.rows;
    const pf = proto | ((F_TEMPLATE | (af6 ? F_AF6 : 0)) << 8);
    const pfMask = 0xff | ((F_TEMPLATE | F_AF6) << 8);
    const h = this.hash(proto, af6, words, cOff, 0);
    const tag = this.tagOf(h);
    const sl = this.slots;
    const ns = this.nSlots;
    const im = this.idxMask;
    for (let s = this.home(h); ; s = s + 1 === ns ? 0 : s + 1) {
      const v = sl[s] ?? 0;
      if (v === 0) return -1;
      if ((v & ~im) !== tag) continue;
      const i = (v & im) - 1;
      const o = i * ROW;
      const a = i << 2;
      if (
        r[o + K_PORTS] === vport &&
        ((r[o + K_PF] ?? 0) & pfMask) === pf &&
        this.caddr[a] === words[cOff] &&
        this.vaddr[a] === words[vOff] &&
        this.caddr[a + 1] === words[cOff + 1] &&
        this.caddr[a + 2] === words[cOff + 2] &&
        this.caddr[a + 3] === words[cOff + 3] &&
        this.vaddr[a + 1] === words[vOff + 1] &&
        this.vaddr[a + 2] === words[vOff + 2] &&
        this.vaddr[a + 3] === words[vOff + 3]
      )
        return i;
    }
  }

  /**
   * Inserts an entry and links it into the hash and the wheel. Address words for IPv4 must have words
   * 1..3 zero.
   * @returns the new index, or -1 when the table is full
   */
  insert(
    proto: number,
    flags: number,
    words: Int32Array,
    cOff: number,
    cport: number,
    vOff: number,
    vport: number,
    dwords: Int32Array,
    dOff: number,
    dport: number,
    dest: number,
    now: number,
    timeoutMs: number,
  ): number {
    let i = this.freeHead;
    if (i >= 0) this.freeHead = this.rows[i * ROW + K_HASH] ?? -1;
    else if (this.highWater < this.capacity) i = this.highWater++;
    else return -1;
    const a = i << 2;
    for (let k = 0; k < 4; k++) {
      this.caddr[a + k] = words[cOff + k] ?? 0;
      this.vaddr[a + k] = words[vOff + k] ?? 0;
      this.daddr[a + k] = dwords[dOff + k] ?? 0;
    }
    const o = i * ROW;
    const r = this.rows;
    r[o + K_C0] = words[cOff] ?? 0;
    r[o + K_V0] = words[vOff] ?? 0;
    r[o + K_PORTS] = (cport << 16) | vport;
    r[o + K_PF] = (proto & 0xff) | (((flags | F_HASHED) & 0xffff) << 8);
    r[o + K_D0] = dwords[dOff] ?? 0;
    r[o + K_DPORT] = dport;
    r[o + K_DEST] = dest;
    this.state[i] = 0;
    this.control[i] = -1;
    this.nControl[i] = 0;
    this.inPkts[i] = 0;
    this.syncEndtime[i] = ((now - this.epoch) >>> 0) & ~3;
    const h = this.hash(proto, (flags & F_AF6) !== 0, words, cOff, cport);
    r[o + K_HASH] = h;
    // Slots outnumber entries, so an empty slot always exists.
    const ns = this.nSlots;
    let s = this.home(h);
    while ((this.slots[s] ?? 0) !== 0) s = s + 1 === ns ? 0 : s + 1;
    this.slots[s] = this.tagOf(h) | (i + 1);
    this.wTick[i] = NOT_LINKED;
    this.arm(i, now, timeoutMs);
    this.size++;
    return i;
  }

  /** True when `i` is an entry in use. */
  inUse(i: number): boolean {
    return i >= 0 && i < this.highWater && (this.getFlags(i) & F_HASHED) !== 0;
  }

  /** One past the highest index ever used (iterate `0..end` with {@link inUse}). */
  get end(): number {
    return this.highWater;
  }

  /** Unlinks and frees an entry. */
  remove(i: number): void {
    if (!this.inUse(i)) return;
    const r = this.rows;
    const sl = this.slots;
    const ns = this.nSlots;
    const im = this.idxMask;
    let hole = this.home(r[i * ROW + K_HASH] ?? 0);
    while (((sl[hole] ?? 0) & im) !== i + 1) hole = hole + 1 === ns ? 0 : hole + 1;
    // Backward-shift deletion (no tombstones): pull each later slot of the run into the hole when the hole
    // lies between its home and its position, so every entry stays reachable from its home slot.
    for (let j = hole + 1 === ns ? 0 : hole + 1; ; j = j + 1 === ns ? 0 : j + 1) {
      const v = sl[j] ?? 0;
      if (v === 0) break;
      const home = this.home(r[((v & im) - 1) * ROW + K_HASH] ?? 0);
      // Distances along the probe direction, modulo the slot count.
      const fromHome = j >= home ? j - home : j - home + ns;
      const fromHole = j >= hole ? j - hole : j - hole + ns;
      if (fromHome >= fromHole) {
        sl[hole] = v;
        hole = j;
      }
    }
    sl[hole] = 0;
    this.wheelUnlink(i);
    r[i * ROW + K_PF] = 0;
    r[i * ROW + K_HASH] = this.freeHead;
    this.freeHead = i;
    this.size--;
  }

  /**
   * Changes a template's virtual and real server ports to 0xffff in place so it no longer matches (the
   * kernel's rehash in `ip_vs_check_template`). The hash key (client endpoint, port 0) is unchanged.
   */
  invalidateTemplate(i: number): void {
    const o = i * ROW;
    this.rows[o + K_PORTS] = ((this.rows[o + K_PORTS] ?? 0) & ~0xffff) | 0xffff;
    this.rows[o + K_DPORT] = 0xffff;
  }

  /** Re-arms an entry's timer: expires at `now + timeoutMs` (`mod_timer(jiffies + cp->timeout)`). */
  arm(i: number, now: number, timeoutMs: number): void {
    this.timeout[i] = timeoutMs;
    const exp = now + timeoutMs;
    this.expires[i] = exp;
    const rel = exp - this.epoch;
    // Never behind the wheel: a tick already run would not be visited again for a whole revolution.
    const tick = Math.max(rel <= 0 ? 0 : Math.ceil(rel / WHEEL_TICK_MS), this.lastTick + 1);
    const cur = this.wTick[i] ?? NOT_LINKED;
    // Lazy wheel: a later expiry stays in its earlier slot and is re-slotted when that slot comes due.
    if (cur !== NOT_LINKED && tick >= cur) return;
    if (cur !== NOT_LINKED) this.wheelUnlink(i);
    this.wheelLink(i, tick);
  }

  private wheelLink(i: number, tick: number): void {
    const s = tick & WHEEL_MASK;
    const h = this.wheel[s] ?? -1;
    this.wNext[i] = h;
    this.wPrev[i] = -1;
    if (h >= 0) this.wPrev[h] = i;
    this.wheel[s] = i;
    this.wTick[i] = tick;
  }

  private wheelUnlink(i: number): void {
    const t = this.wTick[i] ?? NOT_LINKED;
    if (t === NOT_LINKED) return;
    const p = this.wPrev[i] ?? -1;
    const n = this.wNext[i] ?? -1;
    if (p >= 0) this.wNext[p] = n;
    else this.wheel[t & WHEEL_MASK] = n;
    if (n >= 0) this.wPrev[n] = p;
    this.wTick[i] = NOT_LINKED;
  }

  /**
   * Runs the wheel up to `now`: every entry whose expiry is ≤ `now` is handed to `onExpire`, which must
   * remove it or re-arm it, and must not remove or re-arm any other entry. Costs nothing while the
   * current tick is unchanged.
   */
  advance(now: number, onExpire: ExpireCallback): void {
    const rel = now - this.epoch;
    const nowTick = rel <= 0 ? 0 : Math.floor(rel / WHEEL_TICK_MS);
    if (nowTick <= this.lastTick) return;
    const from = nowTick - this.lastTick >= WHEEL_SIZE ? nowTick - WHEEL_SIZE + 1 : this.lastTick + 1;
    this.lastTick = nowTick;
    for (let t = from; t <= nowTick; t++) {
      const s = t & WHEEL_MASK;
      let keep = -1; // entries for a later revolution of this same slot
      for (;;) {
        const i = this.wheel[s] ?? -1;
        if (i < 0) break;
        this.wheelUnlink(i);
        const exp = this.expires[i] ?? 0;
        if (exp <= now) {
          onExpire(i);
          continue;
        }
        const tick = Math.max(Math.ceil((exp - this.epoch) / WHEEL_TICK_MS), nowTick + 1);
        if ((tick & WHEEL_MASK) === s) {
          this.wNext[i] = keep;
          keep = i;
        } else this.wheelLink(i, tick);
      }
      while (keep >= 0) {
        const n = this.wNext[keep] ?? -1;
        this.wheelLink(keep, Math.ceil(((this.expires[keep] ?? 0) - this.epoch) / WHEEL_TICK_MS));
        keep = n;
      }
    }
  }

  /** Removes every entry (used by tests and `flush`). */
  clear(): void {
    this.slots.fill(0);
    this.wheel.fill(-1);
    this.rows.fill(0, 0, this.highWater * ROW);
    this.wTick.fill(NOT_LINKED, 0, this.highWater);
    this.highWater = 0;
    this.freeHead = -1;
    this.size = 0;
  }
}
