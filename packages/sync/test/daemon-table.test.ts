/**
 * Records written straight from the connection table (the master's packet-path encoder) are the bytes the
 * codec's SyncPacker writes for the same connections, message for message, in version 1 and version 0; the
 * lvskit-only family flags and the kernel's HASHED never reach the wire; the timeout goes in whole seconds
 * (cp->timeout / HZ); what cannot be sent is counted, and a full queue drops and counts.
 */
import { ConnTable, F_AF6, F_DAF6, F_HASHED, F_INACTIVE, F_NOOUTPUT, F_ONE_PACKET } from '@lvskit/core';
import { describe, expect, it } from 'vitest';
import {
  decodeSyncMessage,
  encodeSyncMessages,
  SyncBufferPool,
  type SyncConn,
  TABLE_FLAGS_NOT_SENT,
  TableSyncSink,
} from '../src/index.js';
import { insertEntry } from './daemon-fixtures.js';

function drain(pool: SyncBufferPool): Uint8Array[] {
  pool.flush();
  const out: Uint8Array[] = [];
  for (let b = pool.take(); b; b = pool.take()) {
    out.push(b.bytes.slice(0, b.head));
    pool.release(b);
  }
  return out;
}

function conn(k: number): SyncConn {
  return {
    family: 4,
    protocol: 6,
    flags: 0x0003 | F_NOOUTPUT,
    state: 1,
    cport: 10000 + k,
    vport: 80,
    dport: 8080,
    fwmark: 0,
    timeout: 900,
    caddr: `198.18.${(k >> 8) & 255}.${k & 255}`,
    vaddr: '198.18.100.1',
    daddr: '198.18.1.10',
  };
}

function fill(t: ConnTable, n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const c = conn(k);
    out.push(insertEntry(t, { ...c, flags: c.flags, timeoutMs: 900_400 }));
  }
  return out;
}

describe('encoding from the connection table', () => {
  for (const version of [1, 0] as const) {
    it(`v${version}: 300 entries give the SyncPacker's messages byte for byte (maxLen 1472 and 255 records)`, () => {
      const t = new ConnTable(1024, 0, 7);
      const idx = fill(t, 300);
      const pool = new SyncBufferPool({ version, syncid: 9, limit: 1472, room: 1472, buffers: 16 });
      const sink = new TableSyncSink(pool);
      for (const i of idx) sink.syncEntry(t, i);
      const got = drain(pool);
      const conns = idx.map((_, k) => ({ ...conn(k), ...(version === 0 ? { timeout: 0 } : {}) }));
      const want = encodeSyncMessages(conns, { version, syncid: 9, maxLen: 1472 });
      expect(got.length).toBe(want.length);
      expect(got.length).toBe(version === 1 ? 8 : 5); // v1: 40 × 36 + 8 ≤ 1472; v0: 61 × 24 + 4
      for (let k = 0; k < want.length; k++) expect(Buffer.from(got[k]!).equals(Buffer.from(want[k]!))).toBe(true);
      const d = decodeSyncMessage(got[0]!, { syncid: 9 });
      expect(d.messageDropped).toBeUndefined();
      expect(d.conns[0]).toEqual(conns[0]);
    });
  }

  it('v1 at 65507 bytes stops at 255 records a message', () => {
    const t = new ConnTable(1024, 0, 7);
    const idx = fill(t, 300);
    const pool = new SyncBufferPool({ version: 1, syncid: 0, limit: 65507, room: 65507, buffers: 4 });
    for (const i of idx) pool.add(t, i);
    const got = drain(pool);
    expect(got.map((m) => m[4])).toEqual([255, 45]);
  });

  it('flags: F_AF6/F_DAF6/HASHED/SEQ never on the wire, INACTIVE and the method kept; timeout in whole seconds', () => {
    const t = new ConnTable(16, 0, 7);
    const i = insertEntry(t, {
      flags: 0x0002 | F_INACTIVE | 0x0600,
      caddr: '2001:2::1',
      cport: 5555,
      vaddr: '2001:2::100',
      vport: 443,
      daddr: '2001:2::10',
      dport: 443,
      state: 4,
      timeoutMs: 119_999,
    });
    expect(t.getFlags(i) & (F_AF6 | F_DAF6 | F_HASHED)).toBe(F_AF6 | F_DAF6 | F_HASHED);
    const pool = new SyncBufferPool({ version: 1, syncid: 1, limit: 1472, room: 1472, buffers: 2 });
    pool.add(t, i);
    const [m] = drain(pool);
    const d = decodeSyncMessage(m!, {});
    expect(d.conns).toEqual([
      {
        family: 6,
        protocol: 6,
        flags: 0x0002 | F_INACTIVE,
        state: 4,
        cport: 5555,
        vport: 443,
        dport: 443,
        fwmark: 0,
        timeout: 119,
        caddr: '2001:2::1',
        vaddr: '2001:2::100',
        daddr: '2001:2::10',
      },
    ]);
    expect(TABLE_FLAGS_NOT_SENT & 0xffff).toBe(F_AF6 | F_DAF6 | F_HASHED | 0x0600);
  });

  it('v0 skips IPv6 and mixed-family entries (counted); v1 skips mixed only; one-packet entries never go out', () => {
    const t = new ConnTable(16, 0, 7);
    const v6 = insertEntry(t, {
      caddr: '2001:2::1',
      cport: 1,
      vaddr: '2001:2::100',
      vport: 80,
      daddr: '2001:2::10',
      dport: 80,
    });
    const mixed = insertEntry(t, {
      caddr: '198.18.0.1',
      cport: 2,
      vaddr: '198.18.0.100',
      vport: 80,
      daddr: '2001:2::10',
      dport: 80,
    });
    const one = insertEntry(t, {
      proto: 17,
      flags: F_ONE_PACKET,
      caddr: '198.18.0.1',
      cport: 3,
      vaddr: '198.18.0.100',
      vport: 53,
      daddr: '198.18.1.10',
      dport: 53,
    });
    const p0 = new SyncBufferPool({ version: 0, syncid: 0, limit: 1472, room: 1472, buffers: 2 });
    const s0 = new TableSyncSink(p0);
    for (const i of [v6, mixed, one]) s0.syncEntry(t, i);
    expect(p0.counters.skipped).toBe(2);
    expect(drain(p0)).toEqual([]);
    const p1 = new SyncBufferPool({ version: 1, syncid: 0, limit: 1472, room: 1472, buffers: 2 });
    const s1 = new TableSyncSink(p1);
    for (const i of [v6, mixed, one]) s1.syncEntry(t, i);
    expect(p1.counters.skipped).toBe(1);
    const got = drain(p1);
    expect(got.length).toBe(1);
    expect(decodeSyncMessage(got[0]!).conns.map((c) => c.cport)).toEqual([1]);
  });

  it('when every buffer is queued the record is dropped and counted (sync_qlen_max)', () => {
    const t = new ConnTable(1024, 0, 7);
    const idx = fill(t, 200);
    let queued = 0;
    const pool = new SyncBufferPool({ version: 1, syncid: 0, limit: 8 + 36 * 10, room: 8 + 36 * 10, buffers: 3 });
    pool.onQueued = () => queued++;
    for (const i of idx) pool.add(t, i);
    // 3 buffers of 10 records: two queued full, the third is being filled; the rest have nowhere to go
    expect(queued).toBe(3);
    expect(pool.counters.queueFull).toBe(200 - 30);
    expect(pool.queued).toBe(3);
  });
});
