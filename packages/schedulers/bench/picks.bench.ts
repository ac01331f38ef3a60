/**
 * Pick cost of every scheduler at 8, 256 and 4096 real servers, with two npm libraries measured in the same
 * run as baselines: `wrr-pool` (the LVS knowledge-base weighted round robin, the same algorithm family as wrr)
 * and `load-balancers` (an unweighted power-of-two-choices balancer, next to twos). Prints a markdown table
 * of ns per pick and the 4096-vs-8 cost ratio. Benchmark only: it asserts nothing and is never run by tests.
 *
 * Run: `npm run bench -w @lvskit/schedulers`
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { progress } from '@lvskit/netlab';
import { P2cBalancer } from 'load-balancers';
import { Bench } from 'tinybench';
import WRRPool from 'wrr-pool';
import {
  createScheduler,
  type Flow,
  makeFlow,
  SCHEDULER_NAMES,
  type Scheduler,
  type SchedulerName,
} from '../src/index.js';

const SIZES = [8, 256, 4096] as const;
/** Picks per measured call, so that the timer's own cost disappears from the per-pick figure. */
const BATCH = 1024;
/** Schedulers whose choice depends on connection counts: the loop also does a director's accounting. */
const USES_CONNS = new Set<SchedulerName>(['lc', 'wlc', 'sed', 'nq', 'ovf', 'twos', 'lblc', 'lblcr']);

const weightOf = (i: number) => 1 + (i % 10);
const serverAddress = (i: number) => `198.18.${i >> 8}.${i & 255}`;

/** 1024 distinct client flows to 64 virtual addresses (the hashing and locality schedulers look at them). */
const FLOWS: Flow[] = Array.from({ length: 1024 }, (_, i) =>
  makeFlow({
    source: `198.19.${i >> 8}.${i & 255}`,
    sourcePort: 1024 + i,
    destination: `198.18.255.${(i & 63) + 1}`,
    destinationPort: 80,
  }),
);

/** A pick loop for one scheduler of `n` servers. */
function schedulerTask(name: SchedulerName, n: number): () => void {
  const servers = Array.from({ length: n }, (_, i) => ({ address: serverAddress(i), port: 80, weight: weightOf(i) }));
  // mh: the kernel's default table (4093) cannot hold 4096 servers; use its largest-but-one prime everywhere.
  const options = name === 'mh' ? { servers, tableSize: 65521 as const } : { servers };
  const s = createScheduler(name, options as never) as Scheduler;
  let f = 0;
  if (!USES_CONNS.has(name)) {
    return () => {
      for (let k = 0; k < BATCH; k++) {
        s.schedule(FLOWS[f]!, 0);
        f = (f + 1) & 1023;
      }
    };
  }
  // A director's accounting: each pick opens a connection on the picked server and the oldest of the last
  // 4·n connections closes, so counts stay in a steady state; both are reported with setConnections.
  const active = new Int32Array(s.list().reduce((m, x) => Math.max(m, x.handle + 1), 0));
  const ring = new Int32Array(4 * n).fill(-1);
  let r = 0;
  return () => {
    for (let k = 0; k < BATCH; k++) {
      const h = s.schedule(FLOWS[f]!, 0);
      f = (f + 1) & 1023;
      if (h >= 0) {
        active[h]!++;
        s.setConnections(h, active[h]!, 0);
      }
      const old = ring[r]!;
      ring[r] = h;
      r = r + 1 === ring.length ? 0 : r + 1;
      if (old >= 0) {
        active[old]!--;
        s.setConnections(old, active[old]!, 0);
      }
    }
  };
}

function wrrPoolTask(n: number): () => void {
  const pool = new WRRPool();
  for (let i = 0; i < n; i++) pool.add(serverAddress(i), weightOf(i));
  return () => {
    for (let k = 0; k < BATCH; k++) pool.next();
  };
}

function p2cTask(n: number): () => void {
  const b = new P2cBalancer(n);
  return () => {
    for (let k = 0; k < BATCH; k++) b.pick();
  };
}

/**
 * Reference point, not a library: ip_vs_wlc_schedule as the kernel runs it, a linear scan over the list per
 * pick (typed arrays, list order = index order), with the same accounting as the indexed schedulers.
 */
