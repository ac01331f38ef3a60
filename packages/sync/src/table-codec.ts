/**
 * Sync records written straight from core's connection table, and the master's message buffers: the
 * packet-path half of the sync master. `TableSyncSink` is the `SyncSink` the engine calls for each entry the
 * kernel's `ip_vs_sync_conn` would send; it writes the record from the table's columns into a preallocated
 * message buffer (no allocation, no throw) and hands full buffers to a queue the daemon sends from, as
 * `sb_queue_tail` hands them to `sync_thread_master` (net/netfilter/ipvs/ip_vs_sync.c). Must never touch a
 * socket or a timer (the daemon does).
 */
import { put16, put32 } from '@lvskit/base';
import { type ConnTable, F_AF6, F_DAF6, F_HASHED, F_ONE_PACKET, type SyncSink } from '@lvskit/core';
import {
  IP_VS_CONN_F_SEQ_MASK,
  SYNC_MAX_CONNS,
  SYNC_PROTO_VER,
  SYNC_V0_HEADER_LEN,
  SYNC_V0_SIMPLE_CONN_LEN,
  SYNC_V1_HEADER_LEN,
  SYNC_V4_CONN_LEN,
  SYNC_V6_CONN_LEN,
} from './codec.js';

/**
 * Flags never put on the wire from a table entry: lvskit's own F_AF6 / F_DAF6 (address families), the
 * kernel's `IP_VS_CONN_F_HASHED` (cleared by `ip_vs_sync_conn`), and the sequence-adjustment bits (lvskit
 * keeps no `in_seq`/`out_seq`, so no SEQ_DATA option follows and the bits would make a v0 record claim 24
 * bytes of options it does not carry).
 */
export const TABLE_FLAGS_NOT_SENT = F_AF6 | F_DAF6 | F_HASHED | IP_VS_CONN_F_SEQ_MASK;

/**
 * Encoded length of a table entry as a sync record of `version`, or 0 when the kernel would not send it
 * (`ip_vs_sync_conn_v0` sends IPv4 only; an entry whose real server family differs from its client's cannot
 * be synced: "We do not currently support heterogeneous pools with synchronization", ip_vs_proc_conn).
 *
 * @param table - the connection table
 * @param i - the entry
 * @param version - 0 or 1
 * @returns bytes (36 / 72 / 24), or 0
 */
export function tableRecordLength(table: ConnTable, i: number, version: 0 | 1): number {
  const f = table.getFlags(i);
  const v6 = (f & F_AF6) !== 0;
  if (v6 !== ((f & F_DAF6) !== 0)) return 0;
  if (version === 0) return v6 ? 0 : SYNC_V0_SIMPLE_CONN_LEN;
  return v6 ? SYNC_V6_CONN_LEN : SYNC_V4_CONN_LEN;
}

/** Byte views over a table's address columns, cached per table (the columns never move). */
class AddressViews {
  table: ConnTable | undefined;
  c: Uint8Array = new Uint8Array(0);
  v: Uint8Array = new Uint8Array(0);
  d: Uint8Array = new Uint8Array(0);
  of(t: ConnTable): this {
    if (this.table !== t) {
      this.table = t;
      this.c = new Uint8Array(t.caddr.buffer, t.caddr.byteOffset, t.caddr.byteLength);
      this.v = new Uint8Array(t.vaddr.buffer, t.vaddr.byteOffset, t.vaddr.byteLength);
      this.d = new Uint8Array(t.daddr.buffer, t.daddr.byteOffset, t.daddr.byteLength);
    }
    return this;
  }
}

/**
 * Writes table entry `i` as one sync record at `o`: version 1 `struct ip_vs_sync_v4` / `_v6` (flags minus
 * {@link TABLE_FLAGS_NOT_SENT}, timeout `cp->timeout / HZ` in whole seconds, fwmark the entry's fwmark
 * service's mark, 0 for an address service; a fwmark template's vaddr already holds the mark in network
 * order as the kernel's `htonl(svc->fwmark)`) or version 0 `struct ip_vs_sync_conn_v0` (16-bit flags). The caller has checked
 * {@link tableRecordLength} and the room.
 */
