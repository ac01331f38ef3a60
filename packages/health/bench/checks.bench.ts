/**
 * Benchmark: 5,000 real servers checked every second (half TCP_CHECK, half HTTP_GET) against local
 * listeners in a separate process. Reports the runner process's CPU % of one core, event-loop delay p99
 * (perf_hooks.monitorEventLoopDelay) and schedule jitter (how late each check timer fires after its due
 * time), next to a baseline measured in the same run: the same checkers fired by one plain setInterval per
 * real server (no policy, no timeouts, no events). The machine's load average is printed with the table.
 *   npm run bench -w @lvskit/health            (env: SERVERS=5000 SECONDS=15 LISTENERS=40 ONLY=runner)
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { type Clock, systemClock } from '@lvskit/base';
import { progress } from '@lvskit/netlab';
import {
  type Checker,
  type CheckResult,
  HealthRunner,
  httpGetCheck,
  keepalivedPolicy,
  tcpCheck,
} from '../src/index.js';

const SERVERS = Number(process.env.SERVERS ?? 5000);
const SECONDS = Number(process.env.SECONDS ?? 15);
const LISTENERS = Number(process.env.LISTENERS ?? 40);
const INTERVAL = 1000;

interface Probe {
  readonly checker: Checker;
  ok: number;
  fail: number;
}

/** Lateness of timer callbacks (ms), shared by both drivers. */
const lateness: number[] = [];
const failures = new Map<string, number>();

/** The system clock, recording how late each timer fires. */
const latenessClock: Clock = {
  now: () => systemClock.now(),
  setTimeout(fn, ms) {
    const due = performance.now() + ms;
    return systemClock.setTimeout(() => {
      lateness.push(performance.now() - due);
      fn();
    }, ms);
  },
};

function instrument(c: Checker, probes: Probe[]): Checker {
  const p: Probe = { checker: c, ok: 0, fail: 0 };
  probes.push(p);
  return {
    kind: c.kind,
    key: c.key,
    async check(signal): Promise<CheckResult> {
      const r = await c.check(signal);
      if (r.ok) p.ok++;
      else {
        p.fail++;
        const why = r.message.replace(/[\d.:]+/g, '#').slice(0, 60);
        failures.set(why, (failures.get(why) ?? 0) + 1);
      }
      return r;
    },
  };
}

