/**
 * The rate limits the kernel puts on the ICMP and ICMPv6 errors a director originates in place of forwarding
 * (time exceeded, fragmentation needed / packet too big): the per-type masks, the host-wide credit bucket and
 * the per-destination token bucket, as current mainline Linux evaluates them. Owns that state, kept in
 * preallocated typed arrays (a fixed, set-associative table of destination peers); must never allocate or
 * throw in {@link IcmpRateLimiter.allow}, and never decides anything beyond "may this error be sent now" —
 * which errors to build, and when not to reply at all (non-first fragments, errors about errors), stay with
 * the caller.
 *
 * Kernel model (mainline after the 2024 re-ordering, 8c2bd38b95f7, and the 2026 ICMPv6 fix, 0201eedb69b2):
 * - `icmpv4_mask_allow` / `icmpv6_mask_allow` (net/ipv4/icmp.c, net/ipv6/icmp.c): an ICMP type above 18
 *   (NR_ICMP_TYPES), destination-unreachable / fragmentation-needed ("Don't limit PMTU discovery"), or a type
 *   whose bit is clear in `icmp_ratemask` is never limited, by either limiter. For ICMPv6 only the bitmap
 *   `net.ipv6.icmp.ratemask` decides; packet-too-big is exempt because its bit is clear by default
 *   (`inet6_net_init`: bits 0..127 set, then bit 2 cleared), not by a special case.
 * - `icmp_global_allow` then `icmp_global_consume` (net/ipv4/icmp.c), one bucket shared by both families:
 *   the check passes while the credit is positive; otherwise it refills from the time since the last refill
 *   (capped at one second, nothing before 1/50 s, `msgs_per_sec * delta / HZ` rounded down, credit capped at
 *   `icmp_msgs_burst`) and passes when anything was added. The credit is spent only after the per-destination
 *   check passed, and then by a random 0, 1 or 2 (`get_random_u32_below(3)`), so it can go negative.
 * - `inet_peer_xrlim_allow` (net/ipv4/inetpeer.c): per destination address, tokens grow one per jiffy since
 *   the peer was last consulted, capped at XRLIM_BURST_FACTOR (6) × the ratelimit; a message costs one
 *   ratelimit of tokens. A new peer starts as if last consulted 60 s ago (`inet_getpeer`), i.e. full: six
 *   messages at once, then one per ratelimit. `icmp_ratelimit` (1000 ms) for IPv4, `net.ipv6.icmp.ratelimit`
 *   (100 ms since 0201eedb69b2, which also dropped the old "wider prefix" divisor) for IPv6.
 * Time is modelled with HZ = 1000: one jiffy is one millisecond, so every sysctl in ms is taken as is.
 */
import { LvsError, type LvsIssue } from '@lvskit/base';

/** Options of {@link IcmpRateLimiter}: the kernel sysctls (each defaulting to current mainline's value). */
export interface IcmpRateLimitOptions {
  /** `net.ipv4.icmp_ratelimit`: ms of tokens one limited ICMP error to a destination costs; 0 disables the per-destination limit (default 1000). */
  readonly ratelimitMs?: number;
  /** `net.ipv4.icmp_ratemask`: bit n set limits ICMP type n, for n ≤ 18 (default 0x1818: types 3, 4, 11, 12). */
  readonly ratemask?: number;
  /** `net.ipv4.icmp_msgs_per_sec`: host-wide refill rate, shared with ICMPv6 (default 10000; 1000 before Linux 6.19). */
  readonly msgsPerSec?: number;
  /** `net.ipv4.icmp_msgs_burst`: host-wide credit cap (default 10000; 50 before Linux 6.19). */
  readonly msgsBurst?: number;
  /** `net.ipv6.icmp.ratelimit`: as `ratelimitMs`, for ICMPv6 (default 100; 1000 before 0201eedb69b2). */
  readonly v6RatelimitMs?: number;
  /** `net.ipv6.icmp.ratemask` in its sysctl syntax, comma-separated types or ranges in 0..255 (default `'0-1,3-127'`). */
  readonly v6Ratemask?: string;
  /** Destination peers kept, a power of two in 4..2^20, in sets of {@link ICMP_PEER_WAYS} (default 4096, the kernel's least `inet_peer_threshold`). */
  readonly peerSlots?: number;
  /**
   * Uniform numbers in [0, 1) for the credit `icmp_global_consume` spends (0, 1 or 2) and for the table's hash
   * seed; default `Math.random`. Must not throw. A constant 0.5 spends exactly one credit per message.
   */
  readonly random?: () => number;
}

