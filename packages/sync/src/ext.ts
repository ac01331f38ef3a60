/**
 * lvskit's opt-in sync extensions on the wire: a trailer after an ordinary sync message carrying a sender id,
 * a sequence number, the kind of datagram (data, bulk-resync request / data / end) and optionally an
 * HMAC-SHA256 over everything before it. The message keeps its own `size` field, so the datagram is longer
 * than that size and a kernel backup drops it whole at its first check ("BACKUP, bogus message size",
 * `ip_vs_process_message`), never reading a trailer byte as a record. Byte layout: packages/sync/README.md.
 * Must never be used when no extension is configured (then the daemon sends exactly the kernel's format).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { get32, put16, put32 } from '@lvskit/base';

/** Magic at the start of the trailer: ASCII `LVSX`. */
export const EXT_MAGIC = 0x4c565358;
/** Trailer format version. */
export const EXT_VERSION = 1;
/** Trailer length without the MAC. */
export const EXT_TRAILER_LEN = 20;
/** HMAC-SHA256 length. */
export const EXT_MAC_LEN = 32;

/** Kind of an extension datagram. */
export const ExtKind = {
  /** Ordinary sync records (the master's stream). */
  DATA: 1,
  /** A (re)starting backup asks for the whole table (the message part is an empty v1 header). */
  RESYNC_REQUEST: 2,
  /** Records of a bulk resync (their sequence numbers count this resync's datagrams from 1). */
  RESYNC_DATA: 3,
  /** End of a bulk resync: `sequence` = datagrams sent in it, `holdMs` = entries sent. */
  RESYNC_END: 4,
} as const;
/** One of {@link ExtKind}. */
export type ExtKindValue = (typeof ExtKind)[keyof typeof ExtKind];

/** Trailer flag: `sequence` is meaningful. */
export const EXT_F_SEQUENCE = 0x0001;
/** Trailer flag: a 32-byte HMAC-SHA256 follows the trailer. */
export const EXT_F_MAC = 0x0002;

/** The trailer's fields. */
export interface ExtTrailer {
  /** Datagram kind. */
  kind: ExtKindValue;
  /** {@link EXT_F_SEQUENCE} | {@link EXT_F_MAC}. */
  flags: number;
  /** Random id the sender picked when it started (a restart is a new sender: its sequence starts again). */
  sender: number;
  /** Sequence number (data: per sender from 1; resync: per resync from 1; end: the count). */
  sequence: number;
  /** Data: ms the oldest record waited in the master's buffer; end: entries sent. */
  holdMs: number;
}

/** Why an extension datagram was refused. */
export type ExtRefusal =
  /** A key is configured and the datagram has no trailer or no MAC. */
  | 'missing-mac'
  /** The MAC does not match. */
  | 'bad-mac'
  /** Bytes after the message that are not a well-formed trailer. */
  | 'bad-trailer';

/**
 * Writes the trailer (and the MAC when `key` is given) after the message at `b[0..size)`, where `size` is
 * the message's own header size field. The buffer must have room for {@link EXT_TRAILER_LEN} +
 * {@link EXT_MAC_LEN} more bytes.
 *
 * @param b - the buffer holding the message
 * @param size - message length
 * @param t - trailer fields (`flags` gets {@link EXT_F_MAC} added when `key` is given)
 * @param key - HMAC-SHA256 key, or undefined
 * @returns the datagram length
 */
export function writeTrailer(b: Uint8Array, size: number, t: ExtTrailer, key: string | undefined): number {
  const o = size;
  put32(b, o, EXT_MAGIC);
  b[o + 4] = EXT_VERSION;
  b[o + 5] = t.kind;
  put16(b, o + 6, (t.flags & EXT_F_SEQUENCE) | (key === undefined ? 0 : EXT_F_MAC));
  put32(b, o + 8, t.sender);
  put32(b, o + 12, t.sequence);
  put32(b, o + 16, Math.min(Math.max(0, Math.round(t.holdMs)), 0xffffffff));
  const end = o + EXT_TRAILER_LEN;
  if (key === undefined) return end;
  const mac = createHmac('sha256', key).update(b.subarray(0, end)).digest();
  b.set(mac, end);
  return end + EXT_MAC_LEN;
}

/** What {@link readTrailer} found. */
export type ExtReadResult =
  | { readonly ok: true; readonly trailer: ExtTrailer | undefined; readonly message: Uint8Array }
  | { readonly ok: false; readonly refusal: ExtRefusal };

/**
 * Splits a received datagram into its sync message and trailer, checking the MAC when `key` is given. A
 * datagram exactly as long as its header says has no trailer (a kernel master's or an lvskit master with
 * extensions off): accepted without one unless a key is required.
 *
 * @param d - the datagram
 * @param key - the shared key, or undefined
 * @param out - a trailer object to fill (reused)
 * @returns the message bytes and the trailer, or why it is refused
 */
export function readTrailer(d: Uint8Array, key: string | undefined, out: ExtTrailer): ExtReadResult {
  if (d.length < 4) return key === undefined ? { ok: true, trailer: undefined, message: d } : missing;
  const size = (d[2]! << 8) | d[3]!;
  if (d.length <= size || size < 4) return key === undefined ? { ok: true, trailer: undefined, message: d } : missing;
  const rest = d.length - size;
  if (rest !== EXT_TRAILER_LEN && rest !== EXT_TRAILER_LEN + EXT_MAC_LEN) return badTrailer;
  const o = size;
  if (get32(d, o) !== EXT_MAGIC || d[o + 4] !== EXT_VERSION) return badTrailer;
  const kind = d[o + 5]!;
  if (kind < ExtKind.DATA || kind > ExtKind.RESYNC_END) return badTrailer;
  const flags = (d[o + 6]! << 8) | d[o + 7]!;
  const hasMac = (flags & EXT_F_MAC) !== 0;
  if (hasMac !== (rest === EXT_TRAILER_LEN + EXT_MAC_LEN)) return badTrailer;
  if (key !== undefined) {
    if (!hasMac) return missing;
    const end = o + EXT_TRAILER_LEN;
    const mac = createHmac('sha256', key).update(d.subarray(0, end)).digest();
    if (!timingSafeEqual(mac, d.subarray(end, end + EXT_MAC_LEN))) return { ok: false, refusal: 'bad-mac' };
  }
  out.kind = kind as ExtKindValue;
  out.flags = flags;
  out.sender = get32(d, o + 8);
  out.sequence = get32(d, o + 12);
  out.holdMs = get32(d, o + 16);
  return { ok: true, trailer: out, message: d.subarray(0, size) };
}

const missing: ExtReadResult = Object.freeze({ ok: false, refusal: 'missing-mac' });
const badTrailer: ExtReadResult = Object.freeze({ ok: false, refusal: 'bad-trailer' });
