import { spawn } from 'node:child_process';
import { HealthRunner, httpGetCheck, keepalivedPolicy, tcpCheck } from './src/index.ts';

const child = spawn(
  process.execPath,
  ['--conditions=@lvskit/source', '--import', 'tsx', 'bench/listeners.ts', '20', '18181', '18182'],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const info = JSON.parse(
  (await new Promise<string>((r) => child.stdout!.once('data', (b) => r(b.toString())))).replace(/^ready /, ''),
);
const N = 1000;
const r = new HealthRunner();
r.apply(
  Array.from({ length: N }, (_, i) => ({
    id: `rs${i}`,
    checkers: [
      {
        checker:
          i % 2
            ? httpGetCheck({ host: info.hosts[i % 20], port: 18182, urls: [{ path: '/' }], key: `h${i}` })
            : tcpCheck({ host: info.hosts[i % 20], port: 18181, key: `t${i}` }),
        policy: keepalivedPolicy(i % 2 ? 'HTTP_GET' : 'TCP_CHECK', { delayLoopMs: 1000, warmupMs: 1000 }),
        timeoutMs: 2000,
      },
    ],
  })),
);
let n = 0;
r.on('checkCompleted', () => n++);
r.start();
await new Promise((res) => setTimeout(res, 2000));
const u0 = process.cpuUsage();
const n0 = n;
const t0 = performance.now();
await new Promise((res) => setTimeout(res, 6000));
const u = process.cpuUsage(u0);
const checks = n - n0;
console.log({
  checks,
  cpuPct: ((u.user + u.system) / 10 / (performance.now() - t0)).toFixed(1),
  usPerCheck: ((u.user + u.system) / checks).toFixed(0),
  user: (u.user / checks).toFixed(0),
  sys: (u.system / checks).toFixed(0),
});
r.stop();
child.stdin!.end();
