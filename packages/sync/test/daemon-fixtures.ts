/**
 * Test support for the daemon tests: a connection table filled by hand (entries as the engine stores them)
 * and a stand-in for `Ipvs`'s three sync methods that records what a backup applies. Test-only.
 */
import { createSocket } from 'node:dgram';
import { parseIp } from '@lvskit/base';
import {
  ConnTable,
  F_AF6,
  F_DAF6,
  type SyncApplyResult,
  type SyncedEntry,
  type SyncRules,
  type SyncSink,
} from '@lvskit/core';
import { SyncDaemon, type SyncDaemonOptions, type SyncTarget } from '../src/daemon.js';

/** One entry to put in a table. */
export interface EntryInit {
  proto?: number;
  flags?: number;
  caddr: string;
  cport: number;
  vaddr: string;
  vport: number;
  daddr: string;
  dport: number;
  state?: number;
  timeoutMs?: number;
}

const words = new Int32Array(12);
const bytes = new Uint8Array(words.buffer);

/** Inserts an entry as the engine would (address bytes in the words' native byte order). */
export function insertEntry(t: ConnTable, e: EntryInit, now = 0): number {
  words.fill(0);
  const c = parseIp(e.caddr);
  const v = parseIp(e.vaddr);
  const d = parseIp(e.daddr);
  bytes.set(c, 0);
  bytes.set(v, 16);
  bytes.set(d, 32);
  const fam = (c.length === 16 ? F_AF6 : 0) | (d.length === 16 ? F_DAF6 : 0);
  const i = t.insert(
    e.proto ?? 6,
    (e.flags ?? 0) | fam,
    words,
    0,
    e.cport,
    4,
    e.vport,
    words,
    8,
    e.dport,
    0,
    now,
    e.timeoutMs ?? 900_000,
  );
  if (i < 0) throw new Error('table full');
  t.state[i] = e.state ?? 1;
  return i;
}

/** A SyncTarget over a ConnTable: records the sink a master installs and every entry a backup applies. */
export class FakeTarget implements SyncTarget {
  readonly table = new ConnTable(4096, 0, 1);
  sink: SyncSink | undefined;
  rules: SyncRules | undefined;
  readonly applied: SyncedEntry[] = [];
  result: SyncApplyResult = 'created';

  setSyncMaster(sink: SyncSink | undefined, rules?: SyncRules): void {
    this.sink = sink;
    this.rules = rules;
  }
  applySynced(e: SyncedEntry): SyncApplyResult {
    this.applied.push({ ...e, caddr: e.caddr.slice(), vaddr: e.vaddr.slice(), daddr: e.daddr.slice() });
    return this.result;
  }
  forEachEntry(fn: (table: ConnTable, index: number) => void): void {
    for (let i = 0; i < this.table.end; i++) if (this.table.inUse(i)) fn(this.table, i);
  }
  /** Hands entry `i` to the installed sink, as the packet path would. */
  sync(i: number): void {
    if (!this.sink) throw new Error('no sink installed');
    this.sink.syncEntry(this.table, i);
  }
}

/** Resolves when `cond` holds, polling every 10 ms; rejects after `ms` with `what`. */
export async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A UDP port free on 127.0.0.1 right now (the kernel picks it; the socket is closed again). */
export async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A daemon on loopback: interface `lo`, a master at 127.0.0.1 sending to 127.0.0.2, a backup at 127.0.0.2
 * taking from 127.0.0.1, unless `options` say otherwise.
 */
export function onLoopback(target: SyncTarget, options: SyncDaemonOptions): SyncDaemon {
  const master = options.role === 'master';
  return new SyncDaemon(target, {
    interface: 'lo',
    address: master ? '127.0.0.1' : '127.0.0.2',
    peers: [master ? '127.0.0.2' : '127.0.0.1'],
    ...options,
  });
}
