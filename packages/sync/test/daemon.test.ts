/**
 * Sync daemons over real UDP sockets on loopback (unicast: master 127.0.0.1, backup 127.0.0.2): records
 * from the master's table reach the backup's apply with every field, v1 and v0; extensions off put exactly
 * the codec's (the kernel's) bytes on the wire; syncid filtering and peer filtering; HMAC accept and
 * reject; a dropped datagram is a sequence gap; a freshly started backup gets a 1,000-entry table by bulk
 * resync. The engine side is a stand-in here (FakeTarget); daemon-ipvs.test.ts runs two real Ipvs.
 */
import { createSocket, type Socket } from 'node:dgram';
import { formatIp } from '@lvskit/base';
import { FakeClock } from '@lvskit/base/testing';
import { F_NOOUTPUT } from '@lvskit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSyncMessage, encodeSyncMessages, SyncDaemon, type SyncDaemonOptions } from '../src/index.js';
import { FakeTarget, freePort, insertEntry, onLoopback, until } from './daemon-fixtures.js';
import { tcp4 } from './fixtures.js';

const open: SyncDaemon[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.stop()));
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function pair(
  m: Partial<SyncDaemonOptions> = {},
  b: Partial<SyncDaemonOptions> = {},
  startBackup = true,
): Promise<{ mt: FakeTarget; bt: FakeTarget; master: SyncDaemon; backup: SyncDaemon; port: number }> {
  const port = await freePort();
  const mt = new FakeTarget();
  const bt = new FakeTarget();
  const master = onLoopback(mt, { role: 'master', port, ...m });
  const backup = onLoopback(bt, { role: 'backup', port, ...b });
  open.push(master, backup);
  if (startBackup) await backup.start();
  await master.start();
  return { mt, bt, master, backup, port };
}

function addConns(t: FakeTarget, n: number, from = 0): number[] {
  const out: number[] = [];
  for (let k = from; k < from + n; k++)
    out.push(
      insertEntry(t.table, {
        flags: 0x0003 | F_NOOUTPUT,
        caddr: `198.18.${(k >> 8) & 255}.${k & 255}`,
        cport: 1024 + k,
        vaddr: '198.18.100.1',
        vport: 80,
        daddr: '198.18.1.10',
        dport: 8080,
        state: 1,
        timeoutMs: 900_000,
      }),
    );
  return out;
}

/** A raw socket bound where a backup would be, collecting datagrams. */
async function listener(address: string, port: number): Promise<Buffer[]> {
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  sockets.push(s);
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(port, address, () => r()));
  return got;
}

