/**
 * HTTP through the VIP with a new TCP connection per request (issue #4 item 6): lvskit's datapath in DR and in
 * NAT against HAProxy in TCP mode and the kernel's nftables DNAT, on one netlab lab and the same two backends
 * (netlab's Node HTTP server, one per real server, port 80, for every side). Per side: requests/s under
 * `wrk -H 'Connection: close' -c 50 -t 2`, the director process's CPU ms per 1,000 connections (lvskit and
 * HAProxy, /proc/<pid>/stat utime+stime around the wrk run), and p50/p99 at one connection against going
 * direct to a backend. Then, on the same lab, 64-byte UDP frames from trafgen forwarded by the kernel as a
 * plain router (the ceiling) and by lvskit in DR. Root only; builds namespaces under 198.18.0.0/15 and touches
 * nothing else (trafgen is told to leave the host-wide socket-memory sysctls alone). Not run by tests.
 * Prerequisites (not CI's): haproxy, wrk, nft (nftables), trafgen (netsniff-ng), ethtool, curl; missing → exit 1.
 *
 * Run: `npm run bench:http -w @lvskit/forwarders` (BENCH_SECONDS=n per side, default 8)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PacketSocket } from '@lvskit/native';
import { buildSegmentLab, type LabProcess, requireLab } from '@lvskit/netlab';
import { applyDrRealServer } from '../src/index.js';
import type { DirectorConfig } from './lvs-director.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const LATENCY_SECONDS = 5;
const VIP = '198.18.0.100';
const tsx = [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx'];
const directorScript = fileURLToPath(new URL('./lvs-director.ts', import.meta.url));

// Prerequisites first, with a clear message: these are bench-only tools CI does not install.
const needed: [string, string][] = [
  ['haproxy', 'haproxy'],
  ['wrk', 'wrk'],
  ['nft', 'nftables'],
  ['ethtool', 'ethtool'],
  ['curl', 'curl'],
  ['trafgen', 'netsniff-ng'],
];
const missing = needed.filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
if (missing.length > 0) {
  console.error(
    `bench:http needs ${missing.map(([b]) => b).join(', ')} — install with: apt-get install ${missing.map(([, p]) => p).join(' ')}`,
  );
  process.exit(1);
}
if (!Number.isFinite(SECONDS) || SECONDS < 1) {
  console.error(`BENCH_SECONDS must be a positive number, got ${process.env.BENCH_SECONDS}`);
  process.exit(1);
}
if (!requireLab()) {
  console.error('bench:http needs a network lab (root, iproute2): see tools/netlab/README.md');
  process.exit(1);
}

/** One wrk run, parsed. */
interface WrkResult {
  requests: number;
  rps: number;
  errors: string;
  non2xx: number;
  p50: number;
  p99: number;
}

/** Milliseconds from wrk's `1.23ms` / `456.00us` / `1.01s`. */
function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