/** Current mainline defaults of the sysctls {@link IcmpRateLimitOptions} models (see the file comment for the sources). */
export const icmpRateLimitDefaults = Object.freeze({
  ratelimitMs: 1000,
  ratemask: 0x1818,
  msgsPerSec: 10000,
  msgsBurst: 10000,
  v6RatelimitMs: 100,
  v6Ratemask: '0-1,3-127',
  peerSlots: 4096,
} as const);

/** Peers per set of the destination table: a new peer evicts, within its set, the least recently consulted. */
export const ICMP_PEER_WAYS = 4;

/** XRLIM_BURST_FACTOR (net/ipv4/inetpeer.c): a peer holds at most this many messages' worth of tokens. */
const XRLIM_BURST_FACTOR = 6;
/** NR_ICMP_TYPES (include/uapi/linux/icmp.h): ICMP types above it are never limited. */
const NR_ICMP_TYPES = 18;
const ICMP_DEST_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;
/** ICMPV6_MSG_MAX (include/net/ipv6.h): the ICMPv6 ratemask bitmap has types 0..255. */
const ICMPV6_MSG_MAX = 255;
/** HZ modelled: 1 jiffy = 1 ms. */
const HZ = 1000;
/** A new peer's `rate_last` is `jiffies - 60*HZ` (inet_getpeer): "the first calculation of tokens is at its maximum". */
const NEW_PEER_AGE = 60 * HZ;
const INT_MAX = 0x7fffffff;
const EMPTY = 0;

/**
 * The kernel's ICMP error rate limits for one director (one network namespace): call {@link allow} for
 * every ICMP/ICMPv6 error about to be originated; send it only when that returns true. Fixed memory, no
 * allocation and no exception per call.
 *
 * Destination table: `peerSlots` entries in sets of {@link ICMP_PEER_WAYS}, indexed by a seeded hash of the
 * address (IPv4 by its 32-bit value, IPv6 by its four 32-bit words, the family part of the key). A new
 * destination whose set is full evicts the entry consulted least recently. The kernel's inet_peer tree also
 * drops peers: idle ones after 2–10 minutes, and under pressure (more than `inet_peer_threshold` peers) any
 * unreferenced peer met on a lookup path. An evicted peer comes back full, as a new kernel peer does; that is
 * unobservable for one idle at least 6 × its ratelimit (its bucket was full anyway), and otherwise it can
 * grant that destination one more burst — the same effect as the kernel's pressure eviction.
 *
 * @see net/ipv4/icmp.c `__icmp_send`, `icmpv4_global_allow`, `icmpv4_xrlim_allow`, `icmp_global_allow`,
 * `icmp_global_consume`; net/ipv6/icmp.c `icmp6_send`, `icmpv6_xrlim_allow`; net/ipv4/inetpeer.c
 * `inet_getpeer`, `inet_peer_xrlim_allow`.
 */
export class IcmpRateLimiter {
  /** Settings, validated. */
  private readonly timeout4: number;
  private readonly timeout6: number;
  private readonly mask4: number;
  /** ICMPv6 ratemask bitmap, one byte per type 0..255 (1 = limited). */
  private readonly mask6 = new Uint8Array(ICMPV6_MSG_MAX + 1);
  private readonly perSec: number;
  private readonly burst: number;
  private readonly random: () => number;

  /** Host-wide bucket (`icmp_global_credit`, `icmp_global_stamp`); -Infinity: never refilled, so the first refill is a full second's. */
  private credit = 0;
  private stamp = Number.NEGATIVE_INFINITY;

  /** Peer table: family (0 empty, 4, 6), address words, `rate_tokens`, `rate_last` (ms). */
  private readonly family: Uint8Array;
  private readonly key: Uint32Array;
  private readonly tokens: Float64Array;
  private readonly last: Float64Array;
  private readonly setShift: number;
  private readonly setMask: number;
  private readonly seed: number;
  private peers = 0;

  private allowedCount = 0;
  private hostCount = 0;
  private globalCount = 0;
  private invalidCount = 0;

