/**
 * Scale-out throughput (issue 15): the connection rate through the VIP with 1, 2 and 3 active directors behind
 * the ECMP router, in one run. `npm run bench:ecmp -w @lvskit/director` (root; needs gobgpd and bird2; not root
 * or either missing: one line, exit 0).
 *
 * The lab is the ECMP lab tests' (test/lab/ecmp-setup.ts): a BIRD 2 router hashing the 5-tuple, `lvskit run`
 * daemons on JSON configs (datapath, DR, `mh` + `mh-port`, an `announce` block) in their own namespaces, three
 * real servers answering one line per connection. Per measurement, N daemons start and announce, the router is
 * awaited with N next hops, and `sync-rate.mjs` (test/lab) keeps CONCURRENCY connections in flight for
 * BENCH_SECONDS (connect, one request, its answer, close); then the daemons stop (withdrawing first). Rounds
 * go 1, 2, 3 then 3, 2, 1, so drift on the shared machine falls on every N. Printed: the rate per round and its
 * median per N, the directors' CPU (utime + stime of every daemon, ms per second of the window), and the
 * ratio to N = 1. Environment: ROUNDS (pairs of sweeps, default 1), BENCH_SECONDS (6), CONCURRENCY (64).
 *
 * Two series in the same run: the directors as they are, and each director's `lvskit run` process capped at
 * DIRECTOR_CPU of one core (default 0.1; 0 skips the series) by a cgroup-v1 CFS quota of its own
 * (/sys/fs/cgroup/cpu/<lab prefix>d<N>-<k>, removed after). On this 2-core machine one director is far from
 * its limit and the client, real servers and router share the same cores, so the first series cannot show
 * scale-out; the capped one makes the directors the bottleneck, as they are on a real deployment that needs
 * more than one.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labUnavailableReason, onPath } from '@lvskit/netlab';
import { buildEcmpLab, VIP } from '../../announce/test/lab/ecmp-lab.js';
import { addRealServers, directorConfig, type EcmpDaemon, startDaemon } from '../test/lab/ecmp-setup.js';

const ROUNDS = Number(process.env.ROUNDS ?? 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const DIRECTOR_CPU = Number(process.env.DIRECTOR_CPU ?? 0.1);
const CGROUP_CPU = '/sys/fs/cgroup/cpu';
const RATE_CLIENT = fileURLToPath(new URL('../test/lab/sync-rate.mjs', import.meta.url));

const why =
  labUnavailableReason() ??
  (['gobgpd', 'gobgp', 'bird'].every(onPath) ? undefined : 'gobgpd, gobgp and bird (Debian gobgpd, bird2) are needed');
if (why !== undefined) {
  console.log(`ecmp bench: skipped (${why})`);
  process.exit(0);
}

/** User + system CPU time of a process so far, ms (/proc/PID/stat fields 14 and 15, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const e = await buildEcmpLab(3, false);
const dir = mkdtempSync(join(tmpdir(), 'lvskit-ecmp-bench-'));
/** Per series (`cap` = CPU cap per director, 0 = none), per N: the samples. */
const series = new Map<number, Map<number, { rate: number; cpuPerS: number; failed: number }[]>>();
const cgroups: string[] = [];
let made = 0;

/** Caps process `pid` at `cap` of one core in a cgroup of its own; returns the cgroup's directory. */
function capCpu(pid: number, cap: number): string {
  const cg = join(CGROUP_CPU, `${e.lab.prefix}d${made++}`);
  mkdirSync(cg);
  cgroups.push(cg);
  writeFileSync(join(cg, 'cpu.cfs_period_us'), '100000');
  writeFileSync(join(cg, 'cpu.cfs_quota_us'), String(Math.round(cap * 100_000)));
  writeFileSync(join(cg, 'cgroup.procs'), String(pid));
  return cg;
}

async function measure(n: number, cap: number): Promise<void> {
  const daemons: EcmpDaemon[] = [];
  for (let i = 0; i < n; i++)
    daemons.push(
      await startDaemon(
        e,
        dir,
        i,
        directorConfig(e, i, {
          services: [
            {
              name: 'tcp80',
              vip: 'web',
              port: 80,
              scheduler: 'mh',
              schedulerFlags: ['mh-port'],
              method: 'route',
              realServers: ['198.18.1.10', '198.18.1.11', '198.18.1.12'].map((address) => ({ address })),
            },
          ],
        }),
      ),
    );
  const mine = cap > 0 ? daemons.map((d) => capCpu(d.process.pid, cap)) : [];
  await e.waitNextHops((h) => h.length === n, 30_000);
  await new Promise((r) => setTimeout(r, 1000));
  const cpu0 = daemons.map((d) => cpuMs(d.process.pid));
  const t0 = Date.now();
  const args = JSON.stringify({ host: VIP, port: 80, concurrency: CONCURRENCY, durationMs: SECONDS * 1000 });
  const client = e.lab.spawn(e.client, [process.execPath, RATE_CLIENT, args]);
  const { code } = await client.exited;
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = daemons.reduce((sum, d, i) => sum + cpuMs(d.process.pid) - cpu0[i]!, 0);
  const line = client
    .output()
    .split('\n')
    .find((l) => l.startsWith('{"ok":'));
  if (code !== 0 || line === undefined) throw new Error(`sync-rate.mjs exited ${code}: ${client.output().slice(-400)}`);
  const r = JSON.parse(line) as { rate: number; failed: number };
  const bySeries = series.get(cap) ?? new Map();
  series.set(cap, bySeries);
  const list = bySeries.get(n) ?? [];
  list.push({ rate: r.rate, cpuPerS: cpu / elapsed, failed: r.failed });
  bySeries.set(n, list);
  console.log(
    `${cap > 0 ? `capped at ${cap} core each, ` : ''}N=${n}: ${r.rate.toFixed(0)} conn/s, ${r.failed} failed, ` +
      `directors' CPU ${(cpu / elapsed).toFixed(0)} ms/s`,
  );
  for (const d of daemons) await d.process.stop();
  for (const cg of mine) if (existsSync(cg)) rmdirSync(cg);
  await e.waitNextHops((h) => h.length === 0, 30_000);
}

try {
  await addRealServers(e);
  const order: number[] = [];
  for (let r = 0; r < ROUNDS; r++) order.push(1, 2, 3, 3, 2, 1);
  for (const cap of DIRECTOR_CPU > 0 ? [0, DIRECTOR_CPU] : [0]) for (const n of order) await measure(n, cap);
  for (const [cap, bySeries] of series) {
    const base = median((bySeries.get(1) ?? []).map((s) => s.rate));
    console.log(
      `\nconnections per second through the VIP (${SECONDS} s windows, ${CONCURRENCY} in flight, medians)` +
        `${cap > 0 ? `, each director capped at ${cap} of a core` : ', directors uncapped'}:`,
    );
    console.log('| directors | conn/s | vs 1 director | directors CPU ms/s |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const n of [1, 2, 3]) {
      const s = bySeries.get(n) ?? [];
      const rate = median(s.map((x) => x.rate));
      console.log(
        `| ${n} | ${rate.toFixed(0)} | ${(rate / base).toFixed(2)} | ${median(s.map((x) => x.cpuPerS)).toFixed(0)} |`,
      );
    }
  }
} finally {
  await e.destroy();
  for (const cg of cgroups) if (existsSync(cg)) rmdirSync(cg);
  rmSync(dir, { recursive: true, force: true });
}
