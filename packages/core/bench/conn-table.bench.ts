/**
 * Connection-table benchmark: inserts/s, lookups/s (client→VIP 5-tuple; hits for established traffic and
 * misses as for a new connection's first packet, each over keys drawn at random from the whole table) and
 * bytes per connection from process memory (`--expose-gc`), at 100k and 2M connections, plus the engine's
 * packet rate on established connections. Rates are per second of this process's CPU time (the build
 * machine is shared). The baseline, measured in the same run, is a `Map<number, number>` keyed by address
 * and port (the fastest plain-JS index for IPv4 keys). Run: `npm run bench -w @lvskit/core`.
 */
import { progress } from '@lvskit/netlab';
import { ConnTable } from '../src/conn-table.js';
import { compileConfig, Ipvs } from '../src/director.js';
import { createPacketSummary, TCP_ACK, TCP_SYN } from '../src/packet.js';
import { FakeClock } from '../src/testing/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc (npm run bench -w @lvskit/core does)');
  process.exit(1);
}
const mem = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

function addrOf(i: number): number {
  return (0xc6130000 + (i >>> 10)) | 0; // 198.19.x.y, 1024 ports per address
}
function portOf(i: number): number {
  return 1024 + (i & 1023);
}

/** CPU time (user + system) of this process in ms: unlike wall time, it excludes the time other jobs on
 * the shared machine hold the cores, though their cache traffic still slows us. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function run(n: number): Record<string, string | number> {
  const w = new Int32Array(12);
  w[4] = 0xc6120001 | 0; // VIP 198.18.0.1
  w[8] = 0xc6120101 | 0; // real server
  const before = mem();
  const t = new ConnTable(n, 0, 42);
  let t0 = cpuMs();
  for (let i = 0; i < n; i++) {
    w[0] = addrOf(i);
    if (t.insert(6, 0x100, w, 0, portOf(i), 4, 80, w, 8, 80, 0, 0, 900_000) < 0) throw new Error('full');
  }
  const insertMs = cpuMs() - t0;
  const bytes = (mem() - before) / n;
  // Baseline: Map<number, number> with key = address * 65536 + port (IPv4 only, no VIP/proto in the key).
  const mb = mem();
  const map = new Map<number, number>();
  t0 = cpuMs();
  for (let i = 0; i < n; i++) map.set((addrOf(i) >>> 0) * 65536 + portOf(i), i);
  const mapInsertMs = cpuMs() - t0;
  const mapBytes = (mem() - mb) / n;
  // Lookups in a pseudo-random order over all entries; misses use the same client addresses with a port
  // no entry has (portOf is 1024..2047). Table and Map rounds alternate so both see the same machine load;
  // best of 5 rounds: the machine is shared, so the fastest round is the least disturbed one.
  const lookups = 3_000_000;
  const tableRound = (seed: number, miss: number): number => {
    let x = seed;
    let hits = 0;
    const c0 = cpuMs();
    for (let k = 0; k < lookups; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const i = x % n;
      w[0] = addrOf(i);
      if (t.lookupIn(6, false, w, 0, portOf(i) + miss, 4, 80) >= 0) hits++;
    }
    const ms = cpuMs() - c0;
    if (hits !== (miss ? 0 : lookups)) throw new Error(`table lookups: ${hits} hits, miss=${miss}`);
    return ms;
  };
  const mapRound = (seed: number, miss: number): number => {
    let x = seed;
    let hits = 0;
    const c0 = cpuMs();
    for (let k = 0; k < lookups; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const i = x % n;
      if (map.get((addrOf(i) >>> 0) * 65536 + portOf(i) + miss) !== undefined) hits++;
    }
    const ms = cpuMs() - c0;
    if (hits !== (miss ? 0 : lookups)) throw new Error(`Map lookups: ${hits} hits, miss=${miss}`);
    return ms;
  };
  let lookupMs = Number.POSITIVE_INFINITY;
  let missMs = Number.POSITIVE_INFINITY;
  let mapLookupMs = Number.POSITIVE_INFINITY;
  let mapMissMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    lookupMs = Math.min(lookupMs, tableRound(12345 + round, 0));
    mapLookupMs = Math.min(mapLookupMs, mapRound(12345 + round, 0));
    missMs = Math.min(missMs, tableRound(54321 + round, 1024));
    mapMissMs = Math.min(mapMissMs, mapRound(54321 + round, 1024));
  }
  map.clear();
  const lps = lookups / (lookupMs / 1000);
  const mlps = lookups / (mapLookupMs / 1000);
  return {
    connections: n,
    'table inserts/s': Math.round(n / (insertMs / 1000)),
    'table lookups/s': Math.round(lps),
    'table misses/s': Math.round(lookups / (missMs / 1000)),
    'table bytes/conn': Math.round(bytes),
    'Map inserts/s': Math.round(n / (mapInsertMs / 1000)),
    'Map lookups/s': Math.round(mlps),
    'Map misses/s': Math.round(lookups / (mapMissMs / 1000)),
    'Map bytes/conn': Math.round(mapBytes),
    'lookup ratio table/Map': (lps / mlps).toFixed(2),
    'bytes ratio table/Map': (bytes / mapBytes).toFixed(2),
    'typed-array bytes/conn (computed)': Math.round(t.bytesPerEntry),
  };
}

function engineRate(n: number): Record<string, string | number> {
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
            realServers: [
              { address: '198.18.1.1', method: 'masq' },
              { address: '198.18.1.2', method: 'masq' },
            ],
          },
        },
      ],
      maxConnections: n,
    }),
    { clock },
  );
  const p = createPacketSummary();
  p.daddr.set([198, 18, 0, 1]);
  p.dport = 80;
  p.length = 60;
  const fill = (i: number) => {
    const a = addrOf(i);
    p.saddr[0] = a >>> 24;
    p.saddr[1] = (a >>> 16) & 255;
    p.saddr[2] = (a >>> 8) & 255;
    p.saddr[3] = a & 255;
    p.sport = portOf(i);
  };
  let t0 = cpuMs();
  p.tcpFlags = TCP_SYN;
  for (let i = 0; i < n; i++) {
    fill(i);
    if (d.engine.process(p, 1).verdict !== 1) throw new Error('not forwarded');
  }
  const newMs = cpuMs() - t0;
  p.tcpFlags = TCP_ACK;
  const packets = 3_000_000;
  let x = 999;
  t0 = cpuMs();
  for (let k = 0; k < packets; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    fill(x % n);
    d.engine.process(p, 2);
  }
  const pktMs = cpuMs() - t0;
  return {
    connections: n,
    'new connections/s (SYN → scheduled)': Math.round(n / (newMs / 1000)),
    'established packets/s (process)': Math.round(packets / (pktMs / 1000)),
  };
}

// On a terminal, which measurement runs (one line on stderr, erased before the tables; nothing when piped).
const p = progress('conn-table bench', { total: 4 });
p.step('table vs Map, 100k connections');
const small = run(100_000);
p.step('table vs Map, 2M connections');
const rows = [small, run(2_000_000)];
p.step('engine, 100k connections');
const rate = engineRate(100_000);
p.step('engine, 1M connections');
const rates = [rate, engineRate(1_000_000)];
p.done();
console.table(rows);
console.table(rates);
console.log(`node ${process.version}, ${process.arch}`);
