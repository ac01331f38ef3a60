/**
 * SipHash-c-d over 64-bit words held as pairs of unsigned 32-bit halves, so that hashing allocates nothing
 * and needs no BigInt. Owns the kernel's `hsiphash` as 64-bit machines compute it (SipHash-1-3 truncated to
 * the low 32 bits, lib/siphash.c with `BITS_PER_LONG == 64`), which the mh scheduler hashes with. Must never
 * allocate in {@link sipHash} or {@link hsiphash32}; it knows nothing of schedulers.
 */

/**
 * A SipHash key: the two 64-bit key words `key[0]`, `key[1]` of the kernel's `siphash_key_t` /
 * (64-bit) `hsiphash_key_t`, stored as `[k0 low, k0 high, k1 low, k1 high]` unsigned 32-bit halves.
 */
export type SipHashKey = Uint32Array;

/**
 * Builds a key from its two 64-bit words (control path).
 * @param k0 - `key[0]`
 * @param k1 - `key[1]`
 */
export function sipHashKey(k0: bigint, k1: bigint): SipHashKey {
  const m = 0xffffffffn;
  return Uint32Array.of(Number(k0 & m), Number((k0 >> 32n) & m), Number(k1 & m), Number((k1 >> 32n) & m));
}

// State v0..v3 as (high, low) halves; module-level so the round loop works on locals and nothing is allocated.
const S = new Uint32Array(8); // v0h v0l v1h v1l v2h v2l v3h v3l

/** Runs `n` SIPROUNDs (lib/siphash.c `SIPROUND`) on the state in `S`. */
function rounds(n: number): void {
  let v0h = S[0]!;
  let v0l = S[1]!;
  let v1h = S[2]!;
  let v1l = S[3]!;
  let v2h = S[4]!;
  let v2l = S[5]!;
  let v3h = S[6]!;
  let v3l = S[7]!;
  let l: number;
  let t: number;
  for (let i = 0; i < n; i++) {
    // v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);
    l = (v0l + v1l) >>> 0;
    v0h = (v0h + v1h + (l < v0l ? 1 : 0)) >>> 0;
    v0l = l;
    t = v1h;
    v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0;
    v1l = ((v1l << 13) | (t >>> 19)) >>> 0;
    v1h = (v1h ^ v0h) >>> 0;
    v1l = (v1l ^ v0l) >>> 0;
    t = v0h;
    v0h = v0l;
    v0l = t;
    // v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;
    l = (v2l + v3l) >>> 0;
    v2h = (v2h + v3h + (l < v2l ? 1 : 0)) >>> 0;
    v2l = l;
    t = v3h;
    v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0;
    v3l = ((v3l << 16) | (t >>> 16)) >>> 0;
    v3h = (v3h ^ v2h) >>> 0;
    v3l = (v3l ^ v2l) >>> 0;
    // v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;
    l = (v0l + v3l) >>> 0;
    v0h = (v0h + v3h + (l < v0l ? 1 : 0)) >>> 0;
    v0l = l;
    t = v3h;
    v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0;
    v3l = ((v3l << 21) | (t >>> 11)) >>> 0;
    v3h = (v3h ^ v0h) >>> 0;
    v3l = (v3l ^ v0l) >>> 0;
    // v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);
    l = (v2l + v1l) >>> 0;
    v2h = (v2h + v1h + (l < v2l ? 1 : 0)) >>> 0;
    v2l = l;
    t = v1h;
    v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0;
    v1l = ((v1l << 17) | (t >>> 15)) >>> 0;
    v1h = (v1h ^ v2h) >>> 0;
    v1l = (v1l ^ v2l) >>> 0;
    t = v2h;
    v2h = v2l;
    v2l = t;
  }
  S[0] = v0h;
  S[1] = v0l;
  S[2] = v1h;
  S[3] = v1l;
  S[4] = v2h;
  S[5] = v2l;
  S[6] = v3h;
  S[7] = v3l;
}

