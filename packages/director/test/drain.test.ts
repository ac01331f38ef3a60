/**
 * Drain of real servers a reload removes: real SYN/ACK/RST frames through the director's datapath on a
 * TestNetwork (manual clock).
 */
import { formatMac } from '@lvskit/base';
import { ipvsadmTarget, runIpvsadm } from '@lvskit/core';
import { describe, expect, it } from 'vitest';
import { eth4, ipv4, tcp } from '../../forwarders/test/golden/builder.js';
import { type DirectorConfig, type DirectorEvents, defineConfig } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

const VIP = '198.18.0.100';
const RS1 = '198.18.1.1';
const RS2 = '198.18.1.2';
const MAC1 = '02:00:00:00:01:01';
const MAC2 = '02:00:00:00:01:02';
const CLIENT = '198.18.2.1';
const CMAC = '02:00:00:00:02:01';

function config(servers: readonly string[], drain?: { timeoutMs: number }, persistent = false): DirectorConfig {
  return defineConfig({
    interfaces: [{ name: 'eth0' }],
    vips: { web: VIP },
    neighbours: { [RS1]: MAC1, [RS2]: MAC2, [CLIENT]: CMAC },
    ...(drain ? { drain } : {}),
    services: [
      {
        name: 'http',
        vip: 'web',
        port: 80,
        method: 'route',
        scheduler: 'rr',
        ...(persistent ? { persistence: { timeout: 300 } } : {}),
        realServers: servers.map((address) => ({ address, weight: 2 })),
      },
    ],
  });
}

async function up(cfg: DirectorConfig) {
  const net = new TestNetwork();
  const d = net.director(cfg, { address: '198.18.0.1', frames: true });
  const events: string[] = [];
  for (const e of ['realServerDraining', 'realServerRemoved'] as const)
    d.on(e, (p: DirectorEvents[typeof e]) => events.push(`${e} ${p.address} ${'reason' in p ? p.reason : ''}`.trim()));
  await d.start();
  await net.advance(3_000);
  const lan = net.frames.get('198.18.0.1')?.get('eth0');
  if (!lan) throw new Error('no memory interface');
  const mac = formatMac(lan.mac);
  /** Sends one client segment to the VIP and returns the MAC it was forwarded to (undefined: not forwarded). */
  const send = (sport: number, flags: number): string | undefined => {
    lan.takeSent();
    const out = lan
      .receive(eth4(mac, CMAC, ipv4({ src: CLIENT, dst: VIP, ttl: 64 }, tcp({ sport, dport: 80, flags }))))
      .find((f) => f.bytes[12] === 0x08 && f.bytes[13] === 0x00);
    return out ? formatMac(out.bytes.subarray(0, 6)) : undefined;
  };
  const rs = (address: string) => d.ipvs.get('http').realServers.find((r) => r.address === address);
  return { net, d, send, rs, events };
}

/** Sends SYNs from 40001 up until one goes to RS2; returns its port. */
function toRs2(send: (sport: number, flags: number) => string | undefined): number {
  for (let p = 40_001; p < 40_005; p++) if (send(p, SYN) === MAC2) return p;
  throw new Error('no SYN went to RS2');
}

const SYN = 0x02;
const ACK = 0x10;
const RST = 0x04;

