/**
 * Sync overhead (issue 14): the connection rate through the lab's HA pair (examples/sync-ha, `lvskit run` in two
 * director namespaces) and the directors' CPU, with `lvs_sync_daemon eth0 VI_1` against without, in one run.
 * `npm run bench -w @lvskit/director` (root; not root: one line, exit 0 — the root `npm run bench` runs it too).
 *
 * Per round each side gets a fresh lab (off then on, the next round on then off, so drift in the shared machine
 * falls on both): a 2 s warm-up, then `sync-rate.mjs` (test/lab) keeps CONCURRENCY connections in flight for
 * BENCH_SECONDS — connect, one request, its answer, close — through the MASTER (dir1). The CPU of each
 * `lvskit run` process is read from /proc/PID/stat (utime + stime) around the measured window. With sync the
 * master also sends each connection's records and the backup (dir2) applies them: both are printed, per 1000
 * connections. Environment: ROUNDS (default 3), BENCH_SECONDS (8), CONCURRENCY (64), METHOD (DR | NAT, DR).
 * One client, two servers and two directors share the machine's cores, so the rate is the whole lab's, not the
 * director's alone; the CPU per connection is the director's.
 */

import { type ControlIpvsadmResult, controlRequest } from '@lvskit/director';
import { labUnavailableReason } from '@lvskit/netlab';
import {
  connections,
  cpuTimeMs,
  runRateClient,
  type SyncHaMethod,
  startSyncHaLab,
} from '../../../examples/sync-ha/lab.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const METHOD = (process.env.METHOD ?? 'DR') as SyncHaMethod;

/** One side of one round. */
interface Sample {
  readonly sync: boolean;
  readonly rate: number;
  readonly ok: number;
  readonly failed: number;
  /** dir1 (MASTER) CPU, ms per second of the window (100 = one core). */
  readonly masterCpuPerS: number;
  /** dir1 CPU ms per 1000 connections. */
  readonly masterCpuPer1000: number;
  /** dir2 (BACKUP) CPU ms per 1000 connections. */
  readonly backupCpuPer1000: number;
  /** Entries in the backup's table at the end (0 without sync). */
  readonly backupEntries: number;
  readonly daemons: string;
  /** Connection latency (connect to answer), ms. */
  readonly p50: number;
  readonly p99: number;
}

async function side(sync: boolean): Promise<Sample> {
  const s = await startSyncHaLab({ method: METHOD, sync });
  try {
    const r = (await controlRequest(s.sockets.dir1, 'ipvsadm', { argv: ['-L', '--daemon'] }).catch(
      (e: Error) => ({ stdout: e.message, stderr: '', code: 1 }) satisfies ControlIpvsadmResult,
    )) as ControlIpvsadmResult;
    const daemons = `${r.stdout}${r.stderr}`.trim().replaceAll('\n', '; ');
    await runRateClient(s, { concurrency: CONCURRENCY, durationMs: 2_000 });
    const m0 = cpuTimeMs(s.directors.dir1.pid);
    const b0 = cpuTimeMs(s.directors.dir2.pid);
    const t0 = Date.now();
    const res = await runRateClient(s, { concurrency: CONCURRENCY, durationMs: SECONDS * 1000 });
    const wall = Date.now() - t0;
    const master = cpuTimeMs(s.directors.dir1.pid) - m0;
    const backup = cpuTimeMs(s.directors.dir2.pid) - b0;
    const backupEntries = (await connections(s.sockets.dir2)).length;
    return {
      sync,
      rate: res.rate,
      ok: res.ok,
      failed: res.failed,
      masterCpuPerS: (master / wall) * 1000,
      masterCpuPer1000: (master / res.ok) * 1000,
      backupCpuPer1000: (backup / res.ok) * 1000,
      backupEntries,
      daemons,
      p50: res.p50,
      p99: res.p99,
    };
  } finally {
    await s.destroy();
  }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const f1 = (x: number) => x.toFixed(1);

async function main(): Promise<number> {
  const why = labUnavailableReason();
  if (why !== undefined) {
    console.log(`sync.bench: skipped, it needs the network lab: ${why}`);
    return 0;
  }
  console.log(
    `sync overhead, ${METHOD}, ${ROUNDS} round(s) × ${SECONDS} s per side, ${CONCURRENCY} connections in flight (connect, request, answer, close)`,
  );
  const samples: Sample[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const sync of round % 2 === 0 ? [false, true] : [true, false]) {
      const x = await side(sync);
      samples.push(x);
      console.log(
        `round ${round + 1} sync ${sync ? 'on ' : 'off'}: ${x.rate} conn/s (${x.ok} ok, ${x.failed} failed, latency p50 ${x.p50} ms p99 ${x.p99} ms), master CPU ${f1(x.masterCpuPerS / 10)} % of a core = ${f1(x.masterCpuPer1000)} ms/1000 conn, backup ${f1(x.backupCpuPer1000)} ms/1000 conn, backup table ${x.backupEntries}; daemons: ${x.daemons || '-'}`,
      );
    }
  }
  const agg = (sync: boolean) => {
    const xs = samples.filter((x) => x.sync === sync);
    return {
      rate: median(xs.map((x) => x.rate)),
      master: median(xs.map((x) => x.masterCpuPer1000)),
      backup: median(xs.map((x) => x.backupCpuPer1000)),
      failed: xs.reduce((n, x) => n + x.failed, 0),
    };
  };
  const off = agg(false);
  const on = agg(true);
  console.log('\n| sync | conn/s (median) | master CPU ms / 1000 conn | backup CPU ms / 1000 conn | failed |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(`| off | ${off.rate} | ${f1(off.master)} | ${f1(off.backup)} | ${off.failed} |`);
  console.log(`| on | ${on.rate} | ${f1(on.master)} | ${f1(on.backup)} | ${on.failed} |`);
  console.log(
    `\nratio on/off: connection rate ${(on.rate / off.rate).toFixed(3)}, master CPU per connection ${(on.master / off.master).toFixed(3)}, backup CPU per connection ${(on.backup / off.backup).toFixed(3)}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`sync.bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