/** lib/siphash.c `PREAMBLE`: the "somepseudorandomlygeneratedbytes" constants XORed with the key. */
function preamble(key: SipHashKey): void {
  const k0l = key[0]!;
  const k0h = key[1]!;
  const k1l = key[2]!;
  const k1h = key[3]!;
  S[0] = 0x736f6d65 ^ k0h;
  S[1] = 0x70736575 ^ k0l;
  S[2] = 0x646f7261 ^ k1h;
  S[3] = 0x6e646f6d ^ k1l;
  S[4] = 0x6c796765 ^ k0h;
  S[5] = 0x6e657261 ^ k0l;
  S[6] = 0x74656462 ^ k1h;
  S[7] = 0x79746573 ^ k1l;
}

/** One message word `m` (high, low): `v3 ^= m; c rounds; v0 ^= m`. */
function compress(mh: number, ml: number, c: number): void {
  S[6] = S[6]! ^ mh;
  S[7] = S[7]! ^ ml;
  rounds(c);
  S[0] = S[0]! ^ mh;
  S[1] = S[1]! ^ ml;
}

/** lib/siphash.c `POSTAMBLE`: last word `b`, `v2 ^= 0xff`, `d` rounds. */
function finish(bh: number, bl: number, c: number, d: number): void {
  compress(bh, bl, c);
  S[5] = S[5]! ^ 0xff;
  rounds(d);
}

/**
 * SipHash-c-d of `len` bytes of `data` (little-endian words, as the reference implementation and
 * lib/siphash.c `__siphash_unaligned`). Writes the 64-bit result to `out` as `[low, high]`.
 * @param data - message bytes
 * @param len - how many bytes of `data` to hash
 * @param key - the key
 * @param c - compression rounds (2 for SipHash-2-4, 1 for the kernel's hsiphash on 64-bit)
 * @param d - finalisation rounds (4, or 3)
 * @param out - receives `[low 32 bits, high 32 bits]`
 * @returns `out`
 */
export function sipHash(
  data: Uint8Array,
  len: number,
  key: SipHashKey,
  c: number,
  d: number,
  out: Uint32Array,
): Uint32Array {
  preamble(key);
  const end = len - (len % 8);
  let i = 0;
  for (; i < end; i += 8) {
    const ml = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    const mh = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0;
    compress(mh, ml, c);
  }
  // b = len << 56 | the 0..7 bytes left, little-endian.
  let bl = 0;
  let bh = (len & 0xff) << 24;
  for (let k = 0; i + k < len; k++) {
    const byte = data[i + k]!;
    if (k < 4) bl |= byte << (8 * k);
    else bh |= byte << (8 * (k - 4));
  }
  finish(bh >>> 0, bl >>> 0, c, d);
  out[0] = (S[1]! ^ S[3]! ^ S[5]! ^ S[7]!) >>> 0;
  out[1] = (S[0]! ^ S[2]! ^ S[4]! ^ S[6]!) >>> 0;
  return out;
}

/**
 * The SipHash-1-3 of one u32 with everything in locals (the mh pick path). Takes and returns int32 bit
 * patterns: V8 passes and returns int32 values untagged-cheaply, while a uint32 above 2^31 crossing a call
 * would be boxed as a heap number, i.e. allocated per pick.
 */
