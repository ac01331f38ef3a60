/**
 * HTTP through the VIP with a new TCP connection per request (issue #4 item 6): lvskit's datapath in DR and in
 * NAT against HAProxy in TCP mode and the kernel's nftables DNAT, on one netlab lab and the same two backends
 * (bench/backend.c, a one-thread epoll HTTP responder compiled at start — or netlab's Node HTTP server with
 * BACKEND=node — one per real server, port 80, for every side). ROUNDS rounds (default 3), every
 * side once per round in the same order, medians reported. Per side: requests/s under
 * `wrk -H 'Connection: close' -c 50 -t 2`; CPU per 1,000 connections two ways — the director process's
 * utime+stime (/proc/<pid>/stat; lvskit and HAProxy), and the whole machine's busy time (/proc/stat) minus
 * that of the same load sent straight to a backend in the same round ("added CPU", every side, nftables
 * included; on veths a sender is charged for the receiver's softirq work, so only the whole-machine figure
 * compares the sides fairly); and p50/p99 at one connection against going direct to a backend. Then, on the same lab, 64-byte UDP frames from trafgen forwarded by the kernel as a
 * plain router (the ceiling) and by lvskit in DR. Root only; builds namespaces under 198.18.0.0/15 and touches
 * nothing else (trafgen is told to leave the host-wide socket-memory sysctls alone). Not run by tests.
 * Prerequisites (not CI's): haproxy, wrk, nft (nftables), trafgen (netsniff-ng), ethtool, curl; missing → exit 1.
 *
 * Run: `npm run bench:http -w @lvskit/forwarders` (BENCH_SECONDS=n per side, default 8; ROUNDS=n, default 3;
 * BACKEND=node for netlab's Node backends; LAB_NAPI=1 for threaded NAPI on the bridge ports, see below)
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
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BACKEND = process.env.BACKEND ?? 'c';
const LAB_NAPI = process.env.LAB_NAPI === '1';
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
  ['gcc', 'gcc'],
];
const missing = needed.filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
if (missing.length > 0) {
  console.error(
    `bench:http needs ${missing.map(([b]) => b).join(', ')} — install with: apt-get install ${missing.map(([, p]) => p).join(' ')}`,
  );
  process.exit(1);
}
if (BACKEND !== 'c' && BACKEND !== 'node') {
  console.error(`BACKEND must be c or node, got ${BACKEND}`);
  process.exit(1);
}
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error(`ROUNDS must be a positive integer, got ${process.env.ROUNDS}`);
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

/** Clock ticks per second of /proc's times (USER_HZ). */
const HZ = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / HZ;
}

/** The whole machine's busy time (every CPU: user, nice, system, irq, softirq, steal), in ms. */
function busyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) * 1000) / HZ;
}

const median = (xs: readonly number[]): number => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** One side's figures in one round. */
interface Side {
  name: string;
  round: number;
  load: string;
  load_after: string;
  tput: WrkResult;
  lat: WrkResult;
  /** Director process CPU ms per 1,000 connections. */
  cpuPer1000?: number;
  /** Whole-machine busy ms per 1,000 connections. */
  busyPer1000: number;
  note: string;
}