function writeRecord(b: Uint8Array, o: number, t: ConnTable, i: number, version: 0 | 1, views: AddressViews): number {
  const f = t.getFlags(i);
  const flags = f & ~TABLE_FLAGS_NOT_SENT;
  const a = i * 16;
  const av = views.of(t);
  if (version === 0) {
    b[o] = 0;
    b[o + 1] = t.getProto(i);
    put16(b, o + 2, t.getCport(i));
    put16(b, o + 4, t.getVport(i));
    put16(b, o + 6, t.getDport(i));
    for (let k = 0; k < 4; k++) {
      b[o + 8 + k] = av.c[a + k] ?? 0;
      b[o + 12 + k] = av.v[a + k] ?? 0;
      b[o + 16 + k] = av.d[a + k] ?? 0;
    }
    put16(b, o + 20, flags & 0xffff);
    put16(b, o + 22, t.state[i] ?? 0);
    return SYNC_V0_SIMPLE_CONN_LEN;
  }
  const v6 = (f & F_AF6) !== 0;
  const alen = v6 ? 16 : 4;
  const size = v6 ? SYNC_V6_CONN_LEN : SYNC_V4_CONN_LEN;
  b[o] = v6 ? 1 : 0;
  b[o + 1] = t.getProto(i);
  put16(b, o + 2, size);
  put32(b, o + 4, flags);
  put16(b, o + 8, t.state[i] ?? 0);
  put16(b, o + 10, t.getCport(i));
  put16(b, o + 12, t.getVport(i));
  put16(b, o + 14, t.getDport(i));
  put32(b, o + 16, t.getFwmark(i));
  put32(b, o + 20, Math.floor((t.timeout[i] ?? 0) / 1000));
  const p = o + 24;
  for (let k = 0; k < alen; k++) {
    b[p + k] = av.c[a + k] ?? 0;
    b[p + alen + k] = av.v[a + k] ?? 0;
    b[p + 2 * alen + k] = av.d[a + k] ?? 0;
  }
  return size;
}

/** One message buffer of the master's pool (`struct ip_vs_sync_buff`). */
export interface SyncBuffer {
  /** Storage: room for `maxLen` plus the extension trailer. */
  readonly bytes: Uint8Array;
  /** End of the message so far (header included). */
  head: number;
  /** Records in it. */
  count: number;
  /** Clock time the first record went in (`firstuse`). */
  firstUse: number;
}

/** What {@link SyncBufferPool} counts. */
export interface SyncPoolCounters {
  /** Entries skipped because their record cannot be sent in this version (IPv6 in v0, mixed families). */
  skipped: number;
  /** Records dropped because every buffer was queued (`sync_qlen_max` reached, sb_queue_tail). */
  queueFull: number;
}

/**
 * The master's message buffers: one being filled, a queue of full ones waiting to be sent, free ones. All are
 * allocated at construction; a full message goes to the queue, and when no buffer is free the record is
 * dropped and counted, as `sb_queue_tail` releases a buffer once `sync_qlen_max` are queued.
 */
export class SyncBufferPool {
  readonly #version: 0 | 1;
  readonly #syncid: number;
  readonly #limit: number;
  readonly #hdr: number;
  readonly #free: SyncBuffer[] = [];
  readonly #queue: SyncBuffer[] = [];
  #current: SyncBuffer | undefined;
  readonly #views = new AddressViews();
  /** Counters (read by the daemon). */
  readonly counters: SyncPoolCounters = { skipped: 0, queueFull: 0 };
  /** Called (synchronously, inside the packet path) when a message joins the send queue. */
  onQueued: () => void = () => {};
  /** Called when the first record goes into an empty current buffer (the daemon arms its flush timer). */
  onFirstUse: () => void = () => {};
  /** The clock time used for `firstUse`. */
  now: () => number = () => 0;