function parseWrk(out: string): WrkResult {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const errors = /Socket errors: (.*)/.exec(out)?.[1]?.trim() ?? 'none';
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  return { requests, rps, errors, non2xx, p50, p99 };
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const hz = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / hz;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** One side's figures. */
interface Side {
  name: string;
  load: string;
  load_after: string;
  tput: WrkResult;
  lat: WrkResult;
  cpuPer1000?: number;
  note: string;
}

const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1', 'rs2'] });
const tmp = mkdtempSync(join(tmpdir(), 'lvskit-bench-'));
const sides: Side[] = [];
const PACKETS = 300_000;
const packetRuns: { name: string; load: string; delivered: number; pps: number; note: string }[] = [];
let direct: WrkResult | undefined;
try {
  const all = [hosts.client, hosts.director, hosts.rs1, hosts.rs2];
  for (const h of all) {
    await lab.sysctl(h, {
      'net.ipv4.tcp_tw_reuse': '1',
      'net.ipv4.conf.all.accept_redirects': '0',
      'net.ipv4.conf.all.send_redirects': '0',
      'net.ipv4.conf.eth0.send_redirects': '0',
    });
    // Frames the packet socket forwards must carry full checksums (see README, "The datapath"); the same
    // setting for every side.
    await lab.exec(h, ['ethtool', '-K', 'eth0', 'tx', 'off']);
  }
  for (const h of all) {
    const r = await lab.exec(h, ['sysctl', '-n', 'net.ipv4.tcp_tw_reuse']);
    if (r.stdout.trim() !== '1') throw new Error(`tcp_tw_reuse is not 1 in ${h.name}`);
  }
  const mac = (h: typeof hosts.rs1) => h.interfaces.get('eth0')!.mac;
  const undo: (() => Promise<void>)[] = [];
  for (const rs of [hosts.rs1, hosts.rs2]) {
    undo.push((await applyDrRealServer({ vips: [VIP], netns: rs.ns })).undo);
    await lab.httpServer(rs, 80, rs.name);
  }

  const wrk = async (url: string, latency: boolean): Promise<WrkResult> => {
    const argv = latency
      ? ['wrk', '-H', 'Connection: close', '-c', '1', '-t', '1', '-d', `${LATENCY_SECONDS}s`, '--latency', url]
      : ['wrk', '-H', 'Connection: close', '-c', '50', '-t', '2', '-d', `${SECONDS}s`, url];
    const r = await lab.exec(hosts.client, argv, { timeoutMs: (SECONDS + LATENCY_SECONDS + 60) * 1000 });
    return parseWrk(r.stdout);
  };
  const reachable = async (): Promise<boolean> => {
    for (let i = 0; i < 20; i++) {
      const r = await lab.exec(hosts.client, ['curl', '-s', '--max-time', '2', `http://${VIP}/`], {
        check: false,
        timeoutMs: 5000,
      });
      if (/^rs\d/.test(r.stdout)) return true;
      await new Promise((res) => setTimeout(res, 250));
    }
    return false;
  };
  /** Throughput then latency through the VIP; CPU of `pid` around the throughput run. */
  const measure = async (name: string, pid: number | undefined, note: () => string): Promise<void> => {
    const load = loadavg();
    if (!(await reachable())) {
      console.error(`${name}: the VIP does not answer; side skipped. ${note()}`);
      sides.push({ name, load, load_after: loadavg(), tput: parseWrk(''), lat: parseWrk(''), note: 'VIP unreachable' });
      return;
    }
    const before = pid === undefined ? 0 : cpuMs(pid);
    const tput = await wrk(`http://${VIP}/`, false);
    const after = pid === undefined ? 0 : cpuMs(pid);
    const lat = await wrk(`http://${VIP}/`, true);
    const side: Side = { name, load, load_after: loadavg(), tput, lat, note: '' };
    if (pid !== undefined) side.cpuPer1000 = (after - before) / (tput.requests / 1000);
    side.note = note();
    sides.push(side);
    console.error(`${name}: ${JSON.stringify(side)}`);
  };

  direct = await wrk(`http://${ip.rs1}/`, true);
  console.error(`direct: ${JSON.stringify(direct)}`);

  const startLvskit = async (
    method: 'route' | 'masq',
    protocol: 'tcp' | 'udp',
    port: number,
    servers: readonly string[] = [ip.rs1, ip.rs2],
  ) => {
    const cfg: DirectorConfig = {
      method,
      protocol,
      port,
      vip: VIP,
      address: ip.director,
      servers,
      neighbours: { [ip.rs1]: mac(hosts.rs1), [ip.rs2]: mac(hosts.rs2), [ip.client]: mac(hosts.client) },
    };
    const proc: LabProcess = lab.spawn(hosts.director, [...tsx, directorScript, JSON.stringify(cfg)]);
    await proc.waitForOutput(/^ready \d+/m, 60_000);
    return proc;
  };
  const lvskit = async (method: 'route' | 'masq', name: string): Promise<void> => {
    const proc = await startLvskit(method, 'tcp', 80);
    await measure(name, proc.pid, () => '');
    await proc.stop(5000);
    const counters = /^counters (.*)$/m.exec(proc.output())?.[1];
    const last = sides[sides.length - 1]!;
    last.note = counters ? `datapath ${counters}` : 'no counters (director did not stop cleanly)';
  };

  // lvskit DR: the VIP is not on the director's kernel, ip_forward 0; replies go straight to the client.
  await lvskit('route', 'lvskit DR');
  // One-armed NAT (lvskit and nftables): the real servers reach the client through the director.
  for (const rs of [hosts.rs1, hosts.rs2]) await lab.addRoute(rs, `${ip.client}/32`, ip.director);
  await lvskit('masq', 'lvskit NAT');

  // HAProxy and nftables need the VIP on the director's kernel.
  await lab.addAddress(hosts.director, 'eth0', `${VIP}/32`);
  await lab.exec(hosts.client, ['ip', 'neigh', 'flush', 'dev', 'eth0'], { check: false });
  const cfgPath = join(tmp, 'haproxy.cfg');
  writeFileSync(
    cfgPath,
    [
      'global',
      '  maxconn 4096',
      '  nbthread 1',
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend web',
      `  bind ${VIP}:80`,
      '  default_backend rs',
      'backend rs',
      '  balance roundrobin',
      `  server rs1 ${ip.rs1}:80`,
      `  server rs2 ${ip.rs2}:80`,
      '',
    ].join('\n'),
  );
  const haproxy = lab.spawn(hosts.director, ['haproxy', '-db', '-f', cfgPath]);
  await measure('HAProxy (mode tcp, 1 thread)', haproxy.pid, () => haproxy.output().trim());
  await haproxy.stop(5000);

  await lab.sysctl(hosts.director, { 'net.ipv4.ip_forward': '1' });
  await lab.exec(hosts.director, ['nft', '-f', '-'], {
    input: [
      'table ip lvsbench {',
      '  chain pre {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      `    ip daddr ${VIP} tcp dport 80 dnat to numgen inc mod 2 map { 0 : ${ip.rs1}, 1 : ${ip.rs2} }`,
      '  }',
      '}',
      '',
    ].join('\n'),
  });
  await measure('nftables DNAT (numgen inc)', undefined, () => '');

  // (a) Packet rate, same lab: 64-byte UDP frames (60 + FCS) from trafgen on the client to the director's
  // MAC, counted by a packet socket on rs1. The kernel forwarding them as a plain router (the ceiling; the
  // nftables table removed so that conntrack is not in its path), then lvskit DR from a VIP to rs1.
  await lab.exec(hosts.director, ['nft', 'delete', 'table', 'ip', 'lvsbench']);
  await lab.exec(hosts.director, ['ping', '-c', '1', '-W', '1', ip.rs1], { check: false });
  const pktRun = async (name: string, target: string): Promise<void> => {
    const sink = PacketSocket.open({ ifname: 'eth0', netns: hosts.rs1.ns, batchSize: 256 });
    let delivered = 0;
    let first = 0;
    let last = 0;
    sink.onBatch((n) => {
      const t = performance.now();
      if (first === 0) first = t;
      last = t;
      for (let i = 0; i < n; i++) {
        const off = sink.rx.offsets[i]!;
        // UDP to port 9 after an IPv4 header without options.
        if (sink.rx.buffer[off + 23] === 17 && sink.rx.buffer[off + 36] === 0 && sink.rx.buffer[off + 37] === 9)
          delivered++;
      }
    });
    const cfgFile = join(tmp, 'trafgen.cfg');
    writeFileSync(
      cfgFile,
      `{ eth(da=${mac(hosts.director)}, sa=${mac(hosts.client)}, type=0x0800), ipv4(saddr=${ip.client}, daddr=${target}, ttl=64), udp(sport=1024, dport=9), fill(0x00, 18) }\n`,
    );
    const load = loadavg();
    // Leave the host-wide core socket memory sysctls and IRQ affinity alone.
    const r = await lab.exec(
      hosts.client,
      ['trafgen', '-o', 'eth0', '-i', cfgFile, '-n', String(PACKETS), '-P', '1', '--no-sock-mem', '--notouch-irq'],
      { timeoutMs: 120_000, check: false },
    );
    await new Promise((res) => setTimeout(res, 1000)); // let the last frames drain through
    sink.close();
    const pps = delivered / ((last - first) / 1000);
    packetRuns.push({
      name,
      load,
      delivered,
      pps,
      note: r.code === 0 ? '' : `trafgen exited ${r.code}: ${r.stderr.trim()}`,
    });
    console.error(`${name}: ${delivered} delivered, ${Math.round(pps)} frames/s`);
  };
  await pktRun('kernel as a router (ceiling)', ip.rs1);
  await lab.sysctl(hosts.director, { 'net.ipv4.ip_forward': '0' });
  await lab.removeAddress(hosts.director, 'eth0', `${VIP}/32`);
  const udpDirector = await startLvskit('route', 'udp', 9, [ip.rs1]); // one flow: rs1 only, where the sink counts
  await pktRun('lvskit DR', VIP);
  await udpDirector.stop(5000);
  const counters = /^counters (.*)$/m.exec(udpDirector.output())?.[1];
  packetRuns[packetRuns.length - 1]!.note = counters ? `datapath ${counters}` : 'no counters';
  for (const u of undo) await u();
} finally {
  await lab.destroy();
  rmSync(tmp, { recursive: true, force: true });
}

// Report.
const f = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(d));
const by = (name: string) => sides.find((s) => s.name.startsWith(name));
const hap = by('HAProxy');
const nft = by('nftables');
console.log(
  `\n| side | req/s (c=50) | requests | socket errors | director CPU ms / 1000 conn | p50 ms (c=1) | p99 ms (c=1) | added p50 ms | added p99 ms | load avg before → after |`,
);
console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|---|');
console.log(`| direct to rs1 (no director) | | | | | ${f(direct?.p50, 3)} | ${f(direct?.p99, 3)} | 0 | 0 | |`);
for (const s of sides) {
  const errs = s.tput.errors + (s.tput.non2xx ? `, non-2xx ${s.tput.non2xx}` : '');
  console.log(
    `| ${s.name} | ${f(s.tput.rps)} | ${f(s.tput.requests)} | ${errs} | ${f(s.cpuPer1000, 1)} | ${f(s.lat.p50, 3)} | ${f(s.lat.p99, 3)} | ${f(s.lat.p50 - (direct?.p50 ?? Number.NaN), 3)} | ${f(s.lat.p99 - (direct?.p99 ?? Number.NaN), 3)} | ${s.load} → ${s.load_after} |`,
  );
}
console.log('\n| ratio | value |\n|---|---:|');
for (const n of ['lvskit DR', 'lvskit NAT']) {
  const s = by(n);
  console.log(`| ${n} / HAProxy, req/s | ${f((s?.tput.rps ?? Number.NaN) / (hap?.tput.rps ?? Number.NaN), 2)} |`);
  console.log(`| ${n} / nftables, req/s | ${f((s?.tput.rps ?? Number.NaN) / (nft?.tput.rps ?? Number.NaN), 2)} |`);
  console.log(
    `| ${n} / HAProxy, CPU per connection | ${f((s?.cpuPer1000 ?? Number.NaN) / (hap?.cpuPer1000 ?? Number.NaN), 2)} |`,
  );
}
const ceiling = packetRuns[0]?.pps ?? Number.NaN;
console.log(
  '\n| 64-byte frames, trafgen → director → rs1 | delivered (of sent) | frames/s | ratio to kernel | load avg |',
);
console.log('|---|---:|---:|---:|---|');
for (const p of packetRuns)
  console.log(`| ${p.name} | ${p.delivered} (${PACKETS}) | ${f(p.pps)} | ${f(p.pps / ceiling, 2)} | ${p.load} |`);
for (const s of [...sides, ...packetRuns]) if (s.note) console.log(`\n${s.name}: ${s.note}`);
console.log(
  `\n${SECONDS} s per side (wrk -H 'Connection: close' -c 50 -t 2), latency ${LATENCY_SECONDS} s at -c 1 -t 1 --latency; backends: 2 × netlab Node HTTP server; node ${process.version}; ${spawnSync('nproc').stdout.toString().trim()} CPUs shared with other work`,
);