const { lab, hosts, ip, segment } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1', 'rs2'] });
const tmp = mkdtempSync(join(tmpdir(), 'lvskit-bench-'));
// The backends every side shares: by default a small C server (bench/backend.c, compiled here), so that on 2
// cores they leave the balancers room; BACKEND=node uses netlab's Node HTTP server instead.
const backendBin = join(tmp, 'backend');
if (BACKEND === 'c') {
  const cc = spawnSync('gcc', ['-O2', '-o', backendBin, fileURLToPath(new URL('./backend.c', import.meta.url))]);
  if (cc.status !== 0) {
    console.error(`bench:http: compiling bench/backend.c failed: ${cc.stderr?.toString() ?? cc.error}`);
    process.exit(1);
  }
}
const sides: Side[] = [];
const PACKETS = 300_000;
const packetRuns: { name: string; load: string; delivered: number; pps: number; note: string }[] = [];
const directLat: WrkResult[] = [];
/** Whole-machine busy ms per 1,000 connections sent straight to rs1, by round. */
const directBusy: number[] = [];
const directRps: number[] = [];
try {
  const all = [hosts.client, hosts.director, hosts.rs1, hosts.rs2];
  for (const h of all) {
    await lab.sysctl(h, {
      'net.ipv4.tcp_tw_reuse': '1',
      'net.ipv4.conf.all.accept_redirects': '0',
      'net.ipv4.conf.all.send_redirects': '0',
      'net.ipv4.conf.eth0.send_redirects': '0',
    });
    // Every host keeps the veth's offloads (checksum, TSO/GSO) on, as it comes: the datapath hands partial
    // checksums and super-frames back to the kernel (see README, "The datapath").
  }
  if (LAB_NAPI) {
    // A veth hands a frame to its peer synchronously: the bridge and the receiving host's whole stack run in
    // the sender's system call, charged to the sender. With GRO and threaded NAPI on the bridge ports (and TSO
    // off at the senders, which makes their frames eligible: veth_skb_is_eligible_for_gro), that work runs in
    // the ports' NAPI threads instead, as it would on another machine behind a real NIC. Every side alike.
    const ports = spawnSync('ip', ['-n', segment.ns, '-o', 'link', 'show'])
      .stdout.toString()
      .split('\n')
      .map((l) => /^\d+: ([^@:]+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined && n !== segment.bridge && n !== 'lo');
    for (const port of ports) {
      spawnSync('ip', ['netns', 'exec', segment.ns, 'ethtool', '-K', port, 'gro', 'on']);
      const w = spawnSync('ip', ['netns', 'exec', segment.ns, 'sh', '-c', `echo 1 > /sys/class/net/${port}/threaded`]);
      if (w.status !== 0) throw new Error(`threaded NAPI on ${port}: ${w.stderr.toString()}`);
    }
    for (const h of all) await lab.exec(h, ['ethtool', '-K', 'eth0', 'tso', 'off']);
  }
  for (const h of all) {
    const r = await lab.exec(h, ['sysctl', '-n', 'net.ipv4.tcp_tw_reuse']);
    if (r.stdout.trim() !== '1') throw new Error(`tcp_tw_reuse is not 1 in ${h.name}`);
  }
  const mac = (h: typeof hosts.rs1) => h.interfaces.get('eth0')!.mac;
  const undo: (() => Promise<void>)[] = [];
  for (const rs of [hosts.rs1, hosts.rs2]) {
    undo.push((await applyDrRealServer({ vips: [VIP], netns: rs.ns })).undo);
    if (BACKEND === 'node') await lab.httpServer(rs, 80, rs.name);
    else {
      const b = lab.spawn(rs, [backendBin, '80', rs.name]);
      await b.waitForOutput(/^listening /m);
    }
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
  let round = 0;
  /** Throughput then latency through the VIP; CPU of `pid` and of the machine around the throughput run. */
  const measure = async (name: string, pid: number | undefined, note: () => string): Promise<void> => {
    const load = loadavg();
    if (!(await reachable())) {
      console.error(`${name}: the VIP does not answer; side skipped. ${note()}`);
      sides.push({
        name,
        round,
        load,
        load_after: loadavg(),
        tput: parseWrk(''),
        lat: parseWrk(''),
        busyPer1000: Number.NaN,
        note: 'VIP unreachable',
      });
      return;
    }
    const before = pid === undefined ? 0 : cpuMs(pid);
    const busy0 = busyMs();
    const tput = await wrk(`http://${VIP}/`, false);
    const busy1 = busyMs();
    const after = pid === undefined ? 0 : cpuMs(pid);
    const lat = await wrk(`http://${VIP}/`, true);
    const side: Side = {
      name,
      round,
      load,
      load_after: loadavg(),
      tput,
      lat,
      busyPer1000: (busy1 - busy0) / (tput.requests / 1000),
      note: '',
    };
    if (pid !== undefined) side.cpuPer1000 = (after - before) / (tput.requests / 1000);
    side.note = note();
    sides.push(side);
    console.error(`round ${round} ${name}: ${JSON.stringify(side)}`);
  };
  /** The same load straight to rs1: the baseline of the whole-machine CPU and of the latency. */
  const measureDirect = async (): Promise<void> => {
    const busy0 = busyMs();
    const tput = await wrk(`http://${ip.rs1}/`, false);
    const busy1 = busyMs();
    directBusy.push((busy1 - busy0) / (tput.requests / 1000));
    directRps.push(tput.rps);
    const lat = await wrk(`http://${ip.rs1}/`, true);
    directLat.push(lat);
    console.error(`round ${round} direct: ${JSON.stringify({ tput, lat, busyPer1000: directBusy.at(-1) })}`);
  };

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
  for (round = 1; round <= ROUNDS; round++) {
    // DR first: the real servers answer the client directly (no route via the director).
    for (const rs of [hosts.rs1, hosts.rs2])
      await lab.exec(rs, ['ip', 'route', 'del', `${ip.client}/32`], { check: false });
    await measureDirect();
    // lvskit DR: the VIP is not on the director's kernel, ip_forward 0; replies go straight to the client.
    await lvskit('route', 'lvskit DR');
    // One-armed NAT (lvskit and nftables): the real servers reach the client through the director.
    for (const rs of [hosts.rs1, hosts.rs2]) await lab.addRoute(rs, `${ip.client}/32`, ip.director);
    await lvskit('masq', 'lvskit NAT');

    // HAProxy and nftables need the VIP on the director's kernel.
    await lab.addAddress(hosts.director, 'eth0', `${VIP}/32`);
    await lab.exec(hosts.client, ['ip', 'neigh', 'flush', 'dev', 'eth0'], { check: false });
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
    await lab.exec(hosts.director, ['nft', 'delete', 'table', 'ip', 'lvsbench']);
    if (round < ROUNDS) {
      await lab.sysctl(hosts.director, { 'net.ipv4.ip_forward': '0' });
      await lab.removeAddress(hosts.director, 'eth0', `${VIP}/32`);
      await lab.exec(hosts.client, ['ip', 'neigh', 'flush', 'dev', 'eth0'], { check: false });
    }
  }

  // (a) Packet rate, same lab: 64-byte UDP frames (60 + FCS) from trafgen on the client to the director's
  // MAC, counted by a packet socket on rs1. The kernel forwarding them as a plain router (the ceiling; the
  // nftables table removed so that conntrack is not in its path), then lvskit DR from a VIP to rs1.
  await lab.ping(hosts.director, ip.rs1);
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
  if (LAB_NAPI) {
    // trafgen's blast overruns the NAPI ports' rings (its TX_RING flush fails with EAGAIN): no packet part.
    console.error('LAB_NAPI=1: the 64-byte packet part is skipped');
  } else await pktRun('kernel as a router (ceiling)', ip.rs1);
  await lab.sysctl(hosts.director, { 'net.ipv4.ip_forward': '0' });
  await lab.removeAddress(hosts.director, 'eth0', `${VIP}/32`);
  if (!LAB_NAPI) {
    const udpDirector = await startLvskit('route', 'udp', 9, [ip.rs1]); // one flow: rs1 only, where the sink counts
    await pktRun('lvskit DR', VIP);
    await udpDirector.stop(5000);
    const counters = /^counters (.*)$/m.exec(udpDirector.output())?.[1];
    packetRuns[packetRuns.length - 1]!.note = counters ? `datapath ${counters}` : 'no counters';
  }
  for (const u of undo) await u();
} finally {
  await lab.destroy();
  rmSync(tmp, { recursive: true, force: true });
}

// Report: medians over the rounds (every round's figures are on stderr above).
const f = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(d));
const names = [...new Set(sides.map((s) => s.name))];
const of = (name: string) => sides.filter((s) => s.name === name);
const dBusy = median(directBusy);
const dP50 = median(directLat.map((l) => l.p50));
const dP99 = median(directLat.map((l) => l.p99));
/** Median of the per-round differences side − direct (same round). */
const addedBusy = (name: string) =>
  median(of(name).map((s) => s.busyPer1000 - (directBusy[s.round - 1] ?? Number.NaN)));
const range = (xs: number[], d = 0) => {
  const v = xs.filter(Number.isFinite);
  return v.length === 0 ? 'n/a' : `${f(Math.min(...v), d)}–${f(Math.max(...v), d)}`;
};
console.log(
  `\n| side (median of ${ROUNDS}) | req/s (c=50) | req/s range | socket errors | added CPU ms / 1000 conn (machine) | director process CPU ms / 1000 conn | p50 ms (c=1) | p99 ms (c=1) | added p50 ms |`,
);
console.log('|---|---:|---|---|---:|---:|---:|---:|---:|');
console.log(
  `| direct to rs1 (no director) | ${f(median(directRps))} | ${range(directRps)} | | 0 (${f(dBusy, 1)} in all) | | ${f(dP50, 3)} | ${f(dP99, 3)} | 0 |`,
);
for (const n of names) {
  const ss = of(n);
  const errs = [...new Set(ss.map((s) => s.tput.errors + (s.tput.non2xx ? `, non-2xx ${s.tput.non2xx}` : '')))].join(
    '; ',
  );
  console.log(
    `| ${n} | ${f(median(ss.map((s) => s.tput.rps)))} | ${range(ss.map((s) => s.tput.rps))} | ${errs} | ${f(addedBusy(n), 1)} | ${f(median(ss.map((s) => s.cpuPer1000 ?? Number.NaN)), 1)} | ${f(median(ss.map((s) => s.lat.p50)), 3)} | ${f(median(ss.map((s) => s.lat.p99)), 3)} | ${f(median(ss.map((s) => s.lat.p50)) - dP50, 3)} |`,
  );
}
const hapName = names.find((n) => n.startsWith('HAProxy')) ?? '';
const nftName = names.find((n) => n.startsWith('nftables')) ?? '';
/** Median over rounds of a per-round ratio a/b. */
const ratio = (a: string, b: string, pick: (s: Side) => number) =>
  median(
    of(a).map((s) => {
      const o = of(b).find((x) => x.round === s.round);
      return o === undefined ? Number.NaN : pick(s) / pick(o);
    }),
  );
const addedOf = (s: Side) => s.busyPer1000 - (directBusy[s.round - 1] ?? Number.NaN);
console.log('\n| ratio (median of per-round ratios) | value |\n|---|---:|');
for (const n of ['lvskit DR', 'lvskit NAT']) {
  console.log(
    `| ${n} / HAProxy, req/s | ${f(
      ratio(n, hapName, (s) => s.tput.rps),
      2,
    )} |`,
  );
  console.log(
    `| ${n} / nftables, req/s | ${f(
      ratio(n, nftName, (s) => s.tput.rps),
      2,
    )} |`,
  );
  console.log(`| ${n} / HAProxy, added machine CPU per connection | ${f(ratio(n, hapName, addedOf), 2)} |`);
  console.log(
    `| ${n} / HAProxy, director process CPU per connection | ${f(
      ratio(n, hapName, (s) => s.cpuPer1000 ?? Number.NaN),
      2,
    )} |`,
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
  `\n${ROUNDS} rounds × ${SECONDS} s per side (wrk -H 'Connection: close' -c 50 -t 2), latency ${LATENCY_SECONDS} s at -c 1 -t 1 --latency; backends: 2 × ${BACKEND === 'c' ? 'bench/backend.c (epoll, one thread)' : 'netlab Node HTTP server'}; ${LAB_NAPI ? 'bridge ports with threaded NAPI (LAB_NAPI=1)' : 'veths delivering synchronously'}; node ${process.version}; ${spawnSync('nproc').stdout.toString().trim()} CPUs; load average at the end ${loadavg()}`,
);
