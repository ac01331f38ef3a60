/**
 * The live datapath under the behavioural checks, in DR through core's director: wrr 3:1 over 400
 * connections splits within 5 points of 75/25; a persistent service keeps a client on one real server; a
 * quiesced and then a removed real server take no new connections; and
 * 100,000 malformed, truncated and random frames thrown at the director neither crash it nor grow its
 * memory, after which it still forwards.
 */
import { ipvs } from '@lvskit/core';
import { PacketSocket } from '@lvskit/native';
import { type LabHost, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { drLab, VIP } from './dr-lab.js';

const canRun = requireLab();

/** `n` curls to the VIP in one shell inside the client namespace; the names that answered. */
async function curlMany(lab: Awaited<ReturnType<typeof drLab>>['lab'], client: LabHost, n: number): Promise<string[]> {
  const script = `for i in $(seq ${n}); do curl -s --max-time 5 http://${VIP}/; done`;
  const r = await lab.exec(client, ['sh', '-c', script], { check: false, timeoutMs: 120_000 });
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

describe.runIf(canRun)('lab: datapath behaviour (DR through core)', () => {
  it('wrr 3:1 over 400 connections splits within 5 points of 75/25', async () => {
    const { lab, hosts, ip, datapath } = await drLab();
    try {
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'wrr' })
        .realServer('web', { address: ip.rs1, method: 'route', weight: 3 })
        .realServer('web', { address: ip.rs2, method: 'route', weight: 1 })
        .start({ packets: datapath });
      try {
        const served = await curlMany(lab, hosts.client, 400);
        expect(served.length).toBe(400);
        const share = served.filter((s) => s === 'rs1').length / served.length;
        expect(Math.abs(share - 0.75)).toBeLessThanOrEqual(0.05);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it('persistence keeps a client on one real server', async () => {
    const { lab, hosts, ip, datapath } = await drLab();
    try {
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr', persistence: { timeout: 60 } })
        .realServer('web', { address: ip.rs1, method: 'route' })
        .realServer('web', { address: ip.rs2, method: 'route' })
        .start({ packets: datapath });
      try {
        const served = await curlMany(lab, hosts.client, 20);
        expect(served.length).toBe(20);
        expect(new Set(served).size).toBe(1);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it('a quiesced (weight 0) and then a removed real server take no new connections', async () => {
    const { lab, hosts, ip, datapath } = await drLab();
    try {
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
        .realServer('web', { address: ip.rs1, method: 'route' })
        .realServer('web', { address: ip.rs2, method: 'route' })
        .start({ packets: datapath });
      try {
        expect(new Set(await curlMany(lab, hosts.client, 4))).toEqual(new Set(['rs1', 'rs2']));
        lvs.editRealServer('web', { address: ip.rs1 }, { weight: 0 });
        expect(new Set(await curlMany(lab, hosts.client, 10))).toEqual(new Set(['rs2']));
        lvs.editRealServer('web', { address: ip.rs1 }, { weight: 1 });
        lvs.removeRealServer('web', { address: ip.rs2 });
        expect(new Set(await curlMany(lab, hosts.client, 10))).toEqual(new Set(['rs1']));
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it('100,000 malformed, truncated and random frames neither crash the director nor grow its memory', async () => {
    // No socket filter: every junk frame, whatever its EtherType, must reach the user-space parsers here.
    const { lab, hosts, ip, datapath } = await drLab({ filter: false });
    try {
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
        .realServer('web', { address: ip.rs1, method: 'route' })
        .start({ packets: datapath });
      try {
        expect(await curlMany(lab, hosts.client, 2)).toEqual(['rs1', 'rs1']);
        const directorMac = hosts.director.interfaces
          .get('eth0')!
          .mac.split(':')
          .map((h) => Number.parseInt(h, 16));
        const clientMac = hosts.client.interfaces
          .get('eth0')!
          .mac.split(':')
          .map((h) => Number.parseInt(h, 16));
        const sock = PacketSocket.open({ ifname: 'eth0', netns: hosts.client.ns, batchSize: 64 });
        let seed = 12345;
        const rnd = () => {
          seed = (seed * 1103515245 + 12345) >>> 0;
          return seed >>> 16;
        };
        // Warm up, then measure: the datapath must not keep anything per frame.
        const heapBefore = process.memoryUsage().heapUsed;
        // Send until the datapath itself has received 100,000 of them (the veth backlog drops some when the
        // sender outruns the softirq), giving up after a million sent.
        const received0 = datapath.counters[0]!;
        let sent = 0;
        while (datapath.counters[0]! - received0 < 100_000 && sent < 1_000_000) {
          const n = 64;
          for (let i = 0; i < n; i++) {
            const off = sock.tx.offsets[i]!;
            const len = 14 + (rnd() % 1500);
            const b = sock.tx.buffer;
            for (let k = 0; k < len; k++) b[off + k] = rnd() & 0xff;
            for (let k = 0; k < 6; k++) b[off + k] = directorMac[k]!;
            // A real sender's source MAC: the bridge drops multicast sources and would learn junk ones.
            for (let k = 0; k < 6; k++) b[off + 6 + k] = clientMac[k]!;
            // Mostly IP EtherTypes with a plausible first byte, so the IP parsers and the engine see them.
            const kind = rnd() % 4;
            if (kind < 2) {
              b[off + 12] = 0x08;
              b[off + 13] = 0x00;
              b[off + 14] = 0x45;
            } else if (kind === 2) {
              b[off + 12] = 0x86;
              b[off + 13] = 0xdd;
              b[off + 14] = 0x60;
            }
            sock.tx.lengths[i] = len;
          }
          sent += sock.send(n);
          // The datapath runs on this event loop: let it drain its socket between batches.
          await new Promise((r) => setImmediate(r));
        }
        sock.close();
        await new Promise((r) => setTimeout(r, 500));
        const grown = process.memoryUsage().heapUsed - heapBefore;
        expect(datapath.counters[0]! - received0).toBeGreaterThanOrEqual(100_000);
        // Generous: vitest and the lab allocate too; a per-frame leak would be hundreds of MB.
        expect(grown).toBeLessThan(64 * 1024 * 1024);
        expect(await curlMany(lab, hosts.client, 2)).toEqual(['rs1', 'rs1']);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });
});