function pct(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

async function startListeners(): Promise<{ hosts: string[]; tcpPort: number; httpPort: number; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@lvskit/source',
      '--import',
      'tsx',
      join(import.meta.dirname, 'listeners.ts'),
      String(LISTENERS),
      '18081',
      '18082',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const line = await new Promise<string>((resolve) => rl.once('line', resolve));
  const info = JSON.parse(line.replace(/^ready /, '')) as { hosts: string[]; tcpPort: number; httpPort: number };
  return { ...info, stop: () => child.stdin?.end() };
}

function checkersFor(hosts: string[], tcpPort: number, httpPort: number, probes: Probe[]): Checker[] {
  const out: Checker[] = [];
  for (let i = 0; i < SERVERS; i++) {
    const host = hosts[i % hosts.length] as string;
    const c =
      i % 2 === 0
        ? tcpCheck({ host, port: tcpPort, key: `tcp ${i}` })
        : httpGetCheck({ host, port: httpPort, urls: [{ path: '/', statusCode: [200] }], key: `http ${i}` });
    out.push(instrument(c, probes));
  }
  return out;
}

interface Figures {
  cpu: number;
  loopP99: number;
  jitterP50: number;
  jitterP99: number;
  checksPerSec: number;
  failures: number;
}

// On a terminal, which phase runs (one line on stderr, drawn only at each phase's start so that it does not
// disturb the event-loop figures; nothing when piped).
const bar = progress('checks bench', { total: 2 });

async function measure(label: string, start: () => () => void, probes: Probe[]): Promise<Figures> {
  bar.step(`${label}: ${SECONDS} s`);
  const stop = start();
  // Let warmup spread the first checks over one interval, then measure.
  await new Promise((r) => setTimeout(r, 2 * INTERVAL));
  for (const p of probes) {
    p.ok = 0;
    p.fail = 0;
  }
  lateness.length = 0;
  failures.clear();
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  h.disable();
  // Snapshot before stopping: stopping aborts in-flight checks, which must not count as failures.
  const jit = [...lateness];
  const checks = probes.reduce((s, p) => s + p.ok + p.fail, 0);
  const failed = probes.reduce((s, p) => s + p.fail, 0);
  const reasons = [...failures].slice(0, 5);
  stop();
  await new Promise((r) => setTimeout(r, 500));
  const f: Figures = {
    cpu: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    loopP99: h.percentile(99) / 1e6,
    jitterP50: pct(jit, 0.5),
    jitterP99: pct(jit, 0.99),
    checksPerSec: checks / (wall / 1000),
    failures: failed,
  };
  bar.clear();
  console.log(`${label}: ${JSON.stringify(f)} failures: ${JSON.stringify(reasons)}`);
  return f;
}

async function main(): Promise<void> {
  const l = await startListeners();
  try {
    // Baseline: plain setInterval per real server, same checkers, same spread of start times.
    const baseProbes: Probe[] = [];
    const baseCheckers = checkersFor(l.hosts, l.tcpPort, l.httpPort, baseProbes);
    const skipBaseline = process.env.ONLY === 'runner';
    const base = skipBaseline
      ? {
          cpu: Number.NaN,
          loopP99: Number.NaN,
          jitterP50: Number.NaN,
          jitterP99: Number.NaN,
          checksPerSec: Number.NaN,
          failures: 0,
        }
      : await measure(
          'baseline (setInterval)',
          () => {
            const timers: NodeJS.Timeout[] = [];
            const starts: NodeJS.Timeout[] = [];
            baseCheckers.forEach((c) => {
              starts.push(
                setTimeout(() => {
                  // setInterval re-arms from each run, so lateness is measured against the previous run.
                  let last = performance.now();
                  void c.check(AbortSignal.timeout(2000));
                  timers.push(
                    setInterval(() => {
                      const now = performance.now();
                      lateness.push(now - last - INTERVAL);
                      last = now;
                      void c.check(AbortSignal.timeout(2000));
                    }, INTERVAL),
                  );
                }, Math.random() * INTERVAL),
              );
            });
            return () => {
              for (const t of starts) clearTimeout(t);
              for (const t of timers) clearInterval(t);
            };
          },
          baseProbes,
        );

    const probes: Probe[] = [];
    const checkers = checkersFor(l.hosts, l.tcpPort, l.httpPort, probes);
    const runner = new HealthRunner({ clock: latenessClock });
    let transitions = 0;
    runner.on('realServerDown', () => transitions++);
    const policyTcp = keepalivedPolicy('TCP_CHECK', { delayLoopMs: INTERVAL, warmupMs: INTERVAL });
    const policyHttp = keepalivedPolicy('HTTP_GET', { delayLoopMs: INTERVAL, warmupMs: INTERVAL });
    runner.apply(
      checkers.map((c, i) => ({
        id: `rs${i}`,
        checkers: [{ checker: c, policy: i % 2 === 0 ? policyTcp : policyHttp, timeoutMs: 2000 }],
      })),
    );
    const run = await measure(
      'HealthRunner',
      () => {
        runner.start();
        return () => runner.stop();
      },
      probes,
    );
    const row = (name: string, f: Figures) =>
      `| ${name} | ${f.checksPerSec.toFixed(0)} | ${f.failures} | ${f.cpu.toFixed(1)} % | ${f.loopP99.toFixed(1)} ms | ${f.jitterP50.toFixed(1)} ms | ${f.jitterP99.toFixed(1)} ms |`;
    console.log(
      `\n${SERVERS} real servers (½ TCP_CHECK, ½ HTTP_GET), every ${INTERVAL} ms, ${SECONDS} s measured, ${LISTENERS} listener addresses; load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}\n`,
    );
    console.log(
      '| driver | checks/s | failed checks | CPU (one core) | event-loop delay p99 | timer lateness p50 | timer lateness p99 |',
    );
    console.log('|---|---|---|---|---|---|---|');
    console.log(row('baseline: setInterval per server', base));
    console.log(row('HealthRunner', run));
    console.log(
      `\nratio runner/baseline: CPU ×${(run.cpu / base.cpu).toFixed(2)}, loop p99 ×${(run.loopP99 / base.loopP99).toFixed(2)}; real-server down transitions during the run: ${transitions}`,
    );
  } finally {
    l.stop();
  }
}

await main();
