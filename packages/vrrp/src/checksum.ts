/**
 * The Internet checksum (RFC 1071) over byte ranges, with an accumulator so a pseudo-header and the
 * message can be summed in two calls, as keepalived's `in_csum(…, acc, &acc)` does. Allocates nothing;
 * must never know about VRRP fields.
 */

/**
 * Adds the 16-bit big-endian words of `bytes[offset, offset+length)` to a running one's-complement sum
 * (an odd trailing byte is padded with zero, RFC 1071 §4.1). Returns the unfolded 32-bit-safe sum.
 * @param bytes - the data
 * @param offset - first byte
 * @param length - number of bytes
 * @param acc - running sum from a previous call (0 to start)
 */
export function onesSum(bytes: Uint8Array, offset: number, length: number, acc = 0): number {
  let sum = acc;
  const end = offset + length;
  let i = offset;
  for (; i + 1 < end; i += 2) {
    sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
    // Fold periodically so the number stays a small integer.
    if (sum > 0xffffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (i < end) sum += (bytes[i] as number) << 8;
  return sum;
}

/**
 * Folds a running sum to 16 bits and complements it: the value to store in a checksum field, or 0 when
 * verifying a message whose checksum field was included in the sum and is correct.
 * @param sum - a value from {@link onesSum}
 */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
