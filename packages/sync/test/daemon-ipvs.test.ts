/**
 * Two real directors in one process, synced over UDP on loopback (master 127.0.0.1 → backup 127.0.0.2): a
 * TCP connection driven through the master's engine by packet summaries (SYN, ACK, ACK: the third inbound
 * packet meets sync_threshold 3 in ESTABLISHED) appears in the backup's table with its state, flags and
 * real server, and the backup's own packet path then carries it on to that server — DR with a persistence
 * template (sent before its connection), NAT (the real server's reply passes the backup), version 1 and
 * version 0 (timeouts from the backup's own state table).
 */
import { compileConfig, F_FWD_MASK, F_SYNC, F_TEMPLATE, Ipvs, type IpvsConfigInput } from '@lvskit/core';
import { FakeClock, SimulatedPacketPort } from '@lvskit/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, onLoopback, until } from './daemon-fixtures.js';

const VIP = '198.18.0.1';
const CLIENT = '198.19.0.1';
const RS1 = '198.18.1.1';
const RS2 = '198.18.1.2';

interface Director {
  ipvs: Ipvs;
  port: SimulatedPacketPort;
  clock: FakeClock;
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function director(input: IpvsConfigInput): Promise<Director> {
  const clock = new FakeClock(1_000_000);
  const port = new SimulatedPacketPort(clock);
  const ipvs = new Ipvs(compileConfig(input), { clock, packets: port });
  await ipvs.start();
  stops.push(() => ipvs.stop());
  return { ipvs, port, clock };
}

function config(method: 'route' | 'masq', persistence: boolean): IpvsConfigInput {
  return {
    services: [
      {
        name: 'web',
        config: {
          protocol: 'tcp',
          address: VIP,
          port: 80,
          scheduler: 'rr',
          ...(persistence ? { persistence: true } : {}),
          realServers: [
            { address: RS1, method },
            { address: RS2, method },
          ],
        },
      },
    ],
  } as IpvsConfigInput;
}

async function syncedPair(input: IpvsConfigInput, version: 0 | 1) {
  const m = await director(input);
  const b = await director(input);
  const port = await freePort();
  const master = onLoopback(m.ipvs, { role: 'master', port, version });
  const backup = onLoopback(b.ipvs, { role: 'backup', port });
  stops.push(
    () => master.stop(),
    () => backup.stop(),
  );
  await backup.start();
  await master.start();
  return { m, b, master, backup };
}

function tableFlags(ipvs: Ipvs, template: boolean): number[] {
  const t = ipvs.engine.table;
  const out: number[] = [];
  for (let i = 0; i < t.end; i++)
    if (t.inUse(i) && ((t.getFlags(i) & F_TEMPLATE) !== 0) === template) out.push(t.getFlags(i));
  return out;
}

describe('two directors synced over loopback', () => {
  for (const version of [1, 0] as const) {
    it(`DR + persistence, v${version}: template and connection reach the backup, which forwards to the same server`, async () => {
      const { m, b, master, backup } = await syncedPair(config('route', true), version);
      const send = (d: Director, flags: string) =>
        d.port.send({ source: CLIENT, sourcePort: 1000, destination: VIP, destinationPort: 80, flags });
      const first = send(m, 'S');
      send(m, 'A');
      send(m, 'A');
      master.flush();
      // the template goes out on every inbound packet of the connections it controls (the cp->control walk of
      // ip_vs_sync_conn runs whether the connection itself is due or not); the connection at its third packet
      await until('template ×3 and connection applied', () => backup.counters().recordsApplied === 4);
      const conns = b.ipvs.connections();
      const conn = conns.find((c) => c.clientPort === 1000);
      const tpl = conns.find((c) => c.clientPort === 0);
      expect(conn).toMatchObject({
        protocol: 'TCP',
        clientAddress: CLIENT,
        virtualAddress: VIP,
        virtualPort: 80,
        destAddress: first.realServer?.split(':')[0],
        destPort: 80,
        state: 'ESTABLISHED',
      });
      expect(conn?.expires).toBeGreaterThan(890); // 900 s (v1: from the record; v0: the backup's ESTABLISHED)
      expect(tpl).toMatchObject({ clientAddress: CLIENT, destAddress: first.realServer?.split(':')[0] });
      const [cf] = tableFlags(b.ipvs, false);
      expect((cf ?? 0) & F_SYNC).toBe(F_SYNC);
      expect((cf ?? 0) & F_FWD_MASK).toBe(3); // IP_VS_CONN_F_DROUTE
      expect(tableFlags(b.ipvs, true).every((f) => (f & F_SYNC) !== 0)).toBe(true);
      const next = send(b, 'A');
      expect(next).toMatchObject({ verdict: 'forward', method: 'route', realServer: first.realServer });
      expect(backup.counters()).toMatchObject({ created: 2, updated: 2, recordsReceived: 4 });
      expect(master.counters().recordsSent).toBe(4);
    });
  }

  for (const version of [1, 0] as const) {
    it(`NAT, v${version}: the connection reaches the backup; the real server's reply passes it`, async () => {
      const { m, b, master, backup } = await syncedPair(config('masq', false), version);
      const r = m.port.connect(CLIENT, 2000, VIP, 80); // SYN, SYN+ACK from the server, ACK
      m.port.send({ source: CLIENT, sourcePort: 2000, destination: VIP, destinationPort: 80, flags: 'A' });
      master.flush();
      await until('applied', () => backup.counters().recordsApplied === 1);
      const [conn] = b.ipvs.connections();
      expect(conn).toMatchObject({ clientPort: 2000, state: 'ESTABLISHED', destAddress: r.realServer?.split(':')[0] });
      expect((tableFlags(b.ipvs, false)[0] ?? 0) & F_FWD_MASK).toBe(0); // IP_VS_CONN_F_MASQ
      const [addr, port] = (r.realServer ?? ':').split(':');
      const reply = b.port.send({
        source: addr!,
        sourcePort: Number(port),
        destination: CLIENT,
        destinationPort: 2000,
        flags: 'A',
        direction: 'out',
      });
      expect(reply).toMatchObject({ verdict: 'forward', reply: true });
      // a second sync of the same connection (every sync_period 50 packets) is an update
      for (let k = 0; k < 50; k++)
        m.port.send({ source: CLIENT, sourcePort: 2000, destination: VIP, destinationPort: 80, flags: 'A' });
      master.flush();
      await until('updated', () => backup.counters().updated === 1);
    });
  }

  it('bulk resync: a backup started after 1,000 connections were made gets all of them, the same servers', async () => {
    const input = config('route', false);
    const m = await director(input);
    const b = await director(input);
    for (let k = 0; k < 1000; k++) m.port.connect(`198.19.${k >> 8}.${k & 255}`, 3000, VIP, 80);
    const port = await freePort();
    const extensions = { bulkResync: true, sequence: true, hmacKey: 'pair key' };
    const master = onLoopback(m.ipvs, { role: 'master', port, extensions });
    const backup = onLoopback(b.ipvs, { role: 'backup', port, extensions });
    stops.push(
      () => master.stop(),
      () => backup.stop(),
    );
    await master.start();
    const done = new Promise<unknown>((r) => backup.on('resync', (e) => e.phase === 'completed' && r(e)));
    await backup.start();
    expect(await done).toMatchObject({ phase: 'completed', entries: 1000, lost: 0 });
    const key = (c: { clientAddress: string; clientPort: number; destAddress: string; state: string }) =>
      `${c.clientAddress}:${c.clientPort}>${c.destAddress} ${c.state}`;
    const want = m.ipvs.connections().map(key).sort();
    expect(want.length).toBe(1000);
    expect(b.ipvs.connections().map(key).sort()).toEqual(want);
    expect(backup.counters()).toMatchObject({ created: 1000, resyncsCompleted: 1, resyncEntries: 1000 });
  });
});