  /**
   * @param options - the sysctls; omitted ones take {@link icmpRateLimitDefaults}
   * @throws LvsError `INVALID_ARGUMENT` listing every bad option (nothing is created)
   */
  constructor(options: IcmpRateLimitOptions = {}) {
    const issues: LvsIssue[] = [];
    const int = (name: keyof IcmpRateLimitOptions, value: unknown, min: number, max: number): number => {
      if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
      issues.push({
        path: [name],
        code: 'INVALID_ARGUMENT',
        message: `${name} must be an integer in ${min}..${max}, got ${String(value)}`,
      });
      return min;
    };
    const d = icmpRateLimitDefaults;
    // The sysctls are C ints (proc_dointvec*; msgs_per_sec and msgs_burst with a minimum of 0).
    this.timeout4 = int('ratelimitMs', options.ratelimitMs ?? d.ratelimitMs, 0, INT_MAX);
    this.timeout6 = int('v6RatelimitMs', options.v6RatelimitMs ?? d.v6RatelimitMs, 0, INT_MAX);
    this.mask4 = int('ratemask', options.ratemask ?? d.ratemask, 0, INT_MAX);
    this.perSec = int('msgsPerSec', options.msgsPerSec ?? d.msgsPerSec, 0, INT_MAX);
    this.burst = int('msgsBurst', options.msgsBurst ?? d.msgsBurst, 0, INT_MAX);
    const slots = options.peerSlots ?? d.peerSlots;
    if (!Number.isInteger(slots) || slots < ICMP_PEER_WAYS || slots > 1 << 20 || (slots & (slots - 1)) !== 0) {
      issues.push({
        path: ['peerSlots'],
        code: 'INVALID_ARGUMENT',
        message: `peerSlots must be a power of two in ${ICMP_PEER_WAYS}..${1 << 20}, got ${String(slots)}`,
      });
    }
    const mask6Error = parseRatemask6(options.v6Ratemask ?? d.v6Ratemask, this.mask6);
    if (mask6Error !== undefined) issues.push({ path: ['v6Ratemask'], code: 'INVALID_ARGUMENT', message: mask6Error });
    if (options.random !== undefined && typeof options.random !== 'function') {
      issues.push({ path: ['random'], code: 'INVALID_ARGUMENT', message: 'random must be a function' });
    }
    if (issues.length > 0) {
      throw new LvsError(
        'INVALID_ARGUMENT',
        `invalid ICMP rate-limit options: ${issues.map((i) => i.message).join('; ')}`,
        {
          issues,
        },
      );
    }
    this.random = options.random ?? Math.random;
    const sets = slots / ICMP_PEER_WAYS;
    const bits = 31 - Math.clz32(sets);
    // Top bits of the multiplicative hash pick the set; with one set the mask is 0 (a shift by 32 is by 0 in JS).
    this.setShift = 32 - bits;
    this.setMask = sets - 1;
    this.seed = Math.floor(this.random() * 0x100000000) >>> 0;
    this.family = new Uint8Array(slots);
    this.key = new Uint32Array(slots * 4);
    this.tokens = new Float64Array(slots);
    this.last = new Float64Array(slots);
  }

  /**
   * True if an ICMP (family 4) or ICMPv6 (family 6) error of this type/code to the destination address at
   * `bytes[off..off+4)` (IPv4) or `bytes[off..off+16)` (IPv6) may be sent at `nowMs` (milliseconds of a
   * monotonic clock; fractions are dropped, as jiffies are whole); consumes the tokens when it returns true.
   * A type the ratemask does not limit is always allowed and touches no state. Malformed input (another
   * family, a type outside 0..255, an address outside `bytes`, a time that is not finite) returns false and
   * counts as {@link invalid}. Never allocates, never throws.
   */
  allow(family: 4 | 6, type: number, code: number, bytes: Uint8Array, off: number, nowMs: number): boolean {
    const v4 = family === 4;
    const len = v4 ? 4 : 16;
    if (
      (!v4 && family !== 6) ||
      !(type >= 0 && type <= 255) ||
      !(off >= 0 && off + len <= bytes.length) ||
      !Number.isFinite(nowMs)
    ) {
      this.invalidCount++;
      return false;
    }
    const t = type | 0;
    const o = off | 0;
    // icmpv4_mask_allow / icmpv6_mask_allow: types neither limiter applies to.
    if (v4) {
      if (
        t > NR_ICMP_TYPES ||
        (t === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) ||
        ((1 << t) & this.mask4) === 0
      ) {
        this.allowedCount++;
        return true;
      }
    } else if (this.mask6[t] === 0) {
      this.allowedCount++;
      return true;
    }
    const now = Math.floor(nowMs);
    // icmp_global_allow: checked first, spent only after the per-destination bucket agreed.
    if (!this.globalAllow(now)) {
      this.globalCount++;
      return false;
    }
    // icmpv{4,6}_xrlim_allow → inet_peer_xrlim_allow. With a ratelimit of 0 every message passes (tokens ≥ 0).
    const timeout = v4 ? this.timeout4 : this.timeout6;
    if (timeout > 0 && !this.peerAllow(v4, bytes, o, now, timeout)) {
      this.hostCount++;
      return false;
    }
    // icmp_global_consume: get_random_u32_below(3) credits; the credit may go negative.
    // (A source outside [0, 1) is clamped to 0..2; NaN spends nothing.)
    const r = this.random() * 3;
    this.credit -= r >= 2 ? 2 : r >= 1 ? 1 : 0;
    this.allowedCount++;
    return true;
  }

  /** Errors {@link allow} returned true for (including types no limit applies to). */
  get allowed(): number {
    return this.allowedCount;
  }