function wlcLinearScanTask(n: number): () => void {
  const weight = Int32Array.from({ length: n }, (_, i) => weightOf(i));
  const active = new Int32Array(n);
  const ring = new Int32Array(4 * n).fill(-1);
  let r = 0;
  const pick = (): number => {
    let least = -1;
    let loh = 0;
    for (let d = 0; d < n; d++) {
      const w = weight[d]!;
      if (least < 0) {
        if (w > 0) {
          least = d;
          loh = active[d]! * 256;
        }
      } else {
        const doh = active[d]! * 256;
        if (loh * w > doh * weight[least]!) {
          least = d;
          loh = doh;
        }
      }
    }
    return least;
  };
  return () => {
    for (let k = 0; k < BATCH; k++) {
      const h = pick();
      if (h >= 0) active[h]!++;
      const old = ring[r]!;
      ring[r] = h;
      r = r + 1 === ring.length ? 0 : r + 1;
      if (old >= 0) active[old]!--;
    }
  };
}

const rows: { name: string; make: (n: number) => () => void; note: string }[] = [
  ...SCHEDULER_NAMES.map((name) => ({
    name,
    make: (n: number) => schedulerTask(name, n),
    note: USES_CONNS.has(name) ? 'pick + 2 setConnections' : 'pick',
  })),
  { name: 'wlc as a linear scan (kernel algorithm, reference)', make: wlcLinearScanTask, note: 'pick + counts' },
  { name: 'wrr-pool@1.1.4 (npm, LVS-KB wrr)', make: wrrPoolTask, note: 'next()' },
  { name: 'load-balancers@1.3.52 (npm, P2C)', make: p2cTask, note: 'pick() (own counters)' },
];

/** Measures `names` at `sizes` in this process; returns ns per pick by `name|size`. */
async function measure(names: readonly string[], sizes: readonly number[]): Promise<Record<string, number>> {
  const bench = new Bench({ time: 250, warmupTime: 50 });
  for (const row of rows.filter((r) => names.includes(r.name))) {
    for (const n of sizes) bench.add(`${row.name}|${n}`, row.make(n));
  }
  await bench.run();
  const out: Record<string, number> = {};
  for (const t of bench.tasks) {
    const res = t.result;
    if (res.state !== 'completed') throw new Error(`${t.name}: ${res.state}`);
    out[t.name] = (res.latency.p50 * 1e6) / BATCH;
  }
  return out;
}

const one = process.argv.indexOf('--one');
if (one >= 0) {
  // Child mode: one row, all sizes, JSON on stdout.
  process.stdout.write(JSON.stringify(await measure([process.argv[one + 1]!], SIZES)));
} else {
  // Isolated: each row in a fresh process, as a director running one scheduler type sees it.
  const isolated: Record<string, number> = {};
  // On a terminal, which row runs (one line on stderr, erased before the table; nothing when piped).
  const p = progress('picks bench', { total: rows.length + 1 });
  for (const row of rows) {
    p.step(row.name);
    const args = [...process.execArgv, fileURLToPath(import.meta.url), '--one', row.name];
    Object.assign(isolated, JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })));
  }
  // Mixed: every row in this one process, so shared call sites see all scheduler classes (megamorphic), as in
  // a director whose services use many different schedulers.
  p.step('all rows in one process');
  const mixed = await measure(
    rows.map((r) => r.name),
    [4096],
  );
  p.done();
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const lines = [
    `| scheduler | measured | ${SIZES.map((n) => `${n} servers`).join(' | ')} | 4096 ÷ 8 | 4096, all in one process |`,
    `|---|---|${SIZES.map(() => '---:').join('|')}|---:|---:|`,
  ];
  for (const row of rows) {
    const v = SIZES.map((n) => isolated[`${row.name}|${n}`]!);
    const m = mixed[`${row.name}|4096`]!;
    lines.push(
      `| ${row.name} | ${row.note} | ${v.map(fmt).join(' | ')} | ${(v[2]! / v[0]!).toFixed(2)}× | ${fmt(m)} |`,
    );
  }
  console.log(`ns per pick; Node ${process.version}; ${BATCH} picks per sample, median of samples\n`);
  console.log(lines.join('\n'));
}
