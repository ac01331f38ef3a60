/**
 * Sync master cost on the packet path: `Engine.process` of established TCP packets (100k connections, DR,
 * random order) with sync off, and with a sync master whose sink does nothing but count (so what is
 * measured is the engine's `ip_vs_sync_conn_needed` work, not an encoder), with the kernel's default rules;
 * and the same for a persistent service (each packet also walks to its template, sent every time). Rounds
 * alternate off / on so both see the same machine load; best of 5 rounds of CPU time (the machine is
 * shared). Run: `node --expose-gc --conditions=@lvskit/source --import tsx bench/sync.bench.ts` in
 * packages/core.
 */
import { compileConfig, Ipvs } from '../src/director.js';
import { createPacketSummary, TCP_ACK, TCP_SYN } from '../src/packet.js';
import type { SyncSink } from '../src/sync.js';
import { FakeClock } from '../src/testing/index.js';

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

class CountingSink implements SyncSink {
  n = 0;
  syncEntry(): void {
    this.n++;
  }
}

function measure(persistent: boolean, n: number): Record<string, string | number> {
  const clock = new FakeClock(0);
  const d = new Ipvs(
    compileConfig({
      services: [
        {
          name: 'web',
          config: {
            protocol: 'tcp',
            address: '198.18.0.1',
            port: 80,
            scheduler: 'wlc',
            ...(persistent ? { persistence: { timeout: 3600 } } : {}),
            realServers: [{ address: '198.18.1.1' }, { address: '198.18.1.2' }],
          },
        },
      ],
      maxConnections: persistent ? 2 * n : n,
    }),
    { clock },
  );
  const p = createPacketSummary();
  p.daddr.set([198, 18, 0, 1]);
  p.dport = 80;
  p.length = 60;
  const fill = (i: number) => {
    // 198.19.x.y, 16 ports per address (so persistent runs have n/16 templates)
    const a = (0xc6130000 + (i >>> 4)) | 0;
    p.saddr[0] = a >>> 24;
    p.saddr[1] = (a >>> 16) & 255;
    p.saddr[2] = (a >>> 8) & 255;
    p.saddr[3] = a & 255;
    p.sport = 1024 + (i & 15);
  };
  p.tcpFlags = TCP_SYN;
  for (let i = 0; i < n; i++) {
    fill(i);
    if (d.engine.process(p, 1).verdict !== 1) throw new Error('not forwarded');
  }
  p.tcpFlags = TCP_ACK;
  const packets = 1_000_000;
  const sink = new CountingSink();
  const round = (on: boolean, seed: number): number => {
    d.setSyncMaster(on ? sink : undefined);
    let x = seed;
    const t0 = cpuMs();
    for (let k = 0; k < packets; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      fill(x % n);
      d.engine.process(p, 2);
    }
    return cpuMs() - t0;
  };
  let off = Number.POSITIVE_INFINITY;
  let on = Number.POSITIVE_INFINITY;
  round(false, 1);
  round(true, 2); // warm both paths
  sink.n = 0;
  for (let r = 0; r < 5; r++) {
    off = Math.min(off, round(false, 100 + r));
    on = Math.min(on, round(true, 200 + r));
  }
  return {
    service: persistent ? 'persistent (conn + template)' : 'plain',
    connections: n,
    'sync off packets/s': Math.round(packets / (off / 1000)),
    'sync on packets/s (no-op sink)': Math.round(packets / (on / 1000)),
    'on/off time ratio': (on / off).toFixed(3),
    'entries sent per packet (on)': (sink.n / (5 * packets)).toFixed(3),
  };
}

console.table([measure(false, 100_000), measure(true, 100_000)]);
console.log(`node ${process.version}, ${process.arch}`);