  /** Errors refused by the per-destination bucket (the kernel's `RateLimitHost` MIB counter). */
  get rateLimitHost(): number {
    return this.hostCount;
  }

  /** Errors refused by the host-wide bucket (the kernel's `RateLimitGlobal` MIB counter). */
  get rateLimitGlobal(): number {
    return this.globalCount;
  }

  /** Calls refused for malformed input (see {@link allow}). */
  get invalid(): number {
    return this.invalidCount;
  }

  /** Destination peers currently in the table. */
  get peerCount(): number {
    return this.peers;
  }

  /** `icmp_global_allow`: true while credit remains, or when a refill (≥ 1/50 s since the last) adds any. */
  private globalAllow(now: number): boolean {
    if (this.credit > 0) return true;
    let delta = now - this.stamp;
    if (delta > HZ) delta = HZ;
    // A clock that went backwards refills nothing (the kernel's unsigned jiffies cannot).
    if (!(delta >= HZ / 50)) return false;
    const incr = Math.floor((this.perSec * delta) / HZ);
    if (incr === 0) return false;
    this.stamp = now;
    const credit = this.credit + incr;
    this.credit = Math.min(credit, this.burst);
    return true;
  }

  /** Finds or creates the destination's peer, then `inet_peer_xrlim_allow` on it. */
  private peerAllow(v4: boolean, bytes: Uint8Array, off: number, now: number, timeout: number): boolean {
    const w0 = word(bytes, off);
    const w1 = v4 ? 0 : word(bytes, off + 4);
    const w2 = v4 ? 0 : word(bytes, off + 8);
    const w3 = v4 ? 0 : word(bytes, off + 12);
    const fam = v4 ? 4 : 6;
    let h = Math.imul(w0 ^ this.seed ^ fam, 0x9e3779b1);
    if (!v4) {
      h = Math.imul(h ^ w1, 0x85ebca6b);
      h = Math.imul(h ^ w2, 0xc2b2ae35);
      h = Math.imul(h ^ w3, 0x9e3779b1);
    }
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    const base = ((h >>> this.setShift) & this.setMask) * ICMP_PEER_WAYS;
    let slot = -1;
    let victim = base;
    for (let i = base; i < base + ICMP_PEER_WAYS; i++) {
      const f = this.family[i]!;
      if (f === fam) {
        const k = i * 4;
        if (this.key[k] === w0 && this.key[k + 1] === w1 && this.key[k + 2] === w2 && this.key[k + 3] === w3) {
          slot = i;
          break;
        }
      }
      // Victim if needed: an empty way first, else the least recently consulted.
      if (this.family[victim] !== EMPTY && (f === EMPTY || this.last[i]! < this.last[victim]!)) victim = i;
    }
    if (slot < 0) {
      slot = victim;
      if (this.family[slot] === EMPTY) this.peers++;
      this.family[slot] = fam;
      const k = slot * 4;
      this.key[k] = w0;
      this.key[k + 1] = w1;
      this.key[k + 2] = w2;
      this.key[k + 3] = w3;
      this.tokens[slot] = 0;
      this.last[slot] = now - NEW_PEER_AGE;
    }
    // inet_peer_xrlim_allow: accrue the jiffies since last time (capped at 6 messages' worth), pay one timeout.
    let token = this.tokens[slot]!;
    const delta = now - this.last[slot]!;
    if (delta > 0) {
      this.last[slot] = now;
      token += delta;
      const cap = XRLIM_BURST_FACTOR * timeout;
      if (token > cap) token = cap;
    }
    let ok = false;
    if (token >= timeout) {
      token -= timeout;
      ok = true;
    }
    this.tokens[slot] = token;
    return ok;
  }
}

/** A 32-bit big-endian word of the address. */
function word(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/**
 * Parses `net.ipv6.icmp.ratemask` (proc_do_large_bitmap syntax: comma-separated `n` or `a-b`, 0..255) into
 * `out` (1 = limited). Returns a message when malformed, leaving `out` partly set (the caller then throws).
 */
function parseRatemask6(text: unknown, out: Uint8Array): string | undefined {
  if (typeof text !== 'string') return `v6Ratemask must be a string such as '0-1,3-127', got ${String(text)}`;
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  for (const part of trimmed.split(',')) {
    const m = /^\s*(\d{1,3})(?:-(\d{1,3}))?\s*$/.exec(part);
    const a = m ? Number(m[1]) : Number.NaN;
    const b = m && m[2] !== undefined ? Number(m[2]) : a;
    if (!(a <= b && b <= ICMPV6_MSG_MAX)) {
      return `v6Ratemask must list ICMPv6 types or ranges a-b (a ≤ b) in 0..${ICMPV6_MSG_MAX}, got ${JSON.stringify(text)}`;
    }
    out.fill(1, a, b + 1);
  }
  return undefined;
}