  /**
   * @param options - `version`, `syncid`, `limit` (the largest message: sync_maxlen minus the extension
   *   trailer when extensions are on), `room` (bytes per buffer, ≥ limit), `buffers` (pool size)
   */
  constructor(options: { version: 0 | 1; syncid: number; limit: number; room: number; buffers: number }) {
    this.#version = options.version;
    this.#syncid = options.syncid;
    this.#hdr = options.version === 1 ? SYNC_V1_HEADER_LEN : SYNC_V0_HEADER_LEN;
    // A record longer than the limit still gets a message of its own (ip_vs_sync_buff_create sizes the
    // buffer max(len + header, sync_maxlen)).
    this.#limit = options.limit;
    const room = Math.max(options.room, this.#hdr + SYNC_V6_CONN_LEN + 64);
    for (let k = 0; k < options.buffers; k++)
      this.#free.push({ bytes: new Uint8Array(room), head: this.#hdr, count: 0, firstUse: 0 });
  }

  /** The message version written. */
  get version(): 0 | 1 {
    return this.#version;
  }

  /** Full messages waiting to be sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Records in the buffer being filled. */
  get pending(): number {
    return this.#current?.count ?? 0;
  }

  /** Clock time the first record of the buffer being filled went in, or undefined when it is empty. */
  get firstUse(): number | undefined {
    const c = this.#current;
    return c && c.count > 0 ? c.firstUse : undefined;
  }

  /**
   * Appends table entry `i` (`ip_vs_sync_conn` / `ip_vs_sync_conn_v0`): padding to 4 bytes before a v1
   * record, a new message when the record would pass the limit or the message counts 255 records.
   *
   * @returns true when the record was written
   */
  add(table: ConnTable, i: number): boolean {
    const len = tableRecordLength(table, i, this.#version);
    if (len === 0) {
      this.counters.skipped++;
      return false;
    }
    let c = this.#current;
    if (c && c.count > 0) {
      const pad = this.#version === 1 ? (4 - c.head) & 3 : 0;
      if (c.head + pad + len > this.#limit || c.count >= SYNC_MAX_CONNS) {
        this.#enqueue();
        c = undefined;
      }
    }
    if (!c) {
      c = this.#free.pop();
      if (!c) {
        this.counters.queueFull++;
        return false;
      }
      c.head = this.#hdr;
      c.count = 0;
      this.#current = c;
    }
    if (c.count === 0) {
      c.firstUse = this.now();
      this.onFirstUse();
    }
    let at = c.head;
    if (this.#version === 1 && c.count > 0) {
      const pad = (4 - at) & 3;
      for (let k = 0; k < pad; k++) c.bytes[at + k] = 0;
      at += pad;
    }
    c.head = at + writeRecord(c.bytes, at, table, i, this.#version, this.#views);
    c.count++;
    return true;
  }

  /** Moves the buffer being filled (when it has records) to the send queue, its header written. */
  flush(): void {
    if (this.#current && this.#current.count > 0) this.#enqueue();
  }

  #enqueue(): void {
    const c = this.#current;
    if (!c) return;
    this.#current = undefined;
    const b = c.bytes;
    if (this.#version === 1) {
      b[0] = 0;
      b[1] = this.#syncid;
      put16(b, 2, c.head);
      b[4] = c.count;
      b[5] = SYNC_PROTO_VER;
      b[6] = 0;
      b[7] = 0;
    } else {
      b[0] = c.count;
      b[1] = this.#syncid;
      put16(b, 2, c.head);
    }
    this.#queue.push(c);
    this.onQueued();
  }

  /** Takes the oldest queued message (the daemon sends it, then gives it back with {@link release}). */
  take(): SyncBuffer | undefined {
    return this.#queue.shift();
  }

  /** Returns a sent buffer to the free list. */
  release(b: SyncBuffer): void {
    b.count = 0;
    b.head = this.#hdr;
    this.#free.push(b);
  }

  /** Drops everything queued and the buffer being filled (stop). */
  reset(): void {
    for (const b of this.#queue.splice(0)) this.release(b);
    if (this.#current) {
      this.release(this.#current);
      this.#current = undefined;
    }
  }
}

/**
 * The engine's sync port: each entry the master's rules pick goes into the pool. One-packet entries are
 * never sent (`IP_VS_CONN_F_ONE_PACKET`, ip_vs_sync_conn), should the rules hand one over.
 */
export class TableSyncSink implements SyncSink {
  /** @param pool - where records go */
  constructor(readonly pool: SyncBufferPool) {}

  /**
   * Encodes entry `index` of `table` into the current buffer, on the packet path (no allocation); the engine
   * calls it for each entry its sync rules pick (core's `SyncSink`).
   * @param table - the engine's connection table
   * @param index - the entry to send
   */
  syncEntry(table: ConnTable, index: number): void {
    if (table.getFlags(index) & F_ONE_PACKET) return;
    this.pool.add(table, index);
  }
}