function hsipCore(bits: number, key: SipHashKey): number {
  // Everything in locals (this is the mh pick path): PREAMBLE, then b = (4 << 56) | value, v3 ^= b, one
  // round, v0 ^= b, v2 ^= 0xff, three rounds.
  const k0l = key[0]!;
  const k0h = key[1]!;
  const k1l = key[2]!;
  const k1h = key[3]!;
  let v0h = (0x736f6d65 ^ k0h) >>> 0;
  let v0l = (0x70736575 ^ k0l) >>> 0;
  let v1h = (0x646f7261 ^ k1h) >>> 0;
  let v1l = (0x6e646f6d ^ k1l) >>> 0;
  let v2h = (0x6c796765 ^ k0h) >>> 0;
  let v2l = (0x6e657261 ^ k0l) >>> 0;
  const bh = 4 << 24;
  const bl = bits >>> 0;
  let v3h = (0x74656462 ^ k1h ^ bh) >>> 0;
  let v3l = (0x79746573 ^ k1l ^ bl) >>> 0;
  let l: number;
  let t: number;
  for (let r = 0; r < 4; r++) {
    if (r === 1) {
      v0h = (v0h ^ bh) >>> 0;
      v0l = (v0l ^ bl) >>> 0;
      v2l = (v2l ^ 0xff) >>> 0;
    }
    l = (v0l + v1l) >>> 0;
    v0h = (v0h + v1h + (l < v0l ? 1 : 0)) >>> 0;
    v0l = l;
    t = v1h;
    v1h = (((v1h << 13) | (v1l >>> 19)) ^ v0h) >>> 0;
    v1l = (((v1l << 13) | (t >>> 19)) ^ v0l) >>> 0;
    t = v0h;
    v0h = v0l;
    v0l = t;
    l = (v2l + v3l) >>> 0;
    v2h = (v2h + v3h + (l < v2l ? 1 : 0)) >>> 0;
    v2l = l;
    t = v3h;
    v3h = (((v3h << 16) | (v3l >>> 16)) ^ v2h) >>> 0;
    v3l = (((v3l << 16) | (t >>> 16)) ^ v2l) >>> 0;
    l = (v0l + v3l) >>> 0;
    v0h = (v0h + v3h + (l < v0l ? 1 : 0)) >>> 0;
    v0l = l;
    t = v3h;
    v3h = (((v3h << 21) | (v3l >>> 11)) ^ v0h) >>> 0;
    v3l = (((v3l << 21) | (t >>> 11)) ^ v0l) >>> 0;
    l = (v2l + v1l) >>> 0;
    v2h = (v2h + v1h + (l < v2l ? 1 : 0)) >>> 0;
    v2l = l;
    t = v1h;
    v1h = (((v1h << 17) | (v1l >>> 15)) ^ v2h) >>> 0;
    v1l = (((v1l << 17) | (t >>> 15)) ^ v2l) >>> 0;
    t = v2h;
    v2h = v2l;
    v2l = t;
  }
  return v0l ^ v1l ^ v2l ^ v3l; // int32: a small integer, never a boxed heap number
}

/**
 * The kernel's `hsiphash(&v, sizeof(v), key)` for a 4-byte `u32 v` on a 64-bit little-endian machine:
 * SipHash-1-3 of the value's four bytes, truncated to `u32`. Allocates nothing.
 * @see lib/siphash.c `hsiphash_1u32` / `__hsiphash_unaligned` (`BITS_PER_LONG == 64`: `HSIPROUND` = `SIPROUND`,
 *   `HPOSTAMBLE` = 1 + 3 rounds)
 * @param value - the u32 (host order)
 * @param key - the two 64-bit key words
 * @returns the low 32 bits of `(v0 ^ v1) ^ (v2 ^ v3)`
 */
export function hsiphash32(value: number, key: SipHashKey): number {
  return hsipCore(value | 0, key) >>> 0;
}

/**
 * `hsiphash32(value, key) % modulus` without allocating: what `ip_vs_mh_hashkey(…) % IP_VS_MH_TAB_SIZE`
 * computes. Pass `value` as `x | 0` on hot paths so that no uint32 above 2^31 crosses a call.
 * @param value - the u32 (host order), or its int32 bit pattern
 * @param key - the two 64-bit key words
 * @param modulus - a positive integer below 2^31
 */
export function hsiphash32Mod(value: number, key: SipHashKey, modulus: number): number {
  return (hsipCore(value | 0, key) >>> 0) % modulus;
}
