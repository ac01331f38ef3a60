/**
 * Big-endian field access over one `Uint8Array`: the primitive every header view, codec and rewrite uses.
 * It owns reading and writing 8/16/32-bit network-order fields and copying short byte runs in place; it
 * must never allocate, never create a DataView per packet, and never check bounds (callers gate every
 * access with a header view's `isValid(len)` first).
 */

/** Reads the 16-bit big-endian field at `off`. */
export function get16(b: Uint8Array, off: number): number {
  return ((b[off]! << 8) | b[off + 1]!) >>> 0;
}

/** Writes `v` as a 16-bit big-endian field at `off`. */
export function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

/** Reads the 32-bit big-endian field at `off` as an unsigned number (the kernel's `ntohl`). */
export function get32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Writes `v` as a 32-bit big-endian field at `off`. */
export function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** Copies `len` bytes from `src[srcOff]` to `dst[dstOff]` (a short loop: cheaper than `set` + `subarray`). */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
}

/** True when `len` bytes at `a[aOff]` equal those at `b[bOff]`. Allocates nothing. */
export function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/**
 * Compares two byte strings as unsigned big-endian numbers (−1, 0, 1), as keepalived's `inet_inaddrcmp`
 * does with `ntohl` for IPv4 and `memcmp` for IPv6; a shorter string sorts first. Allocates nothing.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
