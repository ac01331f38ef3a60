/**
 * Sync daemons on multicast across network namespaces (a lab segment 198.18.41.0/24, one daemon per host in
 * a fixture process): a master multicasts to 224.0.0.81:8848 from its eth0 address with TTL 1 and a backup
 * that joined the group on eth0 applies every record; a backup with another syncid drops the messages
 * (counted), one on the master's own host hears nothing (loop off); with the extensions on (sequence, bulk resync, HMAC) a backup
 * started after the master gets the whole 1,000-entry table by a bulk resync over the group.
 */
import { fileURLToPath } from 'node:url';
import { buildSegmentLab, type Lab, type LabHost, type LabProcess, requireLab, requireTools } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncDaemonOptions } from '../../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/daemon.ts', import.meta.url));
const canRun = requireLab();
const hasTshark = canRun && requireTools('the sync multicast capture case', 'tshark');

function start(
  lab: Lab,
  host: LabHost,
  options: SyncDaemonOptions,
  more: { entries?: number; expect?: number } = {},
): LabProcess {
  return lab.spawn(host, [
    'node',
    '--conditions=@lvskit/source',
    '--import',
    'tsx',
    fixture,
    JSON.stringify({ options, ...more }),
  ]);
}

function line(out: string, what: string): Record<string, unknown> {
  const l = out.split('\n').find((x) => x.startsWith(`${what} `));
  if (!l) throw new Error(`no ${what} line in: ${out}`);
  return JSON.parse(l.slice(what.length + 1)) as Record<string, unknown>;
}

async function counters(p: LabProcess): Promise<Record<string, unknown>> {
  await p.stop();
  return line(p.output(), 'counters');
}

describe.runIf(canRun)('sync daemons on multicast in a lab', () => {
  let lab: Lab;
  let hosts: { m: LabHost; b: LabHost; c: LabHost };
  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['m', 'b', 'c'], subnet: '198.18.41.0/24' });
    lab = built.lab;
    hosts = built.hosts;
  }, 60_000);
  afterAll(async () => {
    await lab?.destroy();
  });

  it('a master multicasts on eth0; a backup of its syncid applies all, another syncid drops (counted)', async () => {
    const backup = start(lab, hosts.b, { role: 'backup', interface: 'eth0', syncid: 14 }, { expect: 100 });
    const other = start(lab, hosts.c, { role: 'backup', interface: 'eth0', syncid: 15 });
    // a backup on the master's own host hears nothing: multicast loop is off (make_send_sock)
    const local = start(lab, hosts.m, { role: 'backup', interface: 'eth0', syncid: 14 });
    await backup.waitForOutput(/^started /m, 20_000);
    await other.waitForOutput(/^started /m, 20_000);
    await local.waitForOutput(/^started /m, 20_000);
    const master = start(lab, hosts.m, { role: 'master', interface: 'eth0', syncid: 14 }, { entries: 100 });
    const out = await backup.waitForOutput(/^applied /m, 20_000);
    const got = line(out, 'applied');
    expect(got.count).toBe(100);
    expect(got.first).toEqual({
      caddr: '198.18.200.0',
      cport: 1024,
      daddr: '198.18.41.10',
      flags: 0x83,
      state: 1,
      timeoutSec: 900,
    });
    await master.waitForOutput(/^sent /m, 20_000);
    const mc = await counters(master);
    expect([mc.recordsSent, mc.messagesSent]).toEqual([100, 3]);
    const oc = await counters(other);
    expect((oc.messageDrops as Record<string, number>)['syncid-mismatch']).toBe(3);
    expect(oc.recordsApplied).toBe(0);
    const bc = await counters(backup);
    expect([bc.messagesReceived, bc.recordsApplied]).toEqual([3, 100]);
    expect((await counters(local)).messagesReceived).toBe(0);
  }, 90_000);

  it('extensions on: a backup started after the master gets the whole 1,000-entry table by bulk resync', async () => {
    const extensions = { sequence: true, bulkResync: true, hmacKey: 'lab key' };
    const master = start(lab, hosts.m, { role: 'master', interface: 'eth0', syncid: 3, extensions }, { entries: 1000 });
    await master.waitForOutput(/^sent /m, 20_000);
    const backup = start(lab, hosts.b, { role: 'backup', interface: 'eth0', syncid: 3, extensions }, { expect: 1000 });
    const out = await backup.waitForOutput(/^resync \{"phase":"completed"/m, 20_000);
    expect(
      line(
        out
          .split('\n')
          .filter((l) => l.includes('"completed"'))
          .join('\n'),
        'resync',
      ),
    ).toEqual({
      phase: 'completed',
      peer: '198.18.41.1',
      entries: 1000,
      messages: 26,
      lost: 0,
    });
    await backup.waitForOutput(/^applied /m, 20_000);
    const bc = await counters(backup);
    expect([bc.recordsApplied, bc.resyncsCompleted]).toEqual([1000, 1]);
    expect(bc.authDrops).toEqual({ 'missing-mac': 0, 'bad-mac': 0, 'bad-trailer': 0 });
    const mc = await counters(master);
    expect(mc.resyncs).toBe(1);
  }, 90_000);

  it('IPv6 transport: group ff02::81 on eth0 (link-local addresses only), v1 records', async () => {
    const group = 'ff02::81';
    const backup = start(lab, hosts.b, { role: 'backup', interface: 'eth0', group, syncid: 6 }, { expect: 50 });
    await backup.waitForOutput(/^started /m, 20_000);
    const master = start(lab, hosts.m, { role: 'master', interface: 'eth0', group, syncid: 6 }, { entries: 50 });
    const got = line(await backup.waitForOutput(/^applied /m, 20_000), 'applied');
    expect(got.count).toBe(50);
    await master.waitForOutput(/^sent /m, 20_000);
    const mc = await counters(master);
    expect([mc.recordsSent, mc.messagesSent, mc.sendErrors]).toEqual([50, 2, 0]); // 1452-byte messages: 40 + 10
    const bc = await counters(backup);
    expect(bc.recordsApplied).toBe(50);
  }, 90_000);

  it.runIf(hasTshark)(
    'on the wire: from the master eth0 address to 224.0.0.81:8848 with the configured TTL, read by the ipvs dissector',
    async () => {
      const cap = lab.spawn(hosts.b, [
        'tshark',
        '-l',
        '-n',
        '-i',
        'eth0',
        '-c',
        '1',
        '-f',
        'udp dst port 8848',
        '-d',
        'udp.port==8848,ipvs',
        '-T',
        'fields',
        '-e',
        'ip.src',
        '-e',
        'ip.dst',
        '-e',
        'ip.ttl',
        '-e',
        'udp.dstport',
        '-e',
        'ipvs.syncid',
        '-e',
        'ipvs.conncount',
      ]);
      await cap.waitForOutput(/Capturing on/, 20_000);
      const master = start(lab, hosts.m, { role: 'master', interface: 'eth0', syncid: 9, ttl: 3 }, { entries: 5 });
      await master.waitForOutput(/^sent /m, 20_000);
      await cap.exited;
      const row = cap
        .output()
        .split('\n')
        .find((l) => l.startsWith('198.18.41.'));
      expect(row?.split('\t')).toEqual(['198.18.41.1', '224.0.0.81', '3', '8848', '9', '5']);
      await master.stop();
    },
    90_000,
  );
});