describe('SyncDaemon over unicast loopback', () => {
  for (const version of [1, 0] as const) {
    it(`v${version}: entries the engine hands the master are applied on the backup with every field`, async () => {
      const { mt, bt, master, backup } = await pair({ version, syncid: 7 }, { syncid: 7 });
      for (const i of addConns(mt, 3)) mt.sync(i);
      master.flush();
      await until('3 records applied', () => bt.applied.length === 3);
      const e = bt.applied[1]!;
      expect({
        family: e.family,
        protocol: e.protocol,
        flags: e.flags,
        state: e.state,
        caddr: formatIp(e.caddr.subarray(0, 4)),
        cport: e.cport,
        vaddr: formatIp(e.vaddr.subarray(0, 4)),
        vport: e.vport,
        daddr: formatIp(e.daddr.subarray(0, 4)),
        dport: e.dport,
        fwmark: e.fwmark,
        timeoutSec: e.timeoutSec,
      }).toEqual({
        family: 4,
        protocol: 6,
        flags: 0x0003 | F_NOOUTPUT,
        state: 1,
        caddr: '198.18.0.1',
        cport: 1025,
        vaddr: '198.18.100.1',
        vport: 80,
        daddr: '198.18.1.10',
        dport: 8080,
        fwmark: 0,
        timeoutSec: version === 1 ? 900 : 0,
      });
      const mc = master.counters();
      expect([mc.messagesSent, mc.recordsSent, mc.datagramsSent]).toEqual([1, 3, 1]);
      expect(mc.lastSentAt).toBeTypeOf('number');
      const bc = backup.counters();
      expect([bc.messagesReceived, bc.recordsReceived, bc.recordsApplied, bc.created]).toEqual([1, 3, 3, 3]);
      expect(bc.lastReceivedAt).toBeTypeOf('number');
      expect(bc.lagMs).toBeUndefined(); // nothing to measure it with the kernel's format
    });
  }

  it('a full message goes out without a flush; apply results are counted by reason', async () => {
    const { mt, bt, backup } = await pair();
    bt.result = 'no-dest';
    for (const i of addConns(mt, 41)) mt.sync(i); // 40 records fill 1472 bytes
    await until('40 records', () => bt.applied.length === 40);
    expect(backup.counters().applyDrops['no-dest']).toBe(40);
    expect(backup.counters().recordsApplied).toBe(0);
  });

  it('extensions off: the datagram is exactly the codec’s kernel-format message', async () => {
    const port = await freePort();
    const got = await listener('127.0.0.2', port);
    const mt = new FakeTarget();
    const m = onLoopback(mt, { role: 'master', port, syncid: 3 });
    open.push(m);
    await m.start();
    for (const i of addConns(mt, 2)) mt.sync(i);
    m.flush();
    await until('one datagram', () => got.length === 1);
    const conns = decodeSyncMessage(got[0]!, { syncid: 3 }).conns;
    expect(conns.length).toBe(2);
    expect(got[0]!.equals(Buffer.from(encodeSyncMessages(conns, { syncid: 3 })[0]!))).toBe(true);
  });

  it('syncid: a backup with another syncid drops the message (counted), syncid 0 accepts all', async () => {
    const { mt, bt, master, backup, port } = await pair({ syncid: 5 }, { syncid: 6 });
    const all = new FakeTarget();
    const any = onLoopback(all, { role: 'backup', address: '127.0.0.3', port });
    open.push(any);
    await any.start();
    const m2 = onLoopback(mt, { role: 'master', peers: ['127.0.0.2', '127.0.0.3'], port, syncid: 5 });
    await master.stop();
    open.push(m2);
    await m2.start();
    for (const i of addConns(mt, 2)) mt.sync(i);
    m2.flush();
    await until('syncid 0 backup applied', () => all.applied.length === 2);
    await until('mismatch counted', () => backup.counters().messageDrops['syncid-mismatch'] === 1);
    expect(bt.applied.length).toBe(0);
    expect(m2.counters().datagramsSent).toBe(2);
  });

  it('a unicast backup ignores datagrams from addresses that are not its peers', async () => {
    const { bt, backup, port } = await pair();
    const s = createSocket('udp4');
    sockets.push(s);
    await new Promise<void>((r) => s.bind(0, '127.0.0.3', () => r()));
    const [msg] = encodeSyncMessages([{ ...tcp4, cport: 1 }], {});
    s.send(msg!, port, '127.0.0.2');
    await until('counted', () => backup.counters().notFromPeer === 1);
    expect(bt.applied.length).toBe(0);
  });

  it('HMAC: the same key is applied; another key is refused as bad-mac; a plain master as missing-mac', async () => {
    const { mt, bt, master, port } = await pair(
      { extensions: { hmacKey: 'shared secret' } },
      { extensions: { hmacKey: 'shared secret' } },
    );
    for (const i of addConns(mt, 2)) mt.sync(i);
    master.flush();
    await until('applied', () => bt.applied.length === 2);

    const other = new FakeTarget();
    const wrong = onLoopback(other, { role: 'backup', address: '127.0.0.3', port, extensions: { hmacKey: 'other' } });
    open.push(wrong);
    await wrong.start();
    const m2 = onLoopback(mt, { role: 'master', peers: ['127.0.0.3'], port, extensions: { hmacKey: 'shared secret' } });
    await master.stop();
    open.push(m2);
    await m2.start();
    mt.sync(addConns(mt, 1, 10)[0]!);
    m2.flush();
    await until('bad-mac', () => wrong.counters().authDrops['bad-mac'] === 1);
    await m2.stop();
    const plain = onLoopback(mt, { role: 'master', peers: ['127.0.0.3'], port });
    open.push(plain);
    await plain.start();
    mt.sync(addConns(mt, 1, 11)[0]!);
    plain.flush();
    await until('missing-mac', () => wrong.counters().authDrops['missing-mac'] === 1);
    expect(other.applied.length).toBe(0);
  });

  it('a backup with extensions off drops an extension datagram as the kernel does (bad-size) and warns once', async () => {
    const { mt, bt, master, backup } = await pair({ extensions: { sequence: true } }, {});
    const warnings: string[] = [];
    backup.on('warning', (w) => warnings.push(w.message));
    for (let k = 0; k < 2; k++) {
      mt.sync(addConns(mt, 1, k)[0]!);
      master.flush();
    }
    await until('two drops', () => backup.counters().messageDrops['bad-size'] === 2);
    expect(bt.applied.length).toBe(0);
    expect(warnings.length).toBe(1);
  });

  it('sequence: a datagram dropped on the way is a gap event with the count lost', async () => {
    const port = await freePort();
    // a relay at 127.0.0.3 forwards master → backup and drops the second datagram
    const relay = createSocket({ type: 'udp4', reuseAddr: true });
    sockets.push(relay);
    let n = 0;
    relay.on('message', (m) => {
      if (++n !== 2) relay.send(m, port, '127.0.0.2');
    });
    await new Promise<void>((r) => relay.bind(port, '127.0.0.3', () => r()));
    const mt = new FakeTarget();
    const bt = new FakeTarget();
    const master = onLoopback(mt, { role: 'master', peers: ['127.0.0.3'], port, extensions: { sequence: true } });
    const backup = onLoopback(bt, { role: 'backup', peers: ['127.0.0.3'], port, extensions: { sequence: true } });
    open.push(master, backup);
    const gaps: unknown[] = [];
    backup.on('gap', (g) => gaps.push(g));
    await backup.start();
    await master.start();
    for (let k = 0; k < 4; k++) {
      mt.sync(addConns(mt, 1, k)[0]!);
      master.flush();
      await until(`relay saw ${k + 1}`, () => n === k + 1);
    }
    await until('3 applied', () => bt.applied.length === 3);
    expect(gaps).toEqual([{ sender: expect.any(Number), expected: 2, received: 3, lost: 1 }]);
    const c = backup.counters();
    expect([c.gaps, c.lostMessages, c.reordered]).toEqual([1, 1, 0]);
    expect(c.lagMs).toBeTypeOf('number');
  });

  for (const hmacKey of [undefined, 'k']) {
    it(`bulk resync${hmacKey ? ' + HMAC' : ''}: a backup started after the master receives the whole 1,000-entry table`, async () => {
      const extensions = { bulkResync: true, sequence: true, ...(hmacKey ? { hmacKey } : {}) };
      const { mt, bt, master, backup } = await pair({ extensions }, { extensions }, false);
      addConns(mt, 1000);
      const served: unknown[] = [];
      master.on('resync', (e) => served.push(e));
      const done = new Promise<unknown>((r) => backup.on('resync', (e) => e.phase === 'completed' && r(e)));
      await backup.start();
      // 40 records a message (1472 − 20-byte trailer), 39 with the 32-byte MAC as well
      const messages = hmacKey ? 26 : 25;
      expect(await done).toEqual({ phase: 'completed', peer: '127.0.0.1', entries: 1000, messages, lost: 0 });
      expect(bt.applied.length).toBe(1000);
      expect(new Set(bt.applied.map((e) => `${formatIp(e.caddr.subarray(0, 4))}:${e.cport}`)).size).toBe(1000);
      expect(served).toEqual([{ phase: 'served', peer: '127.0.0.2', entries: 1000, messages, lost: 0 }]);
      const c = backup.counters();
      expect([c.resyncs, c.resyncsCompleted, c.resyncEntries, c.gaps]).toEqual([1, 1, 1000, 0]);
      expect(master.counters().resyncs).toBe(1);
      // a restart of the same daemon asks again
      await backup.stop();
      const again = new Promise<unknown>((r) => backup.on('resync', (e) => e.phase === 'completed' && r(e)));
      await backup.start();
      expect(await again).toMatchObject({ entries: 1000, lost: 0 });
      expect(backup.counters()).toMatchObject({ resyncs: 2, resyncsCompleted: 2, resyncEntries: 2000 });
    });
  }

  it('a partly filled message goes out IPVS_SYNC_FLUSH_TIME (2 s) after its first record, not before', async () => {
    const clock = new FakeClock(0);
    const { mt, bt, master } = await pair({ clock });
    mt.sync(addConns(mt, 1)[0]!);
    clock.advance(1000);
    mt.sync(addConns(mt, 1, 1)[0]!); // joins the same buffer: the deadline stays at the first record's
    clock.advance(999);
    await new Promise((r) => setTimeout(r, 100));
    expect(master.counters().messagesSent).toBe(0);
    expect(bt.applied.length).toBe(0);
    clock.advance(1);
    await until('both records applied', () => bt.applied.length === 2);
    const c = master.counters();
    expect([c.messagesSent, c.recordsSent, c.lagMs]).toEqual([1, 2, 2000]);
  });

  it('stop closes the sockets: the port can be bound exclusively again', async () => {
    const { master, backup, port } = await pair();
    await backup.stop();
    await master.stop();
    const s = createSocket({ type: 'udp4' });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind({ port, address: '127.0.0.2', exclusive: true }, () => resolve());
    });
  });

  it('bulk resync: a request with the wrong key is refused by the master (counted), no table sent', async () => {
    const { mt, bt, master, backup } = await pair(
      { extensions: { bulkResync: true, hmacKey: 'right' } },
      { extensions: { bulkResync: true, hmacKey: 'wrong' } },
      false,
    );
    addConns(mt, 10);
    await backup.start();
    await until('refused', () => master.counters().authDrops['bad-mac'] === 1);
    expect(master.counters().resyncs).toBe(0);
    expect(bt.applied.length).toBe(0);
  });

  it('a backup with sequence on still applies a kernel-format master (no trailer: no sequence to check)', async () => {
    const { mt, bt, master, backup } = await pair({}, { extensions: { sequence: true } });
    for (const i of addConns(mt, 2)) mt.sync(i);
    master.flush();
    await until('applied', () => bt.applied.length === 2);
    expect(backup.counters()).toMatchObject({
      gaps: 0,
      authDrops: { 'missing-mac': 0, 'bad-mac': 0, 'bad-trailer': 0 },
    });
  });

  for (const order of ['master', 'backup'] as const)
    it(`both roles on each of two hosts (unicast, bulk resync, one address per host; ${order} bound first): data and requests reach the right daemon`, async () => {
      const port = await freePort();
      const extensions = { bulkResync: true, sequence: true };
      const host = (address: string, peer: string) => {
        const t = new FakeTarget();
        const base = { interface: 'lo', address, peers: [peer], port, extensions } as const;
        const master = new SyncDaemon(t, { role: 'master', ...base });
        const backup = new SyncDaemon(t, { role: 'backup', ...base });
        open.push(master, backup);
        return { t, master, backup };
      };
      const x = host('127.0.0.1', '127.0.0.2');
      const y = host('127.0.0.2', '127.0.0.1');
      addConns(x.t, 30);
      // the kernel gives a unicast datagram to one of the two sockets on 127.0.0.1:port: each order takes the other path
      if (order === 'master') {
        await x.master.start();
        await x.backup.start(); // its request goes to y, where nothing runs yet
      } else {
        await x.backup.start();
        await x.master.start();
      }
      await y.master.start();
      const done = new Promise<unknown>((r) => y.backup.on('resync', (e) => e.phase === 'completed' && r(e)));
      await y.backup.start(); // its request reaches x's master, whichever of x's two sockets gets it
      expect(await done).toMatchObject({ entries: 30, lost: 0 });
      expect(y.t.applied.length).toBe(30);
      // and the stream: y's master sends to x, whose backup applies it (x's master socket passes it on)
      y.t.applied.length = 0;
      for (const i of addConns(y.t, 3, 100)) y.t.sync(i);
      y.master.flush();
      await until('x backup applied', () => x.t.applied.length >= 3);
      expect(x.t.applied.slice(-3).map((e) => e.cport)).toEqual([1124, 1125, 1126]);
    });

  for (const extensions of [{}, { sequence: true, hmacKey: 'k' }]) {
    it(`random datagrams never break a backup${extensions.hmacKey ? ' with extensions' : ''}; an engine that throws is an error event`, async () => {
      const port = await freePort();
      const bt = new FakeTarget();
      const backup = onLoopback(bt, { role: 'backup', port, extensions });
      open.push(backup);
      const errors: string[] = [];
      backup.on('error', (e) => errors.push(e.error.code));
      await backup.start();
      const s = createSocket('udp4');
      sockets.push(s);
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      let seed = 14;
      const rnd = (n: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % n;
      };
      const [valid] = encodeSyncMessages([{ ...tcp4, cport: 9 }], {});
      for (let k = 0; k < 300; k++) {
        const d = k % 3 === 0 ? Buffer.from(valid!) : Buffer.alloc(1 + rnd(200));
        if (k % 3 !== 0) for (let j = 0; j < d.length; j++) d[j] = rnd(256);
        else d[8 + rnd(36)] = rnd(256); // a valid message with one byte changed
        s.send(d, port, '127.0.0.2');
        // in steps of 50, so that no datagram is lost to a full receive buffer
        if (k % 50 === 49) await until(`${k + 1} received`, () => backup.counters().messagesReceived === k + 1);
      }
      expect(errors).toEqual([]);
      bt.applySynced = () => {
        throw new Error('engine bug');
      };
      s.send(Buffer.from(valid!), port, '127.0.0.2');
      await until(
        'error event',
        () => errors.length === 1 || (extensions.hmacKey !== undefined && backup.counters().messagesReceived === 301),
      );
      if (extensions.hmacKey === undefined) expect(errors).toEqual(['SYNC_SOCKET']);
      expect(backup.running).toBe(true);
    });
  }

  it('bulk resync: a resync datagram lost on the way makes the backup ask again, and the second one is whole', async () => {
    const port = await freePort();
    // a relay at 127.0.0.3 between them (both see it as their peer) drops the 3rd resync datagram, once
    const relay = createSocket({ type: 'udp4', reuseAddr: true });
    sockets.push(relay);
    let fromMaster = 0;
    relay.on('message', (m, r) => {
      if (r.address === '127.0.0.2') relay.send(m, port, '127.0.0.1');
      else if (++fromMaster !== 3) relay.send(m, port, '127.0.0.2');
    });
    await new Promise<void>((r) => relay.bind(port, '127.0.0.3', () => r()));
    const extensions = { bulkResync: true };
    const mt = new FakeTarget();
    const bt = new FakeTarget();
    addConns(mt, 200);
    const master = onLoopback(mt, { role: 'master', peers: ['127.0.0.3'], port, extensions });
    const backup = onLoopback(bt, { role: 'backup', peers: ['127.0.0.3'], port, extensions });
    open.push(master, backup);
    await master.start();
    const ends: { lost: number; entries: number }[] = [];
    const warnings: string[] = [];
    backup.on('warning', (w) => warnings.push(w.message));
    backup.on('resync', (e) => e.phase === 'completed' && ends.push(e));
    await backup.start();
    await until('two resyncs', () => ends.length === 2);
    expect(ends).toMatchObject([
      { lost: 1, entries: 160 },
      { lost: 0, entries: 200 },
    ]);
    expect(warnings).toEqual(['bulk resync from 127.0.0.3: 1 of 5 datagrams lost, asking again']);
    expect(master.counters().resyncs).toBe(2);
  });

  it('v0 master: an IPv6 entry is skipped and counted, and the count survives a stop', async () => {
    const { mt, master } = await pair({ version: 0 });
    const i = insertEntry(mt.table, {
      caddr: '2001:2::1',
      cport: 1,
      vaddr: '2001:2::100',
      vport: 80,
      daddr: '2001:2::10',
      dport: 80,
    });
    mt.sync(i);
    expect(master.counters().recordsSkipped).toBe(1);
    await master.stop();
    expect(master.counters().recordsSkipped).toBe(1);
  });

  it('bulk resync completes under a test clock that never moves (its pacing runs on real time)', async () => {
    const clock = new FakeClock(0);
    const extensions = { bulkResync: true };
    const { mt, bt, backup } = await pair({ clock, extensions }, { clock, extensions }, false);
    addConns(mt, 1000);
    const done = new Promise<unknown>((r) => backup.on('resync', (e) => e.phase === 'completed' && r(e)));
    await backup.start();
    expect(await done).toMatchObject({ entries: 1000, lost: 0 });
    expect(bt.applied.length).toBe(1000);
  });
});