describe('reload drains a removed real server', () => {
  it('keeps its established connection flowing, sends it no new SYN, shows weight 0, removes it when the connection is gone', async () => {
    const { net, d, send, rs, events } = await up(config([RS1, RS2], { timeoutMs: 600_000 }));
    try {
      // rr: one SYN to each; 40002 is made the one to RS2.
      const p = toRs2(send);
      expect(send(p, ACK)).toBe(MAC2);
      const changes = await d.reload(config([RS1], { timeoutMs: 600_000 }));
      expect(changes).toEqual([
        { op: 'editRealServer', service: 'http', server: { address: RS2, port: 80, weight: 0 }, fields: ['weight'] },
      ]);
      expect(events).toEqual([`realServerDraining ${RS2}`]);
      expect(rs(RS2)?.weight).toBe(0);
      expect(runIpvsadm(ipvsadmTarget(d.ipvs), ['-Ln']).stdout).toMatch(
        new RegExp(`-> ${RS2.replaceAll('.', '\\.')}:80 +Route +0 +1 +0`),
      );
      // The established connection keeps flowing to RS2; every new SYN goes to RS1.
      expect(send(p, ACK)).toBe(MAC2);
      for (let p = 41_000; p < 41_006; p++) expect(send(p, SYN)).toBe(MAC1);
      await net.advance(5_000);
      expect(rs(RS2)).toBeDefined();
      // The client resets: CLOSE (10 s), then the entry expires and the server leaves the table.
      expect(send(p, RST)).toBe(MAC2);
      await net.advance(15_000);
      expect(rs(RS2)).toBeUndefined();
      expect(events).toEqual([`realServerDraining ${RS2}`, `realServerRemoved ${RS2} drained`]);
      expect(runIpvsadm(ipvsadmTarget(d.ipvs), ['-Ln']).stdout).not.toContain(RS2);
    } finally {
      await d.stop();
    }
  });

  it('removes it at the drain timeout with connections left', async () => {
    const { net, d, send, rs, events } = await up(config([RS1, RS2], { timeoutMs: 30_000 }));
    try {
      const p = toRs2(send);
      send(p, ACK);
      await d.reload(config([RS1], { timeoutMs: 30_000 }));
      await net.advance(20_000);
      expect(send(p, ACK)).toBe(MAC2);
      expect(rs(RS2)?.activeConns).toBe(1);
      await net.advance(11_000);
      expect(rs(RS2)).toBeUndefined();
      expect(events).toEqual([`realServerDraining ${RS2}`, `realServerRemoved ${RS2} timeout`]);
    } finally {
      await d.stop();
    }
  });

  it('drain.timeoutMs 0 removes at once, as before', async () => {
    const { d, rs, events, send } = await up(config([RS1, RS2], { timeoutMs: 0 }));
    try {
      send(40_001, SYN);
      send(40_002, SYN);
      const changes = await d.reload(config([RS1], { timeoutMs: 0 }));
      expect(changes.map((c) => c.op)).toEqual(['removeRealServer']);
      expect(rs(RS2)).toBeUndefined();
      expect(events).toEqual([]);
    } finally {
      await d.stop();
    }
  });

  it('a persistence template does not send new connections of its client to a draining server', async () => {
    const { d, send } = await up(config([RS1, RS2], undefined, true));
    try {
      // persistence: the client sticks to its first server.
      const first = send(40_001, SYN);
      send(40_001, ACK);
      expect(send(40_002, SYN)).toBe(first);
      const removed = first === MAC1 ? RS1 : RS2;
      const other = first === MAC1 ? MAC2 : MAC1;
      await d.reload(config(removed === RS1 ? [RS2] : [RS1], undefined, true));
      expect(send(40_001, ACK)).toBe(first);
      expect(send(40_003, SYN)).toBe(other);
    } finally {
      await d.stop();
    }
  });

  it('a reload that puts it back restores its weight and it is never removed', async () => {
    const { net, d, send, rs, events } = await up(config([RS1, RS2], { timeoutMs: 10_000 }));
    try {
      send(40_001, SYN);
      send(40_002, SYN);
      await d.reload(config([RS1], { timeoutMs: 10_000 }));
      const back = await d.reload(config([RS1, RS2], { timeoutMs: 10_000 }));
      expect(back).toEqual([
        { op: 'editRealServer', service: 'http', server: { address: RS2, port: 80, weight: 2 }, fields: ['weight'] },
      ]);
      await net.advance(30_000);
      expect(rs(RS2)?.weight).toBe(2);
      expect(events).toEqual([`realServerDraining ${RS2}`]);
      // It takes new connections again, its templates too.
      const seen = new Set([41_001, 41_002, 41_003].map((p) => send(p, SYN)));
      expect(seen.has(MAC2)).toBe(true);
    } finally {
      await d.stop();
    }
  });

  it('planReload equals reload: the drain is a weight change', async () => {
    const { d, send } = await up(config([RS1, RS2]));
    try {
      send(40_001, SYN);
      send(40_002, SYN);
      const next = config([RS1]);
      const plan = await d.planReload(next);
      expect(plan.map((c) => c.op)).toEqual(['editRealServer']);
      expect(await d.reload(next)).toEqual(plan);
    } finally {
      await d.stop();
    }
  });

  it('a removed virtual service goes at once, its servers with it', async () => {
    const { d, send, events } = await up(config([RS1, RS2]));
    try {
      send(40_001, SYN);
      const cfg = config([RS1]);
      const changes = await d.reload({ ...cfg, services: [] });
      expect(changes.map((c) => c.op)).toEqual(['removeService']);
      expect(d.ipvs.list()).toEqual([]);
      expect(events).toEqual([]);
    } finally {
      await d.stop();
    }
  });

  it('stop() while a server drains leaves no timer', async () => {
    const { net, d, send, events } = await up(config([RS1, RS2]));
    send(40_001, SYN);
    send(40_002, SYN);
    send(40_002, ACK);
    await d.reload(config([RS1]));
    await d.stop();
    expect(net.clock.pending).toBe(0);
    await net.advance(600_000);
    expect(events).toEqual([`realServerDraining ${RS2}`]);
  });

  it('refuses a bad drain.timeoutMs', async () => {
    const net = new TestNetwork();
    expect(() => net.director(config([RS1], { timeoutMs: -1 }))).toThrow(/drain\.timeoutMs must be an integer/);
  });
});
